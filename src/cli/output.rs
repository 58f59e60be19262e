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

/// Renders findings (and fix summaries) in the chosen format to stdout.
pub fn print(entries: &[Entry<'_>], common: &CommonArgs) {
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
        Format::Rdjson => report::rdjson::render(entries, &style),
        Format::Gitlab => report::gitlab::render(entries, &style),
    };
    print!("{text}");
}
