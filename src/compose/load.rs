//! Turns a located YAML document into the [`Node`] tree Compose reads: aliases expanded,
//! merge keys (`<<`) applied, plain scalars typed as Compose's YAML library types them
//! (YAML 1.2 core schema: `yes`/`on` stay strings), `!reset`/`!override` tags kept.
//!
//! Refuses (reports, never panics): duplicate keys, aliases to unknown anchors, merge keys
//! whose value is not a mapping, and alias chains deeper than [`MAX_DEPTH`] (alias bombs).

use indexmap::IndexMap;

use super::tree::{Entry, FileId, MergeTag, Node, Origin, Value};
use crate::document::{Document, NodeKind, NodeRef, Style};

/// Deeper nesting than this is refused: it only happens with alias bombs.
const MAX_DEPTH: usize = 256;
/// Expanding aliases may not create more nodes than this (billion-laughs guard).
const MAX_NODES: usize = 2_000_000;

/// A problem found while reading the tree; the caller turns it into a finding.
#[derive(Debug, Clone)]
pub struct LoadProblem {
    pub origin: Origin,
    pub message: String,
}

/// Reads the first document of `doc` (None when the file holds no document).
pub fn load(doc: &Document, file: FileId) -> (Option<Node>, Vec<LoadProblem>) {
    let mut loader = Loader {
        file,
        problems: Vec::new(),
        budget: MAX_NODES,
    };
    let node = doc.root().map(|root| loader.node(root, 0));
    (node, loader.problems)
}

struct Loader {
    file: FileId,
    problems: Vec<LoadProblem>,
    budget: usize,
}

impl Loader {
    fn origin(&self, node: &NodeRef<'_>) -> Origin {
        Origin {
            file: self.file,
            span: node.span(),
        }
    }

    fn problem(&mut self, node: &NodeRef<'_>, message: String) {
        self.problems.push(LoadProblem {
            origin: self.origin(node),
            message,
        });
    }

    fn node(&mut self, node: NodeRef<'_>, depth: usize) -> Node {
        let origin = self.origin(&node);
        if depth > MAX_DEPTH || self.budget == 0 {
            if self.budget > 0 {
                self.problem(&node, "nesting too deep (alias loop or alias bomb)".into());
            }
            self.budget = 0;
            return Node::new(Value::Null, origin);
        }
        self.budget -= 1;
        let tag = match node.tag() {
            Some("!reset") => Some(MergeTag::Reset),
            Some("!override") => Some(MergeTag::Override),
            _ => None,
        };
        let value = match node.kind() {
            NodeKind::Scalar { value, style } => scalar(value, *style, node.tag()),
            NodeKind::Sequence { .. } => Value::Seq(
                node.items()
                    .map(|item| self.node(item, depth + 1))
                    .collect(),
            ),
            NodeKind::Mapping { .. } => Value::Map(self.mapping(node, depth)),
            NodeKind::Alias { name } => match node.resolve_alias() {
                Some(target) => {
                    let mut resolved = self.node(target, depth + 1);
                    resolved.tag = tag.or(resolved.tag);
                    return resolved;
                }
                None => {
                    self.problem(&node, format!("unknown anchor \"*{name}\""));
                    Value::Null
                }
            },
        };
        Node { value, origin, tag }
    }

    fn mapping(&mut self, node: NodeRef<'_>, depth: usize) -> IndexMap<String, Entry> {
        let count = match node.kind() {
            NodeKind::Mapping { entries, .. } => entries.len(),
            _ => 0,
        };
        let mut entries: IndexMap<String, Entry> = IndexMap::with_capacity(count);
        let mut merged: Vec<IndexMap<String, Entry>> = Vec::new();
        for (key, value) in node.entries() {
            let Some(name) = key_text(&key) else {
                self.problem(&key, "a mapping key must be a string".into());
                continue;
            };
            if name == "<<" && key.style() == Some(Style::Plain) {
                merged.extend(self.merge_sources(value, depth));
                continue;
            }
            if entries.contains_key(&name) {
                self.problem(&key, format!("duplicate key \"{name}\""));
                continue;
            }
            let entry = Entry {
                key: self.origin(&key),
                node: self.node(value, depth + 1),
            };
            entries.insert(name, entry);
        }
        // Explicit keys win over merged ones; among merged maps the first listed wins.
        for source in merged {
            for (name, entry) in source {
                entries.entry(name).or_insert(entry);
            }
        }
        entries
    }

    fn merge_sources(&mut self, value: NodeRef<'_>, depth: usize) -> Vec<IndexMap<String, Entry>> {
        let items: Vec<NodeRef<'_>> = if value.is_sequence() {
            value.items().collect()
        } else {
            vec![value]
        };
        let mut sources = Vec::new();
        for item in items {
            let loaded = self.node(item, depth + 1);
            match loaded.value {
                Value::Map(map) => sources.push(map),
                _ => self.problem(&item, "a merge key (<<) must refer to a mapping".into()),
            }
        }
        sources
    }
}

