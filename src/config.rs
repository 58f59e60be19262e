//! `shipshape.yaml`: found by walking up from a compose file's directory to the repository
//! root (see [`crate::scope`]), checked against `schemas/shipshape-config.schema.json`.
//!
//! Promises: an unknown key, a mistyped value or a missing reason is an error at
//! `file:line:col` (an unknown key names the closest allowed one); relative paths and
//! `ignores:` globs are read relative to the config file's directory, wherever shipshape runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::finding::Severity;
use crate::yaml_schema::EmbeddedSchema;

static SCHEMA: EmbeddedSchema =
    EmbeddedSchema::new(include_str!("../schemas/shipshape-config.schema.json"));

pub const CONFIG_NAMES: &[&str] = &[
    "shipshape.yaml",
    ".shipshape.yaml",
    "shipshape.yml",
    ".shipshape.yml",
];

/// An ignore entry: which findings to suppress, and why (the reason is required).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// Glob matched against the file path relative to the config file's directory.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the config was read from (not part of the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// Policy packs or policy files (relative to the config file).
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub select: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Per-rule options, overriding the packs': `rules: {restart-policy: {policy: always}}`.
    #[serde(default)]
    pub rules: BTreeMap<String, yaml_serde::Value>,
    /// Per-rule severity, overriding the rule's own: `severity: {healthcheck: error}`.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Findings to suppress, each with a reason.
    #[serde(default)]
    pub ignores: Vec<IgnoreEntry>,
    #[serde(default, rename = "insecure-registries")]
    pub insecure_registries: Vec<String>,
    #[serde(default, rename = "registry-mirror")]
    pub registry_mirror: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: invalid config: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

impl Config {
    /// Loads the config named by `--config`, or the nearest one above `start`, or none.
    pub fn discover(
        explicit: Option<&Path>,
        no_config: bool,
        start: &Path,
    ) -> Result<Config, ConfigError> {
        if no_config {
            return Ok(Config::default());
        }
        if let Some(path) = explicit {
            return Config::load(path);
        }
        match find_upward(start) {
            Some(path) => Config::load(&path),
            None => Ok(Config::default()),
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        SCHEMA.validate(&text).map_err(|v| ConfigError::Invalid {
            path: path.into(),
            line: v.line,
            col: v.col,
            message: v.message,
        })?;
        let mut config: Config = yaml_serde::from_str(&text).map_err(|e| {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            ConfigError::Invalid {
                path: path.into(),
                line,
                col,
                message: e.to_string(),
            }
        })?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// The directory relative paths in the config are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent())
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// `file` relative to the config's directory, with `/` separators (what `ignores:` globs
    /// match). Without a config file, relative to the working directory.
    pub fn relative_path(&self, file: &Path) -> String {
        let resolved = |p: &Path| {
            std::fs::canonicalize(p)
                .or_else(|_| std::path::absolute(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        let base = match &self.path {
            Some(_) => resolved(&self.base_dir()),
            None => resolved(Path::new(".")),
        };
        let file = resolved(file);
        file.strip_prefix(&base)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/")
    }
}

/// The nearest config file in `start` or its ancestors, stopping at the repository root.
pub fn find_upward(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    for dir in start.ancestors() {
        for name in CONFIG_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}
