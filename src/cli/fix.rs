//! `shipshape fix`: a diff by default, `--write` in place, `--check` for pull requests.

use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;

use super::args::{FixArgs, Format};
use super::check::{exit_code, prepare, run_pipeline};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, output};
use crate::finding::Severity;
use crate::outcome::{FileReport, FixOutcome};
use crate::pipeline;
use crate::report::{self, Entry};
use crate::source::Source;
use crate::write::{self, PlannedWrite, Transaction, WriteError};

pub(super) fn run(args: &FixArgs) -> u8 {
    let common = &super::check::with_project(&args.common, &args.files);
    // Validation first: a file Compose rejects is reported and left untouched.
    let prepared = match prepare(common, true, true) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let reports = run_pipeline(&prepared, common.quiet);
    let mut fixes: Vec<FixOutcome> = reports
        .par_iter()
        .map(|r| pipeline::fix_converged(r, &prepared.options, args.unsafe_fixes))
        .collect();
    let style = output::style(common);
    // The diffs of a dry run are rendered in parallel (redaction and diffing cost about as
    // much as the fixes), then printed in input order below.
    let diffs: Vec<Option<String>> = if !args.write && common.format == Format::Text {
        reports
            .par_iter()
            .zip(fixes.par_iter())
            .map(|(report, fix)| {
                let source = report.source.as_ref()?;
                let new_text = fix.new_text.as_ref()?;
                if prepared.stdin.as_ref() == Some(&report.path) {
                    return None;
                }
                Some(report::diff::unified(
                    &report.path,
                    source.document.text(),
                    new_text,
                    Some(&fix.changes),
                    &report::secrets_of(report),
                    &style,
                ))
            })
            .collect()
    } else {
        Vec::new()
    };
    // Indices of fixes that could not be written (their error is already printed).
    let mut unwritten = HashSet::new();
    let mut cleaned = HashSet::new();
    for (index, (report, fix)) in reports.iter().zip(fixes.iter_mut()).enumerate() {
        let Some(source) = &report.source else {
            continue;
        };
        if args.write && prepared.stdin.as_ref() != Some(&report.path) {
            // Temporary files of a run killed mid-write go, even when nothing is left to fix.
            let dir = report.path.parent().unwrap_or(Path::new("."));
            if cleaned.insert(dir.to_path_buf()) {
                write::clean_stale(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                });
            }
        }
        let Some(new_text) = &fix.new_text else {
            continue;
        };
        let printed = if prepared.stdin.as_ref() == Some(&report.path) {
            // Standard input has no directory to put secret files in: printing the text
            // without them would drop the secrets. Keep the input as it was.
            if fix.files.is_empty() {
                output::to_stdout(new_text)
            } else {
                eprintln!(
                    "error: {}: the fixes would create files ({}), which standard input cannot \
                     do; the text is printed unchanged. Run `shipshape fix --unsafe-fixes` on the \
                     file itself.",
                    report.path.display(),
                    created_files(fix).join(", ")
                );
                unwritten.insert(index);
                output::to_stdout(source.document.text())
            }
        } else if args.write {
            match write_fix(report, source, fix, new_text) {
                Ok(committed) => {
                    for warning in committed.warnings {
                        eprintln!("warning: {warning}");
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    unwritten.insert(index);
                    not_written(fix, &e);
                }
            }
            Ok(())
        } else if let Some(Some(diff)) = diffs.get(index) {
            output::to_stdout(diff)
        } else {
            Ok(())
        };
        if let Err(message) = printed {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    }
    let printed = if prepared.stdin.is_none() {
        print_summary(&reports, &fixes, &unwritten, args)
    } else {
        // Standard input: the fixed text went to stdout; every other line goes to stderr.
        for report in &reports {
            if let Some(error) = &report.error {
                eprintln!("error: {error}");
            }
        }
        reports
            .iter()
            .zip(&fixes)
            .filter(|(report, fix)| report.source.is_some() && fix.new_text.is_none())
            .filter_map(|(report, _)| report.source.as_ref())
            .try_for_each(|source| output::to_stdout(source.document.text()))
    };
    if let Err(message) = printed {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    let base = exit_code(&reports, prepared.fatal, Severity::Error);
    drop(diffs);
    let pending = fixes.iter().any(|f| f.new_text.is_some());
    // A fix the policy asks for that could not be made is a failure for a gate too.
    let stuck = fixes
        .iter()
        .any(|f| !f.refused.is_empty() || f.blocked.is_some());
    let blocked = fixes.iter().any(|f| f.blocked.is_some());
    output::discard(fixes);
    output::discard(reports);
    output::discard(prepared);
    if base == EXIT_ERROR || !unwritten.is_empty() {
        return EXIT_ERROR;
    }
    if blocked || args.check && (stuck || pending && !args.write) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Writes one file's fix with its side files (secret files, `.gitignore`): one transaction,
/// the compose file last.
fn write_fix(
    report: &FileReport,
    source: &Source,
    fix: &FixOutcome,
    new_text: &str,
) -> Result<write::Committed, WriteError> {
    let mut transaction = Transaction::new();
    transaction.write(PlannedWrite::replace(
        &report.path,
        source.real_path.as_deref(),
        new_text,
        source.document.text().as_bytes(),
    ));
    // Secret files go next to the real file when the compose file is a symlink (the write
    // goes through the link to it).
    transaction.add_changes(
        source.real_path.as_deref().unwrap_or(&report.path),
        &fix.files,
    )?;
    transaction.commit()
}

/// A fix that could not be written counts as nothing fixed: the summary and the JSON report
/// say why instead of "fixed N issues".
fn not_written(fix: &mut FixOutcome, error: &WriteError) {
    fix.blocked = Some(format!("not written: {error}"));
    fix.applied.clear();
    fix.new_text = None;
    fix.files.clear();
}

fn print_summary(
    reports: &[FileReport],
    fixes: &[FixOutcome],
    unwritten: &HashSet<usize>,
    args: &FixArgs,
) -> Result<(), String> {
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
        return if output::print(&entries, common, None) {
            Ok(())
        } else {
            Err("the report was not written".to_string())
        };
    }
    for report in reports {
        if let Some(error) = &report.error {
            eprintln!("error: {error}");
        }
    }
    if common.quiet {
        return Ok(());
    }
    let verb = if args.write { "fixed" } else { "would fix" };
    for (index, (report, fix)) in reports.iter().zip(fixes).enumerate() {
        if unwritten.contains(&index) {
            continue;
        }
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
        // A dry run says which files the fixes would create (secret files, `.gitignore`).
        if !args.write && !fix.files.is_empty() {
            eprintln!("  would also write: {}", created_files(fix).join(", "));
        }
    }
    let changed = fixes.iter().filter(|f| f.new_text.is_some()).count();
    let total: usize = fixes.iter().map(|f| f.applied.len()).sum();
    let not_written = match unwritten.len() {
        0 => String::new(),
        n => format!("; {} not written (see the errors above)", count(n, "file")),
    };
    if total == 0 && !unwritten.is_empty() {
        eprintln!("Nothing fixed{not_written}.");
    } else {
        eprintln!(
            "{} {} in {}{not_written}.",
            if args.write { "Fixed" } else { "Would fix" },
            count(total, "issue"),
            count(changed, "file")
        );
    }
    Ok(())
}

/// The files a fix would create or extend, as shown to the user (never their contents).
fn created_files(fix: &FixOutcome) -> Vec<String> {
    let mut shown: Vec<String> = Vec::new();
    for change in &fix.files {
        let text = match change {
            crate::finding::FileChange::Create { path, .. } => path.display().to_string(),
            crate::finding::FileChange::EnsureLine { path, .. } => {
                format!("{} (a line)", path.display())
            }
        };
        if !shown.contains(&text) {
            shown.push(text);
        }
    }
    shown
}

fn count(n: usize, what: &str) -> String {
    let plural = if what.ends_with('x') { "es" } else { "s" };
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}{plural}")
    }
}