fn key_text(key: &NodeRef<'_>) -> Option<String> {
    match key.kind() {
        NodeKind::Scalar { value, .. } => Some(value.clone()),
        NodeKind::Alias { .. } => key
            .resolve_alias()
            .and_then(|t| t.as_str().map(str::to_string)),
        _ => None,
    }
}

/// Types a scalar as Compose's YAML library does when decoding into untyped values.
fn scalar(value: &str, style: Style, tag: Option<&str>) -> Value {
    match tag {
        Some("!!str" | "tag:yaml.org,2002:str") => return Value::Str(value.to_string()),
        Some("!!int" | "tag:yaml.org,2002:int") => {
            return int(value).map_or(Value::Str(value.to_string()), Value::Int);
        }
        Some("!!float" | "tag:yaml.org,2002:float") => {
            return float(value).map_or(Value::Str(value.to_string()), Value::Float);
        }
        _ => {}
    }
    if style != Style::Plain {
        return Value::Str(value.to_string());
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(n) = int(value) {
        return Value::Int(n);
    }
    if let Some(x) = float(value) {
        return Value::Float(x);
    }
    Value::Str(value.to_string())
}

/// Whether `text` could be a number at all (most scalars are words: skip them cheaply).
fn numeric_start(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
}

fn without_underscores(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('_') {
        std::borrow::Cow::Owned(text.replace('_', ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn int(text: &str) -> Option<i64> {
    if !numeric_start(text) {
        return None;
    }
    let plain = without_underscores(text);
    let (negative, digits) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &*plain),
    };
    let (radix, body) = if let Some(rest) = digits.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = digits.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = digits.strip_prefix("0b") {
        (2, rest)
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(body, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn float(text: &str) -> Option<f64> {
    if !numeric_start(text) {
        return None;
    }
    let plain = without_underscores(text);
    let body = plain.strip_prefix(['-', '+']).unwrap_or(&plain);
    let mut parts = body.splitn(2, ['e', 'E']);
    let mantissa = parts.next()?;
    let exponent_ok = parts.next().is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = whole.chars().all(|c| c.is_ascii_digit())
        && fraction.chars().all(|c| c.is_ascii_digit())
        && !(whole.is_empty() && fraction.is_empty());
    if exponent_ok && digits_ok && (mantissa.contains('.') || body.contains(['e', 'E'])) {
        plain.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> (Node, Vec<LoadProblem>) {
        let doc = Document::parse(text).expect("test YAML parses");
        let (node, problems) = load(&doc, 0);
        (node.expect("a document"), problems)
    }

    #[test]
    fn types_plain_scalars_like_compose() {
        let (node, _) = load_text("a: yes\nb: 0x1F\nc: 1.5\nd: '1'\ne: ~\nf: true\ng: 1_000\n");
        assert_eq!(
            node.get("a").map(|n| n.value.clone()),
            Some(Value::Str("yes".into()))
        );
        assert_eq!(node.get("b").map(|n| n.value.clone()), Some(Value::Int(31)));
        assert_eq!(
            node.get("c").map(|n| n.value.clone()),
            Some(Value::Float(1.5))
        );
        assert_eq!(
            node.get("d").map(|n| n.value.clone()),
            Some(Value::Str("1".into()))
        );
        assert_eq!(node.get("e").map(|n| n.value.clone()), Some(Value::Null));
        assert_eq!(
            node.get("f").map(|n| n.value.clone()),
            Some(Value::Bool(true))
        );
        assert_eq!(
            node.get("g").map(|n| n.value.clone()),
            Some(Value::Int(1000))
        );
    }

    #[test]
    fn merge_keys_give_way_to_explicit_keys_and_keep_anchor_origins() {
        let text = "x: &base\n  image: a\n  restart: always\ny:\n  <<: *base\n  image: b\n";
        let (node, problems) = load_text(text);
        assert!(problems.is_empty());
        let y = node.get("y").expect("y");
        assert_eq!(y.get("image").and_then(Node::as_str), Some("b"));
        let restart = y.get("restart").expect("merged key");
        assert_eq!(&text[restart.origin.span.clone()], "always");
        assert_eq!(
            restart.origin.span.start,
            text.find("always").unwrap_or_default()
        );
    }

    #[test]
    fn reset_tags_survive_loading() {
        let (node, _) = load_text("a: !reset []\n");
        assert_eq!(node.get("a").and_then(|n| n.tag), Some(MergeTag::Reset));
    }
}
