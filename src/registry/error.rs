//! Why an image could not be resolved; every message ends with what to do about it.

/// A failure for one image (other images are resolved regardless).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "repository {repository} not found on {registry}; check the image name (and that you may see it)"
    )]
    RepositoryNotFound {
        registry: String,
        repository: String,
    },
    #[error(
        "{repository}:{reference} not found on {registry}; check that the tag exists (and is spelled as in the registry)"
    )]
    ManifestNotFound {
        registry: String,
        repository: String,
        reference: String,
    },
    #[error("{registry} refused access to {repository}: {why}; {hint}")]
    Unauthorized {
        registry: String,
        repository: String,
        why: String,
        hint: String,
    },
    #[error("{registry} is unreachable ({}: {message} — {url}); check the host and network, or pass `--insecure-registry {registry}` for a plain-HTTP registry", if *timed_out { "timed out" } else { "request failed" })]
    Unreachable {
        registry: String,
        url: String,
        timed_out: bool,
        message: String,
    },
    #[error("{url}: HTTP {status}: {message}; try again later or check the registry's status")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("{url}: invalid response: {message}; is this an OCI Distribution registry?")]
    InvalidResponse { url: String, message: String },
}
