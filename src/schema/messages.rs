//! Schema errors in the user's terms: the attribute path, the key or value at fault and what
//! Compose expects there — located at the text to change (a key for unknown keys, the value
//! otherwise). `oneOf` failures are narrowed to the alternative the user evidently meant.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::{Location, LocationSegment};

use super::suggest::closest;
use super::validator::{SCHEMA, VALIDATOR};
use crate::compose::{Node, Problem};

/// Every schema violation of `tree` (a file's own tree), as located problems.
pub(super) fn schema_problems(tree: &Node) -> Vec<Problem> {
    let instance = tree.to_json();
    // Most files are valid: the boolean check is much cheaper than collecting errors.
    if VALIDATOR.is_valid(&instance) {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for error in VALIDATOR.iter_errors(&instance) {
        explain(&error, tree, &mut problems);
    }
    problems.dedup_by(|a, b| a.origin == b.origin && a.message == b.message);
    problems
}

fn segments(location: &Location) -> Vec<String> {
    location
        .iter()
        .map(|s| match s {
            LocationSegment::Property(p) => p.to_string(),
            LocationSegment::Index(i) => i.to_string(),
        })
        .collect()
}

/// `services.web.ports[0]`
fn display_path(segments: &[String], tree: &Node) -> String {
    let mut out = String::new();
    let mut node = Some(tree);
    for segment in segments {
        let is_index = node.is_some_and(|n| n.as_seq().is_some());
        if is_index {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
        node = node.and_then(|n| n.descend([segment]).0.ne(n).then(|| n.descend([segment]).0));
    }
    if out.is_empty() {
        "top level".into()
    } else {
        out
    }
}

fn explain(error: &ValidationError<'_>, tree: &Node, out: &mut Vec<Problem>) {
    let path = segments(error.instance_path());
    let (node, _) = tree.descend(&path);
    let at = display_path(&path, tree);
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for key in unexpected {
                let origin = node
                    .entry(key)
                    .map_or(node.origin.clone(), |e| e.key.clone());
                let allowed = allowed_keys(error.schema_path());
                let hint = closest(key, allowed.iter().map(String::as_str))
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                let message = if key.starts_with("x-") || allowed.is_empty() {
                    format!("{at}: \"{key}\" is not allowed here")
                } else {
                    format!("{at}: unknown key \"{key}\"{hint}")
                };
                out.push(Problem::error("schema", origin, message));
            }
            return;
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            match pick_branch(error, context) {
                Some(branch) => {
                    for inner in branch {
                        explain(inner, tree, out);
                    }
                    return;
                }
                None => format!(
                    "{at} must be {}, not {}",
                    expected_types(context),
                    node.type_name()
                ),
            }
        }
        ValidationErrorKind::Type { kind } => format!(
            "{at} must be {}, not {}",
            type_names(kind),
            node.type_name()
        ),
        ValidationErrorKind::Enum { options } => format!(
            "{at}: {} is not allowed; use one of {}",
            show(error.instance()),
            show_options(options)
        ),
        ValidationErrorKind::Required { property } => {
            format!("{at}: missing required key {property}")
        }
        ValidationErrorKind::Format { format } => format!(
            "{at}: {} is not a valid {}",
            show(error.instance()),
            format_name(format)
        ),
        ValidationErrorKind::Pattern { pattern } => format!(
            "{at}: {} does not match the pattern {pattern}",
            show(error.instance())
        ),
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{at} must be at least {limit}")
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{at} must be at most {limit}")
        }
        ValidationErrorKind::UniqueItems => {
            // Located at the repeated item, naming the first one.
            let items = node.as_seq().unwrap_or_default();
            let repeat = (1..items.len()).find_map(|j| {
                let json = items[j].to_json();
                (0..j).find(|&i| items[i].to_json() == json).map(|i| (i, j))
            });
            if let Some((first, again)) = repeat {
                let message = format!(
                    "{at}[{again}] repeats {at}[{first}] ({}); Compose refuses a repeated item in this list, remove one",
                    show(&items[again].to_json())
                );
                out.push(Problem::error(
                    "schema",
                    items[again].origin.clone(),
                    message,
                ));
                return;
            }
            format!("{at} lists the same item twice")
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            format!("{at} matches more than one allowed form")
        }
        // The remaining keywords are not used by our schema; the library's text will do.
        _ => format!("{at}: {error}"),
    };
    out.push(Problem::error("schema", node.origin.clone(), message));
}

