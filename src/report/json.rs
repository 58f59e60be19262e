//! Versioned JSON output (`"version": 1`). Suppressed findings are included, marked.

use serde_json::{Value, json};

use super::{Entry, Style, redact, secrets_of};

pub const VERSION: u32 = 1;

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let files: Vec<Value> = entries.iter().map(|e| file(e, style)).collect();
    let findings: usize = entries
        .iter()
        .map(|e| {
            e.report
                .findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .count()
        })
        .sum();
    let errors = entries.iter().filter(|e| e.report.error.is_some()).count();
    let out = json!({
        "version": VERSION,
        "tool": {"name": "shipshape", "version": env!("CARGO_PKG_VERSION")},
        "files": files,
        "summary": {"files": entries.len(), "findings": findings, "unreadable": errors},
    });
    let mut text = serde_json::to_string_pretty(&out).unwrap_or_default();
    text.push('\n');
    text
}

fn file(entry: &Entry<'_>, style: &Style) -> Value {
    let secrets = secrets_of(entry.report);
    let findings: Vec<Value> = entry
        .report
        .findings
        .iter()
        .map(|f| {
            let crate::outcome::Position { line, col } = f.at;
            json!({
                "rule": f.rule,
                "severity": f.severity,
                "message": redact(&f.message, &secrets, style),
                "line": line,
                "column": col,
                "fix": f.fix.as_ref().map(|fix| json!({"title": redact(&fix.title, &secrets, style), "safety": fix.safety})),
                "suppressed": f.suppressed.is_some(),
                "suppression_reason": f.suppressed,
            })
        })
        .collect();
    let mut value = json!({
        "path": entry.report.path.display().to_string(),
        "error": entry.report.error.as_ref().map(std::string::ToString::to_string),
        "findings": findings,
    });
    if let Some(fix) = entry.fix {
        value["fix"] = json!({
            "changed": fix.new_text.is_some(),
            "applied": fix.applied.iter().map(|(rule, title)| json!({"rule": rule, "title": redact(title, &secrets, style)})).collect::<Vec<_>>(),
            "skipped_unsafe": fix.skipped_unsafe.iter().map(|(rule, title)| json!({"rule": rule, "title": redact(title, &secrets, style)})).collect::<Vec<_>>(),
            "blocked": fix.blocked,
            "refused": fix.refused.iter().map(|r| json!({"rule": r.rule, "title": redact(&r.title, &secrets, style), "reason": redact(&r.reason.to_string(), &secrets, style)})).collect::<Vec<_>>(),
        });
    }
    value
}
