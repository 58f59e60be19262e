//! Path-addressed edits, planned as byte-range splices of the original text.
//!
//! Every edit is planned against the original document; all planned splices are applied in
//! one pass (sorted, overlaps rejected), then the result is verified (`verify.rs`).

use std::collections::BTreeMap;
use std::ops::Range;

use super::error::EditError;
use super::index::{NodeKind, Style};
use super::path::{Path, Segment};
use super::render;
use super::value::Value;
use super::{Document, NodeRef};

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

/// How edits may treat anchors.
#[derive(Debug, Clone, Default)]
pub struct EditOptions {
    /// Allow edits inside an anchored node that is aliased elsewhere (the change reaches
    /// every alias and merge that uses it).
    pub allow_anchor_edits: bool,
}

/// The result of applying a batch of edits: the verified text and which edits took effect.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub text: String,
    pub applied: Vec<usize>,
    pub refused: Vec<(usize, EditError)>,
}

/// A byte-range replacement of the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextEdit {
    pub range: Range<usize>,
    pub text: String,
}

/// An edit resolved against the document: `Set` became `Replace` or `Insert`, and the paths
/// where an anchored change also shows (its aliases) are known.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub sources: Vec<usize>,
    pub edit: Edit,
    pub also_at: Vec<Path>,
    pub splices: Vec<TextEdit>,
}

impl Document {
    /// Applies all edits or none: the first refusal or a failed verification is the error.
    pub fn apply(&self, edits: &[Edit], options: &EditOptions) -> Result<String, EditError> {
        let outcome = self.apply_each(edits, options);
        match outcome.refused.into_iter().next() {
            Some((_, error)) => Err(error),
            None => Ok(outcome.text),
        }
    }

    /// Applies every edit that can be applied safely; the others are refused with a reason.
    pub fn apply_each(&self, edits: &[Edit], options: &EditOptions) -> Outcome {
        let planner = Planner { doc: self, options };
        let (mut planned, mut refused) = planner.plan_all(edits);
        let text = match self.splice_and_verify(&planned) {
            Ok(text) => text,
            Err(error) if planned.len() == 1 => {
                refused.extend(planned[0].sources.iter().map(|&i| (i, error.clone())));
                planned.clear();
                self.text.clone()
            }
            Err(_) => {
                // Some edits conflict or fail alone: keep the largest prefix-greedy set that
                // verifies, splitting in halves so that k culprits cost O(k log n) checks.
                let mut accepted = Vec::new();
                let second = planned.split_off(planned.len() / 2);
                self.accept_into(&mut accepted, std::mem::take(&mut planned), &mut refused);
                self.accept_into(&mut accepted, second, &mut refused);
                match self.splice_and_verify(&accepted) {
                    Ok(text) => {
                        planned = accepted;
                        text
                    }
                    Err(error) => {
                        refused.extend(
                            accepted
                                .iter()
                                .flat_map(|p| p.sources.iter().map(|&i| (i, error.clone()))),
                        );
                        self.text.clone()
                    }
                }
            }
        };
        let mut applied: Vec<usize> = planned
            .iter()
            .flat_map(|p| p.sources.iter().copied())
            .collect();
        applied.sort_unstable();
        refused.sort_by_key(|(i, _)| *i);
        Outcome {
            text,
            applied,
            refused,
        }
    }

    /// Adds `batch` to `accepted` if together they verify; otherwise tries its halves in
    /// order, and refuses single edits that cannot join.
    fn accept_into(
        &self,
        accepted: &mut Vec<Planned>,
        mut batch: Vec<Planned>,
        refused: &mut Vec<(usize, EditError)>,
    ) {
        if batch.is_empty() {
            return;
        }
        let mut trial = accepted.clone();
        trial.extend(batch.iter().cloned());
        match self.splice_and_verify(&trial) {
            Ok(_) => *accepted = trial,
            Err(error) if batch.len() == 1 => {
                refused.extend(batch[0].sources.iter().map(|&i| (i, error.clone())));
            }
            Err(_) => {
                let second = batch.split_off(batch.len() / 2);
                self.accept_into(accepted, batch, refused);
                self.accept_into(accepted, second, refused);
            }
        }
    }

