//! GitHub workflow commands: `::error file=…,line=…,col=…,title=…::message`.

use super::{Entry, Style, redact, secrets_of};
use crate::finding::Severity;

fn escape_property(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn render(entries: &[Entry<'_>], style: &Style) -> String {
    let mut out = String::new();
    for entry in entries {
        let file = escape_property(&entry.report.path.display().to_string());
        if let Some(error) = &entry.report.error {
            out.push_str(&format!(
                "::error file={file},line=1,col=1,title=shipshape::{}\n",
                escape_data(&error.to_string())
            ));
        }
        let secrets = secrets_of(entry.report);
        for f in entry
            .report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
        {
            let crate::outcome::Position { line, col } = f.at;
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let message = redact(&f.message, &secrets, style);
            out.push_str(&format!(
                "::{level} file={file},line={line},col={col},title={}::{}\n",
                escape_property(&f.rule),
                escape_data(&message)
            ));
        }
        for (rule, why) in super::not_fixed(entry) {
            out.push_str(&format!(
                "::error file={file},line=1,col=1,title={}::{}\n",
                escape_property(rule),
                escape_data(&redact(&why, &secrets, style))
            ));
        }
    }
    out
}
