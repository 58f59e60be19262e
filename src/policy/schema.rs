//! Checks a policy file against `schemas/policy.schema.json`, locating the first error at
//! `file:line:col` with the document engine.

use std::sync::OnceLock;

use super::PolicyError;
use crate::document::{Document, Path};

const SCHEMA: &str = include_str!("../../schemas/policy.schema.json");

fn validator() -> Result<&'static jsonschema::Validator, PolicyError> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: serde_json::Value = serde_json::from_str(SCHEMA)
                .map_err(|e| format!("the embedded policy schema is not JSON: {e}"))?;
            jsonschema::validator_for(&schema)
                .map_err(|e| format!("the embedded policy schema is invalid: {e}"))
        })
        .as_ref()
        .map_err(|e| PolicyError::Invalid(e.clone()))
}

/// Validates `text` (a policy file read from `origin`).
pub fn validate(text: &str, origin: &str) -> Result<(), PolicyError> {
    let located = |line: usize, col: usize, message: String| PolicyError::Located {
        path: origin.to_string(),
        line,
        col,
        message,
    };
    let value: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        located(line, col, e.to_string())
    })?;
    let instance = serde_json::to_value(&value)
        .map_err(|e| located(1, 1, format!("cannot be read as data: {e}")))?;
    let validator = validator()?;
    let Some(error) = validator.iter_errors(&instance).next() else {
        return Ok(());
    };
    let pointer = error.instance_path().to_string();
    let (line, col) = locate(text, &pointer);
    let at = if pointer.is_empty() {
        String::new()
    } else {
        format!(
            " (at {})",
            pointer.trim_start_matches('/').replace('/', ".")
        )
    };
    Err(located(line, col, format!("{error}{at}")))
}

/// The line and column of the node a JSON pointer names, or of its nearest existing parent.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_located() {
        let text = "name: x\nrules:\n  restart-policy:\n    policy: 12\n";
        let error = validate(text, "p.yaml").unwrap_err().to_string();
        assert!(error.starts_with("p.yaml:4:5: invalid policy:"), "{error}");
        let error = validate("nmae: x\n", "p.yaml").unwrap_err().to_string();
        assert!(error.starts_with("p.yaml:1:1:"), "{error}");
    }
}
