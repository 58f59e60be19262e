//! Service volumes: the short syntax must parse as Compose parses it (no empty section
//! between colons, at most `source:target:options`), and a named volume must be declared
//! under the top-level `volumes:`.

use super::{declared, services};
use crate::compose::{Node, Origin, Problem, Value};

/// Short-syntax volumes that do not parse (every service, as Compose decodes them all).
pub(super) fn syntax(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for item in service
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            if let Value::Str(spec) = &item.value
                && !super::uninterpolated(spec)
                && let Err(reason) = short_syntax_source(spec)
            {
                problems.push(Problem::error(
                    "invalid-volume",
                    item.origin.clone(),
                    format!("service \"{name}\": invalid volume \"{spec}\": {reason}"),
                ));
            }
        }
    }
}

/// Named volumes used by the enabled services must be declared.
pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    let volumes = declared(model, "volumes");
    for (name, service) in services(model) {
        for item in service
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let source = match &item.value {
                Value::Str(spec) if super::uninterpolated(spec) => None,
                Value::Str(spec) => match short_syntax_source(spec) {
                    Ok(source) => source
                        .filter(|s| !is_path(s))
                        .map(|s| (s, item.origin.clone())),
                    // Reported by `syntax`.
                    Err(_) => None,
                },
                Value::Map(_) if item.get("type").and_then(Node::as_str) == Some("volume") => {
                    named_source(item)
                }
                _ => None,
            };
            if let Some((volume, origin)) = source
                && !volumes.contains(&volume)
            {
                problems.push(Problem::error("undefined-volume", origin, format!("service \"{name}\" refers to undefined volume \"{volume}\"; declare it under the top-level `volumes:` (or use ./{volume} for a host path)")));
            }
        }
    }
}

fn named_source(item: &Node) -> Option<(String, Origin)> {
    let source = item.get("source")?;
    let text = source.as_str().filter(|s| !s.is_empty())?;
    Some((text.to_string(), source.origin.clone()))
}

/// The container path of a short-syntax volume.
pub(super) fn short_syntax_target(spec: &str) -> Option<String> {
    let sections = sections(spec);
    match sections.len() {
        1 => sections.into_iter().next(),
        2 | 3 => sections.into_iter().nth(1),
        _ => None,
    }
}

/// The source of a short-syntax volume (None for an anonymous volume), or why it is invalid.
fn short_syntax_source(spec: &str) -> Result<Option<String>, String> {
    if spec.is_empty() {
        return Err("empty volume".into());
    }
    if spec.chars().count() <= 2 {
        return Ok(None);
    }
    let sections = sections(spec);
    if sections.iter().any(String::is_empty) {
        return Err("empty section between colons".into());
    }
    match sections.len() {
        1 => Ok(None),
        2 | 3 => Ok(Some(sections[0].clone())),
        _ => Err("too many colons".into()),
    }
}

/// The colon-separated sections of a short-syntax volume (`C:` is a drive, not a section).
fn sections(spec: &str) -> Vec<String> {
    let mut sections: Vec<String> = Vec::new();
    let mut buffer = String::new();
    for c in spec.chars() {
        // `C:` at the start of a section is a Windows drive, not a separator.
        let drive =
            c == ':' && buffer.len() == 1 && buffer.chars().all(|b| b.is_ascii_alphabetic());
        if c == ':' && !drive {
            sections.push(std::mem::take(&mut buffer));
        } else {
            buffer.push(c);
        }
    }
    sections.push(buffer);
    sections
}

/// Compose reads a source starting with `.`, `/`, `~` (or a drive letter) as a host path.
fn is_path(source: &str) -> bool {
    source.starts_with(['.', '/', '~', '\\'])
        || (source.len() >= 2
            && source.as_bytes()[1] == b':'
            && source.as_bytes()[0].is_ascii_alphabetic())
}
