//! SARIF 2.1.0, with each fix as `artifactChanges` (accepted by GitHub code scanning).

use serde_json::{Value, json};

use super::fix_hunks::{FixBudget, hunks};
use super::{Entry, Style, redact, secrets_of};
use crate::finding::{Finding, Severity};
use crate::outcome::Reported;
use crate::source::Source;

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut results = Vec::new();
    for entry in entries {
        let secrets = secrets_of(entry.report);
        let uri = entry.report.path.display().to_string().replace('\\', "/");
        // Each fix is applied and verified alone against the whole file: bound the work so
        // that a file with thousands of findings stays linear.
        let mut budget = FixBudget::for_file(entry.report.source.as_deref());
        for finding in &entry.report.findings {
            if !rules.iter().any(|r| r["id"] == finding.rule) {
                rules.push(rule_descriptor(&finding.rule));
            }
            let mut omitted = false;
            let mut fixes = match (&finding.fix, &entry.report.source) {
                (Some(_), Some(source)) if budget.take() => artifact_changes(finding, source, &uri),
                (Some(_), Some(_)) => {
                    omitted = true;
                    Vec::new()
                }
                _ => Vec::new(),
            };
            // A fix whose new text would show a secret is left out rather than redacted,
            // since a redacted replacement would be wrong if applied.
            if !style.show_secrets {
                fixes.retain(|fix| !secrets.redacts_anything_in(&fix.to_string()));
            }
            let mut value = result(
                finding,
                &uri,
                &redact(&finding.message, &secrets, style),
                fixes,
            );
            if omitted {
                value["properties"] = json!({"fixOmitted": budget.omitted_note()});
            }
            results.push(value);
        }
        for (rule, why) in super::not_fixed(entry) {
            results.push(json!({
                "ruleId": rule,
                "level": "error",
                "message": {"text": redact(&why, &secrets, style)},
                "locations": [location(&uri, 1, 1)],
            }));
        }
        if let Some(error) = &entry.report.error {
            results.push(json!({
                "ruleId": "load-error",
                "level": "error",
                "message": {"text": error.to_string()},
                "locations": [location(&uri, 1, 1)],
            }));
        }
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "shipshape",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/shipshape-dev/shipshape",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn rule_descriptor(id: &str) -> Value {
    let meta = crate::rules::registry::find(id);
    let summary = meta
        .map(|r| r.summary)
        .or_else(|| crate::schema::checks::find(id).map(|c| c.summary))
        .unwrap_or("a rule declared in the policy");
    let mut descriptor = json!({"id": id, "shortDescription": {"text": summary}, "help": {"text": format!("shipshape rule {id}")}});
    // GitHub code scanning ranks security alerts by this score (critical from 9.0).
    if let Some(score) = meta.and_then(|r| r.security_severity) {
        descriptor["properties"] = json!({"security-severity": score, "tags": ["security"]});
    }
    descriptor
}

fn location(uri: &str, line: usize, col: usize) -> Value {
    json!({"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line, "startColumn": col}}})
}

fn result(finding: &Reported, uri: &str, message: &str, fixes: Vec<Value>) -> Value {
    let crate::outcome::Position { line, col } = finding.at;
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let mut value = json!({
        "ruleId": finding.rule,
        "level": level,
        "message": {"text": message},
        "locations": [location(uri, line, col)],
    });
    if let Some(reason) = &finding.suppressed {
        value["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
    }
    if !fixes.is_empty() {
        value["fixes"] = Value::Array(fixes);
    }
    value
}

/// The fix applied alone, as replacements of the original text's characters.
fn artifact_changes(finding: &Finding, source: &Source, uri: &str) -> Vec<Value> {
    let Some(fix) = &finding.fix else {
        return Vec::new();
    };
    let hunks = hunks(fix, source);
    if hunks.is_empty() {
        return Vec::new();
    }
    let replacements: Vec<Value> = hunks
        .iter()
        .map(|hunk| {
            json!({
                "deletedRegion": {"charOffset": hunk.old_chars.start, "charLength": hunk.old_chars.len()},
                "insertedContent": {"text": hunk.text},
            })
        })
        .collect();
    vec![json!({
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}],
    })]
}
