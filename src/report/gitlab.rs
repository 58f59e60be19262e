//! GitLab Code Quality JSON: an array of issues (`description`, `check_name`, `fingerprint`,
//! `severity`, `location.path`, `location.lines.begin`), for `artifacts:reports:codequality`.
//!
//! Promises: a fingerprint is stable across runs and line moves — a hash of the path, the
//! rule, the redacted message and how many identical issues came before it in the file — and
//! unique within a report (GitLab shows only the first issue of a fingerprint). Severities map
//! info → `info`, warning → `minor`, error → `major`; a file that cannot be read at all is
//! `critical`. Refuses: suppressed findings (GitLab has no place for them) and secrets in any
//! field, fingerprints included (`--show-secrets` does not reach the hash).

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Entry, Style, redact, secrets_of};
use crate::finding::Severity;

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let hidden = Style {
        show_secrets: false,
        ..style.clone()
    };
    let mut issues = Vec::new();
    for entry in entries {
        let secrets = secrets_of(entry.report);
        let path = entry.report.path.display().to_string().replace('\\', "/");
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut fingerprint = |rule: &str, message: &str| {
            let key = format!("{path}\0{rule}\0{message}");
            let n = seen.entry(key.clone()).or_default();
            *n += 1;
            let digest = Sha256::digest(format!("{key}\0{n}").as_bytes());
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        if let Some(error) = &entry.report.error {
            let message = error.to_string();
            let id = fingerprint("load-error", &message);
            issues.push(issue(&message, "load-error", id, "critical", &path, 1));
        }
        for finding in entry
            .report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
        {
            let id = fingerprint(&finding.rule, &redact(&finding.message, &secrets, &hidden));
            let message = redact(&finding.message, &secrets, style);
            let severity = match finding.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
                Severity::Info => "info",
            };
            issues.push(issue(
                &message,
                &finding.rule,
                id,
                severity,
                &path,
                finding.at.line,
            ));
        }
        for (rule, why) in super::not_fixed(entry) {
            let id = fingerprint(rule, &redact(&why, &secrets, &hidden));
            let message = redact(&why, &secrets, style);
            issues.push(issue(&message, rule, id, "major", &path, 1));
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Array(issues)).unwrap_or_default();
    text.push('\n');
    text
}

fn issue(
    description: &str,
    rule: &str,
    fingerprint: String,
    severity: &str,
    path: &str,
    line: usize,
) -> Value {
    json!({
        "description": format!("[{rule}] {description}"),
        "check_name": rule,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {"path": path, "lines": {"begin": line}},
    })
}
