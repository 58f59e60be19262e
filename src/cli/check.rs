//! `shipshape check` and `shipshape validate`, and the setup they share with `fix`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;

use super::args::{CommonArgs, ValidateArgs};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, output};
use crate::config::Config;
use crate::discover;
use crate::finding::Severity;
use crate::outcome::{FileReport, Position, Reported};
use crate::pipeline::{self, RunOptions};
use crate::policy::PolicySet;
use crate::report::Entry;
use crate::rules::ActiveRules;
use crate::schema::ValidateOptions;
use crate::source::SourceCache;

/// What every command that reads compose files prepares first.
pub struct Prepared {
    pub files: Vec<PathBuf>,
    pub sources: SourceCache,
    pub options: RunOptions,
    /// Problems that already decide exit code 2 (missing paths, bad config).
    pub fatal: bool,
    /// Standard input was read under this name.
    pub stdin: Option<PathBuf>,
}

pub fn prepare(common: &CommonArgs, validate: bool, lint: bool) -> Result<Prepared, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let config = Config::discover(common.config.as_deref(), common.no_config, &cwd)
        .map_err(|e| e.to_string())?;
    let policy = PolicySet::load(&common.policies, &config).map_err(|e| e.to_string())?;
    let rules = if lint {
        ActiveRules::configure(&policy).map_err(|e| e.to_string())?
    } else {
        ActiveRules::default()
    };
    check_rule_names(common, &config, &policy)?;
    let sources = SourceCache::new();
    let mut stdin = None;
    let mut paths = common.paths.clone();
    if let Some(i) = paths.iter().position(|p| p.as_os_str() == "-") {
        let name = common
            .stdin_filename
            .clone()
            .unwrap_or_else(|| PathBuf::from("compose.yaml"));
        // Bounded: one byte over the limit is enough to refuse it with a located error.
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(crate::document::MAX_FILE_SIZE as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("-: cannot read standard input: {e}"))?;
        paths[i] = name.clone();
        // A load error is reported with the file's report, like any other file's.
        let _ = sources.insert_bytes(&name, &bytes);
        stdin = Some(name);
    }
    let (files, errors) = if let Some(name) = &stdin {
        let rest: Vec<PathBuf> = paths.iter().filter(|p| *p != name).cloned().collect();
        let (mut found, errors) = if rest.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            discover::discover(&rest)
        };
        found.push(name.clone());
        (found, errors)
    } else {
        discover::discover(&paths)
    };
    for error in &errors {
        eprintln!("error: {error}");
    }
    let group_projects = common.paths.iter().all(|p| p.is_dir()) && stdin.is_none();
    let one_project = common.one_project;
    // `-f A -f B` merges in the order given, not in discovery's sorted order.
    let files = if one_project && errors.is_empty() {
        common.paths.clone()
    } else {
        files
    };
    let options = RunOptions {
        validate,
        lint,
        rules: Arc::new(rules),
        select: common.select.clone(),
        ignore: common.ignore.clone(),
        validate_options: ValidateOptions {
            interpolate: !common.no_interpolate,
            env_files: common.env_files.clone(),
        },
        config,
        group_projects,
        one_project,
    };
    if files.is_empty() && errors.is_empty() && !common.quiet {
        eprintln!(
            "warning: no compose files found (looked for compose.yaml, docker-compose.yml and their variants)"
        );
    }
    Ok(Prepared {
        files,
        sources,
        options,
        fatal: !errors.is_empty(),
        stdin,
    })
}

