//! The invariant behind every write: the edited text must parse, must mean exactly the
//! original value plus the planned changes (checked with an independent parser,
//! `yaml_serde`), must keep every byte outside the splices and every comment outside them.
//!
//! The intended value does not depend on the order of the edits: each addresses the original
//! document, and they apply deepest and last first (by path, descending; at one path the
//! content, then the key's rename, then the removal), so no edit moves what another names.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use yaml_serde::Value as Y;

use super::Edit;
use super::plan::Planned;
use super::splice::TextEdit;
use crate::document::Document;
use crate::document::error::EditError;
use crate::document::path::{Path, Segment};
use crate::document::value::scalar_key;

/// Verifies edited texts of one document. The original is loaded on first use and handed to
/// the first verification, which turns it into the intended value (no copy: on a large file
/// a copy costs as much as the load); a later trial, after a failed one, loads it again.
pub(super) struct Verifier<'d> {
    original: &'d Document,
    loaded: RefCell<Option<Vec<Y>>>,
}

impl<'d> Verifier<'d> {
    pub(super) fn new(original: &'d Document) -> Self {
        Verifier {
            original,
            loaded: RefCell::new(None),
        }
    }

    /// Checks `new_text` and returns its parse (the caller may go on editing it).
    pub(super) fn verify(
        &self,
        planned: &[Planned],
        splices: &[TextEdit],
        new_text: &str,
    ) -> Result<Document, EditError> {
        let original = self.original;
        let what = describe(planned);
        let fail = |divergence: String| EditError::Verify {
            edit: what.clone(),
            divergence,
        };
        check_untouched_bytes(&original.text, splices, new_text).map_err(&fail)?;
        self.check_value(planned, new_text).map_err(&fail)?;
        // Parsed only once the loaded values are gone: on a large file the two loads and
        // the parse are each several times the text, and need not be held together.
        let edited = Document::parse(new_text)
            .map_err(|e| fail(format!("the output does not parse: {e}")))?;
        check_comments(original, &edited, splices).map_err(&fail)?;
        Ok(edited)
    }

    /// The edited text loads (with the independent parser) as the original's value with
    /// the planned edits applied.
    fn check_value(&self, planned: &[Planned], new_text: &str) -> Result<(), String> {
        let original = self.original;
        let before = match self.loaded.take() {
            Some(before) => before,
            None => load(&original.text)
                .map_err(|e| format!("cannot load the original for comparison: {e}"))?,
        };
        let after = load(new_text).map_err(|e| format!("the output does not load: {e}"))?;
        if before.len() != after.len() {
            return Err(format!(
                "the file had {} documents and now has {}",
                before.len(),
                after.len()
            ));
        }
        let mut intended = before;
        if let Some(first) = intended.first_mut() {
            apply_all(first, planned)?;
        }
        for (i, (want, got)) in intended.iter().zip(&after).enumerate() {
            if want != got {
                let at = first_difference(want, got, &mut Vec::new()).unwrap_or_default();
                return Err(format!(
                    "document {} differs from the intended value at {at}",
                    i + 1
                ));
            }
        }
        Ok(())
    }
}

fn describe(planned: &[Planned]) -> String {
    let parts: Vec<String> = planned.iter().map(|p| p.edit.describe()).collect();
    parts.join(", ")
}

fn load(text: &str) -> Result<Vec<Y>, yaml_serde::Error> {
    yaml_serde::Deserializer::from_str(text)
        .map(Y::deserialize)
        .collect()
}

fn check_untouched_bytes(old: &str, splices: &[TextEdit], new: &str) -> Result<(), String> {
    let (mut old_pos, mut new_pos) = (0, 0);
    for s in splices {
        let keep = &old[old_pos..s.range.start];
        if new.get(new_pos..new_pos + keep.len()) != Some(keep) {
            return Err(format!(
                "bytes outside the edits changed near byte {old_pos}"
            ));
        }
        new_pos += keep.len() + s.text.len();
        old_pos = s.range.end;
    }
    if new.get(new_pos..) != Some(&old[old_pos..]) {
        return Err(format!(
            "bytes after the last edit changed (byte {old_pos})"
        ));
    }
    Ok(())
}

fn check_comments(old: &Document, new: &Document, splices: &[TextEdit]) -> Result<(), String> {
    let mut present: HashMap<&str, usize> = HashMap::new();
    for (_, text) in new.comments() {
        *present.entry(text.trim_end()).or_default() += 1;
    }
    for (range, text) in old.comments() {
        // Splices are ordered and do not overlap, so their ends are ordered too: the first
        // that could cover the comment is found by bisection.
        let first = splices.partition_point(|s| s.range.end <= range.start);
        let removed = splices[first..]
            .iter()
            .take_while(|s| s.range.start < range.end)
            .any(|s| range.start < s.range.end);
        if removed {
            continue;
        }
        let count = present.entry(text.trim_end()).or_default();
        if *count == 0 {
            let (line, _) = old.line_col(range.start);
            return Err(format!(
                "the comment on line {line} ({}) is gone",
                text.trim_end()
            ));
        }
        *count -= 1;
    }
    Ok(())
}

