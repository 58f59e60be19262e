//! Suppressions: `# shipshape: ignore[rule-id] reason` comments on a line or on a service,
//! and `ignores:` entries of the config file (each with a required reason).

use crate::config::{Config, IgnoreEntry};
use crate::document::Path;
use crate::finding::{Finding, Location, Severity};
use crate::outcome::Position;
use crate::source::Source;

const MARKER: &str = "shipshape: ignore[";

/// The id of the finding for a suppression comment that names an unknown rule.
pub const UNKNOWN_RULE_IN_COMMENT: &str = "unknown-suppression";

/// What suppresses findings in one file: its comments and its config's `ignores:`.
/// Built once per file; judging a finding is then cheap.
pub struct Suppressions<'a> {
    source: &'a Source,
    config: &'a Config,
    /// Whether the file has any suppression comment at all.
    markers: bool,
    /// The file's path relative to the config file (what `ignores:` globs match); only
    /// worked out (system calls) when the config has `ignores:`.
    relative: String,
}

impl<'a> Suppressions<'a> {
    pub fn for_file(source: &'a Source, config: &'a Config) -> Suppressions<'a> {
        Suppressions {
            source,
            config,
            markers: source.document.text().contains(MARKER),
            relative: if config.ignores.is_empty() {
                String::new()
            } else {
                config.relative_path(&source.path)
            },
        }
    }

    /// The reason a finding is suppressed, if it is. `finding` still has its symbolic
    /// location; `at` is where it resolved to.
    pub fn reason(&self, finding: &Finding, at: Position) -> Option<String> {
        self.markers
            .then(|| inline(finding, at, self.source))
            .flatten()
            .or_else(|| configured(finding, &self.relative, self.config))
    }

    /// A finding for each id in a suppression comment that is not one of `known` (a typo
    /// would otherwise suppress nothing, silently), with the closest known id.
    pub fn unknown_ids(&self, known: &[&str]) -> Vec<Finding> {
        if !self.markers {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for (range, text) in self.source.document.comments() {
            let Some((rules, _)) = parse_comment(text) else {
                continue;
            };
            for id in rules {
                if id == "all" || known.contains(&id.as_str()) {
                    continue;
                }
                let hint = crate::schema::suggest::closest(&id, known.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                findings.push(Finding::new(
                    UNKNOWN_RULE_IN_COMMENT,
                    Severity::Warning,
                    &self.source.path,
                    Location::Span(range.clone()),
                    format!(
                        "`# shipshape: ignore[...]` names an unknown rule `{id}`{hint}: it suppresses nothing"
                    ),
                ));
            }
        }
        findings
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
    if let Some(service) = finding.location.service() {
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

fn configured(finding: &Finding, relative: &str, config: &Config) -> Option<String> {
    let service = finding.location.service();
    config
        .ignores
        .iter()
        .find(|entry| matches(entry, relative, service, &finding.rule))
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
