//! SARIF 2.1.0, with each fix as `artifactChanges` (accepted by GitHub code scanning).

use serde_json::{Value, json};
use similar::{DiffOp, TextDiff};

use super::{Entry, Style, redact, secrets_of};
use crate::document::EditOptions;
use crate::finding::{Finding, Severity};
use crate::pipeline::line_col;
use crate::source::Source;

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut results = Vec::new();
    for entry in entries {
        let secrets = secrets_of(entry.report);
        let uri = entry.report.path.display().to_string().replace('\\', "/");
        for finding in &entry.report.findings {
            if !rules.iter().any(|r| r["id"] == finding.rule) {
                rules.push(rule_descriptor(&finding.rule));
            }
            let mut fixes = match (&finding.fix, &entry.report.source) {
                (Some(_), Some(source)) => artifact_changes(finding, source, &uri),
                _ => Vec::new(),
            };
            // A fix whose new text would show a secret is left out rather than redacted,
            // since a redacted replacement would be wrong if applied.
            if !style.show_secrets {
                fixes.retain(|fix| !secrets.iter().any(|s| fix.to_string().contains(s.as_str())));
            }
            results.push(result(
                finding,
                &uri,
                &redact(&finding.message, &secrets, style),
                fixes,
            ));
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
    let summary = crate::rules::REGISTRY
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.summary)
        .unwrap_or("Compose validation");
    json!({"id": id, "shortDescription": {"text": summary}, "help": {"text": format!("shipshape rule {id}")}})
}

fn location(uri: &str, line: usize, col: usize) -> Value {
    json!({"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line, "startColumn": col}}})
}

fn result(finding: &Finding, uri: &str, message: &str, fixes: Vec<Value>) -> Value {
    let (line, col) = line_col(&finding.location);
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

/// The fix applied alone, as line-aligned replacements of the original text.
fn artifact_changes(finding: &Finding, source: &Source, uri: &str) -> Vec<Value> {
    let Some(fix) = &finding.fix else {
        return Vec::new();
    };
    let options = EditOptions {
        allow_anchor_edits: fix.through_anchors,
    };
    let Ok(new_text) = source.document.apply(&fix.edits, &options) else {
        return Vec::new();
    };
    let old_text = source.document.text();
    let diff = TextDiff::from_lines(old_text, &new_text);
    let old_lines: Vec<&str> = old_text.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new_text.split_inclusive('\n').collect();
    let char_offset =
        |line: usize| -> usize { old_lines[..line].iter().map(|l| l.chars().count()).sum() };
    let replacements: Vec<Value> = diff
        .ops()
        .iter()
        .filter(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| {
            let old = op.old_range();
            let new = op.new_range();
            let deleted: usize = old_lines[old.clone()]
                .iter()
                .map(|l| l.chars().count())
                .sum();
            json!({
                "deletedRegion": {"charOffset": char_offset(old.start), "charLength": deleted},
                "insertedContent": {"text": new_lines[new].concat()},
            })
        })
        .collect();
    vec![json!({
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}],
    })]
}