    fn splice_and_verify(&self, planned: &[Planned]) -> Result<String, EditError> {
        if planned.is_empty() {
            return Ok(self.text.clone());
        }
        // Insertions at the same offset: the one into the deeper collection goes first, so that
        // an item appended to `ports` stays above a key inserted after `ports` in its service.
        let mut keyed: Vec<(usize, &TextEdit)> = planned
            .iter()
            .flat_map(|p| {
                p.splices
                    .iter()
                    .map(|s| (p.edit.path().segments().len(), s))
            })
            .collect();
        keyed.sort_by_key(|(depth, s)| (s.range.start, s.range.end, std::cmp::Reverse(*depth)));
        let splices: Vec<&TextEdit> = keyed.into_iter().map(|(_, s)| s).collect();
        let text = splice(&self.text, &splices)?;
        super::verify::verify(self, planned, &splices, &text)?;
        Ok(text)
    }
}

/// Applies sorted, non-overlapping splices in one pass.
pub(super) fn splice(text: &str, splices: &[&TextEdit]) -> Result<String, EditError> {
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

struct Planner<'d> {
    doc: &'d Document,
    options: &'d EditOptions,
}

fn refuse(path: &Path, reason: impl Into<String>) -> EditError {
    EditError::Refused {
        path: path.to_string(),
        reason: reason.into(),
    }
}

fn not_found(path: &Path) -> EditError {
    EditError::NotFound {
        path: path.to_string(),
    }
}

impl<'d> Planner<'d> {
    fn plan_all(&self, edits: &[Edit]) -> (Vec<Planned>, Vec<(usize, EditError)>) {
        let mut refused = Vec::new();
        // Resolve `Set`, then merge inserts of the same new key so nested sets combine.
        let mut resolved = Resolved::default();
        for (i, edit) in edits.iter().enumerate() {
            if let Err(e) = self.resolve(edit).and_then(|edit| resolved.add(i, edit)) {
                refused.push((i, e));
            }
        }
        let mut planned = Vec::new();
        let mut footprints = Footprints::default();
        for (sources, edit) in resolved.edits {
            // Only edits that plan claim their subtree: a refused edit conflicts with nothing.
            let outcome = self.plan(&edit).and_then(|(splices, also_at)| {
                footprints.claim(&edit, self.footprint(&edit), sources[0])?;
                Ok((splices, also_at))
            });
            match outcome {
                Ok((splices, also_at)) => planned.push(Planned {
                    sources,
                    edit,
                    also_at,
                    splices,
                }),
                Err(e) => refused.extend(sources.into_iter().map(|i| (i, e.clone()))),
            }
        }
        (planned, refused)
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
        let splices = match edit {
            Edit::Replace { value, .. } => self.replace(node, path, value)?,
            Edit::Insert {
                key, value, after, ..
            } => self.insert(node, path, key, value, after.as_deref())?,
            Edit::Append { value, .. } => self.append(node, path, value)?,
            Edit::Remove { .. } => self.remove(node, path)?,
            Edit::RenameKey { to, .. } => self.rename(node, path, to)?,
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
                if !self.options.allow_anchor_edits {
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

    // ----- text geometry -----

    fn text(&self) -> &'d str {
        &self.doc.text
    }

    fn column(&self, offset: usize) -> usize {
        self.doc.column(offset)
    }

    /// The column where a mapping entry starts: its key's anchor or tag (`&a key:`), or the
    /// `?` of an explicit key, rather than the key's text.
    fn key_column(&self, key: NodeRef<'d>) -> usize {
        let start = key.raw().start;
        let line_start = self.doc.lines.line_start(start);
        let before = &self.text()[line_start..start];
        let indent = before.len() - before.trim_start_matches([' ', '\t']).len();
        if before[indent..].starts_with('?') {
            indent
        } else {
            self.column(start)
        }
    }

    /// Offset of the line break ending the line that contains `offset` (or the text's end).
    fn line_end(&self, offset: usize) -> usize {
        let text = self.text();
        let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        if end > 0 && end < text.len() && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        }
    }

    /// Offset just after the line break that ends the line containing `offset`, if any.
    fn next_line(&self, offset: usize) -> Option<usize> {
        self.text()[offset..].find('\n').map(|i| offset + i + 1)
    }

    fn first_on_line(&self, offset: usize) -> bool {
        let start = self.doc.lines.line_start(offset);
        self.text()[start..offset]
            .chars()
            .all(|c| c == ' ' || c == '\t')
    }

    /// Where a new line goes after the line containing `offset`, and the text framing it.
    fn new_line_after(&self, offset: usize, line: String) -> TextEdit {
        let eol = self.doc.format.eol;
        match self.next_line(offset) {
            Some(pos) => TextEdit {
                range: pos..pos,
                text: format!("{line}{eol}"),
            },
            None => {
                let end = self.text().len();
                TextEdit {
                    range: end..end,
                    text: format!("{eol}{line}"),
                }
            }
        }
    }

    /// Offset just after the `:` that follows a key.
    /// Offset just after the `:` that follows a key (over spaces and line breaks only:
    /// an explicit `? key` may have no `:`); the key's end when there is none.
    fn colon_end(&self, key: NodeRef<'d>) -> usize {
        let from = key.span().end;
        let rest = &self.text()[from..];
        let gap = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        if rest[gap..].starts_with(':') {
            from + gap + 1
        } else {
            from
        }
    }

    /// Where an entry's text ends: after its value, or after the `:` of an empty value
    /// (whose zero-width node the parser places at the key).
    fn entry_end(&self, key: NodeRef<'d>, value: NodeRef<'d>) -> usize {
        let end = key.span().end.max(value.span().end);
        if value.span().is_empty() {
            end.max(self.colon_end(key))
        } else {
            end
        }
    }

    fn in_flow(&self, node: NodeRef<'d>) -> bool {
        let mut current = node.parent();
        while let Some(n) = current {
            if n.is_flow() {
                return true;
            }
            current = n.parent();
        }
        false
    }

    /// The quoting of sibling string values, when most of them are quoted.
    fn sibling_style(&self, collection: NodeRef<'d>) -> Option<Style> {
        let values: Vec<NodeRef<'d>> = if collection.is_sequence() {
            collection.items().collect()
        } else {
            collection.entries().map(|(_, v)| v).collect()
        };
        let (mut plain, mut single, mut double) = (0, 0, 0);
        for style in values.iter().filter_map(|v| v.style()) {
            match style {
                Style::SingleQuoted => single += 1,
                Style::DoubleQuoted => double += 1,
                _ => plain += 1,
            }
        }
        if single + double > plain {
            Some(if single > double {
                Style::SingleQuoted
            } else {
                Style::DoubleQuoted
            })
        } else {
            None
        }
    }

