//! What loading a project can find wrong, located at an [`Origin`]; `schema` turns these
//! into findings.

use super::tree::Origin;
use crate::finding::Severity;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Check id (`interpolation`, `include`, `extends`, ...).
    pub rule: &'static str,
    pub severity: Severity,
    pub origin: Origin,
    pub message: String,
}

impl Problem {
    pub fn error(rule: &'static str, origin: Origin, message: impl Into<String>) -> Self {
        Problem {
            rule,
            severity: Severity::Error,
            origin,
            message: message.into(),
        }
    }

    pub fn warning(rule: &'static str, origin: Origin, message: impl Into<String>) -> Self {
        Problem {
            rule,
            severity: Severity::Warning,
            origin,
            message: message.into(),
        }
    }
}
