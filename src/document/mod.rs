//! The format-preserving document engine: text in → located nodes → path-addressed edits →
//! verified text out.
//!
//! # What it promises
//! * Loading and rendering without edits gives the input back byte for byte (the document
//!   keeps its text; nodes are byte ranges into it).
//! * An edit changes only the bytes of the nodes it names; new text follows the file's line
//!   endings, indentation unit, sequence indentation and its neighbours' quoting.
//! * Every edited text is re-parsed by an independent parser (`yaml_serde`, libyaml lineage)
//!   and compared with the intended value; comments outside removed nodes must survive.
//!   A mismatch is an [`EditError::Verify`]: the caller writes nothing.
//!
//! # What it refuses
//! * Edits through an alias, inside an anchored node that is aliased elsewhere (unless the
//!   group allows it, [`EditGroup::through_anchors`]), and removing an anchor still referenced.
//! * Replacing block scalars (`|`, `>`).
//! * Between edits of one call: two inserts of the same new key (unless both are mappings,
//!   which merge) and edits inside a subtree that another edit removes or empties; the later
//!   edit's group is refused.
//! * Anything else the planner gets wrong is caught by verification and refused; explicit
//!   `? key` entries are not special-cased beyond that.
//!
//! # Groups
//! [`Document::apply`] takes [`EditGroup`]s, one per fix: a group applies whole or not at all,
//! and the [`Outcome`] says per group whether it applied or why not ([`EditError`]). Every
//! edit addresses the original document (paths and sequence indices name original nodes), so
//! a rename and a replace of the same key verify in either order. Removing every member of a
//! block collection leaves `key: {}` / `key: []`. Edits go to the first document; other
//! documents are kept byte for byte. The verifier's state lives for one call.
//!
//! # Why granit-parser
//! It is a maintained fork of saphyr-parser with byte offsets, exact ends for quoted scalars
//! and flow collections, comment events and anchor names (`shared/research/yaml-engines.md`
//! measured it; saphyr-parser needs a fix-up layer for character offsets and loose spans, and
//! yamlpatch produced wrong documents on ~1 % of corpus edits). Only `index.rs` knows it.

pub mod change;
mod edit;
mod error;
mod index;
mod lines;
pub mod merge;
mod path;
pub mod render;
mod value;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

pub use change::Change;
pub use edit::{Edit, EditGroup, GroupOutcome, Outcome};
pub use error::{ConflictKind, EditError, LoadError};
pub use index::{NodeId, NodeKind, Style};
pub use lines::LineIndex;
pub use path::{Path, PathParseError, Segment};
pub use render::Format;
pub use value::{Value, scalar_key};

use index::Index;

/// Files larger than this are refused rather than parsed.
pub const MAX_FILE_SIZE: usize = 64 * 1024 * 1024;

/// A parsed YAML text with its located nodes.
#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    lines: LineIndex,
    index: Index,
    format: Format,
    /// Alias node → the anchored node it refers to.
    alias_targets: HashMap<NodeId, NodeId>,
    /// Anchored node → the aliases that use it, in document order.
    anchor_uses: BTreeMap<NodeId, Vec<NodeId>>,
    /// Mapping → scalar key → entry index, for mappings with many entries.
    key_index: HashMap<NodeId, HashMap<String, usize>>,
}

