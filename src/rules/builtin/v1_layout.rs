use serde::Deserialize;

use crate::document::{Edit, Path, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Finds files in the v1 layout (services at the top level, no `services:` key) and moves
    /// the services under `services:`.
    ///
    /// ## Why
    /// Docker Compose v2 no longer reads the v1 layout: every top-level key must be a known
    /// section, so a v1 file fails to load at all.
    ///
    /// ## Example
    /// ```yaml
    /// web:                 # before
    ///   image: nginx:1.27
    /// ```
    /// ```yaml
    /// services:            # after
    ///   web:
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the services keep their content. The document engine has no "move" operation,
    /// so the services are written anew under `services:` (an insert of their values and the
    /// removal of the old keys); a file with comments, anchors or merge keys inside the
    /// services is only reported, because that rewrite would lose them (the engine's
    /// verification refuses it anyway).
    ///
    /// ## Options
    /// None.
    id: "v1-layout",
    summary: "move a v1 file's top-level services under `services:`",
    fixable: true,
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let Some(root) = ctx.root() else {
        return Vec::new();
    };
    if root.get("services").is_some() || root.get("version").is_some() {
        return Vec::new();
    }
    let entries: Vec<_> = root.entries().collect();
    let is_service = |value: crate::document::NodeRef<'_>| {
        value.is_mapping()
            && (merge::get(value, "image").is_some() || merge::get(value, "build").is_some())
    };
    let services: Vec<_> = entries
        .iter()
        .filter(|(k, v)| !k.as_str().is_some_and(|k| k.starts_with("x-")) && is_service(*v))
        .collect();
    // Every non-extension key must be a service, or this is not a v1 file.
    if services.is_empty()
        || services.len()
            != entries
                .iter()
                .filter(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with("x-")))
                .count()
    {
        return Vec::new();
    }
    let names: Vec<&str> = services.iter().filter_map(|(k, _)| k.as_str()).collect();
    let message = format!(
        "v1 layout: services ({}) at the top level; Compose v2 expects them under `services:`",
        names.join(", ")
    );
    let finding = ctx.finding(rule.id, Location::Key(Path::root().key(names[0])), message);
    let rewritable = services
        .iter()
        .all(|(_, v)| !ctx.has_comments_inside(*v) && !has_anchors_or_merges(*v));
    if !rewritable {
        return vec![finding];
    }
    let Some(values) = services
        .iter()
        .map(|(k, v)| Some((k.as_str()?.to_string(), merge::to_value(*v)?)))
        .collect::<Option<Vec<_>>>()
    else {
        return vec![finding];
    };
    let mut edits: Vec<Edit> = names
        .iter()
        .map(|name| Edit::Remove {
            path: Path::root().key(*name),
        })
        .collect();
    edits.push(Edit::Insert {
        path: Path::root(),
        key: "services".into(),
        value: Value::Map(values),
        after: None,
    });
    vec![finding.with_fix(Fix::safe("move the services under `services:`", edits))]
}

fn has_anchors_or_merges(node: crate::document::NodeRef<'_>) -> bool {
    if node.anchor_name().is_some() || node.alias_name().is_some() {
        return true;
    }
    node.entries()
        .any(|(k, v)| k.as_str() == Some("<<") || has_anchors_or_merges(v))
        || node.items().any(has_anchors_or_merges)
}
