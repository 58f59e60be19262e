//! Top-level resources (`volumes`, `networks`, `secrets`, `configs`) as Compose checks them
//! while loading, whatever the profiles:
//! - an external volume takes only `name` (and `x-*`): Compose refuses `driver`,
//!   `driver_opts`, `labels`, ... next to `external: true`;
//! - `name` and the legacy `external.name` conflict when they differ;
//! - a secret comes from exactly one of `file` or `environment`; a config from exactly one
//!   of `file`, `environment` or `content` (unless it is external or has a `driver`).

use super::key_origin;
use crate::compose::{Entry, Node, Problem, Value};

/// `consistency`: also what Compose's consistency check adds (a secret with only a `driver`,
/// or `external: false`, names no source).
pub(super) fn check(model: &Node, consistency: bool, problems: &mut Vec<Problem>) {
    for section in ["volumes", "networks", "secrets", "configs"] {
        for (name, entry) in model
            .get(section)
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let resource = &entry.node;
            if resource.as_map().is_none() {
                continue;
            }
            name_conflict(section, name, resource, problems);
            match section {
                "volumes" => external_volume(name, resource, problems),
                "secrets" => sources(
                    section,
                    name,
                    entry,
                    &["file", "environment"],
                    consistency,
                    problems,
                ),
                "configs" => sources(
                    section,
                    name,
                    entry,
                    &["file", "environment", "content"],
                    consistency,
                    problems,
                ),
                _ => {}
            }
        }
    }
}

fn is_external(resource: &Node) -> bool {
    resource
        .get("external")
        .is_some_and(|e| matches!(e.value, Value::Bool(true) | Value::Map(_)))
}

fn name_conflict(section: &str, name: &str, resource: &Node, problems: &mut Vec<Problem>) {
    let legacy = resource.get("external").and_then(|e| e.entry("name"));
    // The same name twice is accepted.
    if let (Some(own), Some(legacy)) = (resource.get("name"), legacy)
        && own.scalar_text() != legacy.node.scalar_text()
    {
        problems.push(Problem::error(
            "external-name-conflict",
            legacy.key.clone(),
            format!(
                "{section}.{name}: `name` and `external.name` conflict; Compose refuses both — keep `name` and write `external: true`"
            ),
        ));
    }
}

fn external_volume(name: &str, volume: &Node, problems: &mut Vec<Problem>) {
    if !is_external(volume) {
        return;
    }
    for (key, entry) in volume.as_map().into_iter().flatten() {
        if matches!(key.as_str(), "name" | "external") || key.starts_with("x-") {
            continue;
        }
        problems.push(Problem::error(
            "external-conflict",
            entry.key.clone(),
            format!(
                "volumes.{name}: `external: true` and \"{key}\" conflict; Compose refuses it — an external volume is created outside the project, so remove \"{key}\" (or `external`)"
            ),
        ));
    }
}

/// Exactly one of `keys` gives the content of a secret or config.
fn sources(
    section: &str,
    name: &str,
    entry: &Entry,
    keys: &[&str],
    consistency: bool,
    problems: &mut Vec<Problem>,
) {
    let resource = &entry.node;
    let kind = &section[..section.len() - 1];
    let given: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| resource.get(k).is_some())
        .collect();
    let choices = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    if given.len() > 1 {
        problems.push(Problem::error(
            "resource-source",
            key_origin(resource, given[1]),
            format!(
                "{section}.{name}: {} are mutually exclusive; a {kind} takes exactly one of {choices}",
                given.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
            ),
        ));
        return;
    }
    // Compose exempts an external config, or one with a driver, from naming its content;
    // for secrets its consistency check wants `file` or `environment` unless external.
    let exempt = if section == "configs" || !consistency {
        resource.get("external").is_some() || resource.get("driver").is_some()
    } else {
        is_external(resource)
    };
    // Its consistency check reads a secret's `environment: ""` as no source at all.
    let blank_env = consistency
        && section == "secrets"
        && given == ["environment"]
        && resource.get("environment").and_then(Node::as_str) == Some("");
    if (given.is_empty() || blank_env) && !exempt {
        problems.push(Problem::error(
            "resource-source",
            entry.key.clone(),
            format!("{section}.{name}: a {kind} needs one of {choices} (or `external: true`)"),
        ));
    }
}
