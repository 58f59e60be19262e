//! A fix as line-aligned hunks of its file: the fix applied alone by the document engine
//! (so the text is the verified one, never the raw edits), diffed against the original.
//!
//! Promises: each hunk replaces whole lines of the original text (`old_lines`, 0-based,
//! end-exclusive, also given as a character range) with `text`; a fix the engine refuses has
//! no hunks. Refuses: redaction (callers decide what to leave out), and unbounded work — a
//! [`FixBudget`] caps how many fixes of one file are re-verified.

use std::ops::Range;

use similar::{DiffOp, TextDiff};

use crate::finding::Fix;
use crate::source::Source;

/// One replacement of whole original lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// 0-based line indexes of the original text, end-exclusive (empty for an insertion
    /// before line `old_lines.start`).
    pub old_lines: Range<usize>,
    /// The same lines as a character range of the original text.
    pub old_chars: Range<usize>,
    /// The replacement text, line ends included.
    pub text: String,
}

/// The hunks of `fix` applied alone to `source`; empty when the engine refuses it.
pub fn hunks(fix: &Fix, source: &Source) -> Vec<Hunk> {
    let Ok(new_text) = source.document.apply(&[fix.edit_group()]).all_or_error() else {
        return Vec::new();
    };
    let old_text = source.document.text();
    let diff = TextDiff::from_lines(old_text, &new_text);
    // The diff's own lines: its ranges index them (it also splits at a lone `\r`).
    let old_lines: Vec<&str> = diff.iter_old_slices().collect();
    let new_lines: Vec<&str> = diff.iter_new_slices().collect();
    // Character offset of each old line's start (and of the end), computed once.
    let mut offsets = Vec::with_capacity(old_lines.len() + 1);
    offsets.push(0);
    for line in &old_lines {
        offsets.push(offsets[offsets.len() - 1] + line.chars().count());
    }
    diff.ops()
        .iter()
        .filter(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| {
            let old = op.old_range();
            let new = op.new_range();
            let start = offsets.get(old.start).copied().unwrap_or_default();
            let end = offsets.get(old.end).copied().unwrap_or(start);
            Hunk {
                old_lines: old,
                old_chars: start..end,
                text: new_lines.get(new).map(<[&str]>::concat).unwrap_or_default(),
            }
        })
        .collect()
}

/// How many fixes of one file are described as hunks.
const MAX_FIXES_PER_FILE: usize = 50;
/// How many bytes of file text may be re-verified for them, in all.
const MAX_FIX_BYTES_PER_FILE: usize = 1024 * 1024;

/// Each fix is applied and verified alone against the whole file: the budget bounds the work
/// so that a file with thousands of findings stays linear.
pub struct FixBudget {
    left: usize,
    pub granted: usize,
}

impl FixBudget {
    pub fn for_file(source: Option<&Source>) -> FixBudget {
        let size = source.map_or(1, |s| s.document.text().len().max(1));
        FixBudget {
            // At least one, however large the file.
            left: (MAX_FIX_BYTES_PER_FILE / size).clamp(1, MAX_FIXES_PER_FILE),
            granted: 0,
        }
    }

    pub fn take(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.granted += 1;
        true
    }

    /// Why a fix was left out of the report.
    pub fn omitted_note(&self) -> String {
        format!(
            "more than {} fixes in this file: run `shipshape fix` to see this one",
            self.granted
        )
    }
}