/// Applies the planned edits to the loaded value in an order where none moves a node that
/// another addresses (see the module doc).
fn apply_all(root: &mut Y, planned: &[Planned]) -> Result<(), String> {
    let mut ops: Vec<(&Edit, Path)> = Vec::new();
    for p in planned {
        for path in std::iter::once(p.edit.path()).chain(&p.also_at) {
            ops.push((&p.edit, path.clone()));
        }
    }
    let rank = |e: &Edit| match e {
        Edit::RenameKey { .. } => 1,
        Edit::Remove { .. } => 2,
        _ => 0,
    };
    ops.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| rank(a.0).cmp(&rank(b.0))));
    for (edit, path) in ops {
        apply(root, edit, &path)
            .ok_or_else(|| format!("cannot apply {} to the loaded value", edit.describe()))?;
    }
    Ok(())
}

fn untag(value: &mut Y) -> &mut Y {
    match value {
        Y::Tagged(tagged) => untag(&mut tagged.value),
        other => other,
    }
}

fn key_matches(key: &Y, wanted: &str) -> bool {
    scalar_key(key) == wanted
}

fn child<'v>(value: &'v mut Y, segment: &Segment) -> Option<&'v mut Y> {
    match (untag(value), segment) {
        (Y::Mapping(map), Segment::Key(k)) => {
            // A string key is found by hash (duplicate keys are refused at load, so it is
            // the only match); other scalars (`1:`, `true:`) by their text.
            if map.contains_key(k.as_str()) {
                return map.get_mut(k.as_str());
            }
            map.iter_mut()
                .find(|(key, _)| key_matches(key, k))
                .map(|(_, v)| v)
        }
        (Y::Sequence(seq), Segment::Index(i)) => seq.get_mut(*i),
        _ => None,
    }
}

fn lookup<'v>(root: &'v mut Y, path: &[Segment]) -> Option<&'v mut Y> {
    path.iter()
        .try_fold(root, |node, segment| child(node, segment))
}

fn apply(root: &mut Y, edit: &Edit, path: &Path) -> Option<()> {
    match edit {
        Edit::Replace { value, .. } | Edit::Set { value, .. } => {
            *untag(lookup(root, path.segments())?) = value.to_yaml();
        }
        Edit::Insert { key, value, .. } => {
            let target = untag(lookup(root, path.segments())?);
            if target.is_null() {
                *target = Y::Mapping(Default::default());
            }
            target
                .as_mapping_mut()?
                .insert(Y::String(key.clone()), value.to_yaml());
        }
        Edit::Append { value, .. } => {
            let target = untag(lookup(root, path.segments())?);
            if target.is_null() {
                *target = Y::Sequence(Vec::new());
            }
            target.as_sequence_mut()?.push(value.to_yaml());
        }
        Edit::Remove { .. } => {
            let (last, parent) = path.segments().split_last()?;
            match (untag(lookup(root, parent)?), last) {
                (Y::Mapping(map), Segment::Key(k)) => {
                    let key = map.keys().find(|key| key_matches(key, k))?.clone();
                    map.shift_remove(&key)?;
                }
                (Y::Sequence(seq), Segment::Index(i)) if *i < seq.len() => {
                    seq.remove(*i);
                }
                _ => return None,
            }
        }
        Edit::RenameKey { to, .. } => {
            let (Segment::Key(from), parent) = path.segments().split_last()? else {
                return None;
            };
            let map = untag(lookup(root, parent)?).as_mapping_mut()?;
            let renamed = std::mem::take(map)
                .into_iter()
                .map(|(k, v)| {
                    if key_matches(&k, from) {
                        (Y::String(to.clone()), v)
                    } else {
                        (k, v)
                    }
                })
                .collect();
            *map = renamed;
        }
    }
    Some(())
}

/// The first path where two loaded values differ, for the error message.
fn first_difference(a: &Y, b: &Y, at: &mut Vec<String>) -> Option<String> {
    match (a, b) {
        (Y::Mapping(x), Y::Mapping(y)) => {
            for (k, v) in x {
                at.push(scalar_key(k));
                let found = match y.get(k) {
                    Some(w) => first_difference(v, w, at),
                    None => Some(format!("{} (missing)", at.join("."))),
                };
                at.pop();
                if found.is_some() {
                    return found;
                }
            }
            y.keys().find(|k| !x.contains_key(*k)).map(|k| {
                let mut p = at.clone();
                p.push(scalar_key(k));
                format!("{} (unexpected)", p.join("."))
            })
        }
        (Y::Sequence(x), Y::Sequence(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (v, w))| {
                at.push(format!("[{i}]"));
                let found = first_difference(v, w, at);
                at.pop();
                found
            })
        }
        _ if a == b => None,
        _ => Some(if at.is_empty() {
            "<root>".into()
        } else {
            at.join(".")
        }),
    }
}
