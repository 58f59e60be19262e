//! Suppressions: `# shipshape: ignore[rule-id] reason` comments on a line or on a service,
//! and `ignores:` entries of the config file (each with a required reason).

use crate::config::{Config, IgnoreEntry};
use crate::document::{Path, Segment};
use crate::finding::{Finding, Location};
use crate::outcome::Position;
use crate::source::Source;

const MARKER: &str = "shipshape: ignore[";

/// The reason a finding is suppressed, if it is.
/// `finding` still has its symbolic location; `at` is where it resolved to.
pub fn reason(finding: &Finding, at: Position, source: &Source, config: &Config) -> Option<String> {
    reason_with(finding, at, source, config, has_markers(source))
}

/// Whether the file has any suppression comment (computed once per file by callers that
/// judge many findings: see [`reason_with`]).
pub fn has_markers(source: &Source) -> bool {
    source.document.text().contains(MARKER)
}

/// [`reason`], told whether the file has suppression comments at all.
pub fn reason_with(
    finding: &Finding,
    at: Position,
    source: &Source,
    config: &Config,
    markers: bool,
) -> Option<String> {
    markers
        .then(|| inline(finding, at, source))
        .flatten()
        .or_else(|| configured(finding, source, config))
}

fn service_of(location: &Location) -> Option<String> {
    let path: &Path = match location {
        Location::Node(p) | Location::Key(p) => p,
        _ => return None,
    };
    match path.segments() {
        [Segment::Key(s), Segment::Key(name), ..] if s == "services" => Some(name.clone()),
        _ => None,
    }
}

/// Parses `shipshape: ignore[a, b] reason` from a comment; returns (rules, reason).
fn parse_comment(comment: &str) -> Option<(Vec<String>, String)> {
    let start = comment.find(MARKER)? + MARKER.len();
    let rest = &comment[start..];
    let close = rest.find(']')?;
    let rules = rest[..close]
        .split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    let reason = rest[close + 1..].trim().to_string();
    Some((
        rules,
        if reason.is_empty() {
            "suppressed by comment".into()
        } else {
            reason
        },
    ))
}

fn inline(finding: &Finding, at: Position, source: &Source) -> Option<String> {
    let doc = &source.document;
    let mut lines = vec![at.line];
    // A comment on a service's key line (or the line above it) covers the whole service.
    if let Some(service) = service_of(&finding.location) {
        let key_path = Path::root().key("services").key(service);
        if let Some(key) = doc.lookup(&key_path).and_then(|n| n.key_node()) {
            lines.push(key.location().0);
        }
    }
    for (range, text) in doc.comments() {
        if !text.contains(MARKER) {
            continue;
        }
        let (line, _) = doc.line_col(range.start);
        let applies = lines.iter().any(|&l| line == l || line + 1 == l);
        if !applies {
            continue;
        }
        if let Some((rules, reason)) = parse_comment(text)
            && rules.iter().any(|r| r == &finding.rule || r == "all")
        {
            return Some(reason);
        }
    }
    None
}

fn configured(finding: &Finding, source: &Source, config: &Config) -> Option<String> {
    let base = config.base_dir();
    let relative = source
        .path
        .strip_prefix(&base)
        .unwrap_or(&source.path)
        .to_string_lossy()
        .replace('\\', "/");
    let service = service_of(&finding.location);
    config
        .ignores
        .iter()
        .find(|entry| matches(entry, &relative, service.as_deref(), &finding.rule))
        .map(|e| e.reason.clone())
}

fn matches(entry: &IgnoreEntry, file: &str, service: Option<&str>, rule: &str) -> bool {
    let file_ok = entry.file.as_deref().is_none_or(|glob| {
        glob_match::glob_match(glob, file) || glob_match::glob_match(&format!("**/{glob}"), file)
    });
    let service_ok = entry.service.as_deref().is_none_or(|s| service == Some(s));
    let rule_ok = entry.rule.as_deref().is_none_or(|r| r == rule);
    file_ok && service_ok && rule_ok
}

#[cfg(test)]
mod tests {
    use super::parse_comment;

    #[test]
    fn parses_suppression_comments() {
        assert_eq!(
            parse_comment(" shipshape: ignore[healthcheck] sidecar has none").unwrap(),
            (
                vec!["healthcheck".to_string()],
                "sidecar has none".to_string()
            )
        );
        assert_eq!(
            parse_comment("shipshape: ignore[a, b]").unwrap().0,
            vec!["a".to_string(), "b".to_string()]
        );
        assert!(parse_comment(" plain comment").is_none());
    }
}
