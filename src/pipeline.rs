//! The pipeline as a library: discover → load → validate → policies → (fix) results.
//! The CLI only parses arguments and prints what this returns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::document::GroupOutcome;
use crate::finding::{FileChange, Finding, Location, Safety, Severity};
use crate::policy::PolicySet;
use crate::schema::{self, ValidateOptions};
use crate::source::{Source, SourceCache, SourceError};
use crate::suppress;

/// What a run should do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub validate: bool,
    pub lint: bool,
    pub policy: PolicySet,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub validate_options: ValidateOptions,
    pub config: Config,
    /// Files named explicitly are validated alone; discovered ones by project.
    pub group_projects: bool,
}

/// Everything known about one input file after a run.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub source: Option<Arc<Source>>,
    /// Findings located in this file, resolved to line:col and sorted.
    pub findings: Vec<Finding>,
    /// The file could not be loaded at all.
    pub error: Option<SourceError>,
}

/// The result of computing fixes for one file.
#[derive(Debug, Clone, Default)]
pub struct FixResult {
    pub new_text: Option<String>,
    /// (rule, fix title) of each applied fix.
    pub applied: Vec<(String, String)>,
    /// (rule, title) of unsafe fixes left out.
    pub skipped_unsafe: Vec<(String, String)>,
    /// (rule, reason) of fixes that could not be applied safely.
    pub refused: Vec<(String, String)>,
    pub files: Vec<FileChange>,
}

/// Loads, validates and lints `files`; one report per file, in input order.
pub fn run(files: &[PathBuf], sources: &SourceCache, options: &RunOptions) -> Vec<FileReport> {
    let projects = if options.group_projects {
        group_projects(files)
    } else {
        files.iter().map(|f| vec![f.clone()]).collect()
    };
    let validation: Vec<Finding> = if options.validate {
        projects
            .par_iter()
            .flat_map_iter(|p| schema::validate_project(p, sources, &options.validate_options))
            .collect()
    } else {
        Vec::new()
    };
    let mut reports: Vec<FileReport> = files
        .par_iter()
        .map(|path| lint_file(path, sources, options))
        .collect();
    // A file included by several projects is validated with each of them: report it once.
    let mut seen = std::collections::HashSet::new();
    let validation = validation.into_iter().filter(|f| {
        seen.insert((
            f.file.clone(),
            format!("{:?}", f.location),
            f.rule.clone(),
            f.message.clone(),
        ))
    });
    let mut by_path: std::collections::HashMap<PathBuf, usize> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| (r.path.clone(), i))
        .collect();
    for finding in validation {
        match by_path.get(&finding.file) {
            Some(&i) => reports[i].findings.push(finding),
            None => {
                by_path.insert(finding.file.clone(), reports.len());
                reports.push(FileReport {
                    path: finding.file.clone(),
                    source: sources.get(&finding.file),
                    findings: vec![finding],
                    error: None,
                });
            }
        }
    }
    for report in &mut reports {
        finish(report, options);
    }
    reports
}

fn lint_file(path: &Path, sources: &SourceCache, options: &RunOptions) -> FileReport {
    match sources.load(path) {
        Err(error) => FileReport {
            path: path.to_path_buf(),
            source: None,
            findings: Vec::new(),
            error: Some(error),
        },
        Ok(source) => {
            let findings = if options.lint {
                crate::rules::check(&source, &options.policy)
            } else {
                Vec::new()
            };
            FileReport {
                path: path.to_path_buf(),
                source: Some(source),
                findings,
                error: None,
            }
        }
    }
}

/// Filters by select/ignore, applies suppressions, resolves locations, sorts.
fn finish(report: &mut FileReport, options: &RunOptions) {
    report.findings.retain(|f| selected(&f.rule, options));
    if let Some(source) = &report.source {
        let markers = suppress::has_markers(source);
        for finding in &mut report.findings {
            let resolved = resolve(&finding.location, source);
            if finding.suppressed.is_none() {
                finding.suppressed =
                    suppress::reason_with(finding, &resolved, source, &options.config, markers);
            }
            finding.location = resolved;
        }
    }
    // Validation and a rule may report the same thing (e.g. `obsolete-version`): keep one,
    // the one that carries a fix.
    report.findings.sort_by_key(|f| {
        (
            line_col(&f.location),
            f.rule.clone(),
            f.fix.is_none(),
            f.message.clone(),
        )
    });
    report
        .findings
        .dedup_by(|later, first| later.rule == first.rule && later.location == first.location);
}

