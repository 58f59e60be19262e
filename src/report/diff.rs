//! Unified diffs of fixes, colored on a terminal.

use std::path::Path;

use similar::{ChangeTag, TextDiff};

use super::{Style, redact};

/// A unified diff between `old` and `new` for `path`, with secrets redacted.
pub fn unified(
    path: &Path,
    old: &str,
    new: &str,
    secrets: &super::Redactor,
    style: &Style,
) -> String {
    let name = path.display().to_string();
    let diff = TextDiff::from_lines(old, new);
    let mut body = String::new();
    let mut redacted = false;
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        body.push_str(&paint(&format!("{}\n", hunk.header()), "36", style));
        for change in hunk.iter_changes() {
            let (sign, color) = match change.tag() {
                ChangeTag::Delete => ('-', "31"),
                ChangeTag::Insert => ('+', "32"),
                ChangeTag::Equal => (' ', ""),
            };
            let shown = redact(change.value(), secrets, style);
            redacted |= shown != change.value();
            let mut line = format!("{sign}{shown}");
            if change.missing_newline() || !line.ends_with('\n') {
                line.push_str("\n\\ No newline at end of file\n");
            }
            body.push_str(&paint(&line, color, style));
        }
    }
    let mut out = String::new();
    if redacted {
        // A patch with `<redacted>` in it would write the placeholder if applied.
        out.push_str(&paint(
            "# secrets are redacted below: this diff cannot be applied; `--show-secrets` prints a patch\n",
            "1",
            style,
        ));
    }
    out.push_str(&paint(&format!("--- {name}\n"), "1", style));
    out.push_str(&paint(&format!("+++ {name}\n"), "1", style));
    out.push_str(&body);
    out
}

fn paint(text: &str, code: &str, style: &Style) -> String {
    if !style.color || code.is_empty() {
        return text.to_string();
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let newline = if text.ends_with('\n') { "\n" } else { "" };
    format!("\x1b[{code}m{body}\x1b[0m{newline}")
}
