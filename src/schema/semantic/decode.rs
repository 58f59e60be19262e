//! Values the schema allows but Compose's decoder refuses when it reads the model into its
//! types (after interpolation and its casts): a negative number where it wants an unsigned
//! one, a string where it wants a number, a size or a CPU count it cannot parse, a
//! fractional number where it wants a string or an integer. Checked on every service, as
//! Compose decodes every service whatever its profiles.

use super::services;
use crate::compose::{Node, Problem, Value};
use crate::schema::units::parse_bytes;

/// How Compose decodes the value at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decode {
    /// An unsigned integer reached through a cast: strings were cast already, a negative
    /// number overflows.
    Unsigned,
    /// An unsigned integer without a cast: a string is refused too.
    UnsignedNoString,
    /// A byte size (`UnitBytes`).
    Size,
    /// A string must parse as a float (`NanoCPUs`).
    FloatText,
    /// A string must parse as an integer.
    IntText,
    /// A string or an integer, never a fractional number.
    NoFraction,
    /// A string (an integer is converted), never a fractional number or a boolean.
    Text,
    /// A file mode: never a fractional number (strings are cast as octal digits).
    Mode,
}

/// What Compose refuses already while loading the model (so also with `--no-interpolate`).
const LOADED: &[(&[&str], Decode)] = &[
    (&["expose", "*"], Decode::NoFraction),
    (&["ulimits", "*"], Decode::NoFraction),
    (&["ulimits", "*", "soft"], Decode::NoFraction),
    (&["ulimits", "*", "hard"], Decode::NoFraction),
];

/// Service attribute paths (`*`: any list item or mapping value) and how they decode.
const DECODED: &[(&[&str], Decode)] = &[
    (&["healthcheck", "retries"], Decode::Unsigned),
    (
        &["deploy", "restart_policy", "max_attempts"],
        Decode::Unsigned,
    ),
    (
        &["deploy", "update_config", "parallelism"],
        Decode::Unsigned,
    ),
    (
        &["deploy", "rollback_config", "parallelism"],
        Decode::Unsigned,
    ),
    (
        &["deploy", "placement", "max_replicas_per_node"],
        Decode::Unsigned,
    ),
    (&["blkio_config", "weight"], Decode::UnsignedNoString),
    (
        &["blkio_config", "weight_device", "*", "weight"],
        Decode::UnsignedNoString,
    ),
    (&["volumes", "*", "tmpfs", "mode"], Decode::UnsignedNoString),
    (&["mem_swappiness"], Decode::Size),
    (
        &["blkio_config", "device_read_bps", "*", "rate"],
        Decode::Size,
    ),
    (
        &["blkio_config", "device_read_iops", "*", "rate"],
        Decode::Size,
    ),
    (
        &["blkio_config", "device_write_bps", "*", "rate"],
        Decode::Size,
    ),
    (
        &["blkio_config", "device_write_iops", "*", "rate"],
        Decode::Size,
    ),
    (
        &["deploy", "resources", "limits", "cpus"],
        Decode::FloatText,
    ),
    (
        &["deploy", "resources", "reservations", "cpus"],
        Decode::FloatText,
    ),
    (&["deploy", "resources", "limits", "pids"], Decode::IntText),
    (&["ports", "*", "published"], Decode::NoFraction),
    (&["group_add", "*"], Decode::NoFraction),
    (&["storage_opt", "*"], Decode::Text),
    (&["secrets", "*", "mode"], Decode::Mode),
    (&["configs", "*", "mode"], Decode::Mode),
];

/// What Compose refuses while loading the model.
pub(super) fn loading(model: &Node, problems: &mut Vec<Problem>) {
    refuse(model, LOADED, problems);
}

/// What Compose refuses when it decodes the project.
pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    refuse(model, DECODED, problems);
}

fn refuse(model: &Node, table: &[(&[&str], Decode)], problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for (path, decode) in table {
            let mut found = Vec::new();
            nodes_at(service, path, &mut format!("services.{name}"), &mut found);
            for (at, node) in found {
                if let Some(reason) = refusal(node, *decode) {
                    let rule = if *decode == Decode::Size {
                        "invalid-size"
                    } else {
                        "schema"
                    };
                    problems.push(Problem::error(
                        rule,
                        node.origin.clone(),
                        format!("{at}: {reason}"),
                    ));
                }
            }
        }
    }
}

/// The nodes at `path` under `node`, with their attribute paths.
fn nodes_at<'n>(node: &'n Node, path: &[&str], at: &mut String, out: &mut Vec<(String, &'n Node)>) {
    let Some((first, rest)) = path.split_first() else {
        out.push((at.clone(), node));
        return;
    };
    let len = at.len();
    if *first == "*" {
        match &node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    at.push_str(&format!("[{i}]"));
                    nodes_at(item, rest, at, out);
                    at.truncate(len);
                }
            }
            Value::Map(entries) => {
                for (key, entry) in entries {
                    at.push_str(&format!(".{key}"));
                    nodes_at(&entry.node, rest, at, out);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    } else if let Some(child) = node.get(first) {
        at.push_str(&format!(".{first}"));
        nodes_at(child, rest, at, out);
        at.truncate(len);
    }
}

/// Why Compose's decoder refuses `node`, if it does.
fn refusal(node: &Node, decode: Decode) -> Option<String> {
    if let Value::Str(text) = &node.value
        && super::uninterpolated(text)
    {
        return None;
    }
    match (decode, &node.value) {
        (Decode::Unsigned | Decode::UnsignedNoString, Value::Int(n)) if *n < 0 => Some(format!(
            "{n} is negative; Compose reads an unsigned number here"
        )),
        (Decode::UnsignedNoString, Value::Str(text)) => Some(format!(
            "\"{text}\" is a string; Compose wants an unquoted non-negative integer here"
        )),
        (Decode::Size, Value::Str(text)) => parse_bytes(text)
            .err()
            .map(|reason| format!("{reason} (use a size like 512m or 2g)")),
        (Decode::FloatText, Value::Str(text)) if text.parse::<f64>().is_err() => Some(format!(
            "\"{text}\" is not a number of CPUs (use a number like 0.5)"
        )),
        (Decode::IntText, Value::Str(text)) if text.parse::<i64>().is_err() => {
            Some(format!("\"{text}\" is not an integer"))
        }
        (Decode::NoFraction | Decode::Text | Decode::Mode, Value::Float(x)) => Some(format!(
            "{x} is a fractional number; Compose wants an integer or a string here"
        )),
        (Decode::Text, Value::Bool(b)) => Some(format!(
            "{b} is a boolean; Compose wants a string here (quote it: \"{b}\")"
        )),
        _ => None,
    }
}