/// Runs the pipeline with a progress bar on a terminal for long runs.
pub fn run_pipeline(prepared: &Prepared, quiet: bool) -> Vec<FileReport> {
    let show = !quiet
        && prepared.files.len() > 50
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none();
    let bar = show.then(|| {
        let bar = indicatif::ProgressBar::new_spinner()
            .with_message(format!("checking {} files", prepared.files.len()));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let reports = pipeline::run(&prepared.files, &prepared.sources, &prepared.options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    reports
}

/// `-f A -f B`: the files named are one project, merged in that order.
pub fn with_project(common: &CommonArgs, files: &[PathBuf]) -> CommonArgs {
    let mut common = common.clone();
    if !files.is_empty() {
        common.paths = files.to_vec();
        common.one_project = true;
    }
    common
}

/// Unknown rule ids in `--select`/`--ignore` or in the config are errors (a typo must not
/// turn a gate off silently), with the closest known id as a suggestion.
fn check_rule_names(
    common: &CommonArgs,
    config: &Config,
    policy: &PolicySet,
) -> Result<(), String> {
    let generic: Vec<&str> = policy.generic.iter().map(|g| g.id.as_str()).collect();
    let known = |id: &str| {
        id == "ALL"
            || crate::rules::registry::find(id).is_some()
            || crate::schema::checks::find(id).is_some()
            || generic.contains(&id)
    };
    let origin = config
        .path
        .as_ref()
        .map_or_else(|| "shipshape.yaml".to_string(), |p| p.display().to_string());
    let named = common
        .select
        .iter()
        .map(|id| ("--select", id))
        .chain(common.ignore.iter().map(|id| ("--ignore", id)))
        .chain(config.select.iter().map(|id| (origin.as_str(), id)))
        .chain(config.ignore.iter().map(|id| (origin.as_str(), id)))
        .chain(
            config
                .ignores
                .iter()
                .filter_map(|e| Some((origin.as_str(), e.rule.as_ref()?))),
        );
    for (place, id) in named {
        if !known(id) {
            let candidates = crate::rules::REGISTRY
                .iter()
                .map(|r| r.id)
                .chain(crate::schema::checks::CHECKS.iter().map(|c| c.id))
                .chain(generic.iter().copied());
            let hint = crate::schema::suggest::closest(id, candidates)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "{place}: unknown rule `{id}`{hint}; `shipshape rules` lists them"
            ));
        }
    }
    Ok(())
}

/// Exit code: 2 when a file could not be processed, 1 when a finding reaches `at_least`.
pub fn exit_code(reports: &[FileReport], fatal: bool, at_least: Severity) -> u8 {
    if fatal || reports.iter().any(|r| r.error.is_some()) {
        EXIT_ERROR
    } else if pipeline::has_findings(reports, at_least) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

pub fn run(common: &CommonArgs, validate: bool, lint: bool) -> u8 {
    let prepared = match prepare(common, validate, lint) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let reports = run_pipeline(&prepared, common.quiet);
    let entries: Vec<Entry<'_>> = reports
        .iter()
        .map(|report| Entry { report, fix: None })
        .collect();
    if let Err(message) = output::print(&entries, common) {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    // `validate` fails only on what Compose rejects; warnings are reported but pass.
    let at_least = if lint {
        Severity::Warning
    } else {
        Severity::Error
    };
    exit_code(&reports, prepared.fatal, at_least)
}

pub fn run_validate(args: &ValidateArgs) -> u8 {
    if args.files.is_empty() {
        return run(&args.common, true, false);
    }
    // `-f A -f B`: one merged project.
    let mut common = args.common.clone();
    common.paths = args.files.clone();
    let prepared = match prepare(&common, true, false) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let mut options = prepared.options.clone();
    options.validate = false;
    let mut reports = pipeline::run(&args.files, &prepared.sources, &options);
    let findings = crate::schema::validate_project(
        &args.files,
        &prepared.sources,
        &prepared.options.validate_options,
    );
    for finding in findings {
        // Findings in an included or extended file get a report of their own.
        if !reports.iter().any(|r| r.path == finding.file) {
            reports.push(FileReport {
                path: finding.file.clone(),
                source: prepared.sources.get(&finding.file),
                findings: Vec::new(),
                error: None,
                ..FileReport::default()
            });
        }
        if let Some(report) = reports.iter_mut().find(|r| r.path == finding.file) {
            let at = report.source.as_deref().map_or(Position::START, |source| {
                pipeline::position(&finding.location, source)
            });
            report.findings.push(Reported { finding, at });
        }
    }
    let entries: Vec<Entry<'_>> = reports
        .iter()
        .map(|report| Entry { report, fix: None })
        .collect();
    if let Err(message) = output::print(&entries, &common) {
        eprintln!("error: {message}");
        return EXIT_ERROR;
    }
    exit_code(&reports, prepared.fatal, Severity::Error)
}
