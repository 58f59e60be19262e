//! Reports: one module per output format. Locations arrive resolved to line:col.

pub mod diff;
pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use crate::pipeline::{FileReport, FixResult};

pub const REDACTED: &str = "<redacted>";

/// How to print.
#[derive(Debug, Clone, Default)]
pub struct Style {
    pub color: bool,
    pub show_secrets: bool,
    pub quiet: bool,
}

/// Every secret value of a file's findings, longest first (so overlapping values redact whole).
pub fn secrets_of(report: &FileReport) -> Vec<String> {
    let mut values: Vec<String> = report
        .findings
        .iter()
        .flat_map(|f| f.redact.iter().cloned())
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

/// Replaces every secret value in `text` unless the user asked to see them.
pub fn redact(text: &str, secrets: &[String], style: &Style) -> String {
    if style.show_secrets {
        return text.to_string();
    }
    secrets
        .iter()
        .fold(text.to_string(), |acc, s| acc.replace(s.as_str(), REDACTED))
}

/// A file's report together with the fix computed for it (for `fix`).
pub struct Entry<'a> {
    pub report: &'a FileReport,
    pub fix: Option<&'a FixResult>,
}
