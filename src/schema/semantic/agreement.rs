//! Attributes Compose accepts in two places must agree, and counts must make sense (its
//! consistency check, on enabled services):
//! - `scale` and `deploy.replicas`; `cpus`, `mem_limit`, `mem_reservation`, `pids_limit`
//!   and their `deploy.resources` twins: once the `deploy` side exists (even without the
//!   value, which then counts as 0), distinct values are refused;
//! - `scale` and `deploy.replicas` cannot be negative;
//! - `container_name` with more than one replica is refused (names must be unique).

use super::{at, services};
use crate::compose::{Node, Problem, Value};
use crate::schema::units::parse_bytes;

/// How Compose reads a value, as a number.
type Reader = fn(&Node) -> Option<f64>;

/// A service attribute, its `deploy` twin (the section that must exist, then the key), the
/// check id, and how Compose reads the value.
const TWINS: &[(&str, &[&str], &str, &str, Reader)] = &[
    (
        "cpus",
        &["deploy", "resources", "limits"],
        "cpus",
        "cpus-conflict",
        number,
    ),
    (
        "mem_limit",
        &["deploy", "resources", "limits"],
        "memory",
        "memory-limit-conflict",
        bytes,
    ),
    (
        "mem_reservation",
        &["deploy", "resources", "reservations"],
        "memory",
        "memory-reservation-conflict",
        bytes,
    ),
    (
        "pids_limit",
        &["deploy", "resources", "limits"],
        "pids",
        "pids-limit-conflict",
        number,
    ),
];

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for (attribute, section, key, rule, read) in TWINS {
            let Some(own) = service.get(attribute) else {
                continue;
            };
            let Some(mine) = read(own).filter(|v| *v != 0.0) else {
                continue;
            };
            let Some(twin) = at(service, section).filter(|s| s.as_map().is_some()) else {
                continue;
            };
            let theirs = twin.get(key).map_or(Some(0.0), read);
            if theirs.is_some_and(|t| t != mine) {
                let deploy = format!("{}.{key}", section.join("."));
                problems.push(Problem::error(
                    rule,
                    own.origin.clone(),
                    format!("services.{name}: `{attribute}` and `{deploy}` have distinct values{}; Compose refuses that — keep one", if twin.get(key).is_none() { format!(" (`{deploy}` is unset, so 0)") } else { String::new() }),
                ));
            }
        }
        replicas(name, service, problems);
    }
}

fn replicas(name: &str, service: &Node, problems: &mut Vec<Problem>) {
    let scale = service.get("scale");
    let replicas = at(service, &["deploy", "replicas"]);
    for (node, attribute) in [(scale, "scale"), (replicas, "deploy.replicas")] {
        if let Some(node) = node
            && number(node).is_some_and(|n| n < 0.0)
        {
            problems.push(Problem::error(
                "negative-replicas",
                node.origin.clone(),
                format!("services.{name}.{attribute}: must be 0 or more"),
            ));
        }
    }
    if let (Some(scale), Some(replicas)) = (scale, replicas)
        && let (Some(a), Some(b)) = (number(scale), number(replicas))
        && a != b
    {
        problems.push(Problem::error(
            "scale-conflict",
            scale.origin.clone(),
            format!("services.{name}: `scale` and `deploy.replicas` have distinct values; Compose refuses that — keep one"),
        ));
    }
    let count = scale.or(replicas).and_then(number).unwrap_or(1.0);
    if count > 1.0
        && let Some(container) = service.entry("container_name")
    {
        let attribute = if scale.is_some() {
            "scale"
        } else {
            "deploy.replicas"
        };
        problems.push(Problem::error(
            "container-name-replicas",
            container.key.clone(),
            format!("services.{name}: `container_name` with {attribute} above 1; container names must be unique, so Compose refuses it — drop `container_name`"),
        ));
    }
}

fn number(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Int(n) => Some(*n as f64),
        Value::Float(x) => Some(*x),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn bytes(node: &Node) -> Option<f64> {
    match &node.value {
        Value::Str(s) => parse_bytes(s).ok().map(|b| b as f64),
        _ => number(node),
    }
}
