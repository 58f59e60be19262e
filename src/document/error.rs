//! Errors of the document engine: typed, located, never panics.

use thiserror::Error;

use super::path::Path;

/// Why a text could not be loaded as a YAML document.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum LoadError {
    #[error("{line}:{col}: the file is not valid UTF-8; save it as UTF-8")]
    NotUtf8 { line: usize, col: usize },
    #[error(
        "1:1: the file is {size} bytes, above the {limit}-byte limit; split it into several files"
    )]
    TooLarge { size: usize, limit: usize },
    #[error("{line}:{col}: invalid YAML: {message}; fix the syntax at this position")]
    Syntax {
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{line}:{col}: duplicate key \"{key}\" (first defined at {first_line}:{first_col}); Compose rejects duplicate keys, keep one"
    )]
    DuplicateKey {
        key: String,
        line: usize,
        col: usize,
        first_line: usize,
        first_col: usize,
    },
}

impl LoadError {
    /// Line and column of the problem, 1-based.
    pub fn location(&self) -> (usize, usize) {
        match self {
            LoadError::NotUtf8 { line, col }
            | LoadError::Syntax { line, col, .. }
            | LoadError::DuplicateKey { line, col, .. } => (*line, *col),
            LoadError::TooLarge { .. } => (1, 1),
        }
    }
}

/// Why an edit was not applied. The caller writes nothing for a refused edit.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum EditError {
    #[error("{path}: not found")]
    NotFound { path: String },
    #[error("{path}: {reason}")]
    Refused { path: String, reason: String },
    /// Another edit of the same call claims this node first; `with` counts edits through all
    /// groups, from 0 (messages count from 1).
    #[error("{path}: conflicts with edit {} {kind}", .with + 1)]
    Conflict {
        path: String,
        with: usize,
        kind: ConflictKind,
    },
    #[error("edits overlap at byte {at}")]
    Overlap { at: usize },
    #[error("verification failed after {edit}: {divergence}")]
    Verify { edit: String, divergence: String },
}

/// How two edits of one call collide.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ConflictKind {
    /// One removes (or empties) the subtree `on` that the other edits.
    #[error("on {on} in the same batch")]
    Subtree { on: String },
    /// Both insert the same new key, and the values are not both mappings (which merge).
    #[error("that inserts the same key")]
    SameKey,
    /// Both replace the same node with different values.
    #[error("that sets it too")]
    SameNode,
}

impl EditError {
    pub(crate) fn refused(path: &Path, reason: impl Into<String>) -> Self {
        EditError::Refused {
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(path: &Path) -> Self {
        EditError::NotFound {
            path: path.to_string(),
        }
    }

    /// The edit (counted through all groups, from 0) this one conflicts with, if any.
    pub fn conflicts_with(&self) -> Option<usize> {
        match self {
            EditError::Conflict { with, .. } => Some(*with),
            _ => None,
        }
    }
}
