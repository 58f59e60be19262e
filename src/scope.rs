//! Which configuration governs each compose file: the nearest `shipshape.yaml` above the
//! file (or the one `--config` names), with the policies and rules it selects.
//!
//! Promises: each config file is read, and its policies loaded and configured, once per run
//! however many files it governs; a file with no config above it gets the defaults (the
//! `recommended` pack, or the `--policy` packs). Refuses: reading the working directory's
//! config for files that live elsewhere — a repository checked from outside behaves as it
//! does from inside.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, ConfigError, find_upward};
use crate::policy::{PolicyError, PolicySet};
use crate::rules::ActiveRules;

/// One configuration with the policies and rules it selects.
#[derive(Debug, Default)]
pub struct Scope {
    pub config: Config,
    pub policy: PolicySet,
    pub rules: Arc<ActiveRules>,
}

impl Scope {
    /// Every rule id a finding in this scope may carry: built-in rules, validation checks,
    /// and the rules this scope's policies declare.
    pub fn known_rule_ids(&self) -> Vec<&str> {
        crate::rules::REGISTRY
            .iter()
            .map(|r| r.id)
            .chain(crate::schema::checks::CHECKS.iter().map(|c| c.id))
            .chain(crate::schema::checks::RUN_CHECKS.iter().map(|c| c.id))
            .chain(self.policy.generic.iter().map(|g| g.id.as_str()))
            .collect()
    }
}

/// The scope of every file of a run.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    /// For files no config governs (and every file with `--config` or `--no-config`).
    default: Arc<Scope>,
    by_file: HashMap<PathBuf, Arc<Scope>>,
}

/// What the command line says about configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopeSettings<'a> {
    /// `--config FILE`: one config for every file.
    pub explicit: Option<&'a Path>,
    /// `--no-config`.
    pub no_config: bool,
    /// `--policy` (overrides the configs' `policies:`).
    pub policies: &'a [String],
    /// Whether rules run (otherwise their options are not configured).
    pub lint: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

impl Scopes {
    /// One scope for every file.
    pub fn single(config: Config, rules: Arc<ActiveRules>) -> Scopes {
        Scopes {
            default: Arc::new(Scope {
                config,
                policy: PolicySet::default(),
                rules,
            }),
            by_file: HashMap::new(),
        }
    }

    /// The scope of each of `files`. `cwd` stands in for files whose directory does not
    /// exist (standard input named with `--stdin-filename`).
    pub fn load(
        files: &[PathBuf],
        settings: ScopeSettings<'_>,
        cwd: &Path,
    ) -> Result<Scopes, ScopeError> {
        let build = |config: Config| -> Result<Arc<Scope>, ScopeError> {
            let policy = PolicySet::load(settings.policies, &config)?;
            let rules = if settings.lint {
                ActiveRules::configure(&policy)?
            } else {
                ActiveRules::default()
            };
            Ok(Arc::new(Scope {
                config,
                policy,
                rules: Arc::new(rules),
            }))
        };
        if settings.explicit.is_some() || settings.no_config {
            let config = Config::discover(settings.explicit, settings.no_config, cwd)?;
            return Ok(Scopes {
                default: build(config)?,
                by_file: HashMap::new(),
            });
        }
        let default = build(Config::default())?;
        let mut config_of_dir: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
        let mut scope_of_config: HashMap<PathBuf, Arc<Scope>> = HashMap::new();
        let mut by_file = HashMap::new();
        for file in files {
            let dir = match file.parent() {
                Some(d) if d.as_os_str().is_empty() => Path::new("."),
                Some(d) if d.is_dir() => d,
                _ => cwd,
            };
            let config_path = config_of_dir
                .entry(dir.to_path_buf())
                .or_insert_with(|| find_upward(dir))
                .clone();
            let Some(config_path) = config_path else {
                continue;
            };
            let scope = match scope_of_config.get(&config_path) {
                Some(scope) => Arc::clone(scope),
                None => {
                    let scope = build(Config::load(&config_path)?)?;
                    scope_of_config.insert(config_path, Arc::clone(&scope));
                    scope
                }
            };
            by_file.insert(file.clone(), scope);
        }
        Ok(Scopes { default, by_file })
    }

    /// The scope governing `file`.
    pub fn for_file(&self, file: &Path) -> &Scope {
        self.by_file.get(file).unwrap_or(&self.default)
    }

    /// Every distinct scope of the run (the default first).
    pub fn all(&self) -> Vec<&Scope> {
        let mut seen: Vec<*const Scope> = vec![Arc::as_ptr(&self.default)];
        let mut all = vec![&*self.default];
        for scope in self.by_file.values() {
            if !seen.contains(&Arc::as_ptr(scope)) {
                seen.push(Arc::as_ptr(scope));
                all.push(scope);
            }
        }
        all
    }
}
