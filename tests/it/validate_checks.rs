//! One small file per check Compose makes (`tests/fixtures/validate/parity/*.yaml`), each
//! carrying on its first line the verdict the real Docker Compose 2.40.3 gave it:
//! `# compose: valid` or `# compose: invalid: <its message>`. The table of checks
//! (`docs/validation-checks.md`) names the fixture of each check.
//!
//! `crafted_cases_agree_with_recorded_compose_verdicts` runs `validate` on each fixture
//! (no process environment, as the oracle runs) and wants the recorded verdict, every error
//! located at a line and column. `recorded_verdicts_are_what_compose_says` re-asks the real
//! binary, so a recording cannot go stale; re-record a header by running Compose on the file
//! without its first line.

use crate::common;
use std::path::{Path, PathBuf};

use shipshape::compose::Variables;
use shipshape::finding::{Location, Severity};
use shipshape::schema::{ValidateOptions, validate_project_with_env};
use shipshape::source::SourceCache;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate/parity");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the parity fixtures exist")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() > 50,
        "parity fixtures missing in {}",
        dir.display()
    );
    files
}

/// The recorded verdict: None for valid, Some(message) for invalid.
fn recorded(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).expect("fixture reads");
    let header = text.lines().next().unwrap_or_default();
    let verdict = header
        .strip_prefix("# compose: ")
        .unwrap_or_else(|| panic!("{}: first line must record the verdict", file.display()));
    if verdict == "valid" {
        None
    } else {
        Some(
            verdict
                .strip_prefix("invalid: ")
                .unwrap_or_else(|| panic!("{}: bad verdict line {header:?}", file.display()))
                .to_string(),
        )
    }
}

#[test]
fn crafted_cases_agree_with_recorded_compose_verdicts() {
    let mut wrong = Vec::new();
    for file in fixtures() {
        let sources = SourceCache::new();
        let findings = validate_project_with_env(
            std::slice::from_ref(&file),
            &sources,
            &ValidateOptions::default(),
            &Variables::new(),
        );
        let errors: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        match (recorded(&file), errors.is_empty()) {
            (None, false) => wrong.push(format!(
                "{name}: compose accepts it, shipshape says: {}",
                errors[0].message
            )),
            (Some(message), true) => wrong.push(format!(
                "{name}: compose refuses it ({message}), shipshape accepts"
            )),
            (Some(_), false) => {
                if let Some(unlocated) = errors
                    .iter()
                    .find(|f| !matches!(f.location, Location::Span(_)))
                {
                    wrong.push(format!(
                        "{name}: error without a location: {}",
                        unlocated.message
                    ));
                }
            }
            (None, true) => {}
        }
    }
    assert_agreement(&wrong);
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn recorded_verdicts_are_what_compose_says() {
    let mut stale = Vec::new();
    for file in fixtures() {
        let (valid, message) = compose_on_fixture(&file, &["config", "--quiet"]);
        let actual = (!valid).then_some(message);
        if actual != recorded(&file) {
            stale.push(format!(
                "{}: recorded {:?}, compose says {:?}",
                file.file_name().unwrap_or_default().to_string_lossy(),
                recorded(&file),
                actual
            ));
        }
    }
    assert!(stale.is_empty(), "stale recordings:\n{}", stale.join("\n"));
}

/// What Compose says of a fixture read without its header line, from a directory of its own,
/// so the messages it prints name the file the way the recording does.
fn compose_on_fixture(file: &Path, args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = file.file_name().expect("a file name");
    let text = std::fs::read_to_string(file).expect("fixture reads");
    let body: String = text.split_inclusive('\n').skip(1).collect();
    std::fs::write(dir.path().join(name), body).expect("temp file");
    common::compose_verdict(dir.path(), &[Path::new(name)], &Variables::new(), args)
}

/// Compose 2.40.3 accepts an empty override next to a real file, and refuses a project whose
/// only file is empty (measured: `-f base.yml -f empty.yml` exits 0, `-f empty.yml` exits 1).
#[test]
fn an_empty_override_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base.yml");
    let empty = dir.path().join("empty.yml");
    std::fs::write(&base, "services:\n  a:\n    image: nginx\n").expect("write");
    std::fs::write(&empty, "").expect("write");
    let errors = |files: &[PathBuf]| {
        validate_project_with_env(
            files,
            &SourceCache::new(),
            &ValidateOptions::default(),
            &Variables::new(),
        )
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect::<Vec<_>>()
    };
    assert_eq!(errors(&[base.clone(), empty.clone()]), Vec::<String>::new());
    assert_eq!(errors(&[empty]), vec!["empty-file".to_string()]);
}