    // ----- operations -----

    fn replace(
        &self,
        node: NodeRef<'d>,
        path: &Path,
        value: &Value,
    ) -> Result<Vec<TextEdit>, EditError> {
        let fmt = &self.doc.format;
        let in_flow = self.in_flow(node);
        if let Some(style @ (Style::Literal | Style::Folded)) = node.style() {
            return Err(refuse(
                path,
                format!("is a {style:?} block scalar; replacing block scalars is not supported"),
            ));
        }
        let key = node.key_node();
        let implicit_null = node.is_null() && node.span().is_empty();
        let text = if !value.is_collection() || in_flow {
            let style = match (node.style(), value) {
                (Some(style), Value::Str(_)) => Some(style),
                _ => None,
            };
            let text = if value.is_collection() {
                render::flow(value, style)
            } else {
                render::scalar(value, style, in_flow)
            };
            if implicit_null {
                let key = key
                    .ok_or_else(|| refuse(path, "empty sequence item; replace the item instead"))?;
                let pos = self.colon_end(key);
                return Ok(vec![TextEdit {
                    range: pos..pos,
                    text: format!(" {text}"),
                }]);
            }
            if let Some(edit) = self.block_to_key_line(node, key, &text) {
                return Ok(vec![edit]);
            }
            return Ok(vec![TextEdit {
                range: node.span(),
                text,
            }]);
        } else {
            value
        };
        // A collection value in block context.
        let col = self.column(node.span().start);
        let own_line =
            self.first_on_line(node.span().start) || node.parent().is_some_and(|p| p.is_sequence());
        let deeper = key.is_none_or(|k| col > self.key_column(k));
        if !node.is_flow() && !implicit_null && own_line && deeper && !node.is_null() {
            let block = render::block_at(text, col, fmt, None);
            return Ok(vec![TextEdit {
                range: node.span(),
                text: block,
            }]);
        }
        let Some(key) = key else {
            return Ok(vec![TextEdit {
                range: node.span(),
                text: render::flow(text, None),
            }]);
        };
        let key_col = self.key_column(key);
        let start = self.colon_end(key);
        let end = if implicit_null {
            start
        } else {
            node.span().end
        };
        let anchor = node
            .raw()
            .anchor
            .as_ref()
            .map(|(name, _)| format!(" &{name}"))
            .unwrap_or_default();
        Ok(vec![TextEdit {
            range: start..end,
            text: format!("{anchor}{}", render::after_key(text, key_col, fmt, None)),
        }])
    }

