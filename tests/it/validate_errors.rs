//! Error output of `shipshape validate`, one fixture per kind of problem (under
//! `tests/fixtures/validate/`): several errors in one file, errors reached through anchors and
//! merge keys (located at the anchored text), errors in override, included and extended
//! files (located in those files), interpolation, the v1 layout. Runs the CLI in an empty
//! environment: the process environment feeds interpolation.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/validate")
        .join(name)
}

/// Runs `shipshape validate ARGS` in `dir`; returns "exit N" and the output.
fn validate(dir: &str, args: &[&str]) -> String {
    let output = Command::cargo_bin("shipshape")
        .expect("binary is built")
        .current_dir(fixture(dir))
        .env_clear()
        .env("NO_COLOR", "1")
        .arg("validate")
        .arg("--no-config")
        .args(args)
        .output()
        .expect("shipshape runs");
    let code = output.status.code().unwrap_or(-1);
    format!(
        "exit {code}\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn several_errors_in_one_file_are_all_reported() {
    insta::assert_snapshot!(validate("several-errors", &["compose.yaml"]));
}

#[test]
fn several_errors_as_json() {
    insta::assert_snapshot!(validate(
        "several-errors",
        &["--format", "json", "compose.yaml"]
    ));
}

#[test]
fn errors_through_anchors_point_at_the_anchored_text() {
    insta::assert_snapshot!(validate("anchors", &["compose.yaml"]));
}

#[test]
fn errors_in_an_override_file_point_into_it() {
    insta::assert_snapshot!(validate(
        "override",
        &["-f", "compose.yaml", "-f", "compose.override.yaml"]
    ));
}

#[test]
fn a_directory_is_validated_as_base_plus_override() {
    insta::assert_snapshot!(validate("override", &["."]));
}

#[test]
fn reset_and_override_tags_are_honoured() {
    let out = validate(
        "reset",
        &["-f", "compose.yaml", "-f", "compose.override.yaml"],
    );
    assert!(out.starts_with("exit 0"), "{out}");
    assert!(!out.contains("error"), "{out}");
}

#[test]
fn errors_in_included_files_point_into_them() {
    insta::assert_snapshot!(validate("include", &["compose.yaml"]));
}

#[test]
fn extends_problems_are_located() {
    insta::assert_snapshot!(validate("extends", &["compose.yaml"]));
}

#[test]
fn interpolation_uses_dotenv_and_reports_variables() {
    insta::assert_snapshot!(validate("interpolation", &["compose.yaml"]));
}

#[test]
fn raw_text_is_validated_without_interpolation() {
    insta::assert_snapshot!(validate(
        "interpolation",
        &["--no-interpolate", "compose.yaml"]
    ));
}

#[test]
fn v1_layout_gets_one_clear_error() {
    insta::assert_snapshot!(validate("legacy", &["docker-compose.yml"]));
}
