//! Planning: edits resolved against the original document and laid out as splices.
//!
//! Promises: `Set` becomes `Replace` or `Insert` (creating the missing mappings on the way);
//! an edit through an alias, inside an anchored node used elsewhere (unless the call allows
//! it) or removing an anchor still used is refused; the paths where an allowed anchored
//! change also shows are known to the verifier. Removals that together empty a collection
//! leave `{}` / `[]`, like the removal of its only member.

use std::collections::{HashMap, HashSet};

use super::Edit;
use super::conflict::{Footprints, Resolved};
use super::layout::Layout;
use super::splice::TextEdit;
use crate::document::error::EditError;
use crate::document::path::{Path, Segment};
use crate::document::value::Value;
use crate::document::{Document, NodeRef};

fn refuse(path: &Path, reason: impl Into<String>) -> EditError {
    EditError::refused(path, reason)
}

fn not_found(path: &Path) -> EditError {
    EditError::not_found(path)
}

/// An edit resolved against the document, with the paths where an anchored change also
/// shows (its aliases) and its splices.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub edit: Edit,
    pub also_at: Vec<Path>,
    pub splices: Vec<TextEdit>,
}

pub(super) struct Planner<'d> {
    doc: &'d Document,
    layout: Layout<'d>,
    allow_anchor_edits: bool,
}

impl<'d> Planner<'d> {
    pub(super) fn new(doc: &'d Document, allow_anchor_edits: bool) -> Self {
        Planner {
            doc,
            layout: Layout { doc },
            allow_anchor_edits,
        }
    }

    /// Plans `(source, edit)` pairs, in order; a refused edit claims nothing, so it conflicts
    /// with nothing.
    pub(super) fn plan_all<'e>(
        &self,
        edits: impl Iterator<Item = (usize, &'e Edit)>,
    ) -> (Vec<Planned>, Vec<(usize, EditError)>) {
        let mut refused = Vec::new();
        // Resolve `Set`, then merge inserts of the same new key so nested sets combine.
        let mut resolved = Resolved::default();
        for (i, edit) in edits {
            if let Err(e) = self.resolve(edit).and_then(|edit| resolved.add(i, edit)) {
                refused.push((i, e));
            }
        }
        let mut planned = Vec::new();
        let mut footprints = Footprints::default();
        for (sources, edit) in resolved.edits {
            let outcome = self.plan(&edit).and_then(|(splices, also_at)| {
                footprints.claim(&edit, self.footprint(&edit), sources[0])?;
                Ok((splices, also_at))
            });
            match outcome {
                Ok((splices, also_at)) => planned.push(Planned {
                    edit,
                    also_at,
                    splices,
                }),
                Err(e) => refused.extend(sources.into_iter().map(|i| (i, e.clone()))),
            }
        }
        self.empty_emptied(&mut planned);
        (planned, refused)
    }

    /// Removals that take every member of a collection, with nothing added to it, leave it
    /// empty in place: one splice for the whole collection, since member-by-member splices
    /// would leave `key:` (null) or overlap in flow style.
    fn empty_emptied(&self, planned: &mut [Planned]) {
        let mut by_parent: HashMap<Path, Vec<usize>> = HashMap::new();
        for (i, p) in planned.iter().enumerate() {
            if let Edit::Remove { path } = &p.edit
                && let Some(parent) = path.parent()
            {
                by_parent.entry(parent).or_default().push(i);
            }
        }
        // Every path at or above a non-removal edit: an insertion into a collection keeps it
        // alive, and the member-wise removals fit. A set keeps this linear in the edits.
        let mut refilled: HashSet<Path> = HashSet::new();
        for p in planned
            .iter()
            .filter(|p| !matches!(p.edit, Edit::Remove { .. }))
        {
            let mut path = Some(p.edit.path().clone());
            while let Some(at) = path {
                path = at.parent();
                if !refilled.insert(at) {
                    break;
                }
            }
        }
        for (parent, removals) in by_parent {
            if removals.len() < 2 || refilled.contains(&parent) {
                continue;
            }
            let Some(node) = self.doc.lookup(&parent) else {
                continue;
            };
            let members = node.entries().count() + node.items().count();
            if removals.len() != members {
                continue;
            }
            let empty = if node.is_mapping() { "{}" } else { "[]" };
            let whole = if node.is_flow() {
                TextEdit::new(node.span(), empty)
            } else {
                self.layout.empty_in_place(node, empty)
            };
            for (n, &i) in removals.iter().enumerate() {
                planned[i].splices = if n == 0 { vec![whole.clone()] } else { vec![] };
            }
        }
    }

