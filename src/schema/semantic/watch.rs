//! `develop.watch` rules: a `path` cannot be blank (refused while loading, whatever the
//! profiles), and the actions that copy files (`sync`, `sync+restart`, `sync+exec`) need a
//! `target` in the container (refused by the consistency check, on enabled services).

use super::{at, services};
use crate::compose::{Node, Problem};

fn rules(service: &Node) -> &[Node] {
    at(service, &["develop", "watch"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

pub(super) fn paths(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for rule in rules(service) {
            if let Some(path) = rule.get("path")
                && path.as_str() == Some("")
            {
                problems.push(Problem::error(
                    "watch-path",
                    path.origin.clone(),
                    format!("services.{name}.develop.watch: `path` cannot be blank; name the host path to watch"),
                ));
            }
        }
    }
}

pub(super) fn targets(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for rule in rules(service) {
            let Some(action) = rule.get("action").and_then(Node::as_str) else {
                continue;
            };
            if matches!(action, "rebuild" | "restart") {
                continue;
            }
            if rule
                .get("target")
                .is_none_or(|t| t.is_null() || t.as_str() == Some(""))
            {
                problems.push(Problem::error(
                    "watch-target",
                    rule.get("action").map_or(rule.origin.clone(), |a| a.origin.clone()),
                    format!("services.{name}.develop.watch: action `{action}` needs a `target` (where to copy in the container); Compose refuses it without"),
                ));
            }
        }
    }
}
