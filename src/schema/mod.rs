//! Validation: the Compose Specification schema (`schemas/compose-spec.json`) plus the
//! semantic checks the schema cannot express, every error located at `file:line:col`.
//!
//! Promises: what is validated is what Compose sees (anchors, merges, `!reset`/`!override`,
//! interpolation, `include`, `extends`, `-f` overrides — see [`crate::compose`]); every error
//! Compose would refuse is a [`Severity::Error`] in the file holding the offending text;
//! what Compose accepts but is likely a mistake is a [`Severity::Warning`]. A file that does
//! not parse is left to the pipeline (it reports it already).
//! Refuses: remote includes (an error saying so, never a silent pass).

pub mod checks;
mod legacy;
mod messages;
pub mod ports;
mod semantic;
pub(crate) mod suggest;
pub mod units;
mod validator;

use std::path::PathBuf;
use std::sync::Arc;

use crate::compose::{self, LoadOptions, Problem, Project, Variables};
use crate::finding::{Finding, Location, Severity};
use crate::source::SourceCache;

pub use validator::{duration_seconds, is_duration};

/// How to validate.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Interpolate `${VAR}` as Compose does before validating (default).
    pub interpolate: bool,
    /// Extra env files for interpolation (default: the project's `.env`).
    pub env_files: Vec<PathBuf>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            interpolate: true,
            env_files: Vec::new(),
        }
    }
}

/// Validates the project made of `files` merged in order (as `docker compose -f A -f B`),
/// following `include:` and `extends:`. Findings point into the file holding the text.
pub fn validate_project(
    files: &[PathBuf],
    sources: &SourceCache,
    options: &ValidateOptions,
) -> Vec<Finding> {
    describe_with_env(files, sources, options, compose::process_variables()).0
}

/// [`validate_project`] with an explicit process environment (tests, benchmarks).
pub fn validate_project_with_env(
    files: &[PathBuf],
    sources: &SourceCache,
    options: &ValidateOptions,
    process_env: &Variables,
) -> Vec<Finding> {
    describe_with_env(files, sources, options, Arc::new(process_env.clone())).0
}

/// [`validate_project`], together with what the project says about each service (for rules
/// that must see the project as Compose does).
pub fn validate_and_describe(
    files: &[PathBuf],
    sources: &SourceCache,
    options: &ValidateOptions,
) -> (Vec<Finding>, compose::ProjectFacts) {
    describe_with_env(files, sources, options, compose::process_variables())
}

fn describe_with_env(
    files: &[PathBuf],
    sources: &SourceCache,
    options: &ValidateOptions,
    process_env: Arc<Variables>,
) -> (Vec<Finding>, compose::ProjectFacts) {
    let load_options = LoadOptions {
        interpolate: options.interpolate,
        env_files: options.env_files.clone(),
        process_env,
    };
    let project = compose::load_project(files, sources, &load_options);
    let problems = project_problems(&project, options.interpolate);
    let facts = compose::ProjectFacts::of(&project);
    (to_findings(&project, problems), facts)
}

/// Everything wrong with a loaded project: loading problems, each file against the schema,
/// then the semantic checks on the merged model (only those Compose makes while loading
/// the model when `consistency` is off, as with `--no-interpolate`).
fn project_problems(project: &Project, consistency: bool) -> Vec<Problem> {
    validator::set_interpolated(project.interpolated);
    let mut problems = project.problems.clone();
    for (_, tree) in &project.file_trees {
        problems.extend(legacy::obsolete_version(tree));
        if let Some(problem) = legacy::v1_layout(tree) {
            problems.push(problem);
            continue;
        }
        problems.extend(messages::schema_problems(tree));
    }
    if let Some(model) = &project.model {
        problems.extend(semantic::check(model, project, consistency));
    }
    // Callers of `is_duration` outside validation get the lenient reading again.
    validator::set_interpolated(false);
    problems
}

fn to_findings(project: &Project, problems: Vec<Problem>) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    // For each finding kept: how many other attribute paths reached the same text.
    let mut shared: Vec<usize> = Vec::new();
    for problem in problems {
        let file = project.files.path(problem.origin.file).to_path_buf();
        let span = problem.origin.span.clone();
        let location = if span.is_empty() && span.start == 0 {
            Location::File
        } else {
            Location::Span(span)
        };
        let finding = Finding::new(
            problem.rule,
            problem.severity,
            file,
            location,
            problem.message,
        );
        // One text reached twice (an anchor merged into two services, a value that failed
        // its cast and then the schema) is reported once: the first explanation is the best.
        let duplicate = findings.iter().position(|f| {
            f.file == finding.file
                && f.location == finding.location
                && (f.message == finding.message
                    || (f.rule == finding.rule || f.severity == Severity::Error)
                        && f.severity == finding.severity)
        });
        match duplicate {
            // The same complaint about another attribute path: the text is shared through
            // an anchor or merge key, so fixing it fixes every place that uses it.
            Some(first) if same_complaint(&findings[first].message, &finding.message) => {
                shared[first] += 1;
            }
            Some(_) => {}
            None => {
                findings.push(finding);
                shared.push(0);
            }
        }
    }
    for (finding, others) in findings.iter_mut().zip(shared) {
        if others > 0 {
            let places = if others == 1 { "place" } else { "places" };
            finding.message.push_str(&format!(
                "; this text is shared through an anchor and used in {others} other {places} too"
            ));
        }
    }
    findings.sort_by_key(|f| {
        let start = match &f.location {
            Location::Span(span) => span.start,
            _ => 0,
        };
        (f.file.clone(), start)
    });
    findings
}

/// Whether two messages say the same thing about different attribute paths
/// (`services.a.x: bad` and `services.b.x: bad`).
fn same_complaint(a: &str, b: &str) -> bool {
    let tail = |m: &str| m.split_once([':', ' ']).map(|(_, rest)| rest.to_string());
    a != b && tail(a).is_some() && tail(a) == tail(b)
}

/// Whether any finding is an error (what Compose would refuse).
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