    /// The subtree an edit rewrites: its path, or for a removal that empties its collection
    /// (which then becomes `{}`/`[]`), the collection's path.
    fn footprint(&self, edit: &Edit) -> Path {
        let path = edit.path().clone();
        let Edit::Remove { .. } = edit else {
            return path;
        };
        let Some(parent) = path.parent() else {
            return path;
        };
        let members = self
            .doc
            .lookup(&parent)
            .map_or(0, |n| n.entries().count() + n.items().count());
        if members == 1 { parent } else { path }
    }

    fn resolve(&self, edit: &Edit) -> Result<Edit, EditError> {
        let Edit::Set { path, value } = edit else {
            return Ok(edit.clone());
        };
        if self.doc.lookup(path).is_some() {
            return Ok(Edit::Replace {
                path: path.clone(),
                value: value.clone(),
            });
        }
        let segments = path.segments();
        let mut depth = 0;
        while depth < segments.len()
            && self
                .doc
                .lookup(&Path(segments[..=depth].to_vec()))
                .is_some()
        {
            depth += 1;
        }
        let mut nested = value.clone();
        for segment in segments[depth + 1..].iter().rev() {
            let Segment::Key(key) = segment else {
                return Err(not_found(path));
            };
            nested = Value::Map(vec![(key.clone(), nested)]);
        }
        let Segment::Key(key) = &segments[depth] else {
            return Err(not_found(path));
        };
        Ok(Edit::Insert {
            path: Path(segments[..depth].to_vec()),
            key: key.clone(),
            value: nested,
            after: None,
        })
    }

    fn plan(&self, edit: &Edit) -> Result<(Vec<TextEdit>, Vec<Path>), EditError> {
        let path = edit.path();
        let (node, also_at) = match edit {
            Edit::Remove { path } | Edit::RenameKey { path, .. } => {
                let parent = path
                    .parent()
                    .ok_or_else(|| refuse(path, "cannot remove or rename the root"))?;
                let parent_node = self.doc.lookup(&parent).ok_or_else(|| not_found(&parent))?;
                let node = self.doc.lookup(path).ok_or_else(|| not_found(path))?;
                if matches!(edit, Edit::Remove { .. }) {
                    self.check_removal(node, path)?;
                }
                (node, self.check_anchors(parent_node, &parent)?)
            }
            _ => {
                let node = self.doc.lookup(path).ok_or_else(|| not_found(path))?;
                (node, self.check_anchors(node, path)?)
            }
        };
        let layout = &self.layout;
        let splices = match edit {
            Edit::Replace { value, .. } => layout.replace(node, path, value)?,
            Edit::Insert {
                key, value, after, ..
            } => layout.insert(node, path, key, value, after.as_deref())?,
            Edit::Append { value, .. } => layout.append(node, path, value)?,
            Edit::Remove { .. } => layout.remove(node, path)?,
            Edit::RenameKey { to, .. } => layout.rename(node, path, to)?,
            // `resolve` turned every `Set` into `Replace` or `Insert`.
            Edit::Set { .. } => return Err(refuse(path, "internal error: unresolved set")),
        };
        Ok((splices, also_at))
    }

    /// Refuses edits inside anchored nodes used elsewhere, unless allowed; when allowed,
    /// returns the paths where the change will also show.
    fn check_anchors(&self, node: NodeRef<'d>, path: &Path) -> Result<Vec<Path>, EditError> {
        let mut also_at = Vec::new();
        let mut current = Some(node);
        while let Some(n) = current {
            let aliases = self.doc.aliases_of(n.id);
            if let (Some(name), Some(alias)) = (n.anchor_name(), aliases.first()) {
                if !self.allow_anchor_edits {
                    let (l, c) = n.location();
                    let (al, ac) = alias.location();
                    return Err(refuse(
                        path,
                        format!(
                            "inside anchor &{name} ({l}:{c}), which *{name} at {al}:{ac} also uses; the change would reach every use of the anchor"
                        ),
                    ));
                }
                let relative = Path(path.segments()[n.path().segments().len()..].to_vec());
                also_at.extend(aliases.iter().map(|a| a.path().join(&relative)));
            }
            current = n.parent();
        }
        Ok(also_at)
    }

    fn check_removal(&self, node: NodeRef<'d>, path: &Path) -> Result<(), EditError> {
        let span = node.raw().start..node.span().end;
        for anchored in self.doc.referenced_anchors() {
            if !span.contains(&anchored.raw().start) {
                continue;
            }
            let aliases = self.doc.aliases_of(anchored.id);
            if let Some(alias) = aliases.iter().find(|a| !span.contains(&a.span().start)) {
                let (l, c) = alias.location();
                let name = anchored.anchor_name().unwrap_or_default();
                return Err(refuse(
                    path,
                    format!("defines anchor &{name} that *{name} at {l}:{c} still uses"),
                ));
            }
        }
        Ok(())
    }
}
