//! Registry credentials and authentication challenges.
//!
//! Promised: credentials come from the user's Docker config (`$DOCKER_CONFIG/config.json`,
//! else `~/.docker/config.json`), `auths.<registry>.auth` (base64 `user:password`) or
//! `username`/`password`; Docker Hub's keys (`https://index.docker.io/v1/`, `docker.io`, …)
//! all match Docker Hub. Refused: credential stores and helpers (`credsStore`,
//! `credHelpers`) are not executed; they are named in the error when a registry asks for
//! credentials. Credentials are never printed (`Debug` is redacted).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use base64::Engine;
use serde::Deserialize;

use crate::image_ref::{DOCKER_HUB, DOCKER_HUB_API_HOST};

/// A user name and password for HTTP basic auth (also used to ask for bearer tokens).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credentials {{ username: {:?}, password: <redacted> }}",
            self.username
        )
    }
}

impl Credentials {
    /// The `Authorization` header value for basic auth.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

#[derive(Debug, Default, Deserialize)]
struct DockerConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// What the Docker config says about each registry, keyed by normalised host.
#[derive(Debug, Default, Clone)]
pub struct DockerCredentials {
    by_host: HashMap<String, Credentials>,
    /// Host → helper name, for the error message only.
    helpers: HashMap<String, String>,
    store: Option<String>,
}

impl DockerCredentials {
    /// Reads the user's Docker config; a missing or unreadable file means no credentials
    /// (the registry's 401 then explains what is missing).
    pub fn load() -> DockerCredentials {
        let Some(path) = docker_config_path() else {
            return DockerCredentials::default();
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => DockerCredentials::parse(&text),
            Err(_) => DockerCredentials::default(),
        }
    }

    pub fn parse(text: &str) -> DockerCredentials {
        let file: DockerConfigFile = serde_json::from_str(text).unwrap_or_default();
        let by_host = file
            .auths
            .into_iter()
            .filter_map(|(key, entry)| Some((normalise_host(&key), entry.credentials()?)))
            .collect();
        let helpers = file
            .cred_helpers
            .into_iter()
            .map(|(key, helper)| (normalise_host(&key), helper))
            .collect();
        DockerCredentials {
            by_host,
            helpers,
            store: file.creds_store,
        }
    }

    /// Credentials for a registry (`docker.io`, `ghcr.io`, `127.0.0.1:5000`).
    pub fn for_registry(&self, registry: &str) -> Option<&Credentials> {
        self.by_host.get(&normalise_host(registry))
    }

    /// Why no credentials were found, when the Docker config points elsewhere.
    pub fn helper_hint(&self, registry: &str) -> Option<String> {
        let host = normalise_host(registry);
        let helper = self.helpers.get(&host).or(self.store.as_ref())?;
        Some(format!(
            "the Docker config keeps them in `docker-credential-{helper}` (credsStore/credHelpers), which shipshape does not call; add an `auths` entry for {host} to a config in $DOCKER_CONFIG"
        ))
    }
}

impl AuthEntry {
    fn credentials(&self) -> Option<Credentials> {
        if let Some(encoded) = self.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (username, password) = text.split_once(':')?;
            return Some(Credentials {
                username: username.into(),
                password: password.into(),
            });
        }
        match (&self.username, &self.password) {
            (Some(username), Some(password)) => Some(Credentials {
                username: username.clone(),
                password: password.clone(),
            }),
            _ => None,
        }
    }
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".docker").join("config.json"))
}

/// `https://index.docker.io/v1/` → `docker.io`; `https://ghcr.io` → `ghcr.io`.
fn normalise_host(key: &str) -> String {
    let key = key.trim();
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | DOCKER_HUB_API_HOST => DOCKER_HUB.to_string(),
        _ => host,
    }
}

/// A `WWW-Authenticate` challenge we can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(params);
        let realm = params.get("realm")?.clone();
        Some(Challenge::Bearer {
            realm,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        })
    }
}

/// `key="value", key=value` pairs; quoted values may contain commas (scopes do).
fn parse_params(text: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.insert(key, value.to_string());
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auths_in_both_spellings() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cr:et");
        let config = format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{encoded}"}}, "ghcr.io": {{"username": "bob", "password": "pw"}}, "empty.io": {{}}}}}}"#
        );
        let creds = DockerCredentials::parse(&config);
        let hub = creds.for_registry("docker.io").unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("alice", "s3cr:et")
        );
        assert_eq!(creds.for_registry("ghcr.io").unwrap().username, "bob");
        assert!(creds.for_registry("empty.io").is_none());
        assert!(creds.for_registry("quay.io").is_none());
    }

    #[test]
    fn names_credential_helpers_without_calling_them() {
        let creds = DockerCredentials::parse(
            r#"{"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud"}}"#,
        );
        assert!(
            creds
                .helper_hint("gcr.io")
                .unwrap()
                .contains("docker-credential-gcloud")
        );
        assert!(
            creds
                .helper_hint("ghcr.io")
                .unwrap()
                .contains("docker-credential-desktop")
        );
        assert!(
            DockerCredentials::parse("{}")
                .helper_hint("ghcr.io")
                .is_none()
        );
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = Credentials {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.basic_header(), "Basic dTpodW50ZXIy");
    }

    #[test]
    fn parses_challenges() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/postgres:pull,push""#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/postgres:pull,push".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse("Bearer realm=https://x/token"),
            Some(Challenge::Bearer {
                realm: "https://x/token".into(),
                service: None,
                scope: None
            })
        );
        assert_eq!(Challenge::parse("Negotiate abc"), None);
        assert_eq!(Challenge::parse("Bearer service=x"), None);
    }
}
