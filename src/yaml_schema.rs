//! Checks a YAML file (a config or a policy) against an embedded JSON schema.
//!
//! Promises: the first error is located at `file:line:col` of the offending node (the key
//! itself for an unknown key, with the closest allowed key as a suggestion), read through the
//! document engine. Refuses: to guess at files that are not YAML — they fail with the YAML
//! parser's own location.

use std::sync::OnceLock;

use crate::document::{Document, Path};

/// A schema error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A compiled embedded schema (compiled once, on first use).
pub struct EmbeddedSchema {
    text: &'static str,
    compiled: OnceLock<Result<(serde_json::Value, jsonschema::Validator), String>>,
}

impl EmbeddedSchema {
    pub const fn new(text: &'static str) -> EmbeddedSchema {
        EmbeddedSchema {
            text,
            compiled: OnceLock::new(),
        }
    }

    fn compiled(&self) -> Result<&(serde_json::Value, jsonschema::Validator), SchemaViolation> {
        self.compiled
            .get_or_init(|| {
                let schema: serde_json::Value = serde_json::from_str(self.text)
                    .map_err(|e| format!("the embedded schema is not JSON: {e}"))?;
                let validator = jsonschema::validator_for(&schema)
                    .map_err(|e| format!("the embedded schema is invalid: {e}"))?;
                Ok((schema, validator))
            })
            .as_ref()
            .map_err(|message| SchemaViolation {
                line: 1,
                col: 1,
                message: message.clone(),
            })
    }

    /// Validates `text`; the first violation, located.
    pub fn validate(&self, text: &str) -> Result<(), SchemaViolation> {
        let value: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            SchemaViolation {
                line,
                col,
                message: e.to_string(),
            }
        })?;
        let instance = serde_json::to_value(&value).map_err(|e| SchemaViolation {
            line: 1,
            col: 1,
            message: format!("cannot be read as data: {e}"),
        })?;
        let (schema, validator) = self.compiled()?;
        let Some(error) = validator.iter_errors(&instance).next() else {
            return Ok(());
        };
        let mut pointer = error.instance_path().to_string();
        let message = match error.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                let key = unexpected.first().cloned().unwrap_or_default();
                let schema_path = error.schema_path().to_string();
                let parent = schema_path
                    .strip_suffix("/additionalProperties")
                    .unwrap_or(&schema_path);
                let allowed: Vec<&str> = schema
                    .pointer(parent)
                    .and_then(|s| s.get("properties"))
                    .and_then(|p| p.as_object())
                    .map(|p| p.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let hint = crate::schema::suggest::closest(&key, allowed.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                pointer = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                let known = if allowed.is_empty() {
                    String::new()
                } else {
                    format!("; allowed: {}", allowed.join(", "))
                };
                format!("unknown key `{key}`{hint}{known}")
            }
            _ => {
                let at = if pointer.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (at {})",
                        pointer.trim_start_matches('/').replace('/', ".")
                    )
                };
                format!("{error}{at}")
            }
        };
        let (line, col) = locate(text, &pointer);
        Err(SchemaViolation { line, col, message })
    }
}

/// The line and column of the node a JSON pointer names (its key for a mapping entry), or
/// of its nearest existing parent.
fn locate(text: &str, pointer: &str) -> (usize, usize) {
    let Ok(doc) = Document::parse(text) else {
        return (1, 1);
    };
    let mut path = Path::root();
    let mut best = doc.root().map_or((1, 1), |n| n.location());
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        let is_sequence = doc.lookup(&path).is_some_and(|n| n.is_sequence());
        path = match (is_sequence, segment.parse::<usize>()) {
            (true, Ok(i)) => path.index(i),
            _ => path.key(segment),
        };
        match doc.lookup(&path) {
            Some(node) => best = node.key_node().unwrap_or(node).location(),
            None => break,
        }
    }
    best
}
