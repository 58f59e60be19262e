//! What a pin run needs before any compose file is read: the lock, the policy's floating
//! tags and how to reach registries. Every problem here is the user's to fix (exit 2).
//!
//! Promised: `--insecure-registry` values are `HOST[:PORT]` (lowercased) and a mirror is an
//! `http(s)://` URL; command-line values and `shipshape.yaml`'s are both used (insecure
//! registries) or the command line wins (mirror). Refused: guessing what a malformed value
//! meant.

use std::path::PathBuf;

use crate::config::Config;
use crate::lockfile::{LockError, Lockfile};
use crate::policy::{PolicyError, PolicySet};
use crate::registry::ClientOptions;

/// Everything decided before any compose file is read.
pub(crate) struct Settings {
    pub(crate) lock_path: PathBuf,
    pub(crate) lock: Lockfile,
    /// The policy (the rules' view of services needs it; its floating tags come from it).
    pub(crate) policy: PolicySet,
    /// The policy's floating tags (resolved like `latest`).
    pub(crate) floating_tags: Vec<String>,
    pub(crate) client: ClientOptions,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SettingsError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "--insecure-registry `{0}`: expected HOST:PORT (for example `localhost:5000`), without a scheme or path"
    )]
    InsecureRegistry(String),
    #[error("--registry-mirror `{0}`: expected a URL such as `https://mirror.example.com`")]
    Mirror(String),
}

impl Settings {
    /// `insecure` and `mirror` are the command line's; the configuration adds its own.
    pub(crate) fn load(
        config: &Config,
        lock_path: PathBuf,
        insecure: &[String],
        mirror: Option<&str>,
    ) -> Result<Settings, SettingsError> {
        let lock = Lockfile::load(&lock_path)?;
        let policy = PolicySet::load(&[], config)?;
        let floating_tags = crate::rules::floating_tags(&policy).unwrap_or_default();
        let insecure = insecure
            .iter()
            .chain(&config.insecure_registries)
            .map(|host| validate_insecure(host))
            .collect::<Result<Vec<_>, _>>()?;
        let mirror = mirror
            .or(config.registry_mirror.as_deref())
            .map(validate_mirror)
            .transpose()?;
        let client = ClientOptions {
            insecure,
            mirror,
            ..ClientOptions::default()
        }
        .with_env_overrides();
        Ok(Settings {
            lock_path,
            lock,
            policy,
            floating_tags,
            client,
        })
    }
}

/// `HOST[:PORT]`, nothing else: a scheme or path here is a misunderstanding worth reporting.
fn validate_insecure(host: &str) -> Result<String, SettingsError> {
    let host = host.trim();
    let valid = !host.is_empty()
        && !host.contains("://")
        && !host.contains('/')
        && host
            .rsplit_once(':')
            .is_none_or(|(h, port)| !h.is_empty() && port.parse::<u16>().is_ok());
    if valid {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(SettingsError::InsecureRegistry(host.to_string()))
    }
}

fn validate_mirror(url: &str) -> Result<String, SettingsError> {
    let url = url.trim();
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => {
            Ok(url.trim_end_matches('/').to_string())
        }
        _ => Err(SettingsError::Mirror(url.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_registry_options() {
        assert_eq!(
            validate_insecure("LocalHost:5000").ok().as_deref(),
            Some("localhost:5000")
        );
        assert_eq!(
            validate_insecure("registry.local").ok().as_deref(),
            Some("registry.local")
        );
        assert!(validate_insecure("http://localhost:5000").is_err());
        assert!(validate_insecure("localhost:port").is_err());
        assert!(validate_insecure("").is_err());
        assert_eq!(
            validate_mirror("https://mirror.gcr.io/").ok().as_deref(),
            Some("https://mirror.gcr.io")
        );
        assert!(validate_mirror("mirror.gcr.io").is_err());
    }
}
