//! `shipshape init`: a `shipshape.yaml` that suppresses today's findings one by one, so
//! `check` passes on an existing repository and every new finding fails.
//!
//! Promises: one `ignores:` entry per distinct (file, rule, service) of today's active
//! findings — the narrowest entry a config can express — each with a reason placeholder to
//! replace; `file` is relative to the config being written; the text is checked against the
//! config schema before it is returned. Refuses: to widen an entry (no globs, no rule-wide
//! ignores), and to baseline files it could not read (they stay errors).

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use crate::config::Config;
use crate::outcome::FileReport;

/// What each entry says until someone explains it.
pub const REASON_PLACEHOLDER: &str = "TODO(baseline): explain why this is accepted, or fix it";

#[derive(Debug, Serialize)]
struct Baseline<'a> {
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    policies: &'a [String],
    ignores: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct Entry {
    file: String,
    rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    reason: String,
}

/// The baseline's text and how many entries it holds.
pub struct Written {
    pub text: String,
    pub entries: usize,
    pub findings: usize,
}

/// The config text for `config_path` that suppresses every active finding of `reports`,
/// keeping `policies` (the packs the findings were computed with).
pub fn baseline(reports: &[FileReport], config_path: &Path, policies: &[String]) -> Written {
    let anchor = Config {
        path: Some(config_path.to_path_buf()),
        ..Config::default()
    };
    let mut entries = BTreeSet::new();
    let mut findings = 0;
    for report in reports {
        let file = anchor.relative_path(&report.path);
        for finding in report.findings.iter().filter(|f| f.suppressed.is_none()) {
            findings += 1;
            entries.insert(Entry {
                file: file.clone(),
                rule: finding.rule.clone(),
                service: finding.location.service().map(str::to_string),
                reason: REASON_PLACEHOLDER.to_string(),
            });
        }
    }
    let count = entries.len();
    let body = yaml_serde::to_string(&Baseline {
        policies,
        ignores: entries.into_iter().collect(),
    })
    .unwrap_or_default();
    let text = format!(
        "# Written by `shipshape init`: the findings of {} suppressed one by one, so\n\
         # `shipshape check` passes and every new finding fails. Replace each reason with why\n\
         # the finding is accepted, or fix it and delete its entry.\n{body}",
        today()
    );
    Written {
        text,
        entries: count,
        findings,
    }
}

/// The date, for the header (UTC, from the system clock).
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_a_date() {
        let date = today();
        assert_eq!(date.len(), 10, "{date}");
        assert!(date.starts_with("20"), "{date}");
    }
}
