//! Path-addressed edits, applied in groups: plan → detect conflicts → splice → verify.
//!
//! A group is one fix: its edits apply all together or not at all, and it carries its own
//! permission to edit through anchors. Every edit of every group addresses the original
//! document (paths and sequence indices name original nodes), so the result does not depend
//! on the order of the edits inside a group; between groups, order decides only which of two
//! conflicting groups is refused (the later one).
//!
//! Modules, each depending only on the ones listed before it: `splice` (byte ranges),
//! `layout` (where an operation's text goes), `conflict` (edits of one call that collide),
//! `plan` (edits resolved and laid out), `verify` (the independent check), `apply` (groups
//! accepted or refused).

mod apply;
mod conflict;
mod layout;
mod plan;
mod splice;
mod verify;

use super::Document;
use super::change::Change;
use super::error::EditError;
use super::path::Path;
use super::value::Value;

/// A change to a document, addressed by path.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Replace the node at `path` (a scalar keeps its quote style).
    Replace { path: Path, value: Value },
    /// Make `path` hold `value`, creating missing mappings on the way.
    Set { path: Path, value: Value },
    /// Add `key: value` to the mapping at `path`, at the end or after the key `after`.
    Insert {
        path: Path,
        key: String,
        value: Value,
        after: Option<String>,
    },
    /// Add an item at the end of the sequence at `path`.
    Append { path: Path, value: Value },
    /// Remove the mapping entry or sequence item at `path`.
    Remove { path: Path },
    /// Rename the key of the entry at `path`.
    RenameKey { path: Path, to: String },
}

impl Edit {
    pub fn path(&self) -> &Path {
        match self {
            Edit::Replace { path, .. }
            | Edit::Set { path, .. }
            | Edit::Insert { path, .. }
            | Edit::Append { path, .. }
            | Edit::Remove { path }
            | Edit::RenameKey { path, .. } => path,
        }
    }

    /// A short description for messages: `insert services.web.restart`.
    pub fn describe(&self) -> String {
        match self {
            Edit::Replace { path, .. } => format!("replace {path}"),
            Edit::Set { path, .. } => format!("set {path}"),
            Edit::Insert { path, key, .. } => format!("insert {}", path.clone().key(key.clone())),
            Edit::Append { path, .. } => format!("append to {path}"),
            Edit::Remove { path } => format!("remove {path}"),
            Edit::RenameKey { path, to } => format!("rename {path} to {to}"),
        }
    }
}

/// One fix's edits, applied all together or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EditGroup {
    pub edits: Vec<Edit>,
    /// Allow edits inside an anchored node that is aliased elsewhere (the change reaches
    /// every alias and merge that uses it).
    pub through_anchors: bool,
}

impl EditGroup {
    pub fn new(edits: impl Into<Vec<Edit>>) -> Self {
        EditGroup {
            edits: edits.into(),
            through_anchors: false,
        }
    }

    pub fn through_anchors(mut self, allowed: bool) -> Self {
        self.through_anchors = allowed;
        self
    }
}

/// What happened to one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupOutcome {
    Applied,
    /// Nothing of the group was applied. `edit` is the group's edit the engine refused, when
    /// one edit is to blame (a failed verification blames the group).
    Refused {
        edit: Option<usize>,
        error: EditError,
    },
}

/// The verified text and, per group in the order given, whether it was applied.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub text: String,
    pub groups: Vec<GroupOutcome>,
    /// The spliced byte ranges: outside them `text` equals the original byte for byte.
    pub changes: Vec<Change>,
    /// `text` parsed, as the verifier parsed it (`None` when nothing was applied): a caller
    /// that goes on with the edited text need not parse it again.
    pub parsed: Option<Document>,
}

impl Outcome {
    /// Groups refused, with their index and the engine's reason.
    pub fn refused(&self) -> impl Iterator<Item = (usize, &EditError)> {
        self.groups.iter().enumerate().filter_map(|(i, g)| match g {
            GroupOutcome::Refused { error, .. } => Some((i, error)),
            GroupOutcome::Applied => None,
        })
    }

    pub fn is_applied(&self, group: usize) -> bool {
        matches!(self.groups.get(group), Some(GroupOutcome::Applied))
    }

    /// The text when every group applied, else the first group's refusal.
    pub fn all_or_error(self) -> Result<String, EditError> {
        if let Some((_, error)) = self.refused().next() {
            return Err(error.clone());
        }
        Ok(self.text)
    }
}