    fn insert(
        &self,
        node: NodeRef<'d>,
        path: &Path,
        key: &str,
        value: &Value,
        after: Option<&str>,
    ) -> Result<Vec<TextEdit>, EditError> {
        let fmt = &self.doc.format;
        if node.get(key).is_some() {
            return Err(refuse(path, format!("key \"{key}\" already exists")));
        }
        let style = self.sibling_style(node);
        match node.kind() {
            NodeKind::Mapping { flow, entries } => {
                if *flow && entries.is_empty() {
                    let entry = format!(
                        "{}: {}",
                        render::string(key, None, true),
                        render::flow(value, style)
                    );
                    let pos = node.span().start + 1;
                    return Ok(vec![TextEdit {
                        range: pos..pos,
                        text: entry,
                    }]);
                }
                let anchor_entry = match after {
                    Some(after) => node
                        .entries()
                        .find(|(k, _)| k.as_str() == Some(after))
                        .ok_or_else(|| not_found(&path.clone().key(after)))?,
                    None => node
                        .entries()
                        .last()
                        .ok_or_else(|| refuse(path, "empty mapping"))?,
                };
                let end = self.entry_end(anchor_entry.0, anchor_entry.1);
                if *flow {
                    let entry = format!(
                        "{}: {}",
                        render::string(key, None, true),
                        render::flow(value, style)
                    );
                    if entries.is_empty() {
                        let pos = node.span().start + 1;
                        return Ok(vec![TextEdit {
                            range: pos..pos,
                            text: entry,
                        }]);
                    }
                    return Ok(vec![TextEdit {
                        range: end..end,
                        text: format!(", {entry}"),
                    }]);
                }
                let first_key = node
                    .entries()
                    .next()
                    .map(|(k, _)| k)
                    .ok_or_else(|| refuse(path, "empty mapping"))?;
                let col = self.key_column(first_key);
                let line = format!(
                    "{}{}:{}",
                    " ".repeat(col),
                    render::string(key, None, false),
                    render::after_key(value, col, fmt, style)
                );
                Ok(vec![self.new_line_after(end, line)])
            }
            NodeKind::Scalar { .. } if node.is_null() => {
                let parent_key = node
                    .key_node()
                    .ok_or_else(|| refuse(path, "is an empty sequence item, not a mapping"))?;
                if !node.span().is_empty() || self.in_flow(node) {
                    let map = Value::Map(vec![(key.to_string(), value.clone())]);
                    return Ok(vec![TextEdit {
                        range: node.span(),
                        text: render::flow(&map, style),
                    }]);
                }
                let col = self.key_column(parent_key) + fmt.unit;
                let pos = self.line_end(self.colon_end(parent_key));
                let text = format!(
                    "{}{}{}:{}",
                    fmt.eol,
                    " ".repeat(col),
                    render::string(key, None, false),
                    render::after_key(value, col, fmt, style)
                );
                Ok(vec![TextEdit {
                    range: pos..pos,
                    text,
                }])
            }
            NodeKind::Alias { name } => Err(refuse(
                path,
                format!("is an alias (*{name}); the change would land on the anchor"),
            )),
            _ => Err(refuse(path, "is not a mapping")),
        }
    }

    fn append(
        &self,
        node: NodeRef<'d>,
        path: &Path,
        value: &Value,
    ) -> Result<Vec<TextEdit>, EditError> {
        let fmt = &self.doc.format;
        let style = self.sibling_style(node);
        match node.kind() {
            NodeKind::Sequence { flow: true, items } => {
                let text = render::flow(value, style);
                match items.last() {
                    None => {
                        let pos = node.span().start + 1;
                        Ok(vec![TextEdit {
                            range: pos..pos,
                            text,
                        }])
                    }
                    Some(last) => {
                        let end = self.doc.node(last.node).span().end;
                        Ok(vec![TextEdit {
                            range: end..end,
                            text: format!(", {text}"),
                        }])
                    }
                }
            }
            NodeKind::Sequence { flow: false, items } => {
                let first = items
                    .first()
                    .ok_or_else(|| refuse(path, "empty sequence"))?;
                let last = items.last().ok_or_else(|| refuse(path, "empty sequence"))?;
                let dash = first
                    .dash
                    .ok_or_else(|| refuse(path, "cannot find the sequence's dashes"))?;
                let col = self.column(dash);
                let line = format!(
                    "{}- {}",
                    " ".repeat(col),
                    render::item(value, col + 2, fmt, style)
                );
                Ok(vec![
                    self.new_line_after(self.doc.node(last.node).span().end, line),
                ])
            }
            NodeKind::Scalar { .. } if node.is_null() => {
                let parent_key = node
                    .key_node()
                    .ok_or_else(|| refuse(path, "is an empty sequence item"))?;
                if !node.span().is_empty() || self.in_flow(node) {
                    return Ok(vec![TextEdit {
                        range: node.span(),
                        text: format!("[{}]", render::flow(value, style)),
                    }]);
                }
                let key_col = self.key_column(parent_key);
                let col = if fmt.indent_sequences {
                    key_col + fmt.unit
                } else {
                    key_col
                };
                let pos = self.line_end(self.colon_end(parent_key));
                let text = format!(
                    "{}{}- {}",
                    fmt.eol,
                    " ".repeat(col),
                    render::item(value, col + 2, fmt, style)
                );
                Ok(vec![TextEdit {
                    range: pos..pos,
                    text,
                }])
            }
            NodeKind::Alias { name } => Err(refuse(
                path,
                format!("is an alias (*{name}); the change would land on the anchor"),
            )),
            _ => Err(refuse(path, "is not a sequence")),
        }
    }

