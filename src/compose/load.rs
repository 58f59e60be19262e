//! Turns a located YAML document into the [`Node`] tree Compose reads: aliases expanded,
//! merge keys (`<<`) applied, plain scalars typed as Compose's YAML library types them
//! (YAML 1.2 core schema: `yes`/`on` stay strings), `!reset`/`!override` tags kept.
//!
//! Refuses (reports, never panics): duplicate keys, keys YAML types as anything but a string
//! (`1:`, `true:`, `~:` — Compose's "non-string key"), aliases to unknown anchors, merge keys
//! whose value is not a mapping. Refuses the whole file, as Compose's YAML library does:
//! nesting deeper than [`MAX_DEPTH`], an anchor whose value contains an alias to itself, and
//! excessive aliasing (alias bombs, see [`allowed_alias_ratio`]).

use indexmap::IndexMap;

use super::tree::{Entry, FileId, MergeTag, Node, Origin, Value};
use crate::document::merge;
use crate::document::{Document, NodeId, NodeKind, NodeRef, Style};

/// Deeper nesting than this is refused (Compose files need a handful of levels).
const MAX_DEPTH: usize = 256;
/// go-yaml's excessive-aliasing check (what Compose uses): past this many decoded nodes, the
/// share of nodes that come from alias expansion is capped, from 99 % down to 10 % at
/// [`ALIAS_RATIO_HIGH`]. An alias bomb is refused after a few hundred thousand nodes.
const ALIAS_RATIO_LOW: usize = 400_000;
const ALIAS_RATIO_HIGH: usize = 4_000_000;

/// A problem found while reading the tree; the caller turns it into a finding.
#[derive(Debug, Clone)]
pub(super) struct LoadProblem {
    pub origin: Origin,
    pub message: String,
}

/// Reads the first document of `doc` (None when the file holds no document, or when it is
/// refused as a whole: then a problem says why).
pub(super) fn load(doc: &Document, file: FileId) -> (Option<Node>, Vec<LoadProblem>) {
    load_document(doc, file, 0)
}

/// Reads the document numbered `document` (from 0) of `doc`, as [`load`] reads the first.
pub(super) fn load_document(
    doc: &Document,
    file: FileId,
    document: usize,
) -> (Option<Node>, Vec<LoadProblem>) {
    let mut loader = Loader {
        file,
        problems: Vec::new(),
        decoded: 0,
        from_aliases: 0,
        expanding: Vec::new(),
        outer_alias: None,
        aborted: false,
    };
    let node = doc.root_of(document).map(|root| loader.node(root, 0));
    if loader.aborted {
        return (None, loader.problems);
    }
    (node, loader.problems)
}

/// The share of decoded nodes that may come from alias expansion (go-yaml v3's rule).
fn allowed_alias_ratio(decoded: usize) -> f64 {
    if decoded <= ALIAS_RATIO_LOW {
        0.99
    } else if decoded >= ALIAS_RATIO_HIGH {
        0.10
    } else {
        let range = (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW) as f64;
        0.99 - 0.89 * ((decoded - ALIAS_RATIO_LOW) as f64 / range)
    }
}

struct Loader {
    file: FileId,
    problems: Vec<LoadProblem>,
    /// Nodes decoded so far, and how many of them through an alias.
    decoded: usize,
    from_aliases: usize,
    /// Anchored nodes whose alias is being expanded (to refuse self-containing anchors).
    expanding: Vec<NodeId>,
    /// The outermost alias being expanded: where an alias bomb is reported.
    outer_alias: Option<Origin>,
    /// The file is refused; the remaining nodes are not read.
    aborted: bool,
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

    /// Refuses the whole file with `message` at `node`.
    fn abort(&mut self, node: &NodeRef<'_>, message: String) {
        if !self.aborted {
            self.problem(node, message);
            self.aborted = true;
        }
    }

