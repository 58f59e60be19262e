//! What every stage reports: a finding with a rule id, a symbolic location and maybe a fix.
//!
//! Locations stay symbolic (a document path) until the pipeline resolves them into an
//! [`outcome::Position`](crate::outcome::Position) for the report; rules never deal in byte
//! offsets.

use std::ops::Range;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::document::{Edit, EditGroup, Path};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// Whether applying a fix can change what runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Keeps runtime behaviour (or only adds what the policy requires); applied by default.
    Safe,
    /// Changes runtime behaviour or moves data; applied only with `--unsafe-fixes`.
    Unsafe,
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A node of the file's first document.
    Node(Path),
    /// The key of the entry at a path (e.g. an unknown key).
    Key(Path),
    /// A byte range of the file's text.
    Span(Range<usize>),
    /// The file as a whole.
    File,
}

impl Location {
    /// The service a location is inside (`services.<name>...`), when it names one.
    pub fn service(&self) -> Option<&str> {
        let path = match self {
            Location::Node(p) | Location::Key(p) => p,
            _ => return None,
        };
        match path.segments() {
            [
                crate::document::Segment::Key(s),
                crate::document::Segment::Key(name),
                ..,
            ] if s == "services" => Some(name),
            _ => None,
        }
    }
}

/// A file a fix creates next to the compose file (secret files) or a line it adds to one
/// (`.gitignore`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Create `path` with `contents` and `mode`; an existing file with other contents is a
    /// conflict. `secret` contents are never printed.
    Create {
        path: PathBuf,
        contents: String,
        mode: u32,
        secret: bool,
    },
    /// Make sure `path` contains `line` (appended when missing, file created when absent).
    EnsureLine { path: PathBuf, line: String },
}

/// A fix is data: a title, its safety and the edits that make it.
#[derive(Debug, Clone)]
pub struct Fix {
    pub title: String,
    pub safety: Safety,
    pub edits: Vec<Edit>,
    /// Other files the fix creates or extends; they land together with the edits or not at all.
    pub files: Vec<FileChange>,
    /// The edits target an anchor definition on purpose (the change reaches its aliases).
    pub through_anchors: bool,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            title: title.into(),
            safety: Safety::Safe,
            edits,
            files: Vec::new(),
            through_anchors: false,
        }
    }

    /// The fix's edits as the engine applies them: all together or not at all.
    pub fn edit_group(&self) -> EditGroup {
        EditGroup::new(self.edits.clone()).through_anchors(self.through_anchors)
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix {
            safety: Safety::Unsafe,
            ..Fix::safe(title, edits)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    /// Rule id (`pin-image-tags`) or validation check id (`schema`, `undefined-network`).
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub file: PathBuf,
    pub location: Location,
    pub fix: Option<Fix>,
    /// The reason given by a suppression comment or config entry, when suppressed.
    pub suppressed: Option<String>,
    /// Values that must never be printed (secrets): reports show `<redacted>` instead.
    pub redact: Vec<String>,
}

impl Finding {
    pub fn new(
        rule: impl Into<String>,
        severity: Severity,
        file: impl Into<PathBuf>,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule: rule.into(),
            severity,
            message: message.into(),
            file: file.into(),
            location,
            fix: None,
            suppressed: None,
            redact: Vec::new(),
        }
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}
