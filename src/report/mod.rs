//! Reports: one module per output format. Locations arrive resolved to line:col.

pub mod diff;
pub mod fix_hunks;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod rdjson;
pub mod sarif;
pub mod statistics;
pub mod text;

use crate::outcome::{FileReport, FixOutcome};

pub use crate::secrets::redact::{REDACTED, Redactor};

/// How to print.
#[derive(Debug, Clone, Default)]
pub struct Style {
    pub color: bool,
    pub show_secrets: bool,
    pub quiet: bool,
}

/// Every literal secret of a file, whichever rules ran: the values findings carry, and the
/// literal secrets the classifier finds in the file's `environment:` entries (so `--select`
/// or `--ignore env-secrets` never turns redaction off).
pub fn secrets_of(report: &FileReport) -> Redactor {
    let values = report
        .findings
        .iter()
        .flat_map(|f| f.redact.iter().cloned());
    let environment = report
        .source
        .as_deref()
        .map(|s| environment_entries(&s.document))
        .unwrap_or_default();
    Redactor::new(
        values,
        environment.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// (key, value) of every `environment:` entry of every service, through merge keys.
fn environment_entries(doc: &crate::document::Document) -> Vec<(String, String)> {
    use crate::rules::merge;
    let Some(services) = doc.root().and_then(|r| merge::get(r, "services")) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    for (_, service) in merge::entries(services) {
        let Some(environment) = merge::get(service, "environment") else {
            continue;
        };
        if environment.is_mapping() {
            entries.extend(
                merge::entries(environment)
                    .into_iter()
                    .filter_map(|(k, v)| Some((k, v.as_str()?.to_string()))),
            );
        } else {
            entries.extend(
                merge::strings(Some(environment))
                    .into_iter()
                    .filter_map(|item| {
                        let (k, v) = item.split_once('=')?;
                        Some((k.to_string(), v.to_string()))
                    }),
            );
        }
    }
    entries
}

/// Replaces every secret value in `text` unless the user asked to see them.
pub fn redact(text: &str, secrets: &Redactor, style: &Style) -> String {
    if style.show_secrets {
        return text.to_string();
    }
    secrets.redact(text).into_owned()
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
