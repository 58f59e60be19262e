//! SARIF 2.1.0, with each fix as `artifactChanges` (accepted by GitHub code scanning).

use serde_json::{Value, json};
use similar::{DiffOp, TextDiff};

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
                value["properties"] = json!({"fixOmitted": format!(
                    "more than {} fixes in this file: run `shipshape fix` to see this one",
                    budget.granted
                )});
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

/// How many fixes of one file are described as `artifactChanges`.
const MAX_FIXES_PER_FILE: usize = 50;
/// How many bytes of file text may be re-verified for them, in all.
const MAX_FIX_BYTES_PER_FILE: usize = 1024 * 1024;

struct FixBudget {
    left: usize,
    granted: usize,
}

impl FixBudget {
    fn for_file(source: Option<&Source>) -> FixBudget {
        let size = source.map_or(1, |s| s.document.text().len().max(1));
        FixBudget {
            // At least one, however large the file.
            left: (MAX_FIX_BYTES_PER_FILE / size).clamp(1, MAX_FIXES_PER_FILE),
            granted: 0,
        }
    }

    fn take(&mut self) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.granted += 1;
        true
    }
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

/// The fix applied alone, as line-aligned replacements of the original text.
fn artifact_changes(finding: &Finding, source: &Source, uri: &str) -> Vec<Value> {
    let Some(fix) = &finding.fix else {
        return Vec::new();
    };
    let Ok(new_text) = source.document.apply(&[fix.edit_group()]).all_or_error() else {
        return Vec::new();
    };
    let old_text = source.document.text();
    let diff = TextDiff::from_lines(old_text, &new_text);
    // The diff's own lines: its ranges index them (it also splits at a lone `\r`).
    let old_lines: Vec<&str> = diff.iter_old_slices().collect();
    let new_lines: Vec<&str> = diff.iter_new_slices().collect();
    // Character offset of each old line's start (and of the end), computed once.
    let mut offsets = Vec::with_capacity(old_lines.len() + 1);
    offsets.push(0);
    for line in &old_lines {
        offsets.push(offsets[offsets.len() - 1] + line.chars().count());
    }
    let replacements: Vec<Value> = diff
        .ops()
        .iter()
        .filter(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| {
            let old = op.old_range();
            let new = op.new_range();
            let start = offsets.get(old.start).copied().unwrap_or_default();
            let deleted = offsets.get(old.end).copied().unwrap_or(start) - start;
            let inserted = new_lines.get(new).map(<[&str]>::concat).unwrap_or_default();
            json!({
                "deletedRegion": {"charOffset": start, "charLength": deleted},
                "insertedContent": {"text": inserted},
            })
        })
        .collect();
    vec![json!({
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}],
    })]
}
