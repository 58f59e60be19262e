//! Files written for older Compose versions: the v1 layout (services at the top level) is
//! refused by Compose, a top-level `version:` is ignored with a warning.

use crate::compose::{Node, Problem};

/// Top-level keys of the current format; anything else at the top marks a v1 file.
const TOP_LEVEL: &[&str] = &[
    "version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models",
];

/// One clear error for a v1-layout file (instead of one "unknown key" per service).
pub(super) fn v1_layout(tree: &Node) -> Option<Problem> {
    let top = tree.as_map()?;
    if top.contains_key("services") {
        return None;
    }
    let services: Vec<&String> = top
        .iter()
        .filter(|(k, e)| {
            !TOP_LEVEL.contains(&k.as_str()) && !k.starts_with("x-") && looks_like_service(&e.node)
        })
        .map(|(k, _)| k)
        .collect();
    let first = services.first()?;
    let origin = top.get(first.as_str())?.key.clone();
    let names = services
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Problem::error(
        "legacy-layout",
        origin,
        format!(
            "this file uses the obsolete Compose v1 layout: services ({names}) sit at the top level without a `services:` key, and Compose refuses it; move them under `services:` (`shipshape fix --policy legacy` does it)"
        ),
    ))
}

fn looks_like_service(node: &Node) -> bool {
    node.as_map().is_some_and(|m| {
        [
            "image",
            "build",
            "command",
            "ports",
            "environment",
            "volumes",
            "links",
        ]
        .iter()
        .any(|k| m.contains_key(*k))
    })
}

/// A warning for the obsolete `version:` attribute.
pub(super) fn obsolete_version(tree: &Node) -> Option<Problem> {
    let entry = tree.entry("version")?;
    Some(Problem::warning(
        "obsolete-version",
        entry.key.clone(),
        "the top-level `version` is obsolete and ignored by Compose; remove it",
    ))
}
