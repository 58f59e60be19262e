//! `shipshape fix`: a diff by default, `--write` in place, `--check` for pull requests.

use rayon::prelude::*;

use super::args::{FixArgs, Format};
use super::check::{exit_code, prepare, run_pipeline};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, output};
use crate::finding::Severity;
use crate::outcome::{FileReport, FixOutcome};
use crate::pipeline;
use crate::report::{self, Entry};
use crate::write::{PlannedWrite, Transaction};

pub fn run(args: &FixArgs) -> u8 {
    let common = &args.common;
    // Validation first: a file Compose rejects is reported and left untouched.
    let prepared = match prepare(common, true, true) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let reports = run_pipeline(&prepared, common.quiet);
    let fixes: Vec<FixOutcome> = reports
        .par_iter()
        .map(|r| pipeline::fix_converged(r, &prepared.options, args.unsafe_fixes))
        .collect();
    let style = output::style(common);
    let mut write_failed = false;
    for (report, fix) in reports.iter().zip(&fixes) {
        let Some(source) = &report.source else {
            continue;
        };
        let Some(new_text) = &fix.new_text else {
            continue;
        };
        let secrets = report::secrets_of(report);
        if prepared.stdin.as_ref() == Some(&report.path) {
            print!("{new_text}");
            continue;
        }
        if args.write {
            if let Err(e) = write_fix(report, fix, new_text, source.modified) {
                eprintln!("error: {e}");
                write_failed = true;
            }
        } else if common.format == Format::Text {
            print!(
                "{}",
                report::diff::unified(
                    &report.path,
                    source.document.text(),
                    new_text,
                    Some(&fix.changes),
                    &secrets,
                    &style
                )
            );
        }
    }
    if prepared.stdin.is_none() {
        print_summary(&reports, &fixes, args);
    } else {
        // Standard input: the fixed text went to stdout; every other line goes to stderr.
        for report in &reports {
            if let Some(error) = &report.error {
                eprintln!("error: {error}");
            }
        }
        for (report, fix) in reports.iter().zip(&fixes) {
            if report.source.is_some() && fix.new_text.is_none() {
                print!(
                    "{}",
                    report
                        .source
                        .as_ref()
                        .map(|s| s.document.text())
                        .unwrap_or_default()
                );
            }
        }
    }
    let base = exit_code(&reports, prepared.fatal, Severity::Error);
    if base == EXIT_ERROR || write_failed {
        return EXIT_ERROR;
    }
    let pending = fixes.iter().any(|f| f.new_text.is_some());
    // A fix the policy asks for that could not be made is a failure for a gate too.
    let stuck = fixes
        .iter()
        .any(|f| !f.refused.is_empty() || f.blocked.is_some());
    let blocked = fixes.iter().any(|f| f.blocked.is_some());
    if blocked || args.check && (stuck || pending && !args.write) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

fn write_fix(
    report: &FileReport,
    fix: &FixOutcome,
    new_text: &str,
    modified: Option<std::time::SystemTime>,
) -> Result<(), crate::write::WriteError> {
    let mut transaction = Transaction::new();
    transaction.write(PlannedWrite {
        path: report.path.clone(),
        contents: new_text.to_string(),
        mode: None,
        expect_modified: modified,
    });
    transaction.add_changes(&report.path, &fix.files)?;
    transaction.commit().map(|_| ())
}

fn print_summary(reports: &[FileReport], fixes: &[FixOutcome], args: &FixArgs) {
    let common = &args.common;
    if common.format != Format::Text {
        let entries: Vec<Entry<'_>> = reports
            .iter()
            .zip(fixes)
            .map(|(report, fix)| Entry {
                report,
                fix: Some(fix),
            })
            .collect();
        output::print(&entries, common);
        return;
    }
    for report in reports.iter() {
        if let Some(error) = &report.error {
            eprintln!("error: {error}");
        }
    }
    if common.quiet {
        return;
    }
    let verb = if args.write { "fixed" } else { "would fix" };
    for (report, fix) in reports.iter().zip(fixes) {
        if let Some(blocked) = &fix.blocked {
            eprintln!("{}: {blocked}", report.path.display());
            continue;
        }
        if fix.applied.is_empty() && fix.skipped_unsafe.is_empty() && fix.refused.is_empty() {
            continue;
        }
        let mut line = format!(
            "{}: {verb} {}",
            report.path.display(),
            count(fix.applied.len(), "issue")
        );
        if !fix.skipped_unsafe.is_empty() {
            let rules: Vec<&str> = fix.skipped_unsafe.iter().map(|(r, _)| r.as_str()).collect();
            line.push_str(&format!(
                "; {} left out (unsafe: {}; use --unsafe-fixes)",
                count(fix.skipped_unsafe.len(), "fix"),
                rules.join(", ")
            ));
        }
        for refusal in &fix.refused {
            line.push_str(&format!(
                "; {} not applied: {}",
                refusal.rule, refusal.reason
            ));
        }
        eprintln!("{line}");
    }
    let changed = fixes.iter().filter(|f| f.new_text.is_some()).count();
    let total: usize = fixes.iter().map(|f| f.applied.len()).sum();
    eprintln!(
        "{} {} in {}.",
        if args.write { "Fixed" } else { "Would fix" },
        count(total, "issue"),
        count(changed, "file")
    );
}

fn count(n: usize, what: &str) -> String {
    let plural = if what.ends_with('x') { "es" } else { "s" };
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}{plural}")
    }
}
