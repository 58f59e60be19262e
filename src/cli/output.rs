//! Printing reports in the chosen format.

use super::args::{CommonArgs, Format};
use crate::report::{self, Entry, Style};

pub fn style(common: &CommonArgs) -> Style {
    Style {
        color: super::use_color(common),
        show_secrets: common.show_secrets,
        quiet: common.quiet,
    }
}

/// Renders findings (and fix summaries) in the chosen format to stdout; a stdout that cannot
/// be written (closed pipe, full disk) is an error message.
pub fn print(entries: &[Entry<'_>], common: &CommonArgs) -> Result<(), String> {
    let style = style(common);
    let text = match common.format {
        Format::Text => {
            for entry in entries {
                if let Some(error) = &entry.report.error {
                    eprintln!("error: {error}");
                }
            }
            let mut text = report::text::render(entries, &style);
            if !style.quiet {
                text.push_str(&report::text::summary(entries));
                text.push('\n');
            }
            text
        }
        Format::Json => report::json::render(entries, &style),
        Format::Sarif => report::sarif::render(entries, &style),
        Format::Github => report::github::render(entries, &style),
    };
    to_stdout(&text)
}

/// Writes `text` to stdout. `print!` would panic on a closed pipe (`| head -0`) or a full
/// device (`> /dev/full`); this says so instead, and the command exits with 2.
pub fn to_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}
