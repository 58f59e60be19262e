//! A small OCI Distribution client: manifest digests and tag lists, nothing else.
//!
//! Promised: `HEAD`/`GET /v2/<name>/manifests/<ref>` with the OCI and Docker manifest media
//! types (so a multi-platform image yields its index digest), the digest from
//! `Docker-Content-Digest` or the sha256 of the body, `GET /v2/<name>/tags/list` following
//! `Link` pagination, the bearer-token and basic-auth challenge flows, a timeout per request
//! and retries with backoff on 429, 5xx and network errors. HTTPS only, except for
//! registries named insecure and a mirror given with an `http://` URL.
//! Refused: pushing, pulling blobs, credential helpers, redirects to other schemes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::auth::{Challenge, Credentials, DockerCredentials};
use super::error::RegistryError;
use super::reference::{ImageRef, parse_digest};

/// Every manifest type we accept; indexes first so multi-platform images give the index.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_PAGE_SIZE: usize = 1000;
/// A registry that keeps sending `next` links is cut off here.
const MAX_TAG_PAGES: usize = 200;
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
const MAX_TAGS_BYTES: u64 = 32 * 1024 * 1024;
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Per-request timeout (connect, send, receive).
    pub timeout: Duration,
    /// How many times a request is tried when the registry is busy or unreachable.
    pub attempts: u32,
    /// First backoff; doubled after each attempt.
    pub backoff: Duration,
    /// Registries (`host[:port]`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// Base URL that Docker Hub lookups go to instead of `registry-1.docker.io`.
    pub mirror: Option<String>,
    /// Tags requested per page of the tag list.
    pub page_size: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: DEFAULT_TIMEOUT,
            attempts: 3,
            backoff: Duration::from_millis(250),
            insecure: Vec::new(),
            mirror: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl ClientOptions {
    /// Test and CI knobs: `SHIPSHAPE_REGISTRY_TIMEOUT_MS` (a quick failure for a registry
    /// that is down) and `SHIPSHAPE_REGISTRY_PAGE_SIZE` (to exercise pagination).
    pub fn with_env_overrides(mut self) -> Self {
        let number = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|n| *n > 0)
        };
        if let Some(ms) = number("SHIPSHAPE_REGISTRY_TIMEOUT_MS") {
            self.timeout = Duration::from_millis(ms);
            self.backoff = self.backoff.min(Duration::from_millis(ms));
        }
        if let Some(size) = number("SHIPSHAPE_REGISTRY_PAGE_SIZE") {
            self.page_size = usize::try_from(size).unwrap_or(DEFAULT_PAGE_SIZE);
        }
        self
    }
}

/// Where one repository's API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://ghcr.io`, `http://127.0.0.1:5000` or a mirror's base URL.
    pub base: String,
    /// The registry name used for credentials and messages.
    pub registry: String,
    pub repository: String,
}