/// Compose validates the model merged so far after each `-f` file, not each file alone
/// (compose-go `override_test.go` TestOverridePartial: an override's `depends_on` entry
/// without `condition` is fine when the base sets it). A later file's own error is still
/// reported in that file.
#[test]
fn an_override_is_validated_merged_onto_the_files_before_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base.yml");
    let over = dir.path().join("override.yml");
    std::fs::write(
        &base,
        "services:\n  a:\n    image: nginx\n    depends_on:\n      b:\n        condition: service_healthy\n  b:\n    image: nginx\n",
    )
    .expect("write");
    let errors = |text: &str| {
        std::fs::write(&over, text).expect("write");
        validate_project_with_env(
            &[base.clone(), over.clone()],
            &SourceCache::new(),
            &ValidateOptions::default(),
            &Variables::new(),
        )
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            (
                f.file.file_name().unwrap().to_string_lossy().into_owned(),
                f.location,
            )
        })
        .collect::<Vec<_>>()
    };
    assert_eq!(
        errors("services:\n  a:\n    depends_on:\n      b:\n        required: false\n"),
        vec![]
    );
    let wrong = errors("services:\n  a:\n    depends_on:\n      b:\n        required: maybe\n");
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert_eq!(wrong[0].0, "override.yml");
    assert!(matches!(wrong[0].1, Location::Span(_)));
}

/// `tests/fixtures/validate/no-interpolate.tsv`: what `docker compose config --quiet
/// --no-interpolate` says of each crafted case. Compose renders the raw model in that mode
/// (`runConfigNoInterpolate` in docker/compose `cmd/compose/config.go`) and never builds the
/// project, so its decoding and consistency checks (undefined references, missing image,
/// cycles, env files, port syntax, ...) are off: `validate --no-interpolate` must agree.
fn no_interpolate_verdicts() -> Vec<(PathBuf, Option<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate");
    let table = std::fs::read_to_string(dir.join("no-interpolate.tsv")).expect("the table");
    let rows: Vec<_> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.splitn(3, '\t').collect();
            let message = (cols[1] == "invalid").then(|| cols[2].to_string());
            (dir.join("parity").join(cols[0]), message)
        })
        .collect();
    assert_eq!(
        rows.len(),
        fixtures().len(),
        "no-interpolate.tsv misses fixtures"
    );
    rows
}

#[test]
fn without_interpolation_only_the_checks_compose_keeps_run() {
    let options = ValidateOptions {
        interpolate: false,
        ..ValidateOptions::default()
    };
    let mut wrong = Vec::new();
    for (file, compose) in no_interpolate_verdicts() {
        let errors: Vec<_> = validate_project_with_env(
            std::slice::from_ref(&file),
            &SourceCache::new(),
            &options,
            &Variables::new(),
        )
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        match (compose, errors.first()) {
            (None, Some(error)) => wrong.push(format!(
                "{name}: compose --no-interpolate accepts it, shipshape says [{}] {}",
                error.rule, error.message
            )),
            (Some(message), None) => wrong.push(format!(
                "{name}: compose --no-interpolate refuses it ({message}), shipshape accepts"
            )),
            _ => {}
        }
    }
    assert_agreement(&wrong);
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn recorded_no_interpolate_verdicts_are_what_compose_says() {
    let mut stale = Vec::new();
    for (file, recorded) in no_interpolate_verdicts() {
        let (valid, message) =
            compose_on_fixture(&file, &["config", "--quiet", "--no-interpolate"]);
        if valid != recorded.is_none() {
            stale.push(format!(
                "{}: recorded {recorded:?}, compose --no-interpolate says {message:?}",
                file.file_name().unwrap_or_default().to_string_lossy(),
            ));
        }
    }
    assert!(stale.is_empty(), "stale recordings:\n{}", stale.join("\n"));
}

fn assert_agreement(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
