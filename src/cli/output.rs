//! Printing reports in the chosen format, to standard output or `--output-file`.

use super::args::{CommonArgs, Format};
use crate::report::{self, Entry, Style};

pub(super) fn style(common: &CommonArgs) -> Style {
    Style {
        // A file is never colored.
        color: common.output_file.is_none() && super::use_color(common),
        show_secrets: common.show_secrets,
        quiet: common.quiet,
    }
}

/// Renders findings (and fix summaries) in the chosen format and prints them; `closing` is
/// appended to a text report (after the summary line).
pub(super) fn print(entries: &[Entry<'_>], common: &CommonArgs, closing: Option<String>) -> bool {
    let text = render(entries, common, closing);
    emit(&text, common)
}

/// The report in the chosen format; load errors of a text report go to stderr.
pub(super) fn render(
    entries: &[Entry<'_>],
    common: &CommonArgs,
    closing: Option<String>,
) -> String {
    let style = style(common);
    match common.format {
        Format::Text => {
            print_errors(entries);
            let mut text = report::text::render(entries, &style);
            if !style.quiet {
                text.push_str(&report::text::summary(entries));
                text.push('\n');
                text.push_str(&closing.unwrap_or_default());
            }
            text
        }
        Format::Json => report::json::render(entries, &style),
        Format::Sarif => report::sarif::render(entries, &style),
        Format::Github => report::github::render(entries, &style),
        Format::Rdjson => report::rdjson::render(entries, &style),
        Format::Gitlab => report::gitlab::render(entries, &style),
    }
}

/// Load errors, for the text formats that do not carry them.
pub(super) fn print_errors(entries: &[Entry<'_>]) {
    for entry in entries {
        if let Some(error) = &entry.report.error {
            eprintln!("error: {error}");
        }
    }
}

/// Writes `text` to `--output-file` or standard output; false (after saying why) when the
/// file cannot be written.
pub(super) fn emit(text: &str, common: &CommonArgs) -> bool {
    match &common.output_file {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("error: {}: cannot write the report: {e}", path.display());
                false
            }
        },
        None => match to_stdout(text) {
            Ok(()) => true,
            Err(message) => {
                eprintln!("error: {message}");
                false
            }
        },
    }
}

/// Writes `text` to stdout. `print!` would panic on a closed pipe (`| head -0`) or a full
/// device (`> /dev/full`); this says so instead, and the command exits with 2.
pub(super) fn to_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}

/// Leaves `value` to the operating system: the command returns to `main` and the process
/// exits right after, so freeing every parsed document one by one (a few percent of a corpus
/// run) is wasted work.
pub(super) fn discard<T>(value: T) {
    std::mem::forget(value);
}