impl Document {
    /// Decodes bytes as UTF-8 (reporting where it is not) and parses them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LoadError> {
        if bytes.len() > MAX_FILE_SIZE {
            return Err(LoadError::TooLarge {
                size: bytes.len(),
                limit: MAX_FILE_SIZE,
            });
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::parse(text),
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
                let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                let col = String::from_utf8_lossy(&valid[line_start..])
                    .chars()
                    .count()
                    + 1;
                Err(LoadError::NotUtf8 { line, col })
            }
        }
    }

    pub fn parse(text: &str) -> Result<Self, LoadError> {
        if text.len() > MAX_FILE_SIZE {
            return Err(LoadError::TooLarge {
                size: text.len(),
                limit: MAX_FILE_SIZE,
            });
        }
        if let Some(pos) = text.find('\0') {
            let lines = LineIndex::new(text);
            let (line, col) = lines.line_col_in(text, pos);
            return Err(LoadError::Syntax {
                line,
                col,
                message: "NUL byte: this looks like a binary file".into(),
            });
        }
        let lines = LineIndex::new(text);
        let index = index::build(text, &lines)?;
        let mut doc = Document {
            text: text.to_string(),
            lines,
            index,
            format: Format::default(),
            alias_targets: HashMap::new(),
            anchor_uses: BTreeMap::new(),
            key_index: HashMap::new(),
        };
        doc.format = doc.detect_format();
        doc.link_aliases();
        doc.index_keys();
        Ok(doc)
    }

    /// The text exactly as loaded.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The root node of the first document (the one edits apply to; Compose reads every
    /// document of a stream and merges them in order).
    pub fn root(&self) -> Option<NodeRef<'_>> {
        self.root_of(0)
    }

    /// The byte offset where `document` starts (its `---` marker when it has one).
    pub fn document_start(&self, document: usize) -> Option<usize> {
        self.index.documents.get(document).map(|d| d.start)
    }

    pub fn root_of(&self, document: usize) -> Option<NodeRef<'_>> {
        let id = self.index.documents.get(document)?.root?;
        Some(self.node(id))
    }

    pub fn document_count(&self) -> usize {
        self.index.documents.len()
    }

    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { doc: self, id }
    }

    /// The node at `path` in the first document. Aliases and merge keys are not followed.
    pub fn lookup(&self, path: &Path) -> Option<NodeRef<'_>> {
        let mut node = self.root()?;
        for segment in path.segments() {
            node = match segment {
                Segment::Key(key) => node.get(key)?,
                Segment::Index(i) => node.items().nth(*i)?,
            };
        }
        Some(node)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col_in(&self.text, offset)
    }

    /// Every comment with its byte range (from `#` to the end of its line).
    pub fn comments(&self) -> impl Iterator<Item = (Range<usize>, &str)> {
        self.index
            .comments
            .iter()
            .map(|c| (c.span.clone(), &self.text[c.span.clone()]))
    }

    /// Aliases that refer to the anchored node `anchor_node`.
    pub fn aliases_of(&self, anchor_node: NodeId) -> Vec<NodeRef<'_>> {
        self.anchor_uses
            .get(&anchor_node)
            .map(|uses| uses.iter().map(|&id| self.node(id)).collect())
            .unwrap_or_default()
    }

    /// Anchored nodes that some alias uses, in document order.
    pub fn referenced_anchors(&self) -> impl Iterator<Item = NodeRef<'_>> {
        self.anchor_uses.keys().map(|&id| self.node(id))
    }

    /// Builds the key index of mappings large enough for a linear scan to matter.
    fn index_keys(&mut self) {
        const LARGE: usize = 32;
        for (id, node) in self.index.nodes.iter().enumerate() {
            let NodeKind::Mapping { entries, .. } = &node.kind else {
                continue;
            };
            if entries.len() < LARGE {
                continue;
            }
            let keys = entries
                .iter()
                .enumerate()
                .filter_map(|(slot, e)| match &self.index.nodes[e.key].kind {
                    NodeKind::Scalar { value, .. } => Some((value.clone(), slot)),
                    _ => None,
                })
                .collect();
            self.key_index.insert(id, keys);
        }
    }

    fn link_aliases(&mut self) {
        let mut latest: HashMap<&str, NodeId> = HashMap::new();
        for (id, node) in self.index.nodes.iter().enumerate() {
            // Nodes are in event order; an anchor event follows its node, so a node's own
            // anchor is registered before any alias that could use it.
            if let NodeKind::Alias { name } = &node.kind
                && let Some(&target) = latest.get(name.as_str())
            {
                self.alias_targets.insert(id, target);
                self.anchor_uses.entry(target).or_default().push(id);
            }
            if let Some(anchor) = &node.anchor {
                latest.insert(&anchor.0, id);
            }
        }
    }

    fn column(&self, offset: usize) -> usize {
        offset - self.lines.line_start(offset)
    }

    fn detect_format(&self) -> Format {
        let eol = match self.text.find('\n') {
            Some(i) if i > 0 && self.text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        let mut format = Format {
            eol,
            ..Format::default()
        };
        let mut unit_found = false;
        let mut seq_found = false;
        for (id, node) in self.index.nodes.iter().enumerate() {
            let Some(parent) = node.parent else { continue };
            let NodeKind::Mapping {
                flow: false,
                entries,
            } = &self.index.nodes[parent].kind
            else {
                continue;
            };
            let Some(entry) = entries.get(node.slot).filter(|e| e.value == id) else {
                continue;
            };
            let key_col = self.column(self.index.nodes[entry.key].span.start);
            match &node.kind {
                NodeKind::Mapping { flow: false, .. } if !unit_found => {
                    let child_col = self.column(node.span.start);
                    if child_col > key_col {
                        format.unit = child_col - key_col;
                        unit_found = true;
                    }
                }
                NodeKind::Sequence { flow: false, .. } if !seq_found => {
                    format.indent_sequences = self.column(node.span.start) > key_col;
                    seq_found = true;
                }
                _ => {}
            }
            if unit_found && seq_found {
                break;
            }
        }
        format
    }
}

/// A node of a [`Document`], with its location.
#[derive(Debug, Clone, Copy)]
pub struct NodeRef<'d> {
    doc: &'d Document,
    pub id: NodeId,
}

