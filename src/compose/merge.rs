//! Compose's override rules: how a later file (or an extending service) changes an earlier
//! value. Mappings merge key by key, most sequences append, a few attributes replace, and
//! `key=value` lists merge with mappings by key. `!reset` removes the inherited value and
//! `!override` replaces it whole.
//!
//! Refuses nothing: any two values merge (a type clash keeps the later value; the schema
//! judges the result).

use indexmap::IndexMap;

use super::tree::{Entry, MergeTag, Node, Value};

/// Service attributes whose later value replaces the earlier one outright.
const REPLACED: &[&str] = &["command", "entrypoint", "extends"];
/// Service attributes written as a mapping or as `KEY=VALUE` items; merged by key.
const KEYED: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "extra_hosts",
    "args",
    "ssh",
    "additional_contexts",
];

/// Merges `over` onto `base`; `path` is the attribute path of both (for the special rules).
pub(super) fn merge(base: Node, over: Node, path: &[&str]) -> Node {
    if over.tag == Some(MergeTag::Override) {
        return strip_tags(over);
    }
    let last = path.last().copied().unwrap_or_default();
    let in_service = path.len() >= 3 && path[0] == "services";
    if in_service && (REPLACED.contains(&last) || (last == "test" && path.len() == 4)) {
        return strip_tags(over);
    }
    // Two forms of one attribute meet: bring both to the mapping form first.
    let forms_differ = std::mem::discriminant(&base.value) != std::mem::discriminant(&over.value);
    let two_forms = KEYED.contains(&last)
        || (path.len() == 3 && matches!(last, "depends_on" | "networks" | "build"));
    // A null on either side of such an attribute adds nothing: the other side stays.
    if in_service && forms_differ && two_forms {
        if matches!(over.value, Value::Null) {
            return base;
        }
        if matches!(base.value, Value::Null) {
            return strip_tags(over);
        }
    }
    if in_service && forms_differ && KEYED.contains(&last) {
        return merge_maps(keyed(base), keyed(over), path);
    }
    if in_service && forms_differ && path.len() == 3 && (last == "depends_on" || last == "networks")
    {
        return merge_maps(names_to_map(base, last), names_to_map(over, last), path);
    }
    if in_service && forms_differ && path.len() == 3 && last == "build" {
        return merge_maps(build_map(base), build_map(over), path);
    }
    // `env_file: a.env` in one file and `env_file: b.env` in the next: Compose reads both.
    if in_service && path.len() == 3 && last == "env_file" {
        return merge(as_list(base), as_list(over), &[]);
    }
    match (base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => merge_maps(
            Node {
                value: Value::Map(b),
                ..base
            },
            Node {
                value: Value::Map(o),
                ..over
            },
            path,
        ),
        // `ports`, `volumes`, `expose`, `dns`...: later items are appended.
        (Value::Seq(mut b), Value::Seq(o)) => {
            for item in o.into_iter().map(strip_tags) {
                let duplicate = matches!(item.value, Value::Str(_) | Value::Int(_))
                    && b.iter().any(|x| x.value == item.value);
                if !duplicate {
                    b.push(item);
                }
            }
            Node {
                value: Value::Seq(b),
                origin: over.origin,
                tag: None,
            }
        }
        (_, value) => strip_tags(Node { value, ..over }),
    }
}

/// A single string as a one-item list (the list form of attributes that take either).
fn as_list(node: Node) -> Node {
    match node.value {
        Value::Str(_) => {
            let origin = node.origin.clone();
            Node {
                value: Value::Seq(vec![node]),
                origin,
                tag: None,
            }
        }
        _ => node,
    }
}

fn merge_maps(base: Node, over: Node, path: &[&str]) -> Node {
    let (mut entries, changes) = match (base.value, over.value) {
        (Value::Map(entries), Value::Map(changes)) => (entries, changes),
        // A form that has no mapping shape (a bare string where a list or mapping belongs):
        // the later value wins and the schema judges it.
        (_, value) => return strip_tags(Node { value, ..over }),
    };
    for (key, change) in changes {
        if change.node.tag == Some(MergeTag::Reset) {
            entries.shift_remove(&key);
            continue;
        }
        let merged = match entries.shift_remove(&key) {
            Some(existing) => {
                let mut child: Vec<&str> = path.to_vec();
                child.push(&key);
                Entry {
                    key: change.key,
                    node: merge(existing.node, change.node, &child),
                }
            }
            None => Entry {
                key: change.key,
                node: strip_tags(change.node),
            },
        };
        entries.insert(key, merged);
    }
    Node {
        value: Value::Map(entries),
        origin: over.origin,
        tag: None,
    }
}

/// Removes merge tags (and `!reset` entries) from a value that has nothing to merge with.
pub(super) fn strip_tags(mut node: Node) -> Node {
    clear_tags(&mut node);
    node
}

fn clear_tags(node: &mut Node) {
    node.tag = None;
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|_, e| e.node.tag != Some(MergeTag::Reset));
            entries.values_mut().for_each(|e| clear_tags(&mut e.node));
        }
        Value::Seq(items) => {
            items.retain(|n| n.tag != Some(MergeTag::Reset));
            items.iter_mut().for_each(clear_tags);
        }
        _ => {}
    }
}

/// Whether any node holds `!reset` or `!override`.
pub(super) fn has_merge_tags(node: &Node) -> bool {
    node.tag.is_some()
        || match &node.value {
            Value::Map(entries) => entries.values().any(|e| has_merge_tags(&e.node)),
            Value::Seq(items) => items.iter().any(has_merge_tags),
            _ => false,
        }
}

