//! Interpolation of a whole file's tree as Compose does it by default, then the casts
//! Compose applies to known attributes (`read_only: "yes"` becomes a boolean, `cpus: "0.5"`
//! a number) — so the schema judges what Compose judges.
//!
//! Promises: every unset variable is a warning at the variable's text; `${VAR:?msg}` unset
//! and malformed templates are errors at the variable; a value that cannot be cast is an
//! error at the value. Keys are never interpolated (Compose does not either).

use super::files::Files;
use super::problem::Problem;
use super::template::{self, Lookup, TemplateError};
use super::tree::{Node, Origin, Value};

/// How Compose converts an interpolated string at a given attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cast {
    Int,
    Float,
    Bool,
    /// A file mode: octal digits.
    Octal,
    /// Durations and byte sizes stay strings; they are checked later.
    Keep,
}

/// Attribute paths Compose casts (`*` matches any key or index).
const CASTS: &[(&[&str], Cast)] = &[
    (&["services", "*", "configs", "*", "mode"], Cast::Octal),
    (&["services", "*", "secrets", "*", "mode"], Cast::Octal),
    // Booleans Compose decodes with the same reading as its casts.
    (&["services", "*", "attach"], Cast::Bool),
    (&["services", "*", "depends_on", "*", "restart"], Cast::Bool),
    (
        &["services", "*", "post_start", "*", "privileged"],
        Cast::Bool,
    ),
    (
        &["services", "*", "pre_stop", "*", "privileged"],
        Cast::Bool,
    ),
    (&["services", "*", "env_file", "*", "required"], Cast::Bool),
    (&["services", "*", "build", "no_cache"], Cast::Bool),
    (&["services", "*", "build", "pull"], Cast::Bool),
    (&["services", "*", "build", "privileged"], Cast::Bool),
    (
        &["services", "*", "volumes", "*", "bind", "create_host_path"],
        Cast::Bool,
    ),
    (&["services", "*", "cpu_count"], Cast::Int),
    (&["services", "*", "cpu_percent"], Cast::Float),
    (&["services", "*", "cpu_period"], Cast::Int),
    (&["services", "*", "cpu_quota"], Cast::Int),
    (&["services", "*", "cpu_rt_period"], Cast::Int),
    (&["services", "*", "cpu_rt_runtime"], Cast::Int),
    (&["services", "*", "cpus"], Cast::Float),
    (&["services", "*", "cpu_shares"], Cast::Int),
    (&["services", "*", "init"], Cast::Bool),
    (&["services", "*", "deploy", "replicas"], Cast::Int),
    (
        &["services", "*", "deploy", "update_config", "parallelism"],
        Cast::Int,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "update_config",
            "max_failure_ratio",
        ],
        Cast::Float,
    ),
    (
        &["services", "*", "deploy", "rollback_config", "parallelism"],
        Cast::Int,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "rollback_config",
            "max_failure_ratio",
        ],
        Cast::Float,
    ),
    (
        &["services", "*", "deploy", "restart_policy", "max_attempts"],
        Cast::Int,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "placement",
            "max_replicas_per_node",
        ],
        Cast::Int,
    ),
    (&["services", "*", "healthcheck", "retries"], Cast::Int),
    (&["services", "*", "healthcheck", "disable"], Cast::Bool),
    (&["services", "*", "oom_kill_disable"], Cast::Bool),
    (&["services", "*", "oom_score_adj"], Cast::Int),
    (&["services", "*", "pids_limit"], Cast::Int),
    (&["services", "*", "ports", "*", "target"], Cast::Int),
    (&["services", "*", "privileged"], Cast::Bool),
    (&["services", "*", "read_only"], Cast::Bool),
    (&["services", "*", "scale"], Cast::Int),
    (&["services", "*", "stdin_open"], Cast::Bool),
    (&["services", "*", "tty"], Cast::Bool),
    (&["services", "*", "ulimits", "*"], Cast::Int),
    (&["services", "*", "ulimits", "*", "hard"], Cast::Int),
    (&["services", "*", "ulimits", "*", "soft"], Cast::Int),
    (&["services", "*", "volumes", "*", "read_only"], Cast::Bool),
    (
        &["services", "*", "volumes", "*", "volume", "nocopy"],
        Cast::Bool,
    ),
    (&["services", "*", "shm_size"], Cast::Keep),
    (&["networks", "*", "external"], Cast::Bool),
    (&["networks", "*", "internal"], Cast::Bool),
    (&["networks", "*", "attachable"], Cast::Bool),
    (&["networks", "*", "enable_ipv4"], Cast::Bool),
    (&["networks", "*", "enable_ipv6"], Cast::Bool),
    (&["volumes", "*", "external"], Cast::Bool),
    (&["secrets", "*", "external"], Cast::Bool),
    (&["configs", "*", "external"], Cast::Bool),
];

/// Interpolates `node` in place (when `interpolate`), then applies Compose's casts.
pub(super) fn interpolate(
    node: &mut Node,
    env: &dyn Lookup,
    interpolate: bool,
    files: &Files,
    problems: &mut Vec<Problem>,
) {
    let mut path = AttrPath::default();
    let mut walker = Walker {
        env,
        interpolate,
        files,
        problems,
    };
    walker.walk(node, &mut path);
}

struct Walker<'a> {
    env: &'a dyn Lookup,
    interpolate: bool,
    files: &'a Files,
    problems: &'a mut Vec<Problem>,
}