/// What we keep of an HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The first `code` of a Distribution error body: `{"errors":[{"code":"NAME_UNKNOWN"}]}`.
    fn error_code(&self) -> Option<String> {
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

/// A client shared by every resolution of a run (its token cache is shared too).
pub struct Client {
    agent: ureq::Agent,
    options: ClientOptions,
    credentials: DockerCredentials,
    /// (base URL, repository) → `Authorization` header value that worked.
    auth_cache: Mutex<HashMap<(String, String), String>>,
}

impl Client {
    pub fn new(options: ClientOptions, credentials: DockerCredentials) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(options.timeout))
            .max_redirects(5)
            .user_agent(concat!("shipshape/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            options,
            credentials,
            auth_cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where `image`'s repository is served: the mirror for Docker Hub when one is set,
    /// plain HTTP for insecure registries, HTTPS otherwise.
    pub fn endpoint(&self, image: &ImageRef) -> Endpoint {
        let registry = image.registry.clone();
        let repository = image.repository.clone();
        if let Some(mirror) = self
            .options
            .mirror
            .as_ref()
            .filter(|_| image.is_docker_hub())
        {
            return Endpoint {
                base: mirror.trim_end_matches('/').to_string(),
                registry: host_of(mirror).to_string(),
                repository,
            };
        }
        let host = image.api_host();
        let insecure = self
            .options
            .insecure
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host) || h.eq_ignore_ascii_case(&registry));
        let scheme = if insecure { "http" } else { "https" };
        Endpoint {
            base: format!("{scheme}://{host}"),
            registry,
            repository,
        }
    }

    /// The digest of the manifest (or index) `reference` names in the repository.
    pub fn manifest_digest(
        &self,
        endpoint: &Endpoint,
        reference: &str,
    ) -> Result<String, RegistryError> {
        let path = format!("/v2/{}/manifests/{reference}", endpoint.repository);
        let head = self.send(endpoint, Method::Head, &path)?;
        if head.status == 200
            && let Some(digest) = head
                .header("docker-content-digest")
                .and_then(|d| parse_digest(d.trim()).ok())
        {
            return Ok(digest);
        }
        if is_retryable_status(head.status) {
            // Already retried; a GET would only wait through the same backoff again.
            return Err(self.status_error(endpoint, &path, &head));
        }
        // No usable digest header, or an error whose details only a body carries.
        let get = self.send(endpoint, Method::Get, &path)?;
        match get.status {
            200 => Ok(get
                .header("docker-content-digest")
                .and_then(|d| parse_digest(d.trim()).ok())
                .unwrap_or_else(|| sha256_digest(&get.body))),
            404 => Err(not_found(endpoint, reference, &get)),
            _ => Err(self.status_error(endpoint, &path, &get)),
        }
    }

    /// Every tag of the repository, across all pages.
    pub fn tags(&self, endpoint: &Endpoint) -> Result<Vec<String>, RegistryError> {
        let mut tags = Vec::new();
        let mut path = format!(
            "/v2/{}/tags/list?n={}",
            endpoint.repository, self.options.page_size
        );
        for _ in 0..MAX_TAG_PAGES {
            let reply = self.send(endpoint, Method::Get, &path)?;
            match reply.status {
                200 => {}
                404 => return Err(not_found(endpoint, "", &reply)),
                _ => return Err(self.status_error(endpoint, &path, &reply)),
            }
            let page: TagPage = serde_json::from_slice(&reply.body).map_err(|e| {
                RegistryError::InvalidResponse {
                    url: format!("{}{path}", endpoint.base),
                    message: format!("tag list is not JSON: {e}"),
                }
            })?;
            let count = page.tags.as_ref().map_or(0, Vec::len);
            let last = page.tags.as_ref().and_then(|t| t.last().cloned());
            tags.extend(page.tags.unwrap_or_default());
            path = match reply.header("link").and_then(next_link) {
                Some(next) => next,
                // Registries that ignore `Link` still honour `last`; a short page is the end.
                None if count >= self.options.page_size && last.is_some() => format!(
                    "/v2/{}/tags/list?n={}&last={}",
                    endpoint.repository,
                    self.options.page_size,
                    last.unwrap_or_default()
                ),
                None => return Ok(tags),
            };
        }
        Ok(tags)
    }

    /// Sends a request with cached credentials, answering one auth challenge and retrying
    /// busy or unreachable registries.
    fn send(
        &self,
        endpoint: &Endpoint,
        method: Method,
        path: &str,
    ) -> Result<Reply, RegistryError> {
        let url = format!("{}{path}", endpoint.base);
        let key = (endpoint.base.clone(), endpoint.repository.clone());
        let cached = self.lock_cache().get(&key).cloned();
        let reply = self.send_with_retries(endpoint, method, &url, cached.as_deref())?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let authorization = self.answer_challenge(endpoint, &reply)?;
        let retried = self.send_with_retries(endpoint, method, &url, Some(&authorization))?;
        if retried.status == 401 || retried.status == 403 {
            return Err(self.unauthorized(endpoint, "the registry rejected the credentials"));
        }
        self.lock_cache().insert(key, authorization);
        Ok(retried)
    }

    fn send_with_retries(
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

    /// The `Authorization` value that answers a 401's `WWW-Authenticate` challenge.
    fn answer_challenge(
        &self,
        endpoint: &Endpoint,
        reply: &Reply,
    ) -> Result<String, RegistryError> {
        let challenge = reply.header("www-authenticate").and_then(Challenge::parse);
        let credentials = self.credentials.for_registry(&endpoint.registry);
        match challenge {
            Some(Challenge::Basic) => {
                match credentials {
                    Some(credentials) => Ok(credentials.basic_header()),
                    None => Err(self
                        .unauthorized(endpoint, "the registry asks for a user name and password")),
                }
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let scope =
                    scope.unwrap_or_else(|| format!("repository:{}:pull", endpoint.repository));
                let token =
                    self.fetch_token(endpoint, &realm, service.as_deref(), &scope, credentials)?;
                Ok(format!("Bearer {token}"))
            }
            None => Err(self.unauthorized(
                endpoint,
                "the registry answered 401 without a challenge shipshape understands",
            )),
        }
    }

    fn fetch_token(
        &self,
        endpoint: &Endpoint,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, RegistryError> {
        let mut url = format!(
            "{realm}{}scope={}",
            if realm.contains('?') { '&' } else { '?' },
            percent_encode(scope)
        );
        if let Some(service) = service {
            url.push_str(&format!("&service={}", percent_encode(service)));
        }
        let realm_host = host_of(realm);
        let plain_http = realm.starts_with("http://")
            && !self
                .options
                .insecure
                .iter()
                .any(|h| h.eq_ignore_ascii_case(realm_host));
        if plain_http && credentials.is_some() {
            // A registry must not be able to lure credentials onto an unencrypted connection.
            return Err(RegistryError::Unauthorized {
                registry: endpoint.registry.clone(),
                repository: endpoint.repository.clone(),
                why: format!(
                    "its token service {realm} is plain HTTP, and shipshape does not send credentials over it"
                ),
                hint: format!("if that is intended, pass `--insecure-registry {realm_host}`"),
            });
        }
        let basic = credentials.map(Credentials::basic_header);
        let reply = self.send_with_retries(endpoint, Method::Get, &url, basic.as_deref())?;
        if reply.status == 401 || reply.status == 403 {
            let why = if credentials.is_some() {
                "the token service rejected the credentials"
            } else {
                "the token service asks for credentials"
            };
            return Err(self.unauthorized(endpoint, why));
        }
        if reply.status != 200 {
            return Err(self.status_error(endpoint, realm, &reply));
        }
        let token: TokenReply =
            serde_json::from_slice(&reply.body).map_err(|e| RegistryError::InvalidResponse {
                url: realm.to_string(),
                message: format!("token reply is not JSON: {e}"),
            })?;
        token
            .token
            .or(token.access_token)
            .ok_or_else(|| RegistryError::InvalidResponse {
                url: realm.to_string(),
                message: "token reply has no `token`".into(),
            })
    }

    fn unauthorized(&self, endpoint: &Endpoint, why: &str) -> RegistryError {
        let has_credentials = self.credentials.for_registry(&endpoint.registry).is_some();
        let hint = match (
            has_credentials,
            self.credentials.helper_hint(&endpoint.registry),
        ) {
            (true, _) => format!(
                "check the `auths` entry for {} in the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json)",
                endpoint.registry
            ),
            (false, Some(helper)) => helper,
            (false, None) => format!(
                "run `docker login {}` or add an `auths` entry to $DOCKER_CONFIG/config.json",
                endpoint.registry
            ),
        };
        RegistryError::Unauthorized {
            registry: endpoint.registry.clone(),
            repository: endpoint.repository.clone(),
            why: why.to_string(),
            hint,
        }
    }

    fn status_error(&self, endpoint: &Endpoint, path: &str, reply: &Reply) -> RegistryError {
        if reply.status == 403 {
            return self.unauthorized(endpoint, "access denied");
        }
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", endpoint.base)
        };
        let code = reply
            .error_code()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        RegistryError::Status {
            url,
            status: reply.status,
            message: format!("unexpected HTTP status{code}"),
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), String>> {
        // Inserting one value cannot leave the map inconsistent, so a poisoned lock is usable.
        self.auth_cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Head,
}

#[derive(serde::Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(serde::Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// A failure below HTTP: the registry could not be asked at all.
#[derive(Debug)]
struct TransportError {
    timed_out: bool,
    /// Worth another attempt: timeouts and dropped connections, not bad URLs or TLS.
    transient: bool,
    message: String,
}

impl From<ureq::Error> for TransportError {
    fn from(e: ureq::Error) -> Self {
        let timed_out = matches!(e, ureq::Error::Timeout(_))
            || matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut);
        let transient = timed_out
            || matches!(
                e,
                ureq::Error::Io(_)
                    | ureq::Error::ConnectionFailed
                    | ureq::Error::Protocol(_)
                    | ureq::Error::BodyStalled
            );
        TransportError {
            timed_out,
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
            timed_out: self.timed_out,
            message: self.message,
        }
    }
}

fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status) && status != 501
}

