//! Human output: each finding with its source snippet (annotate-snippets), then a summary.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use rayon::prelude::*;

use super::{Entry, Style, redact, secrets_of};
use crate::finding::{Safety, Severity};
use crate::outcome::Reported;

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let renderer = if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Files are rendered in parallel (snippets and secret matchers cost more than the
    // checks on a large run), then joined in input order.
    let parts: Vec<String> = entries
        .par_iter()
        .map(|entry| render_entry(entry, style, &renderer))
        .collect();
    parts.concat()
}

/// The blocks of one file's unsuppressed findings.
fn render_entry(entry: &Entry<'_>, style: &Style, renderer: &Renderer) -> String {
    let mut out = String::new();
    let mut shown = entry
        .report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .peekable();
    if shown.peek().is_none() {
        return out;
    }
    // Load errors go to stderr with the other errors (see `cli::output`).
    let secrets = secrets_of(entry.report);
    let lines = entry
        .report
        .source
        .as_ref()
        .map(|s| s.document.text().split_inclusive('\n').collect::<Vec<_>>())
        .unwrap_or_default();
    for finding in shown {
        out.push_str(&finding_block(
            entry, finding, &lines, &secrets, style, renderer,
        ));
        out.push('\n');
    }
    out
}

fn finding_block(
    entry: &Entry<'_>,
    finding: &Reported,
    lines: &[&str],
    secrets: &super::Redactor,
    style: &Style,
    renderer: &Renderer,
) -> String {
    let crate::outcome::Position { line, col } = finding.at;
    let path = entry.report.path.display().to_string();
    let message = redact(&finding.message, secrets, style);
    let fix_note = match &finding.fix {
        Some(fix) if fix.safety == Safety::Safe => {
            format!(" [fix: {}]", redact(&fix.title, secrets, style))
        }
        Some(fix) => format!(" [unsafe fix: {}]", redact(&fix.title, secrets, style)),
        None => String::new(),
    };
    let headline = || {
        format!(
            "{path}:{line}:{col}: {} [{}] {message}{fix_note}\n",
            severity_word(finding.severity),
            finding.rule
        )
    };
    if entry.report.source.is_none() {
        return headline();
    }
    // `lines` is split once per file: a file with many findings stays linear.
    let Some(snippet_line) = lines.get(line.saturating_sub(1)) else {
        return headline();
    };
    let shown = redact(snippet_line.trim_end_matches(['\n', '\r']), secrets, style);
    let start = shown
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(shown.len(), |(i, _)| i);
    let end = start + token_len(&shown[start..]);
    let level = match finding.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::NOTE,
    };
    let title = format!("{message}{fix_note}");
    let report = &[level.primary_title(&title).id(&finding.rule).element(
        Snippet::source(&shown)
            .line_start(line)
            .path(&path)
            .annotation(AnnotationKind::Primary.span(start..end)),
    )];
    format!("{}\n", renderer.render(report))
}

/// Length of the YAML token at the start of `text`: a quoted scalar up to its closing quote,
/// a key up to its `:`, or a plain scalar up to a space or flow indicator.
fn token_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        None => 0,
        Some((_, quote @ ('"' | '\''))) => chars
            .find(|(_, c)| *c == quote)
            .map_or(text.len(), |(i, _)| i + 1),
        Some(_) => {
            let bytes = text.as_bytes();
            let stop = (1..bytes.len()).find(|&i| {
                matches!(bytes[i], b' ' | b'\t' | b',' | b']' | b'}')
                    || (bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' '))
            });
            stop.unwrap_or(text.len())
        }
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// `Found 3 findings in 2 files (1 fixable).`
pub fn summary(entries: &[Entry<'_>]) -> String {
    let active: Vec<&Reported> = entries
        .iter()
        .flat_map(|e| e.report.findings.iter())
        .filter(|f| f.suppressed.is_none())
        .collect();
    let suppressed = entries
        .iter()
        .flat_map(|e| e.report.findings.iter())
        .filter(|f| f.suppressed.is_some())
        .count();
    let files = entries
        .iter()
        .filter(|e| e.report.findings.iter().any(|f| f.suppressed.is_none()))
        .count();
    let fixable = active.iter().filter(|f| f.fix.is_some()).count();
    let unreadable = entries.iter().filter(|e| e.report.error.is_some()).count();
    let mut line = if active.is_empty() {
        format!(
            "No findings in {} file{}.",
            entries.len(),
            plural(entries.len())
        )
    } else {
        format!(
            "Found {} finding{} in {files} file{} ({fixable} fixable).",
            active.len(),
            plural(active.len()),
            plural(files)
        )
    };
    if suppressed > 0 {
        line.push_str(&format!(" {suppressed} suppressed."));
    }
    if unreadable > 0 {
        line.push_str(&format!(
            " {unreadable} file{} could not be read.",
            plural(unreadable)
        ));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The ruff-style closing lines of `check`: what `fix` would do and the exact command, what
/// needs `--unsafe-fixes`, what has no fix, and what waits on validation errors. `fix` is the
/// command line that applies the safe fixes (`shipshape fix --write …`).
pub fn closing(entries: &[Entry<'_>], fix: &str) -> String {
    let mut safe = 0;
    let mut unsafe_ = 0;
    let mut unsafe_rules: Vec<&str> = Vec::new();
    let mut waiting = 0;
    let mut without: std::collections::BTreeMap<&str, usize> = Default::default();
    for entry in entries {
        let blocked = entry.report.validation_errors > 0;
        for finding in entry
            .report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
        {
            match finding.fix.as_ref().map(|f| f.safety) {
                None => *without.entry(&finding.rule).or_default() += 1,
                Some(_) if blocked => waiting += 1,
                Some(Safety::Safe) => safe += 1,
                Some(Safety::Unsafe) => {
                    unsafe_ += 1;
                    if !unsafe_rules.contains(&finding.rule.as_str()) {
                        unsafe_rules.push(&finding.rule);
                    }
                }
            }
        }
    }
    let mut out = String::new();
    if safe > 0 {
        out.push_str(&format!("[*] {safe} fixable with `{fix}`.\n"));
    }
    if unsafe_ > 0 {
        unsafe_rules.sort_unstable();
        out.push_str(&format!(
            "[-] {unsafe_} {}fixable with `{fix} --unsafe-fixes` (they change runtime behaviour or move data: {}).\n",
            if safe > 0 { "more " } else { "" },
            unsafe_rules.join(", ")
        ));
    }
    if waiting > 0 {
        out.push_str(&format!(
            "{waiting} fix{} wait{} on validation errors: `fix` leaves a file Docker Compose rejects unchanged.\n",
            if waiting == 1 { "" } else { "es" },
            if waiting == 1 { "s" } else { "" },
        ));
    }
    if !without.is_empty() {
        let total: usize = without.values().sum();
        let rules: Vec<String> = without
            .iter()
            .map(|(rule, n)| format!("{rule} ({n})"))
            .collect();
        out.push_str(&format!(
            "{total} without a fix: {}; `shipshape rule <id>` says what each asks for.\n",
            rules.join(", ")
        ));
    }
    out
}
