//! Where each operation's text goes in the original: one edit becomes byte-range splices.
//!
//! Promises: new text follows the file's line endings, indentation unit, sequence
//! indentation and its neighbours' quoting; bytes outside the returned ranges are not
//! touched. Refuses block scalar replacement and shapes it cannot lay out without
//! reformatting a line. Knows nothing about anchors or about other edits.

use super::splice::TextEdit;
use crate::document::error::EditError;
use crate::document::index::{NodeKind, Style};
use crate::document::path::Path;
use crate::document::render;
use crate::document::value::Value;
use crate::document::{Document, NodeRef};

fn refuse(path: &Path, reason: impl Into<String>) -> EditError {
    EditError::refused(path, reason)
}

/// An insertion into an alias would change its anchor and every other use of it.
fn through_alias(path: &Path, name: &str) -> EditError {
    refuse(
        path,
        format!("is an alias (*{name}); the change would land on the anchor"),
    )
}

fn not_found(path: &Path) -> EditError {
    EditError::not_found(path)
}

/// The operations' text placement against one document.
#[derive(Clone, Copy)]
pub(super) struct Layout<'d> {
    pub doc: &'d Document,
}

impl<'d> Layout<'d> {
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
            Some(pos) => TextEdit::new(pos..pos, format!("{line}{eol}")),
            None => {
                let end = self.text().len();
                TextEdit::new(end..end, format!("{eol}{line}"))
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
        for style in values.iter().filter_map(super::super::NodeRef::style) {
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

    pub(super) fn replace(
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
                return Ok(vec![TextEdit::new(pos..pos, format!(" {text}"))]);
            }
            if let Some(edit) = self.block_to_key_line(node, key, &text) {
                return Ok(vec![edit]);
            }
            return Ok(vec![TextEdit::new(node.span(), text)]);
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
            return Ok(vec![TextEdit::new(node.span(), block)]);
        }
        let Some(key) = key else {
            return Ok(vec![TextEdit::new(node.span(), render::flow(text, None))]);
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
            .map(|a| format!(" &{}", a.0))
            .unwrap_or_default();
        Ok(vec![TextEdit::new(
            start..end,
            format!("{anchor}{}", render::after_key(text, key_col, fmt, None)),
        )])
    }

    pub(super) fn insert(
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
                    // A second insertion into the same empty mapping joins with `, `.
                    let pos = node.span().start + 1;
                    return Ok(vec![TextEdit::new(pos..pos, entry).joining(", ")]);
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
                    return Ok(vec![TextEdit::new(end..end, format!(", {entry}"))]);
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
                    return Ok(vec![TextEdit::new(node.span(), render::flow(&map, style))]);
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
                Ok(vec![TextEdit::new(pos..pos, text)])
            }
            NodeKind::Alias { name } => Err(through_alias(path, name)),
            _ => Err(refuse(path, "is not a mapping")),
        }
    }

    pub(super) fn append(
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
                        Ok(vec![TextEdit::new(pos..pos, text).joining(", ")])
                    }
                    Some(last) => {
                        let end = self.doc.node(last.node).span().end;
                        Ok(vec![TextEdit::new(end..end, format!(", {text}"))])
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
                    return Ok(vec![TextEdit::new(
                        node.span(),
                        format!("[{}]", render::flow(value, style)),
                    )]);
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
                Ok(vec![TextEdit::new(pos..pos, text)])
            }
            NodeKind::Alias { name } => Err(through_alias(path, name)),
            _ => Err(refuse(path, "is not a sequence")),
        }
    }

    pub(super) fn remove(
        &self,
        node: NodeRef<'d>,
        path: &Path,
    ) -> Result<Vec<TextEdit>, EditError> {
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
            return Ok(vec![TextEdit::new(range, String::new())]);
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
            return Ok(vec![TextEdit::new(range, String::new())]);
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
        Ok(vec![TextEdit::new(start..next.0, String::new())])
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
        Some(TextEdit::new(colon..content.end, text))
    }

    /// Removing the only member of a block collection leaves an empty flow collection: on the
    /// key's line (`key: {}`) when only whitespace and properties separate them; otherwise
    /// where the member was, indented deeper than the key.
    pub(super) fn empty_in_place(&self, parent: NodeRef<'d>, empty: &str) -> TextEdit {
        let content = parent.span();
        let end = self.line_end(content.end);
        let Some(key) = parent.key_node() else {
            return TextEdit::new(content.start..end, empty.to_string());
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
        TextEdit::new(line_start..end, format!("{}{empty}", " ".repeat(col)))
    }

    pub(super) fn rename(
        &self,
        node: NodeRef<'d>,
        path: &Path,
        to: &str,
    ) -> Result<Vec<TextEdit>, EditError> {
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
        Ok(vec![TextEdit::new(
            key.span(),
            render::string(to, style, self.in_flow(key)),
        )])
    }
}
