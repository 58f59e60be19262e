//! The pipeline as a library: discover → load → validate → policies → (fix) results.
//! The CLI only parses arguments and prints what this returns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use std::collections::HashMap;

use crate::compose::ProjectFacts;
use crate::document::{Document, GroupOutcome};
use crate::finding::{Finding, Location, Safety, Severity};
use crate::lockfile::Lockfile;
use crate::outcome::{FileReport, FixOutcome, Position, Refusal, Refused, Reported};
use crate::rules::LockState;
use crate::schema::{self, ValidateOptions};
use crate::scope::{Scope, Scopes};
use crate::source::{Source, SourceCache, SourceError};
use crate::suppress::Suppressions;

/// What a run should do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub validate: bool,
    pub lint: bool,
    /// The configuration and rules of each file.
    pub scopes: Scopes,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub validate_options: ValidateOptions,
    /// Files named explicitly are validated alone; discovered ones by project.
    pub group_projects: bool,
    /// The files are one project (`-f A -f B`), merged in order.
    pub one_project: bool,
    /// Lock files found and read so far: shared by every file and fix round of a run.
    pub locks: LockCache,
}

/// The lock files of one run (see [`RunOptions::locks`]); clones share the cache.
#[derive(Clone, Default)]
pub struct LockCache(Arc<Locks>);

impl std::fmt::Debug for LockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockCache")
    }
}

/// One file while the run collects its findings (locations still symbolic).
struct Pending {
    path: PathBuf,
    source: Option<Arc<Source>>,
    findings: Vec<Finding>,
    error: Option<SourceError>,
    validation_errors: usize,
    project: Option<Arc<ProjectFacts>>,
}