/// `["A=1", "B"]` as `{A: "1", B: null}`; mappings unchanged.
fn keyed(node: Node) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let mut map = IndexMap::new();
    for item in items {
        let Some(text) = item.scalar_text() else {
            continue;
        };
        let (key, value) = match text.split_once('=') {
            Some((k, v)) => (k.to_string(), Value::Str(v.to_string())),
            None => (text.clone(), Value::Null),
        };
        map.insert(
            key,
            Entry {
                key: item.origin.clone(),
                node: Node::new(value, item.origin),
            },
        );
    }
    Node {
        value: Value::Map(map),
        ..node
    }
}

/// `[a, b]` as `{a: null, b: null}` (networks) or `{a: {condition: service_started}}`
/// (depends_on); mappings unchanged.
fn names_to_map(node: Node, attribute: &str) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let value_for = |origin: &super::tree::Origin| match attribute {
        "depends_on" => {
            let condition = Entry {
                key: origin.clone(),
                node: Node::new(Value::Str("service_started".into()), origin.clone()),
            };
            Node::new(
                Value::Map(IndexMap::from([("condition".to_string(), condition)])),
                origin.clone(),
            )
        }
        _ => Node::new(Value::Null, origin.clone()),
    };
    let map = items
        .into_iter()
        .filter_map(|item| {
            Some((
                item.scalar_text()?,
                Entry {
                    key: item.origin.clone(),
                    node: value_for(&item.origin),
                },
            ))
        })
        .collect();
    Node {
        value: Value::Map(map),
        ..node
    }
}

/// `build: ./dir` as `build: {context: ./dir}`.
fn build_map(node: Node) -> Node {
    match node.value {
        Value::Str(_) => {
            let origin = node.origin.clone();
            let map = IndexMap::from([(
                "context".to_string(),
                Entry {
                    key: origin.clone(),
                    node: Node { tag: None, ..node },
                },
            )]);
            Node::new(Value::Map(map), origin)
        }
        _ => node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::load::load;
    use crate::document::Document;

    fn tree(text: &str, file: usize) -> Node {
        let doc = Document::parse(text).expect("test YAML parses");
        load(&doc, file).0.expect("a document")
    }

    fn merged(base: &str, over: &str) -> serde_json::Value {
        merge(tree(base, 0), tree(over, 1), &[]).to_json()
    }

    /// compose-go `override/merge_null_test.go`: a null list-or-mapping attribute in either
    /// file leaves the other file's value (it used to panic here).
    #[test]
    fn a_null_two_form_attribute_keeps_the_other_side() {
        for attribute in ["networks", "depends_on", "labels", "build"] {
            let out = merged(
                &format!("services: {{web: {{{attribute}: [a]}}}}"),
                &format!("services: {{web: {{{attribute}: null}}}}"),
            );
            assert_eq!(out["services"]["web"][attribute], serde_json::json!(["a"]));
            let out = merged(
                &format!("services: {{web: {{{attribute}: null}}}}"),
                &format!("services: {{web: {{{attribute}: [a]}}}}"),
            );
            assert_eq!(out["services"]["web"][attribute], serde_json::json!(["a"]));
        }
        // A bare string against a mapping: the later value wins, no panic.
        let out = merged(
            "services: {web: {labels: {a: b}}}",
            "services: {web: {labels: x}}",
        );
        assert_eq!(out["services"]["web"]["labels"], serde_json::json!("x"));
    }

    #[test]
    fn mappings_merge_and_scalars_are_replaced() {
        let out = merged(
            "services: {web: {image: a, restart: always}}",
            "services: {web: {image: b}}",
        );
        assert_eq!(
            out["services"]["web"],
            serde_json::json!({"image": "b", "restart": "always"})
        );
    }

    #[test]
    fn lists_append_and_commands_replace() {
        let out = merged(
            "services: {web: {ports: ['80:80'], command: [a, b]}}",
            "services: {web: {ports: ['443:443'], command: [c]}}",
        );
        assert_eq!(
            out["services"]["web"]["ports"],
            serde_json::json!(["80:80", "443:443"])
        );
        assert_eq!(out["services"]["web"]["command"], serde_json::json!(["c"]));
    }

    #[test]
    fn env_files_given_as_strings_are_both_kept() {
        let out = merged(
            "services: {web: {env_file: a.env}}",
            "services: {web: {env_file: b.env}}",
        );
        assert_eq!(
            out["services"]["web"]["env_file"],
            serde_json::json!(["a.env", "b.env"])
        );
    }

    #[test]
    fn environment_list_and_mapping_merge_by_key() {
        let out = merged(
            "services: {web: {environment: [A=1, B=2]}}",
            "services: {web: {environment: {B: 3}}}",
        );
        assert_eq!(
            out["services"]["web"]["environment"],
            serde_json::json!({"A": "1", "B": 3})
        );
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        let out = merged(
            "services: {web: {ports: ['80:80'], networks: [a]}}",
            "services: {web: {ports: !reset [], networks: !override [b]}}",
        );
        assert_eq!(out["services"]["web"].get("ports"), None);
        assert_eq!(out["services"]["web"]["networks"], serde_json::json!(["b"]));
    }

    #[test]
    fn merged_values_keep_the_file_they_came_from() {
        let node = merge(tree("a: {b: 1}", 0), tree("a: {c: 2}", 1), &[]);
        let a = node.get("a").expect("a");
        assert_eq!(a.get("b").map(|n| n.origin.file), Some(0));
        assert_eq!(a.get("c").map(|n| n.origin.file), Some(1));
    }
}
