//! Builds the located node tree from granit-parser's event stream.
//!
//! This is the only module that knows the parser. Every node gets an exact byte range: granit
//! gives exact ranges for scalars and flow collections; block collections start where their
//! first entry starts and end where their last child ends (the parser's own end is the next
//! token, which lies past blank lines and the next entry's comments).

use std::ops::Range;

use granit_parser::{Event, Options, Parser, ScalarStyle, Span, StructureStyle};

use super::error::LoadError;
use super::lines::LineIndex;

pub type NodeId = usize;

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl From<ScalarStyle> for Style {
    fn from(style: ScalarStyle) -> Self {
        match style {
            ScalarStyle::Plain => Style::Plain,
            ScalarStyle::SingleQuoted => Style::SingleQuoted,
            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
            ScalarStyle::Literal => Style::Literal,
            ScalarStyle::Folded => Style::Folded,
        }
    }
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Scalar { value: String, style: Style },
    Mapping { flow: bool, entries: Vec<Entry> },
    Sequence { flow: bool, items: Vec<Item> },
    Alias { name: String },
}

/// A key/value pair of a mapping.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

/// An item of a sequence; `dash` is the offset of its `-` in block style.
#[derive(Debug, Clone)]
pub struct Item {
    pub node: NodeId,
    pub dash: Option<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub kind: NodeKind,
    /// Exact byte range of the node's content (without anchor or tag).
    pub span: Range<usize>,
    /// Byte range of `&name` and the name, when the node defines an anchor.
    /// Boxed, like `tag`: few nodes have one, and every node pays for the field's size.
    pub anchor: Option<Box<(String, Range<usize>)>>,
    /// Start of the node's properties (anchor or tag) or of its content.
    pub start: usize,
    pub tag: Option<Box<str>>,
    pub parent: Option<NodeId>,
    /// Position in the parent: the entry index (for a key and its value) or the item index.
    pub slot: usize,
}

/// A comment: its byte range covers `#` up to the end of the line.
#[derive(Debug, Clone)]
pub(super) struct Comment {
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(super) struct DocumentIndex {
    pub root: Option<NodeId>,
    /// Where the document starts: its `---` marker when it has one.
    pub start: usize,
}

/// The result of indexing a whole stream.
#[derive(Debug, Clone, Default)]
pub(super) struct Index {
    pub nodes: Vec<Node>,
    pub documents: Vec<DocumentIndex>,
    pub comments: Vec<Comment>,
}

/// Parse `text` and build its index. Duplicate keys are errors.
pub(super) fn build(text: &str, lines: &LineIndex) -> Result<Index, LoadError> {
    let mut builder = Builder::new(text);
    let mut options = Options::default();
    options.emit_anchor_events = true;
    let mut parser = Parser::new_from_str_with_options(text, options);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let mark = e.marker();
            LoadError::Syntax {
                line: mark.line(),
                col: mark.col() + 1,
                message: e.info().to_string(),
            }
        })?;
        builder.event(event, span)?;
    }
    builder.check_duplicates(lines)?;
    // The node list grew by doubling; a large file keeps it for the whole run.
    builder.index.nodes.shrink_to_fit();
    builder.index.comments.shrink_to_fit();
    Ok(builder.index)
}

enum Frame {
    Collection {
        id: NodeId,
        pending_key: Option<NodeId>,
    },
}

struct Builder<'t> {
    text: &'t str,
    index: Index,
    stack: Vec<Frame>,
    anchors: Vec<(usize, String)>,
    /// End of the last token seen, for finding block-sequence dashes.
    cursor: usize,
}

