//! `shipshape check` and `shipshape validate`, and the setup they share with `fix`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use super::args::{CheckArgs, CommonArgs, FailOn, Format, ValidateArgs};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, output};
use crate::discover;
use crate::finding::Severity;
use crate::outcome::{FileReport, Position, Reported};
use crate::pipeline::{self, RunOptions};
use crate::report::Entry;
use crate::schema::ValidateOptions;
use crate::scope::{ScopeSettings, Scopes};
use crate::source::SourceCache;

/// What every command that reads compose files prepares first.
pub(super) struct Prepared {
    pub files: Vec<PathBuf>,
    pub sources: SourceCache,
    pub options: RunOptions,
    /// Problems that already decide exit code 2 (missing paths, bad config).
    pub fatal: bool,
    /// Standard input was read under this name.
    pub stdin: Option<PathBuf>,
}

pub(super) fn prepare(common: &CommonArgs, validate: bool, lint: bool) -> Result<Prepared, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
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
    let settings = ScopeSettings {
        explicit: common.config.as_deref(),
        no_config: common.no_config,
        policies: &common.policies,
        lint,
    };
    let scopes = Scopes::load(&files, settings, &cwd).map_err(|e| e.to_string())?;
    check_rule_names(common, &scopes)?;
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
        scopes,
        select: common.select.clone(),
        ignore: common.ignore.clone(),
        validate_options: ValidateOptions {
            interpolate: !common.no_interpolate,
            env_files: common.env_files.clone(),
        },
        group_projects,
        one_project,
        locks: pipeline::LockCache::default(),
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
pub(super) fn run_pipeline(prepared: &Prepared, quiet: bool) -> Vec<FileReport> {
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
pub(super) fn with_project(common: &CommonArgs, files: &[PathBuf]) -> CommonArgs {
    let mut common = common.clone();
    if !files.is_empty() {
        common.paths = files.to_vec();
        common.one_project = true;
    }
    common
}

/// Unknown rule ids in `--select`/`--ignore` or in a config are errors (a typo must not
/// turn a gate off silently), with the closest known id as a suggestion.
fn check_rule_names(common: &CommonArgs, scopes: &Scopes) -> Result<(), String> {
    let all = scopes.all();
    // A flag applies to every scope: an id any of them knows is a rule name.
    let flag_known: Vec<&str> = all.iter().flat_map(|s| s.known_rule_ids()).collect();
    let flags = common
        .select
        .iter()
        .map(|id| ("--select".to_string(), id, &flag_known))
        .chain(
            common
                .ignore
                .iter()
                .map(|id| ("--ignore".to_string(), id, &flag_known)),
        );
    for (place, id, known) in flags {
        unknown_name(&place, id, known)?;
    }
    for scope in all {
        let config = &scope.config;
        let known = scope.known_rule_ids();
        let origin = config
            .path
            .as_ref()
            .map_or_else(|| "shipshape.yaml".to_string(), |p| p.display().to_string());
        let named = config
            .select
            .iter()
            .chain(&config.ignore)
            .chain(config.severity.keys())
            .chain(config.ignores.iter().filter_map(|e| e.rule.as_ref()));
        for id in named {
            unknown_name(&origin, id, &known)?;
        }
    }
    Ok(())
}

fn unknown_name(place: &str, id: &str, known: &[&str]) -> Result<(), String> {
    if id == "ALL" || known.contains(&id) {
        return Ok(());
    }
    let hint = crate::schema::suggest::closest(id, known.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Err(format!(
        "{place}: unknown rule `{id}`{hint}; `shipshape rules` lists them"
    ))
}

/// Exit code: 2 when a file could not be processed, 1 when a finding reaches `at_least`.
pub(super) fn exit_code(reports: &[FileReport], fatal: bool, at_least: Severity) -> u8 {
    if fatal || reports.iter().any(|r| r.error.is_some()) {
        EXIT_ERROR
    } else if pipeline::has_findings(reports, at_least) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// What turns findings into an exit code, and what `check` prints besides the report.
struct Gate {
    /// The lowest severity that exits 1.
    fail_on: Severity,
    exit_zero: bool,
    statistics: bool,
    /// Whether to close a text report with what `fix` would do.
    fix_hints: bool,
}

pub(super) fn run_check(args: &CheckArgs) -> u8 {
    if args.statistics && !matches!(args.common.format, Format::Text | Format::Json) {
        eprintln!(
            "error: --statistics prints text or json, not {:?}",
            args.common.format
        );
        return EXIT_ERROR;
    }
    let gate = Gate {
        fail_on: match args.fail_on {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        },
        exit_zero: args.exit_zero,
        statistics: args.statistics,
        fix_hints: true,
    };
    run_gated(&with_project(&args.common, &args.files), true, true, &gate)
}

/// `validate`: fails only on what Compose rejects; warnings are reported but pass.
pub(super) fn run(common: &CommonArgs, validate: bool, lint: bool) -> u8 {
    let gate = Gate {
        fail_on: Severity::Error,
        exit_zero: false,
        statistics: false,
        fix_hints: false,
    };
    run_gated(common, validate, lint, &gate)
}

fn run_gated(common: &CommonArgs, validate: bool, lint: bool, gate: &Gate) -> u8 {
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
    let text = if gate.statistics {
        output::print_errors(&entries);
        match common.format {
            Format::Json => crate::report::statistics::render_json(&entries),
            _ if common.quiet => crate::report::statistics::render_text(&entries),
            _ => format!(
                "{}{}\n",
                crate::report::statistics::render_text(&entries),
                crate::report::text::summary(&entries)
            ),
        }
    } else {
        let closing = gate
            .fix_hints
            .then(|| crate::report::text::closing(&entries, &fix_command(common)));
        output::render(&entries, common, closing)
    };
    let written = output::emit(&text, common);
    let code = exit_code(&reports, prepared.fatal, gate.fail_on);
    drop(entries);
    output::discard(reports);
    output::discard(prepared);
    if !written {
        EXIT_ERROR
    } else if gate.exit_zero && code == EXIT_FINDINGS {
        EXIT_CLEAN
    } else {
        code
    }
}

/// The command line that applies the safe fixes of this run: `shipshape fix --write` with
/// the options that chose the files and the rules.
fn fix_command(common: &CommonArgs) -> String {
    let mut words: Vec<String> = vec!["shipshape".into(), "fix".into(), "--write".into()];
    let mut option = |name: &str, value: &str| {
        words.push(name.to_string());
        words.push(value.to_string());
    };
    for policy in &common.policies {
        option("--policy", policy);
    }
    if let Some(config) = &common.config {
        option("--config", &config.display().to_string());
    }
    if !common.select.is_empty() {
        option("--select", &common.select.join(","));
    }
    if !common.ignore.is_empty() {
        option("--ignore", &common.ignore.join(","));
    }
    for env_file in &common.env_files {
        option("--env-file", &env_file.display().to_string());
    }
    if common.no_config {
        words.push("--no-config".into());
    }
    words.extend(common.paths.iter().map(|p| p.display().to_string()));
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `word` as a POSIX shell reads it back.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@,+-".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

pub(super) fn run_validate(args: &ValidateArgs) -> u8 {
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
    if !output::print(&entries, &common, None) {
        return EXIT_ERROR;
    }
    exit_code(&reports, prepared.fatal, Severity::Error)
}