fn selected(rule: &str, options: &RunOptions) -> bool {
    let select = if options.select.is_empty() {
        &options.config.select
    } else {
        &options.select
    };
    let matches = |list: &[String]| list.iter().any(|r| r == rule || r == "ALL");
    (select.is_empty() || matches(select))
        && !matches(&options.ignore)
        && !matches(&options.config.ignore)
}

pub fn line_col(location: &Location) -> (usize, usize) {
    match location {
        Location::LineCol(l, c) => (*l, *c),
        _ => (1, 1),
    }
}

/// Turns a symbolic location into line:col, falling back to the nearest existing ancestor.
pub fn resolve(location: &Location, source: &Source) -> Location {
    let doc = &source.document;
    let (mut path, key) = match location {
        Location::Node(p) => (p.clone(), false),
        Location::Key(p) => (p.clone(), true),
        Location::Span(r) => {
            let (l, c) = doc.line_col(r.start);
            return Location::LineCol(l, c);
        }
        Location::LineCol(..) => return location.clone(),
        Location::File => return Location::LineCol(1, 1),
    };
    loop {
        if let Some(node) = doc.lookup(&path) {
            // A block collection starts on the line after its key: point at the key instead.
            let block = (node.is_mapping() || node.is_sequence()) && !node.is_flow();
            let at = if key || block {
                node.key_node().unwrap_or(node)
            } else {
                node
            };
            let (l, c) = at.location();
            return Location::LineCol(l, c);
        }
        match path.parent() {
            Some(parent) => path = parent,
            None => return Location::LineCol(1, 1),
        }
    }
}

/// Groups discovered files into projects the way Compose loads a directory: a base file
/// and its `.override` companion form one project.
pub fn group_projects(files: &[PathBuf]) -> Vec<Vec<PathBuf>> {
    let mut projects: Vec<Vec<PathBuf>> = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let is_override = name.contains(".override.");
        let base = is_override.then(|| {
            files.iter().find(|b| {
                b.parent() == file.parent()
                    && base_of(b).is_some_and(|stem| name.starts_with(&format!("{stem}.override.")))
            })
        });
        match base.flatten() {
            Some(base) => {
                if let Some(project) = projects.iter_mut().find(|p| p[0] == *base) {
                    project.push(file.clone());
                } else {
                    projects.push(vec![base.clone(), file.clone()]);
                }
            }
            None if !projects.iter().any(|p| p[0] == *file) => projects.push(vec![file.clone()]),
            None => {}
        }
    }
    projects
}

fn base_of(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    matches!(stem, "compose" | "docker-compose").then_some(stem)
}

/// Computes the verified rewrite of one file from its findings' fixes.
pub fn fix_file(report: &FileReport, unsafe_fixes: bool) -> FixResult {
    let mut result = FixResult::default();
    let Some(source) = &report.source else {
        return result;
    };
    let mut candidates = Vec::new();
    for finding in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        let Some(fix) = &finding.fix else { continue };
        if fix.safety == Safety::Unsafe && !unsafe_fixes {
            result
                .skipped_unsafe
                .push((finding.rule.clone(), fix.title.clone()));
            continue;
        }
        if let Some(conflict) = crate::write::file_conflict(&source.path, &fix.files) {
            result.refused.push((finding.rule.clone(), conflict));
            continue;
        }
        candidates.push((finding.rule.clone(), fix.clone()));
    }
    if candidates.is_empty() {
        return result;
    }
    let groups: Vec<_> = candidates.iter().map(|(_, fix)| fix.edit_group()).collect();
    let outcome = source.document.apply(&groups);
    for ((rule, fix), group) in candidates.into_iter().zip(outcome.groups) {
        match group {
            GroupOutcome::Applied => {
                result.applied.push((rule, fix.title.clone()));
                result.files.extend(fix.files.iter().cloned());
            }
            GroupOutcome::Refused { error, .. } => result.refused.push((rule, error.to_string())),
        }
    }
    if outcome.text != source.document.text() || !result.files.is_empty() {
        result.new_text = Some(outcome.text);
    }
    result
}

/// Whether any unsuppressed finding reaches `at_least` (exit code 1).
pub fn has_findings(reports: &[FileReport], at_least: Severity) -> bool {
    reports.iter().any(|r| {
        r.findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.severity >= at_least)
    })
}