/// A 404's meaning: Distribution says whether the repository or the manifest is unknown.
fn not_found(endpoint: &Endpoint, reference: &str, reply: &Reply) -> RegistryError {
    let repository_missing =
        reference.is_empty() || reply.error_code().as_deref() == Some("NAME_UNKNOWN");
    if repository_missing {
        RegistryError::RepositoryNotFound {
            registry: endpoint.registry.clone(),
            repository: endpoint.repository.clone(),
        }
    } else {
        RegistryError::ManifestNotFound {
            registry: endpoint.registry.clone(),
            repository: endpoint.repository.clone(),
            reference: reference.to_string(),
        }
    }
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The path and query of a `Link: </v2/…?last=x&n=100>; rel="next"` header.
fn next_link(header: &str) -> Option<String> {
    header
        .split(',')
        .find(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part.find('>')?;
            let target = &part[start..end];
            // An absolute link keeps only its path: it must stay on the same endpoint.
            let path = match target.split_once("://") {
                Some((_, rest)) => &rest[rest.find('/')?..],
                None => target,
            };
            path.starts_with("/v2/").then(|| path.to_string())
        })
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn client(options: ClientOptions) -> Client {
        Client::new(options, DockerCredentials::default())
    }

    #[test]
    fn endpoints_choose_scheme_and_mirror() {
        let c = client(ClientOptions {
            insecure: vec!["127.0.0.1:5000".into()],
            mirror: Some("http://mirror.local:5001/".into()),
            ..ClientOptions::default()
        });
        let local = c.endpoint(&ImageRef::parse("127.0.0.1:5000/app:1").unwrap());
        assert_eq!(local.base, "http://127.0.0.1:5000");
        let ghcr = c.endpoint(&ImageRef::parse("ghcr.io/org/app").unwrap());
        assert_eq!(
            (ghcr.base.as_str(), ghcr.repository.as_str()),
            ("https://ghcr.io", "org/app")
        );
        let hub = c.endpoint(&ImageRef::parse("postgres").unwrap());
        assert_eq!(
            (
                hub.base.as_str(),
                hub.registry.as_str(),
                hub.repository.as_str()
            ),
            (
                "http://mirror.local:5001",
                "mirror.local:5001",
                "library/postgres"
            )
        );
        let no_mirror =
            client(ClientOptions::default()).endpoint(&ImageRef::parse("postgres").unwrap());
        assert_eq!(no_mirror.base, "https://registry-1.docker.io");
    }

    #[test]
    fn follows_next_links() {
        assert_eq!(
            next_link(r#"</v2/app/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b&n=2")
        );
        assert_eq!(
            next_link(r#"<https://r.example/v2/app/tags/list?last=b>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b")
        );
        assert_eq!(next_link(r#"</v2/app/tags/list?last=b>; rel="prev""#), None);
        assert_eq!(
            next_link(r#"<https://evil.example/other>; rel="next""#),
            None
        );
    }

    #[test]
    fn digests_and_encoding() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            percent_encode("repository:library/pg:pull"),
            "repository%3Alibrary%2Fpg%3Apull"
        );
        assert!(
            is_retryable_status(429)
                && is_retryable_status(503)
                && !is_retryable_status(501)
                && !is_retryable_status(404)
        );
    }

    /// A one-request-per-connection HTTP responder for flows a plain Distribution registry
    /// cannot show (bearer tokens, 429s, missing digest headers): `answer` maps each
    /// request's head to a full response; the requests seen are returned by `join`.
    struct Responder {
        base: String,
        handle: std::thread::JoinHandle<Vec<String>>,
    }

    impl Responder {
        fn start(
            requests: usize,
            answer: impl Fn(&str, &str) -> String + Send + 'static,
        ) -> Responder {
            use std::io::{Read, Write};
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let me = base.clone();
            let handle = std::thread::spawn(move || {
                let mut seen = Vec::new();
                for _ in 0..requests {
                    let (mut stream, _) = listener.accept().unwrap();
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    stream.write_all(answer(&head, &me).as_bytes()).unwrap();
                    seen.push(head);
                }
                seen
            });
            Responder { base, handle }
        }

        fn join(self) -> Vec<String> {
            self.handle.join().unwrap()
        }
    }

    fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
        let headers: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        format!(
            "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn local_client(base: &str, credentials: DockerCredentials) -> (Client, Endpoint) {
        let host = base.trim_start_matches("http://").to_string();
        let options = ClientOptions {
            insecure: vec![host.clone()],
            backoff: Duration::from_millis(1),
            timeout: Duration::from_secs(5),
            ..ClientOptions::default()
        };
        let client = Client::new(options, credentials);
        let endpoint = client.endpoint(&ImageRef::parse(&format!("{host}/team/app:1")).unwrap());
        (client, endpoint)
    }

    #[test]
    fn bearer_challenge_fetches_a_token_with_credentials_and_reuses_it() {
        const DIGEST: &str =
            "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        let server = Responder::start(4, |head, base| {
            let authorized = head.contains("Authorization: Bearer tok-123")
                || head.contains("authorization: Bearer tok-123");
            if head.starts_with("GET /token?") {
                response(
                    "200 OK",
                    &[("Content-Type", "application/json")],
                    r#"{"token":"tok-123"}"#,
                )
            } else if authorized {
                response("200 OK", &[("Docker-Content-Digest", DIGEST)], "")
            } else {
                let challenge = format!(
                    r#"Bearer realm="{base}/token",service="test-registry",scope="repository:team/app:pull""#
                );
                response("401 Unauthorized", &[("WWW-Authenticate", &challenge)], "")
            }
        });
        let host = server.base.trim_start_matches("http://").to_string();
        let encoded = base64::engine::general_purpose::STANDARD.encode("user:pw");
        let credentials = DockerCredentials::parse(&format!(
            r#"{{"auths":{{"{host}":{{"auth":"{encoded}"}}}}}}"#
        ));
        let (client, endpoint) = local_client(&server.base, credentials);
        assert_eq!(client.manifest_digest(&endpoint, "1").unwrap(), DIGEST);
        // The token is cached: the second lookup goes straight through.
        assert_eq!(client.manifest_digest(&endpoint, "2").unwrap(), DIGEST);
        let seen = server.join();
        assert!(
            seen[0].starts_with("HEAD /v2/team/app/manifests/1 "),
            "{seen:?}"
        );
        assert!(
            seen[1].starts_with(
                "GET /token?scope=repository%3Ateam%2Fapp%3Apull&service=test-registry "
            ),
            "{seen:?}"
        );
        assert!(
            seen[1].to_ascii_lowercase().contains(&format!(
                "authorization: basic {}",
                encoded.to_ascii_lowercase()
            )),
            "{seen:?}"
        );
        assert!(
            seen[3].starts_with("HEAD /v2/team/app/manifests/2 ")
                && seen[3].contains("Bearer tok-123"),
            "{seen:?}"
        );
    }

    #[test]
    fn credentials_never_go_to_a_plain_http_token_service() {
        let server = Responder::start(1, |_, _| {
            response(
                "401 Unauthorized",
                &[(
                    "WWW-Authenticate",
                    r#"Bearer realm="http://tokens.example/token""#,
                )],
                "",
            )
        });
        let host = server.base.trim_start_matches("http://").to_string();
        let credentials = DockerCredentials::parse(&format!(
            r#"{{"auths":{{"{host}":{{"username":"u","password":"secret"}}}}}}"#
        ));
        let (client, endpoint) = local_client(&server.base, credentials);
        let error = client
            .manifest_digest(&endpoint, "1")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("plain HTTP")
                && error.contains("--insecure-registry tokens.example")
                && !error.contains("secret"),
            "{error}"
        );
        assert_eq!(server.join().len(), 1);
    }

    #[test]
    fn retries_busy_registries_and_computes_missing_digests() {
        let manifest = r#"{"schemaVersion":2}"#;
        let server = Responder::start(5, move |head, _| {
            if head.contains("manifests/busy") {
                response("429 Too Many Requests", &[("Retry-After", "0")], "")
            } else if head.starts_with("HEAD") {
                response("200 OK", &[], "")
            } else {
                response(
                    "200 OK",
                    &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                    manifest,
                )
            }
        });
        let (client, endpoint) = local_client(&server.base, DockerCredentials::default());
        let busy = client.manifest_digest(&endpoint, "busy").unwrap_err();
        assert!(
            matches!(busy, RegistryError::Status { status: 429, .. }),
            "{busy}"
        );
        assert_eq!(
            client.manifest_digest(&endpoint, "1").unwrap(),
            sha256_digest(manifest.as_bytes())
        );
        let seen = server.join();
        assert_eq!(
            seen.iter()
                .filter(|h| h.starts_with("HEAD /v2/team/app/manifests/busy"))
                .count(),
            3,
            "{seen:?}"
        );
        assert_eq!(
            seen.iter()
                .filter(|h| h.starts_with("GET /v2/team/app/manifests/1"))
                .count(),
            1,
            "no digest header: the body is hashed; {seen:?}"
        );
    }
}
