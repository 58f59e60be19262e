//! Policy packs: built-in (`policies/*.yaml`, embedded) and user files, merged into the set
//! of active rules with their options.
//!
//! # How a policy set is built
//! 1. `policies/defaults.yaml` gives every rule its default options (and, through the data
//!    file next to it, what a user may extend: the image facts of `policies/images.yaml`,
//!    the `images` option of `healthcheck`, `env-secrets`, `read-only-root` and
//!    `volume-over-image-files`).
//! 2. Each pack named by `--policy` (or `policies:` in `shipshape.yaml`, or `recommended`) is
//!    applied in order, its `extends:` first. A pack's `rules:` entry enables a rule (`true`
//!    or a mapping of options, deep-merged over what came before) or disables it (`false`).
//! 3. The config's `rules:` entries are applied last, with the same meaning.
//!
//! Every policy file is checked against `schemas/policy.schema.json` before use; errors carry
//! `file:line:col`. The result is plain data: which rules are enabled, their `match:` selectors and
//! their merged options as YAML. This module knows no rule: `rules::registry` checks the ids
//! and parses each rule's options into its own type, so a typo in an option name is an error
//! at load time rather than a silently ignored setting.

mod generic;
mod schema;
pub mod selector;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use yaml_serde::{Mapping, Value as Y};

use crate::config::Config;

pub use generic::{GenericKind, GenericRule};
pub use selector::{Selector, Subject};

/// The built-in packs, embedded so the binary needs no data files.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[
    (
        "recommended",
        include_str!("../../policies/recommended.yaml"),
    ),
    ("security", include_str!("../../policies/security.yaml")),
    ("production", include_str!("../../policies/production.yaml")),
    ("legacy", include_str!("../../policies/legacy.yaml")),
];

const DEFAULTS: &str = include_str!("../../policies/defaults.yaml");

/// The image facts (`policies/images.yaml`): the single source of image knowledge.
const IMAGE_FACTS: &str = include_str!("../../policies/images.yaml");

/// Data files merged into the default options of a rule: (rule, option, file, text). A
/// user's policy extends or overrides their entries through the same option.
const CATALOGS: &[(&str, &str, &str, &str)] = &[
    ("healthcheck", "images", "policies/images.yaml", IMAGE_FACTS),
    ("env-secrets", "images", "policies/images.yaml", IMAGE_FACTS),
    (
        "read-only-root",
        "images",
        "policies/images.yaml",
        IMAGE_FACTS,
    ),
    (
        "healthcheck-timing",
        "images",
        "policies/images.yaml",
        IMAGE_FACTS,
    ),
    (
        "volume-over-image-files",
        "images",
        "policies/images.yaml",
        IMAGE_FACTS,
    ),
    (
        "resource-limits",
        "image_minimums",
        "policies/memory-minimums.yaml",
        include_str!("../../policies/memory-minimums.yaml"),
    ),
];

/// What the policies say about one rule id.
#[derive(Debug, Clone, Default)]
pub struct RuleSetting {
    pub enabled: bool,
    pub selector: Selector,
    /// The merged options, `match` and `enabled` taken out.
    pub options: Mapping,
    /// Which file last configured the rule (for error messages).
    pub origin: String,
}

/// The merged policies, as data.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Every rule id the defaults, packs or config name (unknown ids included: the rules
    /// registry reports them).
    pub rules: BTreeMap<String, RuleSetting>,
    /// Rules declared without code (`ensure:`, `set:`, `remove:`), in declaration order.
    pub generic: Vec<GenericRule>,
    /// Image reference as written → what to pin it to (`pins:` of the policies).
    pub pins: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: cannot read the policy file: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}:{line}:{col}: invalid policy: {message}")]
    Located {
        path: String,
        line: usize,
        col: usize,
        message: String,
    },
}

/// A rule's state while packs are merged.
#[derive(Debug, Clone, Default)]
struct RuleState {
    enabled: bool,
    options: Mapping,
    /// Which file last configured the rule (for error messages).
    origin: String,
}

#[derive(Default)]
struct Builder {
    rules: BTreeMap<String, RuleState>,
    generic: Vec<GenericRule>,
    pins: BTreeMap<String, String>,
    /// Packs being loaded, to report `extends:` cycles.
    stack: Vec<String>,
}

impl PolicySet {
    /// Loads the packs named by `specs` (built-in names or files), or those of the config,
    /// or `recommended`.
    pub fn load(specs: &[String], config: &Config) -> Result<PolicySet, PolicyError> {
        let mut builder = Builder::with_defaults()?;
        let (names, base) = if !specs.is_empty() {
            (specs.to_vec(), PathBuf::from("."))
        } else if !config.policies.is_empty() {
            (config.policies.clone(), config.base_dir())
        } else {
            (vec!["recommended".to_string()], PathBuf::from("."))
        };
        for name in &names {
            builder.load_spec(name, &base)?;
        }
        let config_origin = config
            .path
            .as_ref()
            .map_or_else(|| "shipshape.yaml".to_string(), |p| p.display().to_string());
        for (id, value) in &config.rules {
            builder.configure_rule(id, value, &config_origin)?;
        }
        builder.finish()
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.rules.get(id).is_some_and(|r| r.enabled) || self.generic.iter().any(|g| g.id == id)
    }
}

