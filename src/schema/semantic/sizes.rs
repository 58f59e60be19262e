//! Byte sizes (`mem_limit`, `shm_size`, ...) must parse as Compose parses them, and
//! `mem_limit` may not disagree with `deploy.resources.limits.memory` (Compose refuses both).

use super::services;
use crate::compose::{Node, Problem, Value};
use crate::schema::units::parse_bytes;

/// Service attributes holding a byte size.
const SIZES: &[&[&str]] = &[
    &["mem_limit"],
    &["mem_reservation"],
    &["memswap_limit"],
    &["shm_size"],
    &["build", "shm_size"],
    &["deploy", "resources", "limits", "memory"],
    &["deploy", "resources", "reservations", "memory"],
];

pub fn check(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for path in SIZES {
            let Some(node) = path.iter().try_fold(service, |n, k| n.get(k)) else {
                continue;
            };
            if let Value::Str(text) = &node.value
                && !super::uninterpolated(text)
                && let Err(reason) = parse_bytes(text)
            {
                problems.push(Problem::error(
                    "invalid-size",
                    node.origin.clone(),
                    format!(
                        "services.{name}.{}: {reason} (use a size like 512m or 2g)",
                        path.join(".")
                    ),
                ));
            }
        }
        for item in service
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Some(size) = item.get("tmpfs").and_then(|t| t.get("size"))
                && let Some(Err(reason)) = size.as_str().map(parse_bytes)
            {
                problems.push(Problem::error(
                    "invalid-size",
                    size.origin.clone(),
                    format!("services.{name}.volumes: tmpfs size {reason}"),
                ));
            }
        }
        memory_agreement(name, service, problems);
    }
}

fn bytes(node: &Node) -> Option<i64> {
    match &node.value {
        Value::Int(n) => Some(*n),
        Value::Float(x) => Some(*x as i64),
        Value::Str(s) => parse_bytes(s).ok(),
        _ => None,
    }
}

fn memory_agreement(name: &str, service: &Node, problems: &mut Vec<Problem>) {
    let Some(limit) = service.get("mem_limit") else {
        return;
    };
    let Some(deploy) = ["deploy", "resources", "limits", "memory"]
        .iter()
        .try_fold(service, |n, k| n.get(k))
    else {
        return;
    };
    if let (Some(a), Some(b)) = (bytes(limit), bytes(deploy))
        && a != b
    {
        problems.push(Problem::error("memory-limit-conflict", limit.origin.clone(), format!("service \"{name}\": `mem_limit` disagrees with `deploy.resources.limits.memory`; Compose refuses distinct values — keep one")));
    }
}
