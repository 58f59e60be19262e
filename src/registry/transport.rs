//! One HTTP exchange with a registry, retried: what the rest of the client builds on.
//!
//! Promised: a per-request timeout, the manifest media types in `Accept`, bodies capped by
//! kind, and retries with doubling backoff (or the registry's `Retry-After`, capped) on 429,
//! 5xx and transient network errors. Refused: answering auth challenges (see [`super::client`])
//! and interpreting statuses beyond "worth retrying".

use std::collections::HashMap;
use std::time::Duration;

use super::client::{Client, Endpoint};
use super::error::{RegistryError, Unreachable};

/// Every manifest type we accept; indexes first so multi-platform images give the index.
pub(super) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
const MAX_TAGS_BYTES: u64 = 32 * 1024 * 1024;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// What we keep of an HTTP response.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: HashMap<String, String>,
    pub(super) body: Vec<u8>,
}

impl Reply {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The first `code` of a Distribution error body: `{"errors":[{"code":"NAME_UNKNOWN"}]}`.
    pub(super) fn error_code(&self) -> Option<String> {
        let json: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        Some(
            json.get("errors")?
                .get(0)?
                .get("code")?
                .as_str()?
                .to_string(),
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Head,
}

impl Client {
    pub(super) fn send_with_retries(
        &self,
        endpoint: &Endpoint,
        method: Method,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<Reply, RegistryError> {
        let mut delay = self.options.backoff;
        let mut attempt = 1;
        loop {
            let outcome = self.send_once(method, url, authorization);
            let retry_after = match &outcome {
                Ok(reply) if is_retryable_status(reply.status) => reply
                    .header("retry-after")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
                Err(e) if e.is_transient() => None,
                _ => return outcome.map_err(|e| e.at(endpoint, url)),
            };
            if attempt >= self.options.attempts {
                return outcome.map_err(|e| e.at(endpoint, url));
            }
            std::thread::sleep(retry_after.unwrap_or(delay).min(MAX_RETRY_AFTER));
            delay *= 2;
            attempt += 1;
        }
    }

    fn send_once(
        &self,
        method: Method,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<Reply, TransportError> {
        let request = match method {
            Method::Get => self.agent.get(url),
            Method::Head => self.agent.head(url),
        };
        let mut request = request.header("Accept", MANIFEST_ACCEPT);
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let mut response = request.call().map_err(TransportError::from)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    name.as_str().to_ascii_lowercase(),
                    value.to_str().ok()?.to_string(),
                ))
            })
            .collect();
        let limit = if url.contains("/tags/list") {
            MAX_TAGS_BYTES
        } else {
            MAX_MANIFEST_BYTES
        };
        let body = if method == Method::Head {
            Vec::new()
        } else {
            response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(TransportError::from)?
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

/// A failure below HTTP: the registry could not be asked at all.
#[derive(Debug)]
struct TransportError {
    cause: Unreachable,
    /// Worth another attempt: timeouts and dropped connections, not bad URLs or TLS.
    transient: bool,
    message: String,
}

impl From<ureq::Error> for TransportError {
    fn from(e: ureq::Error) -> Self {
        let timed_out = matches!(e, ureq::Error::Timeout(_))
            || matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut);
        let cause = match &e {
            _ if timed_out => Unreachable::Timeout,
            ureq::Error::HostNotFound => Unreachable::Dns,
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => Unreachable::Tls,
            ureq::Error::TlsRequired => Unreachable::Tls,
            ureq::Error::ConnectionFailed => Unreachable::Connection,
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                Unreachable::Connection
            }
            _ => Unreachable::Other,
        };
        let transient = timed_out
            || matches!(
                e,
                ureq::Error::Io(_)
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::Protocol(_)
                    | ureq::Error::BodyStalled
            );
        TransportError {
            cause,
            transient,
            message: e.to_string(),
        }
    }
}

impl TransportError {
    fn is_transient(&self) -> bool {
        self.transient
    }

    fn at(self, endpoint: &Endpoint, url: &str) -> RegistryError {
        RegistryError::Unreachable {
            registry: endpoint.registry.clone(),
            url: url.to_string(),
            cause: self.cause,
            message: self.message,
        }
    }
}

pub(super) fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status) && status != 501
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_only_busy_and_failing_registries() {
        assert!(
            is_retryable_status(429)
                && is_retryable_status(503)
                && !is_retryable_status(501)
                && !is_retryable_status(404)
        );
    }
}