    fn remove(&self, node: NodeRef<'d>, path: &Path) -> Result<Vec<TextEdit>, EditError> {
        let parent = node
            .parent()
            .ok_or_else(|| refuse(path, "cannot remove the root"))?;
        // (start of the member including its key/dash, end of its content) for each member.
        let members: Vec<(usize, usize)> = if parent.is_mapping() {
            parent
                .entries()
                .map(|(k, v)| (k.raw().start, self.entry_end(k, v)))
                .collect()
        } else {
            let NodeKind::Sequence { items, .. } = parent.kind() else {
                return Err(refuse(path, "parent is not a collection"));
            };
            items
                .iter()
                .map(|i| {
                    (
                        i.dash.unwrap_or(self.doc.node(i.node).raw().start),
                        self.doc.node(i.node).span().end,
                    )
                })
                .collect()
        };
        let position = node.raw().slot;
        if position >= members.len() {
            return Err(not_found(path));
        }
        let (start, end) = members[position];
        let empty = if parent.is_mapping() { "{}" } else { "[]" };
        if parent.is_flow() {
            let range = match (position.checked_sub(1), members.get(position + 1)) {
                (_, Some(next)) => start..next.0,
                (Some(prev), None) => members[prev].1..end,
                (None, None) => start..end,
            };
            return Ok(vec![TextEdit {
                range,
                text: String::new(),
            }]);
        }
        if members.len() == 1 {
            return Ok(vec![self.empty_in_place(parent, empty)]);
        }
        if self.first_on_line(start) {
            let line_start = self.doc.lines.line_start(start);
            let range = match self.next_line(end) {
                Some(next) => line_start..next,
                // Last line without a final newline: take the line break before it instead.
                None => line_start.saturating_sub(self.doc.format.eol.len())..self.text().len(),
            };
            return Ok(vec![TextEdit {
                range,
                text: String::new(),
            }]);
        }
        // The first entry of a mapping that shares its line with a `- `.
        let next = members.get(position + 1).ok_or_else(|| {
            refuse(
                path,
                "cannot remove this entry without reformatting its line",
            )
        })?;
        let gap = &self.text()[self.line_end(end)..next.0];
        if !gap.chars().all(char::is_whitespace) {
            return Err(refuse(
                path,
                "comments between this entry and the next would be lost",
            ));
        }
        Ok(vec![TextEdit {
            range: start..next.0,
            text: String::new(),
        }])
    }

    /// A block collection replaced by a one-line value moves onto its key's line
    /// (`key: value`), keeping its anchor or tag (`key: &x {}`), unless a comment sits
    /// between the two.
    fn block_to_key_line(
        &self,
        node: NodeRef<'d>,
        key: Option<NodeRef<'d>>,
        text: &str,
    ) -> Option<TextEdit> {
        if node.is_flow() || !(node.is_mapping() || node.is_sequence()) {
            return None;
        }
        let colon = self.colon_end(key?);
        let content = node.span();
        let gap = self.text().get(colon..content.start)?;
        if gap.contains('#') {
            return None;
        }
        let props = self
            .text()
            .get(node.raw().start.max(colon)..content.start)
            .map_or("", str::trim);
        let text = if props.is_empty() {
            format!(" {text}")
        } else {
            format!(" {props} {text}")
        };
        Some(TextEdit {
            range: colon..content.end,
            text,
        })
    }

