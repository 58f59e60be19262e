//! Reading through YAML merge keys (`<<: *base`, `<<: [*a, *b]`) and aliases, the way Compose
//! sees a mapping (what a merge key is: [`crate::document::merge`]). The document engine's
//! `lookup` deliberately does not follow them.

use crate::document::merge::{is_merge_key, merged_values};
use crate::document::{NodeRef, Style};

/// Merge chains deeper than this are treated as absent (they only occur in hostile input).
const MAX_DEPTH: usize = 16;

/// The node an alias refers to (repeatedly), or the node itself.
pub fn resolve(node: NodeRef<'_>) -> NodeRef<'_> {
    let mut node = node;
    for _ in 0..MAX_DEPTH {
        match node.resolve_alias() {
            Some(target) => node = target,
            None => break,
        }
    }
    node
}

/// The value of `key` in `mapping`: its own entry first, then the merged mappings in order
/// (the first one listed wins, as in YAML).
pub fn get<'d>(mapping: NodeRef<'d>, key: &str) -> Option<NodeRef<'d>> {
    get_at_depth(resolve(mapping), key, 0)
}

fn get_at_depth<'d>(mapping: NodeRef<'d>, key: &str, depth: usize) -> Option<NodeRef<'d>> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(found) = mapping
        .entries()
        .find(|(k, _)| !is_merge_key(*k) && k.as_str() == Some(key))
        .map(|(_, v)| v)
    {
        return Some(resolve(found));
    }
    merged_sources(mapping)
        .into_iter()
        .find_map(|source| get_at_depth(source, key, depth + 1))
}

/// The mappings `<<` merges into `mapping`, in precedence order.
pub fn merged_sources(mapping: NodeRef<'_>) -> Vec<NodeRef<'_>> {
    let mut sources = Vec::new();
    for (_, value) in mapping.entries().filter(|(k, _)| is_merge_key(*k)) {
        let value = resolve(value);
        sources.extend(
            merged_values(value)
                .into_iter()
                .map(resolve)
                .filter(crate::document::NodeRef::is_mapping),
        );
    }
    sources
}

/// The value at a key path, following merges at every level.
pub fn get_path<'d>(mapping: NodeRef<'d>, keys: &[&str]) -> Option<NodeRef<'d>> {
    let mut node = resolve(mapping);
    for key in keys {
        node = get(node, key)?;
    }
    Some(node)
}

/// Where a finding about the `keys` field of a long-syntax entry points: that field's value
/// (`source:`, `published:`), which names the problem, or the entry itself when it is a short
/// syntax scalar or does not write the field.
pub fn field_or_entry<'d>(entry: NodeRef<'d>, keys: &[&str]) -> NodeRef<'d> {
    if entry.is_mapping() {
        get_path(entry, keys).unwrap_or(entry)
    } else {
        entry
    }
}

/// Every key of `mapping` with its effective value (own entries override merged ones).
pub fn entries(mapping: NodeRef<'_>) -> Vec<(String, NodeRef<'_>)> {
    let mut out: Vec<(String, NodeRef<'_>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    collect_entries(resolve(mapping), &mut out, &mut seen, 0);
    out
}

fn collect_entries<'d>(
    mapping: NodeRef<'d>,
    out: &mut Vec<(String, NodeRef<'d>)>,
    seen: &mut std::collections::HashSet<&'d str>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for (key, value) in mapping.entries().filter(|(k, _)| !is_merge_key(*k)) {
        let Some(key) = key.as_str() else { continue };
        // A set, not a scan of `out`: a mapping with many keys stays linear.
        if seen.insert(key) {
            out.push((key.to_string(), resolve(value)));
        }
    }
    for source in merged_sources(mapping) {
        collect_entries(source, out, seen, depth + 1);
    }
}

/// A scalar's text when it is a non-null scalar.
pub fn text<'d>(node: Option<NodeRef<'d>>) -> Option<&'d str> {
    node.filter(|n| !n.is_null()).and_then(|n| n.as_str())
}

/// The strings of a sequence of scalars, or of a single scalar.
pub fn strings<'d>(node: Option<NodeRef<'d>>) -> Vec<&'d str> {
    match node {
        Some(n) if n.is_sequence() => n.items().map(resolve).filter_map(|i| i.as_str()).collect(),
        Some(n) => n.as_str().into_iter().collect(),
        None => Vec::new(),
    }
}

/// The data a node stands for, as Compose loads it (aliases and merge keys resolved).
/// None when it cannot be known: an unresolved alias, or more than [`MAX_VALUE_NODES`] nodes
/// once aliases are expanded (an alias bomb is never equal to a policy's value).
pub fn to_value(node: NodeRef<'_>) -> Option<crate::document::Value> {
    let mut budget = MAX_VALUE_NODES;
    to_value_at_depth(node, 0, &mut budget)
}

/// The most nodes [`to_value`] builds.
pub const MAX_VALUE_NODES: usize = 100_000;

fn to_value_at_depth(
    node: NodeRef<'_>,
    depth: usize,
    budget: &mut usize,
) -> Option<crate::document::Value> {
    use crate::document::{NodeKind, Value};
    if depth > 64 || *budget == 0 {
        return None;
    }
    *budget -= 1;
    let node = resolve(node);
    match node.kind() {
        NodeKind::Scalar {
            value,
            style: Style::Plain,
        } if value.is_empty() => Some(Value::Null),
        NodeKind::Scalar {
            value,
            style: Style::Plain,
        } => {
            let loaded: yaml_serde::Value = yaml_serde::from_str(value).ok()?;
            Some(Value::from_yaml(&loaded))
        }
        NodeKind::Scalar { value, .. } => Some(Value::Str(value.clone())),
        NodeKind::Sequence { .. } => node
            .items()
            .map(|i| to_value_at_depth(i, depth + 1, budget))
            .collect::<Option<Vec<_>>>()
            .map(Value::Seq),
        NodeKind::Mapping { .. } => entries(node)
            .into_iter()
            .map(|(k, v)| Some((k, to_value_at_depth(v, depth + 1, budget)?)))
            .collect::<Option<Vec<_>>>()
            .map(Value::Map),
        NodeKind::Alias { .. } => None,
    }
}