    fn node(&mut self, node: NodeRef<'_>, depth: usize) -> Node {
        let origin = self.origin(&node);
        if self.aborted {
            return Node::new(Value::Null, origin);
        }
        if depth > MAX_DEPTH {
            self.abort(
                &node,
                format!(
                    "nesting deeper than {MAX_DEPTH} levels; Compose refuses such a file, flatten it"
                ),
            );
            return Node::new(Value::Null, origin);
        }
        if !self.count_decoded() {
            return Node::new(Value::Null, origin);
        }
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
                Some(target) if self.contains(target, node) => {
                    self.abort(
                        &node,
                        format!(
                            "the anchor \"&{name}\" contains an alias to itself; Compose refuses \
                             such a file, remove the alias"
                        ),
                    );
                    Value::Null
                }
                Some(target) => {
                    if self.expanding.is_empty() {
                        self.outer_alias = Some(origin.clone());
                    }
                    self.expanding.push(target.id);
                    let mut resolved = self.node(target, depth + 1);
                    self.expanding.pop();
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

    /// Counts one decoded node (value or key), as go-yaml does; false when the file is refused
    /// for excessive aliasing.
    fn count_decoded(&mut self) -> bool {
        self.decoded += 1;
        if !self.expanding.is_empty() {
            self.from_aliases += 1;
        }
        let excessive = self.from_aliases > 100
            && self.decoded > 1000
            && self.from_aliases as f64 / self.decoded as f64 > allowed_alias_ratio(self.decoded);
        if excessive && !self.aborted {
            let origin = self.outer_alias.clone().unwrap_or(Origin {
                file: self.file,
                span: 0..0,
            });
            self.problems.push(LoadProblem {
                origin,
                message: format!(
                    "excessive aliasing: this alias expands to more than {} nodes (an alias \
                     bomb); Compose refuses such a file, use fewer nested aliases",
                    self.from_aliases
                ),
            });
            self.aborted = true;
        }
        !self.aborted
    }

    /// Whether expanding `alias` (which refers to `target`) would expand `target` inside
    /// itself: the alias is written inside the anchored node, or reached while expanding it.
    fn contains(&self, target: NodeRef<'_>, alias: NodeRef<'_>) -> bool {
        if self.expanding.contains(&target.id) {
            return true;
        }
        let mut node = alias.parent();
        for _ in 0..=MAX_DEPTH {
            match node {
                Some(n) if n.id == target.id => return true,
                Some(n) => node = n.parent(),
                None => return false,
            }
        }
        false
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
            if !self.count_decoded() {
                break;
            }
            if let NodeKind::Scalar { value, style } = key.kind()
                && !matches!(scalar(value, *style, key.tag()), Value::Str(_))
            {
                let shown = if value.is_empty() {
                    "~"
                } else {
                    value.as_str()
                };
                self.problem(
                    &key,
                    format!(
                        "non-string key {shown}: YAML reads it as a {}, and Compose refuses keys \
                         that are not strings; quote it (\"{value}\")",
                        match scalar(value, *style, key.tag()) {
                            Value::Bool(_) => "boolean",
                            Value::Null => "null",
                            _ => "number",
                        }
                    ),
                );
            }
            if merge::is_merge_key(key) {
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
        let mut sources = Vec::new();
        // An alias to a sequence of mappings merges them, as a sequence written there does.
        if matches!(value.kind(), NodeKind::Alias { .. }) {
            let loaded = self.node(value, depth + 1);
            match loaded.value {
                Value::Map(map) => sources.push(map),
                Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => {
                    sources.extend(items.into_iter().filter_map(|i| match i.value {
                        Value::Map(map) => Some(map),
                        _ => None,
                    }));
                }
                _ => self.problem(
                    &value,
                    "a merge key (<<) must refer to a mapping or a list of mappings".into(),
                ),
            }
            return sources;
        }
        for item in merge::merged_values(value) {
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
    } else if digits.len() > 1 && digits.starts_with('0') {
        // Go's base-0 parsing, which Compose's YAML library uses: a leading 0 means octal
        // (`0777` is 511; `08` is no integer, and the library then reads it as a float).
        (8, &digits[1..])
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
    // Plain digits reach here only when they are no integer (`08`, or too large): Compose's
    // YAML library then reads them as a float.
    if exponent_ok && digits_ok {
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
    fn leading_zeros_read_as_go_reads_them() {
        let (node, _) = load_text("a: 0777\nb: 08\nc: 007\nd: 0\ne: 99999999999999999999\n");
        let value = |k: &str| node.get(k).map(|n| n.value.clone());
        assert_eq!(value("a"), Some(Value::Int(511)));
        assert_eq!(value("b"), Some(Value::Float(8.0)));
        assert_eq!(value("c"), Some(Value::Int(7)));
        assert_eq!(value("d"), Some(Value::Int(0)));
        assert!(matches!(value("e"), Some(Value::Float(_))));
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

    fn refused(text: &str) -> String {
        let doc = Document::parse(text).expect("test YAML parses");
        let (node, problems) = load(&doc, 0);
        assert!(node.is_none(), "not refused: {text}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        problems[0].message.clone()
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut text = String::from("a0: &a0 [lol]\n");
        for level in 1..=9 {
            let items = vec![format!("*a{}", level - 1); 9].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        assert!(refused(&text).contains("excessive aliasing"));
    }

    #[test]
    fn self_containing_anchors_are_refused() {
        assert!(refused("a: &a\n  b: *a\n").contains("contains an alias to itself"));
        assert!(refused("a: &a [1, [*a]]\n").contains("contains an alias to itself"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        // The parser stops at ~250 levels; aliases nest anchored values further.
        let deep = |inner: &str| format!("{}{inner}{}", "[".repeat(200), "]".repeat(200));
        let text = format!("a: &a {}\nb: {}\n", deep("1"), deep("*a"));
        assert!(refused(&text).contains("nesting deeper than"));
    }

    #[test]
    fn many_uses_of_one_anchor_are_fine() {
        let mut text = String::from("x: &base {image: nginx, restart: always, cpus: 1}\ns:\n");
        for i in 0..2000 {
            text.push_str(&format!("  s{i}: {{<<: *base, ports: [80]}}\n"));
        }
        let (node, problems) = load_text(&text);
        assert!(problems.is_empty(), "{problems:?}");
        let services = node.get("s").and_then(Node::as_map).map(IndexMap::len);
        assert_eq!(services, Some(2000));
    }
}
