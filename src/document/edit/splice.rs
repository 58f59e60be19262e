//! Splicing: byte-range replacements of the original text, applied in one pass.
//!
//! Promises: splices are ordered by position (at one offset, the insertion into the deeper
//! collection first, then plan order), two insertions into one empty flow collection are
//! joined with their separator, and overlapping ranges are an error, never a guess.

use std::ops::Range;

use crate::document::error::EditError;

/// A byte-range replacement of the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextEdit {
    pub range: Range<usize>,
    pub text: String,
    /// The separator to put before this text when another insertion precedes it at the same
    /// offset (the first entry of an empty flow collection has none).
    pub joins: Option<&'static str>,
}

impl TextEdit {
    pub(super) fn new(range: Range<usize>, text: impl Into<String>) -> Self {
        TextEdit {
            range,
            text: text.into(),
            joins: None,
        }
    }

    pub(super) fn joining(mut self, separator: &'static str) -> Self {
        self.joins = Some(separator);
        self
    }
}

/// Orders splices for [`splice`], each with the depth of the collection its edit addresses.
pub(crate) fn order<'a>(splices: impl Iterator<Item = (usize, &'a TextEdit)>) -> Vec<TextEdit> {
    let mut keyed: Vec<(usize, &TextEdit)> = splices.collect();
    // An item appended to `ports` stays above a key inserted after `ports` in its service.
    keyed.sort_by_key(|(depth, s)| (s.range.start, s.range.end, std::cmp::Reverse(*depth)));
    let mut out: Vec<TextEdit> = Vec::with_capacity(keyed.len());
    for (_, s) in keyed {
        let mut s = s.clone();
        let follows = out
            .last()
            .is_some_and(|p| p.range == s.range && p.joins.is_some());
        if let (true, true, Some(separator)) = (follows, s.range.is_empty(), s.joins) {
            s.text.insert_str(0, separator);
        }
        out.push(s);
    }
    out
}

/// Applies ordered, non-overlapping splices in one pass.
pub(crate) fn splice(text: &str, splices: &[TextEdit]) -> Result<String, EditError> {
    let mut out =
        String::with_capacity(text.len() + splices.iter().map(|s| s.text.len()).sum::<usize>());
    let mut cursor = 0;
    for s in splices {
        if s.range.start < cursor {
            return Err(EditError::Overlap { at: s.range.start });
        }
        out.push_str(&text[cursor..s.range.start]);
        out.push_str(&s.text);
        cursor = s.range.end;
    }
    out.push_str(&text[cursor..]);
    Ok(out)
}