impl<'d> NodeRef<'d> {
    fn raw(&self) -> &'d index::Node {
        &self.doc.index.nodes[self.id]
    }

    pub fn kind(&self) -> &'d NodeKind {
        &self.raw().kind
    }

    /// Exact byte range of the node's content.
    pub fn span(&self) -> Range<usize> {
        self.raw().span.clone()
    }

    /// 1-based line and column where the node (including its anchor or tag) starts.
    pub fn location(&self) -> (usize, usize) {
        self.doc.line_col(self.raw().start)
    }

    /// The scalar's value, if this is a scalar.
    pub fn as_str(&self) -> Option<&'d str> {
        match self.kind() {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn style(&self) -> Option<Style> {
        match self.kind() {
            NodeKind::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }

    /// Whether this is a plain scalar that YAML reads as null (`~`, `null`, or nothing).
    pub fn is_null(&self) -> bool {
        matches!(self.kind(), NodeKind::Scalar { value, style: Style::Plain } if matches!(value.as_str(), "~" | "null" | "Null" | "NULL" | ""))
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.kind(), NodeKind::Mapping { .. })
    }

    pub fn is_sequence(&self) -> bool {
        matches!(self.kind(), NodeKind::Sequence { .. })
    }

    pub fn is_flow(&self) -> bool {
        matches!(
            self.kind(),
            NodeKind::Mapping { flow: true, .. } | NodeKind::Sequence { flow: true, .. }
        )
    }

    pub fn tag(&self) -> Option<&'d str> {
        self.raw().tag.as_deref()
    }

    pub fn anchor_name(&self) -> Option<&'d str> {
        self.raw().anchor.as_ref().map(|a| a.0.as_str())
    }

    pub fn alias_name(&self) -> Option<&'d str> {
        match self.kind() {
            NodeKind::Alias { name } => Some(name),
            _ => None,
        }
    }

    /// The node an alias refers to.
    pub fn resolve_alias(&self) -> Option<NodeRef<'d>> {
        let target = self.doc.alias_targets.get(&self.id)?;
        Some(self.doc.node(*target))
    }

    pub fn parent(&self) -> Option<NodeRef<'d>> {
        self.raw().parent.map(|id| self.doc.node(id))
    }

    /// Key/value pairs of a mapping, in source order.
    pub fn entries(&self) -> impl Iterator<Item = (NodeRef<'d>, NodeRef<'d>)> + 'd {
        let doc = self.doc;
        let entries: &'d [index::Entry] = match self.kind() {
            NodeKind::Mapping { entries, .. } => entries,
            _ => &[],
        };
        entries
            .iter()
            .map(move |e| (doc.node(e.key), doc.node(e.value)))
    }

    /// Items of a sequence, in source order.
    pub fn items(&self) -> impl Iterator<Item = NodeRef<'d>> + 'd {
        let doc = self.doc;
        let items: &'d [index::Item] = match self.kind() {
            NodeKind::Sequence { items, .. } => items,
            _ => &[],
        };
        items.iter().map(move |i| doc.node(i.node))
    }

    /// The value under scalar key `key` (not following merge keys).
    pub fn get(&self, key: &str) -> Option<NodeRef<'d>> {
        // Large mappings (5,000 services) have a hash index so that looking up every key
        // stays linear overall.
        if let Some(keys) = self.doc.key_index.get(&self.id) {
            let slot = *keys.get(key)?;
            let NodeKind::Mapping { entries, .. } = self.kind() else {
                return None;
            };
            return entries.get(slot).map(|e| self.doc.node(e.value));
        }
        self.entries()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The mapping entry this node is the value of.
    fn entry(&self) -> Option<&'d index::Entry> {
        let NodeKind::Mapping { entries, .. } = self.parent()?.kind() else {
            return None;
        };
        entries.get(self.raw().slot).filter(|e| e.value == self.id)
    }

    /// The key node of the entry whose value is this node.
    pub fn key_node(&self) -> Option<NodeRef<'d>> {
        self.entry().map(|e| self.doc.node(e.key))
    }

    /// The path from the root of this node's document.
    pub fn path(&self) -> Path {
        let mut segments = Vec::new();
        let mut node = *self;
        while let Some(parent) = node.parent() {
            if parent.is_sequence() {
                segments.push(Segment::Index(node.raw().slot));
            } else if let Some(key) = node.key_node() {
                segments.push(Segment::Key(key.as_str().unwrap_or_default().to_string()));
            } else {
                // A key node, or a collection used as a key: address it by its text.
                segments.push(Segment::Key(self.doc.text[node.span()].to_string()));
            }
            node = parent;
        }
        segments.reverse();
        Path(segments)
    }

    /// The source text of the node.
    pub fn source(&self) -> &'d str {
        &self.doc.text[self.span()]
    }
}
