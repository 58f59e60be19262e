//! Byte sizes (`mem_limit`, `shm_size`, ...) must parse as Compose parses them (Compose
//! refuses one that does not). Agreement with `deploy` is in `agreement`.

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

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
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
    }
}