impl Walker<'_> {
    fn walk(&mut self, node: &mut Node, path: &mut AttrPath) {
        match &mut node.value {
            Value::Str(text) if self.interpolate && template::has_variables(text) => {
                if let Some(value) = self.substitute(text, &node.origin, path) {
                    *text = value;
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    path.push_index(i);
                    self.walk(item, path);
                    path.pop();
                }
                return;
            }
            Value::Map(entries) => {
                for (key, entry) in entries.iter_mut() {
                    path.push(key);
                    self.walk(&mut entry.node, path);
                    path.pop();
                }
                return;
            }
            _ => {}
        }
        if self.interpolate {
            self.cast(node, path);
        }
    }

    fn substitute(&mut self, text: &str, origin: &Origin, path: &AttrPath) -> Option<String> {
        match template::substitute(text, self.env) {
            Ok(done) => {
                for (name, _) in &done.unset {
                    let at = self.variable_origin(origin, name);
                    self.problems.push(Problem::warning(
                        "unset-variable",
                        at,
                        format!(
                            "variable \"{name}\" is not set; Compose substitutes an empty string"
                        ),
                    ));
                }
                Some(done.value)
            }
            Err(TemplateError::Required { name, message, .. }) => {
                let at = self.variable_origin(origin, &name);
                let reason = if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                };
                self.problems.push(Problem::error(
                    "interpolation",
                    at,
                    format!(
                        "{}: required variable \"{name}\" is missing a value{reason}",
                        path.display()
                    ),
                ));
                None
            }
            Err(TemplateError::Invalid { text: bad, .. }) => {
                let at = self.files.narrow(origin, &bad);
                self.problems.push(Problem::error("interpolation", at, format!("{}: invalid interpolation format \"{bad}\" (use ${{VAR}}, or $$ for a literal $)", path.display())));
                None
            }
        }
    }

    /// The `${NAME` or `$NAME` text inside the scalar, else the scalar.
    fn variable_origin(&self, origin: &Origin, name: &str) -> Origin {
        let braced = format!("${{{name}");
        let narrowed = self.files.narrow(origin, &braced);
        if narrowed != *origin {
            return narrowed;
        }
        self.files.narrow(origin, &format!("${name}"))
    }

    fn cast(&mut self, node: &mut Node, path: &AttrPath) {
        let Value::Str(text) = &node.value else {
            return;
        };
        let Some(cast) = cast_for(path) else { return };
        let cast_value = match cast {
            Cast::Int => text
                .trim_start_matches('+')
                .parse::<i64>()
                .ok()
                .filter(|_| !text.starts_with("+-"))
                .map(Value::Int)
                .ok_or("an integer"),
            Cast::Float => go_float(text).map(Value::Float).ok_or("a number"),
            Cast::Bool => go_bool(text)
                .map(Value::Bool)
                .ok_or("a boolean (true/false, yes/no, on/off)"),
            Cast::Octal => i64::from_str_radix(text, 8)
                .ok()
                .filter(|_| !text.starts_with(['+', '-']))
                .map(Value::Int)
                .ok_or("an octal file mode (digits 0-7, like \"0440\")"),
            Cast::Keep => return,
        };
        match cast_value {
            Ok(value) => node.value = value,
            Err(expected) => {
                let message = format!("{}: \"{text}\" is not {expected}", path.display());
                self.problems
                    .push(Problem::error("schema", node.origin.clone(), message));
            }
        }
    }
}

fn cast_for(path: &AttrPath) -> Option<Cast> {
    // Runs for every string of every file: collect the segments once, reject most paths
    // on their depth and first segment before trying the patterns.
    const MAX_DEPTH: usize = 6;
    let depth = path.depth();
    if !(2..=MAX_DEPTH).contains(&depth) {
        return None;
    }
    let mut segments = [""; MAX_DEPTH];
    for (slot, segment) in segments.iter_mut().zip(path.segments()) {
        *slot = segment;
    }
    let segments = &segments[..depth];
    if !matches!(
        segments[0],
        "services" | "networks" | "volumes" | "secrets" | "configs"
    ) {
        return None;
    }
    CASTS
        .iter()
        .find(|(pattern, _)| {
            pattern.len() == depth
                && pattern
                    .iter()
                    .zip(segments)
                    .all(|(p, s)| *p == "*" || p == s)
        })
        .map(|(_, cast)| *cast)
}

/// The attribute path being walked, kept in one buffer: pushing a segment per node must not
/// allocate (interpolation visits every node of every file).
#[derive(Default)]
struct AttrPath {
    /// Segments, each followed by a NUL (keys may contain dots).
    text: String,
    ends: Vec<usize>,
}

impl AttrPath {
    fn push(&mut self, segment: &str) {
        self.text.push_str(segment);
        self.text.push('\0');
        self.ends.push(self.text.len());
    }

    fn push_index(&mut self, index: usize) {
        use std::fmt::Write;
        let _ = write!(self.text, "{index}\0");
        self.ends.push(self.text.len());
    }

    fn pop(&mut self) {
        self.ends.pop();
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    fn depth(&self) -> usize {
        self.ends.len()
    }

    fn segments(&self) -> impl Iterator<Item = &str> {
        self.text.split_terminator('\0')
    }

    /// `services.web.ports.0`
    fn display(&self) -> String {
        self.segments().collect::<Vec<_>>().join(".")
    }
}

/// Booleans as Compose's caster reads them.
fn go_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "on" => Some(true),
        "n" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

fn go_float(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => return text.parse().ok(),
        _ => {}
    }
    if text.is_empty()
        || !text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-' | '_'))
    {
        return None;
    }
    text.parse().ok()
}
