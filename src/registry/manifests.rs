//! Manifest digests: what a tag (or digest) names in a repository.
//!
//! Promised: `HEAD /v2/<name>/manifests/<ref>` first, then `GET` when the registry sends no
//! usable `Docker-Content-Digest`, in which case the body's sha256 is the digest; a
//! multi-platform image yields its index digest. A 404 says whether the repository or the
//! manifest is missing. Refused: digests other than sha256, and reading the manifest's content.

use sha2::{Digest as _, Sha256};

use super::client::{Client, Endpoint};
use super::error::RegistryError;
use super::transport::{Method, Reply, is_retryable_status};
use crate::image_ref::parse_digest;

impl Client {
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
}

/// A 404's meaning: Distribution says whether the repository or the manifest is unknown.
pub(super) fn not_found(endpoint: &Endpoint, reference: &str, reply: &Reply) -> RegistryError {
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

pub(super) fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::registry::DockerCredentials;
    use crate::registry::test_server::{Responder, local_client, response};

    #[test]
    fn hashes_bodies_as_sha256() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
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