fn range(span: &Span) -> Range<usize> {
    span.byte_range().unwrap_or(0..0)
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Builder {
            text,
            index: Index::default(),
            stack: Vec::new(),
            anchors: Vec::new(),
            cursor: 0,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), LoadError> {
        let r = range(&span);
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                self.anchors.clear();
                self.index.documents.push(DocumentIndex {
                    root: None,
                    start: r.start,
                });
                self.cursor = r.end;
            }
            Event::DocumentEnd => self.cursor = self.cursor.max(r.end),
            // Comments do not move the cursor: the parser may report a comment that follows
            // a block-sequence dash (`- # note`) before the item, and `find_dash` skips them.
            Event::Comment(..) => self.index.comments.push(Comment { span: r.clone() }),
            Event::Anchor(id, name) => self.anchor(id, name.into_owned(), r),
            Event::Alias(id) => {
                let name = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                self.add_node(NodeKind::Alias { name }, r, &span, None);
            }
            Event::UnresolvedAlias(name) => {
                self.add_node(
                    NodeKind::Alias {
                        name: name.into_owned(),
                    },
                    r,
                    &span,
                    None,
                );
            }
            Event::Scalar(value, style, _, tag) => {
                let style = Style::from(style);
                let r = if matches!(style, Style::Literal | Style::Folded) {
                    self.block_scalar_range(r)
                } else {
                    r
                };
                let kind = NodeKind::Scalar {
                    value: value.into_owned(),
                    style,
                };
                self.add_node(kind, r, &span, tag.map(|t| t.original()));
            }
            Event::SequenceStart(style, _, tag) => {
                let flow = style == StructureStyle::Flow;
                let kind = NodeKind::Sequence {
                    flow,
                    items: Vec::new(),
                };
                let id = self.add_node(kind, r, &span, tag.map(|t| t.original()));
                self.stack.push(Frame::Collection {
                    id,
                    pending_key: None,
                });
            }
            Event::MappingStart(style, _, tag) => {
                let flow = style == StructureStyle::Flow;
                let kind = NodeKind::Mapping {
                    flow,
                    entries: Vec::new(),
                };
                let id = self.add_node(kind, r, &span, tag.map(|t| t.original()));
                self.stack.push(Frame::Collection {
                    id,
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_collection(r),
            _ => {}
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize, name: String, r: Range<usize>) {
        self.anchors.push((id, name.clone()));
        self.cursor = self.cursor.max(r.end);
        // The anchor event follows the node it names.
        if let Some(node) = self.index.nodes.last_mut() {
            node.start = node.start.min(r.start);
            node.anchor = Some(Box::new((name, r)));
        }
    }

    /// Block scalar spans start at the content; widen to the `|`/`>` header and end the node
    /// after its last content line (trailing spaces on that line are content).
    fn block_scalar_range(&self, r: Range<usize>) -> Range<usize> {
        let content = r.start.min(self.text.len());
        let start = find_block_header(self.text, content).unwrap_or(content);
        let end = r.end.min(self.text.len()).max(content);
        let body = &self.text[content..end];
        let last_line_end = body.trim_end_matches([' ', '\t', '\n', '\r']).len();
        let indicators: String = self.text[start..]
            .chars()
            .skip(1)
            .take_while(|c| c.is_ascii_digit() || matches!(c, '+' | '-'))
            .collect();
        if indicators.contains('+') && last_line_end > 0 {
            // Keep chomping: trailing blank lines are content; end at the last line break.
            if let Some(i) = body.rfind('\n') {
                return start..(content + i).max(start);
            }
        }
        let end = if last_line_end == 0 {
            // Empty block: the node is just its header (and header comment) line.
            line_end(self.text, start)
        } else {
            let last = line_end(self.text, content + last_line_end);
            self.trailing_space_lines_end(content, last, end)
        };
        start..end.max(start)
    }

    /// Lines of spaces longer than the block's indentation are content (`"x\n \n"`): the
    /// node ends after the last such line that is complete before `limit`.
    fn trailing_space_lines_end(&self, content: usize, mut end: usize, limit: usize) -> usize {
        let indent = content - self.text[..content].rfind('\n').map_or(0, |i| i + 1);
        let mut pos = end;
        while let Some(nl) = self.text[pos..limit].find('\n') {
            let line_start = pos + nl + 1;
            // The last line counts only when it ends the text (no line break after it).
            let line_len = match self.text[line_start..limit].find('\n') {
                Some(n) => n,
                None if !self.text[line_start..].contains('\n') => self.text.len() - line_start,
                None => break,
            };
            let line = self.text[line_start..line_start + line_len].trim_end_matches('\r');
            if line.len() > indent && line.bytes().all(|b| b == b' ') {
                end = line_start + line.len();
            }
            pos = line_start;
        }
        end
    }

    fn add_node(
        &mut self,
        kind: NodeKind,
        r: Range<usize>,
        span: &Span,
        tag: Option<String>,
    ) -> NodeId {
        let id = self.index.nodes.len();
        let tag_span = span.tag_span().and_then(|t| t.byte_range());
        let start = tag_span.as_ref().map_or(r.start, |t| t.start.min(r.start));
        let is_flow_or_scalar = !matches!(
            kind,
            NodeKind::Mapping { flow: false, .. } | NodeKind::Sequence { flow: false, .. }
        );
        // Attach first: a block-sequence dash is searched for before the tag.
        let (parent, slot) = self.attach(id, start);
        if let Some(tag_span) = tag_span {
            self.cursor = self.cursor.max(tag_span.end);
        }
        self.index.nodes.push(Node {
            kind,
            span: r.clone(),
            anchor: None,
            start,
            tag: tag.map(String::into_boxed_str),
            parent,
            slot,
        });
        if is_flow_or_scalar {
            self.cursor = self.cursor.max(r.end);
        }
        id
    }

    /// Registers `id` with the enclosing collection; returns its parent and its slot there.
    fn attach(&mut self, id: NodeId, start: usize) -> (Option<NodeId>, usize) {
        let Some(Frame::Collection { id: parent, .. }) = self.stack.last() else {
            if let Some(doc) = self.index.documents.last_mut() {
                doc.root = Some(id);
            }
            return (None, 0);
        };
        let parent = *parent;
        let dash = match &self.index.nodes[parent].kind {
            NodeKind::Sequence { flow: false, .. } => find_dash(self.text, self.cursor, start),
            _ => None,
        };
        if let Some(dash) = dash {
            self.cursor = dash + 1;
        }
        let Some(Frame::Collection { pending_key, .. }) = self.stack.last_mut() else {
            return (None, 0);
        };
        let slot = match &mut self.index.nodes[parent].kind {
            NodeKind::Mapping { entries, .. } => {
                match pending_key.take() {
                    None => *pending_key = Some(id),
                    Some(key) => entries.push(Entry { key, value: id }),
                }
                // A key is registered before its entry exists; both get the entry's index.
                entries.len() - usize::from(pending_key.is_none())
            }
            NodeKind::Sequence { items, .. } => {
                items.push(Item { node: id, dash });
                items.len() - 1
            }
            _ => 0,
        };
        (Some(parent), slot)
    }

    fn end_collection(&mut self, r: Range<usize>) {
        let Some(Frame::Collection { id, .. }) = self.stack.pop() else {
            return;
        };
        let flow = match &self.index.nodes[id].kind {
            NodeKind::Mapping { flow, .. } | NodeKind::Sequence { flow, .. } => *flow,
            _ => false,
        };
        let start = self.index.nodes[id].span.start;
        // `[ {a: b}: c ]` is a brace-less pair whose key starts where the mapping starts.
        let first_key_start = match &self.index.nodes[id].kind {
            NodeKind::Mapping { entries, .. } => {
                entries.first().map(|e| self.index.nodes[e.key].start)
            }
            _ => None,
        };
        let bracketed = matches!(self.text.as_bytes().get(start), Some(b'{' | b'['))
            && first_key_start != Some(start);
        if flow && bracketed {
            self.index.nodes[id].span.end = r.end;
            self.cursor = self.cursor.max(r.end);
            return;
        }
        if flow {
            // A single-pair mapping inside a flow sequence (`[a: b]`) has no braces; the
            // parser's end runs to the next token.
            let end = self.last_child_end(id).unwrap_or(start);
            self.index.nodes[id].span.end = end;
            return;
        }
        let start = self.block_start(id);
        let end = self.last_child_end(id).unwrap_or(start);
        let node = &mut self.index.nodes[id];
        node.span = start..end;
        // An indentless sequence's start event lies at its first item, after the dash.
        node.start = node.start.min(start);
    }

    fn block_start(&self, id: NodeId) -> usize {
        let node = &self.index.nodes[id];
        match &node.kind {
            NodeKind::Sequence { items, .. } => items
                .first()
                .map(|i| i.dash.unwrap_or(self.index.nodes[i.node].start))
                .unwrap_or(node.span.start),
            NodeKind::Mapping { entries, .. } => entries
                .first()
                .map(|e| self.index.nodes[e.key].start)
                .unwrap_or(node.span.start),
            _ => node.span.start,
        }
    }

    fn last_child_end(&self, id: NodeId) -> Option<usize> {
        let last = match &self.index.nodes[id].kind {
            NodeKind::Sequence { items, .. } => items.last().map(|i| i.node),
            NodeKind::Mapping { entries, .. } => entries.last().map(|e| {
                let key = &self.index.nodes[e.key];
                let value = &self.index.nodes[e.value];
                // `key:` with no value has a zero-width value at the key.
                if value.span.end >= key.span.end {
                    e.value
                } else {
                    e.key
                }
            }),
            _ => None,
        }?;
        Some(self.index.nodes[last].span.end)
    }

    fn check_duplicates(&self, lines: &LineIndex) -> Result<(), LoadError> {
        for node in &self.index.nodes {
            let NodeKind::Mapping { entries, .. } = &node.kind else {
                continue;
            };
            let mut seen: std::collections::HashMap<&str, usize> = Default::default();
            for entry in entries {
                let key = &self.index.nodes[entry.key];
                let NodeKind::Scalar { value, .. } = &key.kind else {
                    continue;
                };
                if let Some(first) = seen.insert(value.as_str(), key.span.start) {
                    let (l1, c1) = lines.line_col(first);
                    let (line, col) = lines.line_col(key.span.start);
                    return Err(LoadError::DuplicateKey {
                        key: value.clone(),
                        line,
                        col,
                        first_line: l1,
                        first_col: c1,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Finds the `-` of a block-sequence item by scanning forward from the previous token,
/// over whitespace, comments and the `:` after a key.
fn find_dash(text: &str, from: usize, item_start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < item_start.min(bytes.len()) {
        match bytes[i] {
            b'-' => return Some(i),
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// End of the line containing `offset`, before its line break.
fn line_end(text: &str, offset: usize) -> usize {
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    if end > offset && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// The `|`/`>` of the block scalar whose content starts at `content`: the last non-blank line
/// before the content ends with the indicator, its chomping/indentation indicators and maybe a
/// comment.
fn find_block_header(text: &str, content: usize) -> Option<usize> {
    let mut line_end = content;
    loop {
        let line_start = text[..line_end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..line_end];
        if !line.trim().is_empty() {
            return header_in_line(line).map(|i| line_start + i);
        }
        if line_start == 0 {
            return None;
        }
        line_end = line_start - 1;
    }
}

/// Position of the block-scalar indicator ending `line`, right to left so that a `|` inside
/// a trailing comment is skipped.
fn header_in_line(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    (0..bytes.len()).rev().find(|&i| {
        if !matches!(bytes[i], b'|' | b'>') {
            return false;
        }
        let rest = &line[i + 1..];
        let after_indicators =
            rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        let trimmed = after_indicators.trim_start_matches([' ', '\t', '\r']);
        let spaced = trimmed.len() < after_indicators.len();
        trimmed.is_empty() || (spaced && trimmed.starts_with('#'))
    })
}
