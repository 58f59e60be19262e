//! Rules declared without code in a policy file:
//!
//! ```yaml
//! ensure:                      # add keys where absent
//!   - id: acme-logging
//!     description: every acme service logs with rotation
//!     match: {image: "acme/*"}
//!     values:
//!       logging: {driver: json-file, options: {max-size: 10m}}
//! set:                         # force a value (unsafe unless `safety: safe`)
//!   - id: pull-always
//!     values: {pull_policy: always}
//! remove:                      # drop keys (unsafe unless `safety: safe`)
//!   - id: no-privileged
//!     keys: [privileged]
//! ```
//! Keys are dotted paths inside a service (`logging.driver`).

use yaml_serde::Value as Y;

use super::selector::Selector;
use crate::document::Value;
use crate::finding::Safety;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenericKind {
    Ensure,
    Set,
    Remove,
}

impl GenericKind {
    pub fn key(self) -> &'static str {
        match self {
            GenericKind::Ensure => "ensure",
            GenericKind::Set => "set",
            GenericKind::Remove => "remove",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GenericRule {
    pub id: String,
    pub kind: GenericKind,
    pub description: String,
    pub selector: Selector,
    /// (dotted key path, value) for `ensure` and `set`; values are leaves or whole subtrees.
    pub values: Vec<(Vec<String>, Value)>,
    /// Dotted key paths for `remove`.
    pub keys: Vec<Vec<String>>,
    pub safety: Safety,
    pub enabled: bool,
}

impl GenericRule {
    pub fn parse(kind: GenericKind, spec: &Y) -> Result<GenericRule, String> {
        let Y::Mapping(map) = spec else {
            return Err("each entry must be a mapping".into());
        };
        let id = map
            .get("id")
            .and_then(Y::as_str)
            .ok_or("each entry needs an `id`")?
            .to_string();
        if crate::rules::REGISTRY.iter().any(|r| r.id == id) {
            return Err(format!("`{id}` is a built-in rule id; choose another"));
        }
        let selector = match map.get("match") {
            Some(m) => Selector::parse(m).map_err(|e| format!("{id}: match: {e}"))?,
            None => Selector::default(),
        };
        let values: Vec<(Vec<String>, Value)> = match map.get("values") {
            Some(Y::Mapping(values)) => values
                .iter()
                .map(|(k, v)| (split(&crate::document::scalar_key(k)), Value::from_yaml(v)))
                .collect(),
            Some(_) => return Err(format!("{id}: values: expected a mapping")),
            None => Vec::new(),
        };
        let keys: Vec<Vec<String>> = super::string_list(map.get("keys"))
            .iter()
            .map(|k| split(k))
            .collect();
        match kind {
            GenericKind::Remove if keys.is_empty() => {
                return Err(format!("{id}: `remove` needs `keys`"));
            }
            GenericKind::Ensure | GenericKind::Set if values.is_empty() => {
                return Err(format!("{id}: `{}` needs `values`", kind.key()));
            }
            _ => {}
        }
        let safety = match map.get("safety").and_then(Y::as_str) {
            Some("safe") => Safety::Safe,
            Some("unsafe") => Safety::Unsafe,
            Some(other) => {
                return Err(format!(
                    "{id}: safety: expected safe or unsafe, found {other}"
                ));
            }
            // Adding what is missing keeps what was written; forcing or removing changes it.
            None if kind == GenericKind::Ensure => Safety::Safe,
            None => Safety::Unsafe,
        };
        let description = map
            .get("description")
            .and_then(Y::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("policy `{}` rule", kind.key()));
        Ok(GenericRule {
            id,
            kind,
            description,
            selector,
            values,
            keys,
            safety,
            enabled: true,
        })
    }
}

fn split(dotted: &str) -> Vec<String> {
    dotted.split('.').map(str::to_string).collect()
}
