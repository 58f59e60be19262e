//! Checks a policy file against `schemas/policy.schema.json`, locating the first error at
//! `file:line:col` (see [`crate::yaml_schema`]).

use super::PolicyError;
use crate::yaml_schema::EmbeddedSchema;

static SCHEMA: EmbeddedSchema =
    EmbeddedSchema::new(include_str!("../../schemas/policy.schema.json"));

/// Validates `text` (a policy file read from `origin`).
pub(super) fn validate(text: &str, origin: &str) -> Result<(), PolicyError> {
    SCHEMA.validate(text).map_err(|v| PolicyError::Located {
        path: origin.to_string(),
        line: v.line,
        col: v.col,
        message: v.message,
    })
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
        assert!(
            error.contains("unknown key `nmae` (did you mean `name`?)"),
            "{error}"
        );
    }

    #[test]
    fn unknown_nested_keys_point_at_the_key() {
        let text = "name: x\nensure:\n  - id: a\n    vaules: {restart: always}\n";
        let error = validate(text, "p.yaml").unwrap_err().to_string();
        assert!(error.starts_with("p.yaml:4:5:"), "{error}");
        assert!(error.contains("(did you mean `values`?)"), "{error}");
    }
}
