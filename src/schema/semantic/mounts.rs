//! Service mounts as Compose builds them:
//! - a long-syntax volume needs a `target`, a `bind` one a `source` (refused while loading,
//!   whatever the profiles);
//! - a path mounted by `tmpfs:` cannot also be the target of a `volumes:` entry (refused by
//!   the consistency check, on enabled services).

use super::{services, volumes};
use crate::compose::{Node, Problem, Value};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for (index, item) in long_volumes(service) {
            if item.get("target").is_none_or(missing) {
                problems.push(Problem::error(
                    "mount-target",
                    item.origin.clone(),
                    format!("services.{name}.volumes[{index}]: missing a mount `target` (the path inside the container); Compose refuses the mount"),
                ));
            }
            if item.get("type").and_then(Node::as_str) == Some("bind")
                && item.get("source").is_none_or(missing)
            {
                problems.push(Problem::error(
                    "bind-source",
                    item.get("source").map_or(item.origin.clone(), |s| s.origin.clone()),
                    format!("services.{name}.volumes[{index}]: a bind mount needs a `source` (the host path); Compose refuses one without it"),
                ));
            }
        }
    }
}

pub(super) fn tmpfs_targets(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        let tmpfs: Vec<String> = match service.get("tmpfs").map(|t| &t.value) {
            Some(Value::Str(path)) => vec![path.clone()],
            Some(Value::Seq(items)) => items.iter().filter_map(Node::scalar_text).collect(),
            _ => Vec::new(),
        };
        if tmpfs.is_empty() {
            continue;
        }
        let tmpfs: Vec<&str> = tmpfs
            .iter()
            .map(|t| t.split_once(':').map_or(t.as_str(), |(path, _)| path))
            .collect();
        for (index, item) in service
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let target = match &item.value {
                Value::Str(spec) => volumes::short_syntax_target(spec),
                Value::Map(_) => item.get("target").and_then(Node::scalar_text),
                _ => None,
            };
            let Some(target) = target else { continue };
            if let Some(at) = tmpfs.iter().position(|t| *t == target) {
                problems.push(Problem::error(
                    "tmpfs-conflict",
                    item.origin.clone(),
                    format!("services.{name}.volumes[{index}]: target {target} is already mounted by services.{name}.tmpfs[{at}]; Compose refuses two mounts on one path — drop one"),
                ));
            }
        }
    }
}

fn long_volumes(service: &Node) -> impl Iterator<Item = (usize, &Node)> {
    service
        .get("volumes")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, item)| item.as_map().is_some())
}

/// An absent or null value. An empty string is fine: Compose resolves a relative path, and
/// `""` is the project directory (a source) or `.` (a target).
fn missing(node: &Node) -> bool {
    node.is_null()
}