/// Loads, validates and lints `files`; one report per file, in input order.
pub fn run(files: &[PathBuf], sources: &SourceCache, options: &RunOptions) -> Vec<FileReport> {
    let projects = if options.one_project {
        vec![files.to_vec()]
    } else if options.group_projects {
        crate::discover::group_projects(files)
    } else {
        files.iter().map(|f| vec![f.clone()]).collect()
    };
    let described: Vec<(Vec<PathBuf>, Vec<Finding>, Arc<ProjectFacts>)> = if options.validate {
        projects
            .into_par_iter()
            .map(|p| {
                let (findings, facts) =
                    schema::validate_and_describe(&p, sources, &options.validate_options);
                (p, findings, Arc::new(facts))
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut facts_of: HashMap<&Path, Arc<ProjectFacts>> = HashMap::new();
    for (paths, _, facts) in &described {
        for path in paths {
            facts_of
                .entry(path.as_path())
                .or_insert_with(|| Arc::clone(facts));
        }
    }
    let locks = &options.locks.0;
    let mut reports: Vec<Pending> = files
        .par_iter()
        .map(|path| {
            let facts = facts_of.get(path.as_path()).cloned();
            lint_file(path, sources, options, locks, facts)
        })
        .collect();
    let validation = described
        .iter()
        .flat_map(|(_, findings, _)| findings.iter().cloned());
    // A file included by several projects is validated with each of them: report it once.
    let mut seen = std::collections::HashSet::new();
    let validation = validation.filter(|f| {
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
        let i = *by_path.entry(finding.file.clone()).or_insert_with(|| {
            reports.push(Pending {
                path: finding.file.clone(),
                source: sources.get(&finding.file),
                findings: Vec::new(),
                error: None,
                validation_errors: 0,
                project: None,
            });
            reports.len() - 1
        });
        reports[i].validation_errors += usize::from(blocks_fixing(&finding));
        reports[i].findings.push(finding);
    }
    reports
        .into_iter()
        .map(|report| finish(report, options))
        .collect()
}

/// A validation error that makes `fix` leave the file alone: Compose rejects it, and no rule
/// repairs it (the v1 layout is what `v1-layout` exists to repair).
fn blocks_fixing(finding: &Finding) -> bool {
    finding.severity == Severity::Error && finding.rule != "legacy-layout"
}

/// Lock files by path, each read once per run and shared by the files it applies to.
/// Where each directory's nearest lock file is is looked up once too.
#[derive(Default)]
struct Locks {
    loaded: std::sync::Mutex<HashMap<PathBuf, Arc<LockState>>>,
    found: std::sync::Mutex<HashMap<PathBuf, Option<PathBuf>>>,
}

impl Locks {
    /// The lock file nearest to `file`; `None` when there is none.
    fn for_file(&self, file: &Path) -> Option<Arc<LockState>> {
        let dir = file.parent().unwrap_or(Path::new("."));
        // A poisoned lock only means another thread panicked; the maps are still consistent.
        let path = Lockfile::find_for_cached(
            dir,
            &mut self
                .found
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )?;
        let mut cache = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = cache
            .entry(path)
            .or_insert_with_key(|path| Arc::new(Lockfile::load(path).map_err(|e| e.to_string())));
        Some(Arc::clone(state))
    }
}

fn lint_file(
    path: &Path,
    sources: &SourceCache,
    options: &RunOptions,
    locks: &Locks,
    facts: Option<Arc<ProjectFacts>>,
) -> Pending {
    match sources.load(path) {
        Err(error) => Pending {
            path: path.to_path_buf(),
            source: None,
            findings: Vec::new(),
            error: Some(error),
            validation_errors: 0,
            project: None,
        },
        Ok(source) => lint_source(source, options, locks, facts),
    }
}

/// Runs the rules on one loaded file.
fn lint_source(
    source: Arc<Source>,
    options: &RunOptions,
    locks: &Locks,
    facts: Option<Arc<ProjectFacts>>,
) -> Pending {
    let findings = if options.lint {
        let rules = &options.scopes.for_file(&source.path).rules;
        let lock = (rules.is_enabled("pin-image-tags") || rules.is_enabled("pin-image-digests"))
            .then(|| locks.for_file(&source.path))
            .flatten();
        crate::rules::check(&source, rules, lock.as_deref(), facts.as_deref())
    } else {
        Vec::new()
    };
    Pending {
        path: source.path.clone(),
        source: Some(source),
        findings,
        error: None,
        validation_errors: 0,
        project: facts,
    }
}

/// Filters by select/ignore, applies suppressions, resolves locations, sorts.
fn finish(report: Pending, options: &RunOptions) -> FileReport {
    let Pending {
        path,
        source,
        findings,
        error,
        validation_errors,
        project,
    } = report;
    let scope = options.scopes.for_file(&path);
    let suppressions = source
        .as_deref()
        .map(|source| Suppressions::for_file(source, &scope.config));
    let unknown_ids = suppressions
        .as_ref()
        .map(|s| s.unknown_ids(&scope.known_rule_ids()))
        .unwrap_or_default();
    let mut findings: Vec<Reported> = findings
        .into_iter()
        .chain(unknown_ids)
        .filter(|f| selected(&f.rule, scope, options))
        .map(|mut finding| {
            if let Some(severity) = scope.config.severity.get(&finding.rule) {
                finding.severity = *severity;
            }
            let (Some(source), Some(suppressions)) = (&source, &suppressions) else {
                return Reported {
                    finding,
                    at: Position::START,
                };
            };
            let at = position(&finding.location, source);
            if finding.suppressed.is_none() {
                finding.suppressed = suppressions.reason(&finding, at);
            }
            Reported { finding, at }
        })
        .collect();
    // Validation and a rule may report the same thing (e.g. `obsolete-version`): keep one,
    // the one that carries a fix.
    // Compared in place: a key function would clone two strings per comparison.
    findings.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.fix.is_none().cmp(&b.fix.is_none()))
            .then_with(|| a.message.cmp(&b.message))
    });
    findings.dedup_by(|later, first| later.rule == first.rule && later.at == first.at);
    FileReport {
        path,
        source,
        findings,
        error,
        validation_errors,
        project,
    }
}

fn selected(rule: &str, scope: &Scope, options: &RunOptions) -> bool {
    let select = if options.select.is_empty() {
        &scope.config.select
    } else {
        &options.select
    };
    let matches = |list: &[String]| list.iter().any(|r| r == rule || r == "ALL");
    (select.is_empty() || matches(select))
        && !matches(&options.ignore)
        && !matches(&scope.config.ignore)
}

/// Where a symbolic location points, falling back to the nearest existing ancestor.
pub fn position(location: &Location, source: &Source) -> Position {
    let doc = &source.document;
    let (mut path, key) = match location {
        Location::Node(p) => (p.clone(), false),
        Location::Key(p) => (p.clone(), true),
        Location::Span(r) => return Position::new(doc.line_col(r.start)),
        Location::File => return Position::START,
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
            return Position::new(at.location());
        }
        match path.parent() {
            Some(parent) => path = parent,
            None => return Position::START,
        }
    }
}

