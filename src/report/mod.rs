//! Reports: one module per output format. Locations arrive resolved to line:col.

pub mod diff;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::outcome::{FileReport, FixOutcome};

pub const REDACTED: &str = "<redacted>";

/// How to print.
#[derive(Debug, Clone, Default)]
pub struct Style {
    pub color: bool,
    pub show_secrets: bool,
    pub quiet: bool,
}

/// The secret values of one file, matched in one pass over a text (a file with thousands of
/// secrets and thousands of findings would otherwise be quadratic).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first (so overlapping values redact whole).
    values: Vec<String>,
    matcher: Option<aho_corasick::AhoCorasick>,
}

impl Secrets {
    pub fn new(mut values: Vec<String>) -> Secrets {
        values.retain(|v| !v.is_empty());
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        let matcher = (!values.is_empty())
            .then(|| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&values)
                    .ok()
            })
            .flatten();
        Secrets { values, matcher }
    }

    /// Whether `text` shows any secret.
    pub fn found_in(&self, text: &str) -> bool {
        match &self.matcher {
            Some(m) => m.is_match(text),
            None => self.values.iter().any(|s| text.contains(s.as_str())),
        }
    }

    fn replace_in(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) => {
                let mut out = String::with_capacity(text.len());
                m.replace_all_with(text, &mut out, |_, _, dst| {
                    dst.push_str(REDACTED);
                    true
                });
                out
            }
            None => self
                .values
                .iter()
                .fold(text.to_string(), |acc, s| acc.replace(s.as_str(), REDACTED)),
        }
    }
}

impl std::ops::Deref for Secrets {
    type Target = [String];

    fn deref(&self) -> &[String] {
        &self.values
    }
}

/// Every secret value of a file's findings.
pub fn secrets_of(report: &FileReport) -> Secrets {
    Secrets::new(
        report
            .findings
            .iter()
            .flat_map(|f| f.redact.iter().cloned())
            .collect(),
    )
}

/// Replaces every secret value in `text` unless the user asked to see them.
pub fn redact(text: &str, secrets: &Secrets, style: &Style) -> String {
    if style.show_secrets || secrets.is_empty() {
        return text.to_string();
    }
    secrets.replace_in(text)
}

/// Fixes the run was asked for but could not make, as (rule id, message): a file Compose
/// rejects (`fix-blocked`), and each refused fix with the engine's or the disk's reason.
pub fn not_fixed<'e>(entry: &Entry<'e>) -> Vec<(&'e str, String)> {
    let Some(fix) = entry.fix else {
        return Vec::new();
    };
    let blocked = fix.blocked.iter().map(|b| ("fix-blocked", b.clone()));
    let refused = fix.refused.iter().map(|r| {
        (
            r.rule.as_str(),
            format!("fix not applied ({}): {}", r.title, r.reason),
        )
    });
    blocked.chain(refused).collect()
}

/// A file's report together with the fix computed for it (for `fix`).
pub struct Entry<'a> {
    pub report: &'a FileReport,
    pub fix: Option<&'a FixOutcome>,
}
