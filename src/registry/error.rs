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
    #[error("{registry} is unreachable ({}: {message} — {url}); {}", cause.describe(), cause.advice(registry))]
    Unreachable {
        registry: String,
        url: String,
        cause: Unreachable,
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

/// Why a registry could not be asked at all: each cause has its own remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (certificate, protocol, or a plain-HTTP registry).
    Tls,
    /// No answer in time.
    Timeout,
    /// The connection was refused or dropped.
    Connection,
    /// Anything else below HTTP.
    Other,
}

impl Unreachable {
    fn describe(self) -> &'static str {
        match self {
            Unreachable::Dns => "host not found",
            Unreachable::Tls => "TLS failed",
            Unreachable::Timeout => "timed out",
            Unreachable::Connection => "connection failed",
            Unreachable::Other => "request failed",
        }
    }

    /// What to do; `--insecure-registry` only where plain HTTP can be the answer (never for
    /// Docker Hub, which is HTTPS only).
    fn advice(self, registry: &str) -> String {
        let hub = is_docker_hub(registry);
        match self {
            Unreachable::Dns => format!(
                "check the spelling of `{registry}` and your DNS (a registry host needs a dot or a port, e.g. `registry.local:5000`)"
            ),
            Unreachable::Tls if hub => "check the system clock and any proxy that intercepts TLS (Docker Hub is HTTPS only)".to_string(),
            Unreachable::Tls => format!(
                "check the registry's certificate and the system clock; for a plain-HTTP registry pass `--insecure-registry {registry}`"
            ),
            Unreachable::Timeout | Unreachable::Connection | Unreachable::Other if hub => {
                "check the network and proxy settings, or use `--registry-mirror URL`".to_string()
            }
            Unreachable::Timeout => "check the network and that the registry is up".to_string(),
            Unreachable::Connection | Unreachable::Other => format!(
                "check the host, port and network, or pass `--insecure-registry {registry}` for a plain-HTTP registry"
            ),
        }
    }
}

/// Docker Hub's names: `--insecure-registry` never applies to them.
pub fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(registry: &str, cause: Unreachable) -> String {
        RegistryError::Unreachable {
            registry: registry.into(),
            url: format!("https://{registry}/v2/"),
            cause,
            message: "…".into(),
        }
        .to_string()
    }

    #[test]
    fn each_cause_has_its_own_advice() {
        assert!(message("regstry.local", Unreachable::Dns).contains("host not found"));
        assert!(message("regstry.local", Unreachable::Dns).contains("DNS"));
        assert!(message("registry.local:5000", Unreachable::Tls).contains("certificate"));
        assert!(
            message("registry.local:5000", Unreachable::Connection)
                .contains("--insecure-registry registry.local:5000")
        );
        assert!(message("registry.local:5000", Unreachable::Timeout).contains("timed out"));
    }

    #[test]
    fn docker_hub_is_never_told_to_go_insecure() {
        for cause in [
            Unreachable::Dns,
            Unreachable::Tls,
            Unreachable::Timeout,
            Unreachable::Connection,
            Unreachable::Other,
        ] {
            for hub in ["docker.io", "registry-1.docker.io"] {
                let text = message(hub, cause);
                assert!(!text.contains("--insecure-registry"), "{text}");
            }
        }
    }
}
