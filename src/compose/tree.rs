//! The value tree Compose sees, every node remembering the text it came from.
//!
//! A [`Node`] is plain data (null, bool, number, string, sequence, mapping) plus an
//! [`Origin`]: the file and byte range of the text that produced it. Aliases and merge keys
//! are already resolved, so a value copied through `*alias` points at the anchored text —
//! the text a user must change.

use std::ops::Range;

use indexmap::IndexMap;

/// Index of a file in the project's [`crate::compose::Files`].
pub type FileId = usize;

/// Where a value (or key) was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: FileId,
    pub span: Range<usize>,
}

/// A Compose-specific YAML tag that changes how files merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeTag {
    /// `!reset`: drop the value inherited from earlier files.
    Reset,
    /// `!override`: replace the inherited value instead of merging.
    Override,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(IndexMap<String, Entry>),
}

/// A mapping entry: the key's origin (for "unknown key" messages) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Origin,
    pub node: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
    pub tag: Option<MergeTag>,
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Self {
        Node {
            value,
            origin,
            tag: None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&IndexMap<String, Entry>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut IndexMap<String, Entry>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key).map(|e| &e.node)
    }

    /// The entry under `key` of a mapping (with the key's origin).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.get(key)
    }

    /// A scalar as text the way Compose reads it when it wants a string (`80`, `true`).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(x) => Some(x.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Name of the value's type in the user's terms.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The JSON value the schema validates.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(n) => J::from(*n),
            Value::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, e)| (k.clone(), e.node.to_json()))
                    .collect(),
            ),
        }
    }

    /// Follows a JSON pointer's segments down the tree; stops at the deepest node found.
    /// Returns that node and, when the last segment named a mapping key, that key's origin.
    pub fn descend<I, S>(&self, segments: I) -> (&Node, Option<&Origin>)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut node = self;
        let mut key = None;
        for segment in segments {
            let segment = segment.as_ref();
            match &node.value {
                Value::Map(m) => match m.get(segment) {
                    Some(entry) => {
                        key = Some(&entry.key);
                        node = &entry.node;
                    }
                    None => break,
                },
                Value::Seq(items) => match segment.parse::<usize>().ok().and_then(|i| items.get(i))
                {
                    Some(item) => {
                        key = None;
                        node = item;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        (node, key)
    }
}
