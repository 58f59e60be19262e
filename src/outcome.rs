//! What a run produces for each file, as the reports and the writer receive it.
//!
//! Promises: every finding that reaches a report carries a resolved [`Position`] (a
//! [`Reported`] cannot be built without one), and every fix that was not applied keeps why:
//! left out as unsafe, or refused with the reason (a conflicting file on disk, or the
//! document engine's typed error).

use std::fmt;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use crate::compose::ProjectFacts;
use crate::document::EditError;
use crate::finding::{FileChange, Finding};
use crate::source::{Source, SourceError};

/// A 1-based line and column in a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub col: usize,
}

impl Position {
    pub const START: Position = Position { line: 1, col: 1 };

    pub fn new((line, col): (usize, usize)) -> Position {
        Position { line, col }
    }
}

/// A finding with its location resolved for the report.
#[derive(Debug, Clone)]
pub struct Reported {
    pub finding: Finding,
    pub at: Position,
}

impl Deref for Reported {
    type Target = Finding;

    fn deref(&self) -> &Finding {
        &self.finding
    }
}

/// Everything known about one input file after a run.
#[derive(Debug, Default)]
pub struct FileReport {
    pub path: PathBuf,
    pub source: Option<Arc<Source>>,
    /// Findings located in this file, sorted by position.
    pub findings: Vec<Reported>,
    /// The file could not be loaded at all.
    pub error: Option<SourceError>,
    /// How many validation errors Compose would reject this file for (`fix` leaves such a
    /// file untouched).
    pub validation_errors: usize,
    /// What the file's project says about each service (when it was validated).
    pub project: Option<Arc<ProjectFacts>>,
}

/// Why a fix the policy asks for was not applied.
#[derive(Debug, Clone)]
pub enum Refused {
    /// A file the fix creates exists with other contents.
    Conflict(String),
    /// The document engine refused the edits (they would not verify, or touch a shared
    /// anchor).
    Engine(EditError),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Conflict(message) => f.write_str(message),
            Refused::Engine(error) => write!(f, "{error}"),
        }
    }
}

/// A fix that was not applied, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub rule: String,
    pub title: String,
    pub reason: Refused,
}

/// The result of computing fixes for one file.
#[derive(Debug, Clone, Default)]
pub struct FixOutcome {
    pub new_text: Option<String>,
    /// Where `new_text` differs from the file as read (byte ranges of both).
    pub changes: Vec<crate::document::Change>,
    /// (rule, fix title) of each applied fix.
    pub applied: Vec<(String, String)>,
    /// (rule, title) of unsafe fixes left out.
    pub skipped_unsafe: Vec<(String, String)>,
    /// Fixes that could not be applied.
    pub refused: Vec<Refusal>,
    /// Why no fix was attempted at all (Compose rejects the file as it stands).
    pub blocked: Option<String>,
    pub files: Vec<FileChange>,
}