    /// Removing the only member of a block collection leaves an empty flow collection: on the
    /// key's line (`key: {}`) when only whitespace and properties separate them; otherwise
    /// where the member was, indented deeper than the key.
    fn empty_in_place(&self, parent: NodeRef<'d>, empty: &str) -> TextEdit {
        let content = parent.span();
        let end = self.line_end(content.end);
        let Some(key) = parent.key_node() else {
            return TextEdit {
                range: content.start..end,
                text: empty.to_string(),
            };
        };
        if let Some(mut edit) = self.block_to_key_line(parent, Some(key), empty) {
            // The removed member's trailing comment goes with it.
            edit.range.end = end;
            return edit;
        }
        let key_col = self.key_column(key);
        let col = self.column(content.start);
        let col = if col > key_col {
            col
        } else {
            key_col + self.doc.format.unit
        };
        let line_start = self.doc.lines.line_start(content.start);
        TextEdit {
            range: line_start..end,
            text: format!("{}{empty}", " ".repeat(col)),
        }
    }

    fn rename(&self, node: NodeRef<'d>, path: &Path, to: &str) -> Result<Vec<TextEdit>, EditError> {
        let key = node
            .key_node()
            .ok_or_else(|| refuse(path, "is not a mapping entry"))?;
        let parent = node.parent().ok_or_else(|| not_found(path))?;
        if parent.get(to).is_some() {
            return Err(refuse(path, format!("key \"{to}\" already exists")));
        }
        let style = key
            .style()
            .filter(|s| matches!(s, Style::SingleQuoted | Style::DoubleQuoted));
        Ok(vec![TextEdit {
            range: key.span(),
            text: render::string(to, style, self.in_flow(key)),
        }])
    }
}

/// Subtrees claimed by the edits of a batch: an edit inside a subtree that another edit
/// removes (or empties) conflicts with it; the later one is refused. Indexed by path (and
/// every prefix of the touched paths) so that a batch of thousands of edits stays linear.
#[derive(Default)]
struct Footprints {
    /// Removed subtree → the edit that removes it (prefix-free: nested removals conflict).
    removed: std::collections::HashMap<Path, usize>,
    /// Every prefix of a touched path → the first touched path under it and its edit.
    touched: std::collections::HashMap<Path, (Path, usize)>,
}

impl Footprints {
    fn claim(&mut self, edit: &Edit, footprint: Path, source: usize) -> Result<(), EditError> {
        let conflict = |other: usize, with: &Path| {
            refuse(
                edit.path(),
                format!(
                    "conflicts with edit {} on {with} in the same batch",
                    other + 1
                ),
            )
        };
        fn prefixes(path: &Path) -> impl Iterator<Item = Path> + '_ {
            let segments = path.segments();
            (0..=segments.len()).map(move |n| Path(segments[..n].to_vec()))
        }
        if let Some((p, other)) =
            prefixes(&footprint).find_map(|p| self.removed.get(&p).map(|&other| (p, other)))
        {
            return Err(conflict(other, &p));
        }
        if matches!(edit, Edit::Remove { .. }) {
            if let Some((p, other)) = self.touched.get(&footprint) {
                return Err(conflict(*other, p));
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

/// Resolved edits, with the inserts indexed by (mapping path, key) so that inserts of the same
/// new key merge (nested `Set`s) or conflict, in linear time over a batch.
#[derive(Default)]
struct Resolved {
    edits: Vec<(Vec<usize>, Edit)>,
    inserts: std::collections::HashMap<(Path, String), usize>,
    replaces: std::collections::HashMap<Path, usize>,
}

impl Resolved {
    /// Adds `edit`; a second insert of the same key merges when both values are mappings and
    /// is refused otherwise; a second replace of the same node merges when it writes the same
    /// value and is refused otherwise.
    fn add(&mut self, source: usize, edit: Edit) -> Result<(), EditError> {
        if let Edit::Replace { path, value } = &edit {
            if let Some(&at) = self.replaces.get(path) {
                let (sources, existing) = &mut self.edits[at];
                if matches!(existing, Edit::Replace { value: v, .. } if v == value) {
                    sources.push(source);
                    return Ok(());
                }
                return Err(refuse(
                    path,
                    format!("conflicts with edit {} that sets it too", sources[0] + 1),
                ));
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
            _ => Err(refuse(
                &path.clone().key(key.clone()),
                format!(
                    "conflicts with edit {} that inserts the same key",
                    sources[0] + 1
                ),
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