impl Builder {
    fn with_defaults() -> Result<Builder, PolicyError> {
        let mut builder = Builder::default();
        let defaults = parse_yaml(DEFAULTS, "policies/defaults.yaml")?;
        if let Some(Y::Mapping(rules)) = defaults.get("rules") {
            for (id, options) in rules {
                let id = key_text(id);
                let options = match options {
                    Y::Mapping(m) => m.clone(),
                    _ => Mapping::new(),
                };
                builder.rules.insert(
                    id,
                    RuleState {
                        enabled: false,
                        options,
                        origin: "policies/defaults.yaml".into(),
                    },
                );
            }
        }
        // Two rules share the image facts: each file is parsed once, and moved to its last user.
        let mut parsed: Vec<(&str, Option<Y>)> = Vec::new();
        for (i, (rule, option, file, text)) in CATALOGS.iter().enumerate() {
            if !parsed.iter().any(|(t, _)| t == text) {
                parsed.push((text, Some(parse_yaml(text, file)?)));
            }
            let used_later = CATALOGS[i + 1..].iter().any(|(_, _, _, t)| t == text);
            let Some((_, slot)) = parsed.iter_mut().find(|(t, _)| t == text) else {
                continue;
            };
            let catalog = if used_later {
                slot.clone()
            } else {
                slot.take()
            }
            .unwrap_or(Y::Null);
            let state = builder.rules.entry(rule.to_string()).or_default();
            state.options.insert(Y::String(option.to_string()), catalog);
        }
        Ok(builder)
    }

