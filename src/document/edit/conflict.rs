//! Conflict detection between the edits of one call, in linear time over the call.
//!
//! Promises: inserts of the same new key merge when both values are mappings (nested `Set`s
//! combine), replaces of one node merge when they write the same value; an edit inside a
//! subtree that an earlier edit removes (or empties) is refused, as is the removal of a
//! subtree an earlier edit touches. The later edit is always the one refused, with a
//! [`ConflictKind`] naming the earlier one.

use std::collections::{BTreeMap, HashMap};

use super::Edit;
use crate::document::error::{ConflictKind, EditError};
use crate::document::path::Path;
use crate::document::value::Value;

fn conflict(path: &Path, with: usize, kind: ConflictKind) -> EditError {
    EditError::Conflict {
        path: path.to_string(),
        with,
        kind,
    }
}

/// Subtrees claimed by the edits of a call. Indexed by path (and every prefix of the touched
/// paths) so that thousands of edits stay linear.
#[derive(Default)]
pub(super) struct Footprints {
    /// Removed subtree → the edit that removes it (prefix-free: nested removals conflict).
    removed: HashMap<Path, usize>,
    /// Every prefix of a touched path → the first touched path under it and its edit.
    touched: HashMap<Path, (Path, usize)>,
}

impl Footprints {
    /// Claims `footprint` (the subtree `edit` rewrites) for edit `source`.
    pub(super) fn claim(
        &mut self,
        edit: &Edit,
        footprint: Path,
        source: usize,
    ) -> Result<(), EditError> {
        let subtree = |other: usize, on: &Path| {
            conflict(
                edit.path(),
                other,
                ConflictKind::Subtree { on: on.to_string() },
            )
        };
        fn prefixes(path: &Path) -> impl Iterator<Item = Path> + '_ {
            let segments = path.segments();
            (0..=segments.len()).map(move |n| Path(segments[..n].to_vec()))
        }
        if let Some((p, other)) =
            prefixes(&footprint).find_map(|p| self.removed.get(&p).map(|&other| (p, other)))
        {
            return Err(subtree(other, &p));
        }
        if matches!(edit, Edit::Remove { .. }) {
            if let Some((p, other)) = self.touched.get(&footprint) {
                return Err(subtree(*other, p));
            }
            self.removed.insert(footprint.clone(), source);
        }
        for prefix in prefixes(&footprint) {
            self.touched
                .entry(prefix)
                .or_insert_with(|| (footprint.clone(), source));
        }
        Ok(())
    }
}

/// Resolved edits (no `Set` left) with the edits they came from, inserts indexed by
/// (mapping path, key) and replaces by path.
#[derive(Default)]
pub(super) struct Resolved {
    pub edits: Vec<(Vec<usize>, Edit)>,
    inserts: HashMap<(Path, String), usize>,
    replaces: HashMap<Path, usize>,
}

impl Resolved {
    /// Adds `edit`, merging it into an earlier one where both say the same thing.
    pub(super) fn add(&mut self, source: usize, edit: Edit) -> Result<(), EditError> {
        if let Edit::Replace { path, value } = &edit {
            if let Some(&at) = self.replaces.get(path) {
                let (sources, existing) = &mut self.edits[at];
                if matches!(existing, Edit::Replace { value: v, .. } if v == value) {
                    sources.push(source);
                    return Ok(());
                }
                return Err(conflict(path, sources[0], ConflictKind::SameNode));
            }
            self.replaces.insert(path.clone(), self.edits.len());
        }
        let Edit::Insert {
            path,
            key,
            value,
            after: None,
        } = &edit
        else {
            self.edits.push((vec![source], edit));
            return Ok(());
        };
        let slot = (path.clone(), key.clone());
        let Some(&at) = self.inserts.get(&slot) else {
            self.inserts.insert(slot, self.edits.len());
            self.edits.push((vec![source], edit));
            return Ok(());
        };
        let (sources, existing) = &mut self.edits[at];
        match (existing, value) {
            (
                Edit::Insert {
                    value: Value::Map(entries),
                    ..
                },
                Value::Map(new_entries),
            ) => {
                merge_maps(entries, new_entries);
                sources.push(source);
                Ok(())
            }
            _ => Err(conflict(
                &path.clone().key(key.clone()),
                sources[0],
                ConflictKind::SameKey,
            )),
        }
    }
}

fn merge_maps(into: &mut Vec<(String, Value)>, from: &[(String, Value)]) {
    let positions: BTreeMap<String, usize> = into
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.clone(), i))
        .collect();
    for (key, value) in from {
        match (positions.get(key), value) {
            (Some(&i), Value::Map(inner)) => {
                if let Value::Map(existing) = &mut into[i].1 {
                    merge_maps(existing, inner);
                } else {
                    into[i].1 = value.clone();
                }
            }
            (Some(&i), _) => into[i].1 = value.clone(),
            (None, _) => into.push((key.clone(), value.clone())),
        }
    }
}
