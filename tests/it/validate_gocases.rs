//! The compose documents that compose-go's and docker/compose's Go tests keep inline (and their
//! `testdata` files), one fixture per case in `tests/fixtures/compose-go/` (a directory when the
//! case is several files), each citing its repository, path, commit and test. The verdict the
//! real Docker Compose 2.40.3 gave each (`config --quiet` in the case's directory, an empty
//! environment plus the variables the Go test sets) is recorded in `verdicts.tsv`, with
//! Compose's message for rejections (one of them: which fault Compose names first follows
//! Go's map order; a panic is kept to its first line).
//!
//! `gocases_agree_with_recorded_compose_verdicts` needs no Compose: it wants shipshape's
//! verdict to be the recorded one for every case but the allowlist below, every error located
//! at a line and column, and prints the agreement. `recorded_gocase_verdicts_are_current`
//! re-asks the real binary so the manifest cannot go stale (it compares verdicts; to
//! re-record a line, run `docker compose -f FILE… config --quiet` from the first file's
//! directory with the line's environment). Two cases are reproductions rather than a Go test's
//! text (their header says so): the issue #12 cases the search index held no test for.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shipshape::compose::Variables;
use shipshape::finding::{Location, Severity};
use shipshape::schema::{ValidateOptions, validate_project_with_env};
use shipshape::source::{SourceCache, SourceError};

/// Cases where Compose 2.40.3 is behind the Compose Specification (issue #12 names them), so
/// shipshape's verdict is meant to differ from the recording: case → why. A case that agrees
/// again fails the test (remove it).
const ALLOWLIST: &[(&str, &str)] = &[
    (
        "loader_test.TestXService-1",
        "networks named x-*: the spec allows `x-` names for networks, volumes, secrets and \
         configs (compose-go's own test loads it), but Compose 2.40.3 takes the top-level \
         `x-network` for an extension and refuses `service \"x-foo\" refers to undefined \
         network #extensions`",
    ),
    (
        "compose-spec.json.Issue12NoCacheFilter-1",
        "build.no_cache_filter is in the Compose Specification (and in shipshape's schema); \
         Compose 2.40.3's schema predates it",
    ),
    (
        "reset.Issue12DottedNamesFalseCycle-1",
        "a false cycle on dotted service names: Compose 2.40.3's reset/alias cycle check \
         compares attribute paths as dotted strings, so `web.a.b` sharing an anchor with \
         `web.a` looks like a node referencing its parent",
    ),
];

struct Case {
    /// `<Go file>.<test>-<n>`: the n-th compose document of that test.
    name: String,
    /// The compose files, relative to `tests/fixtures/compose-go`, in `-f` order.
    files: Vec<String>,
    env: Variables,
    /// None when Compose accepts the case, else its message.
    compose: Option<String>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose-go")
}

impl Case {
    fn paths(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| root().join(f)).collect()
    }

    /// The directory Compose runs in: the first file's, as `docker compose -f` takes it.
    fn dir(&self) -> PathBuf {
        self.paths()[0]
            .parent()
            .expect("a fixture lives in a directory")
            .to_path_buf()
    }
}

fn cases() -> Vec<Case> {
    let manifest = std::fs::read_to_string(root().join("verdicts.tsv")).expect("the manifest");
    let cases: Vec<Case> = manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "verdicts.tsv: bad line {line:?}");
            let env: Variables = if cols[2] == "-" {
                Variables::new()
            } else {
                serde_json::from_str(cols[2]).expect("env column is a JSON object")
            };
            let compose = match cols[3] {
                "valid" => None,
                "invalid" => Some(cols[4].to_string()),
                other => panic!("verdicts.tsv: bad verdict {other:?}"),
            };
            Case {
                name: cols[0].to_string(),
                files: cols[1].split(',').map(str::to_string).collect(),
                env,
                compose,
            }
        })
        .collect();
    assert!(
        cases.len() > 100,
        "compose-go cases missing in {}",
        root().display()
    );
    cases
}

#[test]
fn gocases_agree_with_recorded_compose_verdicts() {
    let allowed: BTreeMap<&str, &str> = ALLOWLIST.iter().copied().collect();
    let cases = cases();
    let mut wrong = Vec::new();
    let mut diverging = Vec::new();
    for case in &cases {
        let sources = SourceCache::new();
        // A named file that is not YAML is the pipeline's to report (`load-error`, located
        // at the line and column of the fault); the project is not validated then.
        let unreadable = case.paths().iter().find_map(|p| match sources.load(p) {
            Err(SourceError::Load { error, .. }) => Some(error.to_string()),
            Err(error) => panic!("{}: {error}", case.name),
            Ok(_) => None,
        });
        if let Some(error) = unreadable {
            if case.compose.is_none() {
                diverging.push(case.name.as_str());
                if !allowed.contains_key(case.name.as_str()) {
                    wrong.push(format!(
                        "{}: compose accepts it, shipshape cannot read it: {error}",
                        case.name
                    ));
                }
            }
            continue;
        }
        let findings = validate_project_with_env(
            &case.paths(),
            &sources,
            &ValidateOptions::default(),
            &case.env,
        );
        let errors: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let problem = match (&case.compose, errors.is_empty()) {
            (None, false) => Some(format!(
                "compose accepts it, shipshape says: [{}] {}",
                errors[0].rule, errors[0].message
            )),
            (Some(message), true) => {
                Some(format!("compose refuses it ({message}), shipshape accepts"))
            }
            (Some(_), false) => errors
                .iter()
                .find(|f| !matches!(f.location, Location::Span(_)))
                .map(|f| format!("error without a location: {}", f.message)),
            (None, true) => None,
        };
        if let Some(problem) = problem {
            diverging.push(case.name.as_str());
            if !allowed.contains_key(case.name.as_str()) {
                wrong.push(format!("{}: {problem}", case.name));
            }
        }
    }
    let agree = cases.len() - diverging.len();
    let outside = cases.len() - allowed.len();
    println!(
        "compose-go test cases: {} cases, shipshape agrees with Compose 2.40.3 on {agree} ({:.1} %); \
         outside the {} allowlisted (Compose behind the spec): {}/{outside} ({:.1} %)",
        cases.len(),
        100.0 * agree as f64 / cases.len() as f64,
        allowed.len(),
        outside - wrong.len(),
        100.0 * (outside - wrong.len()) as f64 / outside as f64,
    );
    let stale: Vec<&&str> = allowed
        .keys()
        .filter(|name| !diverging.contains(name))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        stale.is_empty(),
        "allowlisted cases that agree now (remove them): {stale:?}"
    );
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn recorded_gocase_verdicts_are_current() {
    let mut stale = Vec::new();
    for case in cases() {
        let dir = case.dir();
        let paths = case.paths();
        let files: Vec<&Path> = paths
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap_or(p))
            .collect();
        let (valid, message) =
            common::compose_verdict(&dir, &files, &case.env, &["config", "--quiet"]);
        // Verdicts only: which of several faults Compose names first follows Go's map order.
        if valid != case.compose.is_none() {
            stale.push(format!(
                "{}: recorded {:?}, compose says {message:?}",
                case.name, case.compose
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale recordings (re-record verdicts.tsv):\n{}",
        stale.join("\n")
    );
}
