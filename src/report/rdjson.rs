//! Reviewdog Diagnostic Format (`rdjson`): one `DiagnosticResult` with a diagnostic per
//! active finding, each fix as `suggestions` so reviewdog posts it as a suggested change.
//!
//! Promises: ranges use reviewdog's conventions (1-based lines, 1-based columns counted in
//! UTF-8 bytes, exclusive end); a suggestion is the verified text of the fix applied alone
//! ([`super::fix_hunks`]), replacing whole lines. Refuses: a suggestion whose text would show
//! a redacted secret is left out (a `<redacted>` placeholder would be committed if accepted);
//! suppressed findings are not reported (a review has no place for them).

use serde_json::{Value, json};

use super::fix_hunks::{FixBudget, hunks};
use super::{Entry, Redactor, Style, redact, secrets_of};
use crate::finding::Severity;
use crate::outcome::Reported;
use crate::source::Source;

const HOME: &str = "https://github.com/shipshape-dev/shipshape";

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let mut diagnostics = Vec::new();
    for entry in entries {
        let secrets = secrets_of(entry.report);
        let path = entry.report.path.display().to_string().replace('\\', "/");
        let source = entry.report.source.as_deref();
        let mut budget = FixBudget::for_file(source);
        if let Some(error) = &entry.report.error {
            diagnostics.push(diagnostic(
                &path,
                "load-error",
                "ERROR",
                &error.to_string(),
                start_of_file(),
            ));
        }
        for finding in entry
            .report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
        {
            let message = redact(&finding.message, &secrets, style);
            let at = finding_range(finding, source);
            let mut value = diagnostic(&path, &finding.rule, severity(finding), &message, at);
            if let (Some(fix), Some(source)) = (&finding.fix, source) {
                if budget.take() {
                    let suggestions = suggestions(fix, source, &secrets, style);
                    if !suggestions.is_empty() {
                        value["suggestions"] = Value::Array(suggestions);
                    }
                } else {
                    value["original_output"] = json!(budget.omitted_note());
                }
            }
            diagnostics.push(value);
        }
        for (rule, why) in super::not_fixed(entry) {
            let message = redact(&why, &secrets, style);
            diagnostics.push(diagnostic(&path, rule, "ERROR", &message, start_of_file()));
        }
    }
    let result = json!({
        "source": {"name": "shipshape", "url": HOME},
        "diagnostics": diagnostics,
    });
    let mut text = serde_json::to_string_pretty(&result).unwrap_or_default();
    text.push('\n');
    text
}

fn severity(finding: &Reported) -> &'static str {
    match finding.severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

fn diagnostic(path: &str, rule: &str, severity: &str, message: &str, range: Value) -> Value {
    json!({
        "message": message,
        "location": {"path": path, "range": range},
        "severity": severity,
        "source": {"name": "shipshape", "url": HOME},
        "code": code(rule),
    })
}

/// The rule id with where its documentation lives (`shipshape rule <id>` prints the same):
/// a built-in rule's doc comment, or the validation check table; a rule declared in a
/// policy file has no page.
fn code(rule: &str) -> Value {
    let url = if crate::rules::registry::find(rule).is_some() {
        Some(format!(
            "{HOME}/blob/main/src/rules/builtin/{}.rs",
            rule.replace('-', "_")
        ))
    } else if crate::schema::checks::find(rule).is_some() {
        Some(format!("{HOME}/blob/main/docs/validation-checks.md"))
    } else {
        None
    };
    match url {
        Some(url) => json!({"value": rule, "url": url}),
        None => json!({"value": rule}),
    }
}

fn start_of_file() -> Value {
    json!({"start": {"line": 1, "column": 1}})
}

/// The finding's position, its column turned from characters into UTF-8 bytes.
fn finding_range(finding: &Reported, source: Option<&Source>) -> Value {
    let crate::outcome::Position { line, col } = finding.at;
    let column = source
        .and_then(|s| s.document.text().split('\n').nth(line - 1))
        .map_or(col, |text| {
            text.chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf8)
                .sum::<usize>()
                + 1
        });
    json!({"start": {"line": line, "column": column}})
}

/// The fix as suggestions, or none when any of its text would show a secret.
fn suggestions(
    fix: &crate::finding::Fix,
    source: &Source,
    secrets: &Redactor,
    style: &Style,
) -> Vec<Value> {
    let text = source.document.text();
    let reveals =
        |replacement: &str| !style.show_secrets && secrets.redacts_anything_in(replacement);
    let mut suggestions = Vec::new();
    for hunk in hunks(fix, source) {
        let mut start = byte_of(text, hunk.old_chars.start);
        let mut end = byte_of(text, hunk.old_chars.end);
        let mut replacement = hunk.text;
        // A pure insertion is anchored to a neighbouring line: a suggested change on a pull
        // request replaces existing lines, it cannot sit between two of them. The line before
        // is preferred; the line after when the one before holds a secret.
        if start == end {
            let previous = text[..start.saturating_sub(1)]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let next = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
            if start > 0 && !reveals(&text[previous..start]) {
                replacement.insert_str(0, &text[previous..start]);
                start = previous;
            } else if next > end {
                replacement.push_str(&text[end..next]);
                end = next;
            }
        }
        // A redacted replacement would commit the placeholder: leave the fix out instead.
        if reveals(&replacement) {
            return Vec::new();
        }
        let (start_line, start_col) = line_col(text, start);
        let (end_line, end_col) = line_col(text, end);
        suggestions.push(json!({
            "range": {
                "start": {"line": start_line, "column": start_col},
                "end": {"line": end_line, "column": end_col},
            },
            "text": replacement,
        }));
    }
    suggestions
}

/// The byte offset of the `chars`-th character (the end for one past the last).
fn byte_of(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// A byte offset as (1-based line, 1-based UTF-8 byte column), lines ending at `\n`.
fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, byte - line_start + 1)
}