/// The alternative of a `oneOf` the value was evidently meant to be: the only one whose
/// type matches. None when no alternative's type matches (report the expected types).
fn pick_branch<'e>(
    error: &ValidationError<'_>,
    context: &'e [Vec<ValidationError<'static>>],
) -> Option<&'e [ValidationError<'static>]> {
    let here = error.instance_path().as_str();
    let type_mismatch = |branch: &Vec<ValidationError<'static>>| {
        branch.iter().any(|e| {
            e.instance_path().as_str() == here
                && matches!(
                    e.kind(),
                    ValidationErrorKind::Type { .. }
                        | ValidationErrorKind::Enum { .. }
                        | ValidationErrorKind::Constant { .. }
                )
        })
    };
    let candidates: Vec<&Vec<ValidationError<'static>>> = context
        .iter()
        .filter(|b| !type_mismatch(b) && !b.is_empty())
        .collect();
    // Several plausible alternatives: take the one that got furthest into the value.
    candidates
        .into_iter()
        .max_by_key(|b| {
            b.iter()
                .map(|e| e.instance_path().as_str().len())
                .max()
                .unwrap_or(0)
        })
        .map(Vec::as_slice)
}

fn expected_types(context: &[Vec<ValidationError<'static>>]) -> String {
    let mut names: Vec<String> = Vec::new();
    for branch in context {
        for error in branch {
            if let ValidationErrorKind::Type { kind } = error.kind() {
                for name in type_list(kind) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
        }
    }
    join_or(&names)
}

fn type_list(kind: &TypeKind) -> Vec<String> {
    let raw: Vec<String> = match kind {
        TypeKind::Single(t) => vec![t.to_string()],
        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
    };
    raw.iter()
        .map(|t| {
            match t.as_str() {
                "object" => "a mapping",
                "array" => "a list",
                "string" => "a string",
                "number" => "a number",
                "integer" => "an integer",
                "boolean" => "a boolean",
                _ => "null",
            }
            .to_string()
        })
        .collect()
}

fn type_names(kind: &TypeKind) -> String {
    join_or(&type_list(kind))
}

fn join_or(names: &[String]) -> String {
    match names {
        [] => "another type".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn show(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    }
}

fn show_options(options: &serde_json::Value) -> String {
    match options {
        serde_json::Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        other => show(other),
    }
}

fn format_name(format: &str) -> String {
    match format {
        "duration" => "duration (use units like 30s, 1m30s, 500ms)".into(),
        "ports" => "port (use [IP:][HOST:]CONTAINER[/PROTOCOL])".into(),
        "expose" => "port to expose (use PORT[-PORT][/PROTOCOL])".into(),
        other => other.into(),
    }
}

/// The keys the schema object at `schema_path` (an `additionalProperties` keyword) allows.
fn allowed_keys(schema_path: &Location) -> Vec<String> {
    let mut pointer = schema_path.as_str().to_string();
    if let Some(cut) = pointer.rfind('/') {
        pointer.truncate(cut);
    }
    let resolved = resolve_pointer(&pointer);
    resolved
        .and_then(|object| object.get("properties"))
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Follows a schema pointer that may pass through `$ref`s.
fn resolve_pointer(pointer: &str) -> Option<&'static serde_json::Value> {
    let mut node: &'static serde_json::Value = &SCHEMA;
    for segment in pointer.split('/').skip(1) {
        if segment == "$ref" {
            continue;
        }
        node = follow_ref(node);
        let segment = segment.replace("~1", "/").replace("~0", "~");
        node = match node {
            serde_json::Value::Object(map) => map.get(&segment)?,
            serde_json::Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(follow_ref(node))
}

fn follow_ref(node: &'static serde_json::Value) -> &'static serde_json::Value {
    match node
        .get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(target) => SCHEMA.pointer(target).unwrap_or(node),
        None => node,
    }
}