    /// A built-in pack name or a path to a policy file.
    fn load_spec(&mut self, spec: &str, base: &Path) -> Result<(), PolicyError> {
        if let Some((_, text)) = BUILTIN_PACKS.iter().find(|(name, _)| *name == spec) {
            // The built-in packs are checked against the policy schema by the tests
            // (`builtin_packs_follow_the_schema`), not on every run: compiling the schema is
            // a good part of a one-file run's start-up.
            return self.load_checked(spec, text, &format!("<built-in {spec}>"), base);
        }
        let looks_like_path =
            spec.contains(['/', '\\']) || spec.ends_with(".yaml") || spec.ends_with(".yml");
        if !looks_like_path {
            let names: Vec<&str> = BUILTIN_PACKS.iter().map(|(n, _)| *n).collect();
            let hint = crate::schema::suggest::closest(spec, names.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(PolicyError::Invalid(format!(
                "unknown policy `{spec}`{hint}: not a built-in pack ({}) and not a file path",
                names.join(", ")
            )));
        }
        let path = base.join(spec);
        let text = std::fs::read_to_string(&path).map_err(|e| PolicyError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        self.load_text(
            &path.display().to_string(),
            &text,
            &path.display().to_string(),
            &dir,
        )
    }

    fn load_text(
        &mut self,
        key: &str,
        text: &str,
        origin: &str,
        dir: &Path,
    ) -> Result<(), PolicyError> {
        schema::validate(text, origin)?;
        self.load_checked(key, text, origin, dir)
    }

    /// [`Builder::load_text`] for a text known to follow the policy schema.
    fn load_checked(
        &mut self,
        key: &str,
        text: &str,
        origin: &str,
        dir: &Path,
    ) -> Result<(), PolicyError> {
        if self.stack.iter().any(|k| k == key) {
            return Err(PolicyError::Invalid(format!(
                "{origin}: `extends:` cycle: {} → {key}",
                self.stack.join(" → ")
            )));
        }
        let value = parse_yaml(text, origin)?;
        self.stack.push(key.to_string());
        for parent in string_list(value.get("extends")) {
            self.load_spec(&parent, dir)?;
        }
        for kind in [GenericKind::Ensure, GenericKind::Set, GenericKind::Remove] {
            if let Some(Y::Sequence(specs)) = value.get(kind.key()) {
                for spec in specs {
                    let rule = GenericRule::parse(kind, spec).map_err(|m| {
                        PolicyError::Invalid(format!("{origin}: {}: {m}", kind.key()))
                    })?;
                    // A later pack redefining a generic rule id replaces it.
                    self.generic.retain(|g| g.id != rule.id);
                    self.generic.push(rule);
                }
            }
        }
        if let Some(Y::Mapping(rules)) = value.get("rules") {
            for (id, setting) in rules {
                self.configure_rule(&key_text(id), setting, origin)?;
            }
        }
        if let Some(Y::Mapping(pins)) = value.get("pins") {
            for (from, to) in pins {
                self.pins.insert(key_text(from), key_text(to));
            }
        }
        self.stack.pop();
        Ok(())
    }

    /// `true` enables, `false` disables, a mapping enables and merges options (`enabled:
    /// false` in it disables).
    fn configure_rule(&mut self, id: &str, setting: &Y, origin: &str) -> Result<(), PolicyError> {
        if let Some(generic) = self.generic.iter_mut().find(|g| g.id == id) {
            if let Y::Bool(enabled) = setting {
                generic.enabled = *enabled;
            }
            return Ok(());
        }
        let state = self.rules.entry(id.to_string()).or_default();
        state.origin = origin.to_string();
        match setting {
            Y::Bool(enabled) => state.enabled = *enabled,
            Y::Null => state.enabled = true,
            Y::Mapping(options) => {
                let mut options = options.clone();
                state.enabled = options
                    .remove("enabled")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(true);
                deep_merge(&mut state.options, &options);
            }
            other => {
                return Err(PolicyError::Invalid(format!(
                    "{origin}: rule `{id}`: expected true, false or a mapping of options, found {}",
                    describe(other)
                )));
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<PolicySet, PolicyError> {
        let mut rules = BTreeMap::new();
        for (id, state) in self.rules {
            let mut options = state.options;
            let selector = match options.remove("match") {
                Some(spec) => Selector::parse(&spec).map_err(|m| {
                    PolicyError::Invalid(format!("{}: rule `{id}`: match: {m}", state.origin))
                })?,
                None => Selector::default(),
            };
            let setting = RuleSetting {
                enabled: state.enabled,
                selector,
                options,
                origin: state.origin,
            };
            rules.insert(id, setting);
        }
        Ok(PolicySet {
            rules,
            generic: self.generic.into_iter().filter(|g| g.enabled).collect(),
            pins: self.pins,
        })
    }
}

/// Merges `from` into `into`: mappings merge key by key, anything else replaces.
pub fn deep_merge(into: &mut Mapping, from: &Mapping) {
    for (key, value) in from {
        match (into.get_mut(key), value) {
            (Some(Y::Mapping(existing)), Y::Mapping(inner)) => deep_merge(existing, inner),
            _ => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

fn parse_yaml(text: &str, origin: &str) -> Result<Y, PolicyError> {
    yaml_serde::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        PolicyError::Located {
            path: origin.to_string(),
            line,
            col,
            message: e.to_string(),
        }
    })
}

fn key_text(key: &Y) -> String {
    crate::document::scalar_key(key)
}

/// A string or a list of strings.
pub(crate) fn string_list(value: Option<&Y>) -> Vec<String> {
    match value {
        Some(Y::String(s)) => vec![s.clone()],
        Some(Y::Sequence(items)) => items.iter().map(key_text).collect(),
        _ => Vec::new(),
    }
}

fn describe(value: &Y) -> &'static str {
    match value {
        Y::Null => "null",
        Y::Bool(_) => "a boolean",
        Y::Number(_) => "a number",
        Y::String(_) => "a string",
        Y::Sequence(_) => "a list",
        Y::Mapping(_) => "a mapping",
        Y::Tagged(_) => "a tagged value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_packs_follow_the_schema() {
        for (name, text) in BUILTIN_PACKS {
            schema::validate(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn every_builtin_pack_loads() {
        for (name, _) in BUILTIN_PACKS {
            let set = PolicySet::load(&[name.to_string()], &Config::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            // `security` stands alone (it is combined with others); the rest build on
            // `recommended`.
            let probe = if *name == "security" {
                "privileged"
            } else {
                "restart-policy"
            };
            assert!(set.is_enabled(probe), "{name}");
        }
    }

    #[test]
    fn default_is_recommended() {
        let enabled = |set: &PolicySet| -> Vec<String> {
            set.rules
                .iter()
                .filter(|(_, r)| r.enabled)
                .map(|(id, _)| id.clone())
                .collect()
        };
        let set = PolicySet::load(&[], &Config::default()).unwrap();
        let recommended = PolicySet::load(&["recommended".into()], &Config::default()).unwrap();
        assert_eq!(enabled(&set), enabled(&recommended));
        assert!(!set.is_enabled("resource-limits"));
        assert!(
            PolicySet::load(&["production".into()], &Config::default())
                .unwrap()
                .is_enabled("resource-limits")
        );
    }

    #[test]
    fn config_rules_override_and_disable() {
        let mut config = Config::default();
        config.rules.insert("restart-policy".into(), Y::Bool(false));
        let set = PolicySet::load(&[], &config).unwrap();
        assert!(!set.is_enabled("restart-policy"));
    }

    #[test]
    fn unknown_pack_is_an_error() {
        let error = PolicySet::load(&["strict".into()], &Config::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown policy `strict`"), "{error}");
    }
}