/// A fix can expose another (a v1 file's services move under `services:`, and only then do
/// the service rules see them): fixing repeats on the result at most this many times.
const MAX_FIX_ROUNDS: usize = 4;

/// Fixes one file until the rules have nothing left to change, so one run converges.
pub fn fix_converged(report: &FileReport, options: &RunOptions, unsafe_fixes: bool) -> FixOutcome {
    let (mut outcome, mut parsed) = fix_round(report, unsafe_fixes);
    let Some(source) = &report.source else {
        return outcome;
    };
    for _ in 1..MAX_FIX_ROUNDS {
        // The verifier's parse of the fixed text: the next round reads that.
        let Some(document) = parsed.take() else { break };
        let fixed = Arc::new(Source {
            path: source.path.clone(),
            document,
            real_path: source.real_path.clone(),
        });
        // The project's facts still hold: earlier rounds only added what the project lacked.
        let pending = lint_source(fixed, options, &options.locks.0, report.project.clone());
        let next;
        (next, parsed) = fix_round(&finish(pending, options), unsafe_fixes);
        if next.new_text.is_none() || next.new_text == outcome.new_text {
            break;
        }
        outcome.applied.extend(next.applied);
        outcome.files.extend(next.files);
        outcome.new_text = next.new_text;
        outcome.changes = crate::document::change::compose(&outcome.changes, &next.changes);
        // What is left out or refused is what the last round still asks for.
        outcome.skipped_unsafe = next.skipped_unsafe;
        outcome.refused = next.refused;
    }
    outcome
}

/// Computes the verified rewrite of one file from its findings' fixes.
pub fn fix_file(report: &FileReport, unsafe_fixes: bool) -> FixOutcome {
    fix_round(report, unsafe_fixes).0
}

/// [`fix_file`], with the parsed new text when there is one.
fn fix_round(report: &FileReport, unsafe_fixes: bool) -> (FixOutcome, Option<Document>) {
    let mut result = FixOutcome::default();
    let Some(source) = &report.source else {
        return (result, None);
    };
    if report.validation_errors > 0 {
        result.blocked = Some(format!(
            "left unchanged: Docker Compose rejects this file ({} validation {}; \
             `shipshape validate` lists them)",
            report.validation_errors,
            if report.validation_errors == 1 {
                "error"
            } else {
                "errors"
            }
        ));
        return (result, None);
    }
    let mut candidates = Vec::new();
    for finding in report.findings.iter().filter(|f| f.suppressed.is_none()) {
        let Some(fix) = &finding.fix else { continue };
        if fix.safety == Safety::Unsafe && !unsafe_fixes {
            result
                .skipped_unsafe
                .push((finding.rule.clone(), fix.title.clone()));
            continue;
        }
        let compose_file = source.real_path.as_deref().unwrap_or(&source.path);
        if let Some(conflict) = crate::write::file_conflict(compose_file, &fix.files) {
            result.refused.push(Refusal {
                rule: finding.rule.clone(),
                title: fix.title.clone(),
                reason: Refused::Conflict(conflict),
            });
            continue;
        }
        candidates.push((finding.rule.clone(), fix.clone()));
    }
    if candidates.is_empty() {
        return (result, None);
    }
    let groups: Vec<_> = candidates.iter().map(|(_, fix)| fix.edit_group()).collect();
    let outcome = source.document.apply(&groups);
    for ((rule, fix), group) in candidates.into_iter().zip(outcome.groups) {
        match group {
            GroupOutcome::Applied => {
                result.applied.push((rule, fix.title.clone()));
                result.files.extend(fix.files.iter().cloned());
            }
            GroupOutcome::Refused { error, .. } => result.refused.push(Refusal {
                rule,
                title: fix.title,
                reason: Refused::Engine(error),
            }),
        }
    }
    let mut parsed = None;
    if outcome.text != source.document.text() || !result.files.is_empty() {
        result.new_text = Some(outcome.text);
        result.changes = outcome.changes;
        parsed = outcome.parsed;
    }
    (result, parsed)
}

/// Whether any unsuppressed finding reaches `at_least` (exit code 1).
pub fn has_findings(reports: &[FileReport], at_least: Severity) -> bool {
    reports.iter().any(|r| {
        r.findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.severity >= at_least)
    })
}
