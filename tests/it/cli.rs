//! End-to-end tests of the command line: commands, formats, exit codes and bad input.

use crate::common;

use common::{run, shipshape, workspace};

const VALID: &[u8] = b"services:\n  web:\n    image: nginx:1.27\n    restart: unless-stopped\n";

#[test]
fn missing_path_is_exit_2_with_its_name() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let r = run(dir.path(), &["check", "--no-config", "nope.yaml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nope.yaml: no such file or directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn directory_without_compose_files_warns_and_passes() {
    let dir = workspace(&[("README.md", b"hi")]);
    let r = run(dir.path(), &["check", "--no-config"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("no compose files found"), "{}", r.stderr);
}

#[test]
fn invalid_yaml_is_exit_2_with_location() {
    let dir = workspace(&[("compose.yaml", b"services:\n  web: [\n")]);
    let r = run(dir.path(), &["check", "--no-config", "compose.yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("compose.yaml:"), "{}", r.stderr);
    assert!(r.stderr.contains("invalid YAML"), "{}", r.stderr);
}

#[test]
fn non_utf8_and_binary_files_are_exit_2() {
    let dir = workspace(&[
        ("compose.yaml", b"services:\n  web:\n    image: \xff\xfe\n"),
        ("docker-compose.yml", b"\x00\x01\x02binary"),
    ]);
    let r = run(dir.path(), &["check", "--no-config"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("compose.yaml:3:12: the file is not valid UTF-8"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("docker-compose.yml:1:1"), "{}", r.stderr);
    assert!(r.stderr.contains("binary"), "{}", r.stderr);
}

#[test]
fn duplicate_keys_are_rejected_naming_both_places() {
    let dir = workspace(&[(
        "compose.yaml",
        b"services:\n  web:\n    image: a\n    image: b\n",
    )]);
    let r = run(dir.path(), &["check", "--no-config", "compose.yaml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("compose.yaml:4:5: duplicate key \"image\" (first defined at 3:5)"),
        "{}",
        r.stderr
    );
}

#[test]
fn empty_file_does_not_crash() {
    let dir = workspace(&[("compose.yaml", b"")]);
    let r = run(dir.path(), &["check", "--no-config", "compose.yaml"]);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn one_bad_file_does_not_stop_the_others() {
    let mut files: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("app{i}/compose.yaml"), VALID.to_vec()))
        .collect();
    files.push(("broken/compose.yaml".into(), b"services: [\n".to_vec()));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    let dir = workspace(&refs);
    let r = run(dir.path(), &["check", "--no-config", "--format", "json"]);
    assert_eq!(r.code, 2);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 21);
    assert_eq!(files.iter().filter(|f| !f["error"].is_null()).count(), 1);
    // Deterministic order.
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
}

#[test]
fn discovery_recognises_compose_names_and_honours_gitignore() {
    let dir = workspace(&[
        ("compose.yaml", VALID),
        ("docker-compose.prod.yml", VALID),
        ("compose.override.yaml", VALID),
        ("values.yaml", b"not: compose\n"),
        ("ignored/compose.yaml", VALID),
        (".gitignore", b"ignored/\n"),
    ]);
    let r = run(dir.path(), &["check", "--no-config", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
    let paths: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "compose.override.yaml",
            "compose.yaml",
            "docker-compose.prod.yml"
        ]
    );
}

#[test]
fn a_named_file_is_always_taken() {
    let dir = workspace(&[("stack.yml", VALID)]);
    let r = run(
        dir.path(),
        &["check", "--no-config", "--format", "json", "stack.yml"],
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
    assert_eq!(json["files"][0]["path"], "stack.yml");
}

#[test]
fn unknown_rule_documentation_is_exit_2() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let r = run(dir.path(), &["rule", "no-such-rule"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown rule `no-such-rule`"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_arguments_are_exit_2() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let r = run(dir.path(), &["check", "--format", "xml"]);
    assert_eq!(r.code, 2);
    let r = run(dir.path(), &["frobnicate"]);
    assert_eq!(r.code, 2);
}

#[test]
fn help_teaches_the_commands() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let r = run(dir.path(), &["--help"]);
    assert_eq!(r.code, 0);
    for command in [
        "check",
        "fix",
        "validate",
        "rules",
        "rule",
        "pin",
        "Exit codes",
    ] {
        assert!(
            r.stdout.contains(command),
            "--help lacks {command}: {}",
            r.stdout
        );
    }
}

#[test]
fn invalid_config_is_exit_2_with_location() {
    let dir = workspace(&[
        ("shipshape.yaml", b"policies: [recommended]\nbogus: 1\n"),
        ("compose.yaml", VALID),
    ]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("shipshape.yaml:2:1"), "{}", r.stderr);
}

#[test]
fn stdin_is_read_and_named() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let output = shipshape(dir.path())
        .args([
            "check",
            "--no-config",
            "--format",
            "json",
            "--stdin-filename",
            "svc/compose.yaml",
            "-",
        ])
        .write_stdin(VALID)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json output");
    assert_eq!(json["files"][0]["path"], "svc/compose.yaml");
    assert!(json["files"][0]["error"].is_null());
}

#[test]
fn stdin_fix_prints_the_whole_text_when_nothing_changes() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let output = shipshape(dir.path())
        .args(["fix", "--no-config", "--ignore", "ALL", "-"])
        .write_stdin(VALID)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout, VALID);
}

#[cfg(unix)]
mod permissions {
    use super::*;
    use common::{set_mode, unprivileged};

    #[test]
    fn unreadable_file_is_exit_2() {
        let dir = workspace(&[("compose.yaml", VALID)]);
        set_mode(dir.path(), 0o755);
        set_mode(&dir.path().join("compose.yaml"), 0o000);
        let r = unprivileged(dir.path(), &["check", "--no-config", "compose.yaml"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains("compose.yaml: cannot read"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn unknown_rule_names_are_errors_with_a_suggestion() {
    let dir = common::workspace(&[("compose.yaml", b"services:\n  a:\n    image: x:1\n")]);
    let r = common::run(
        dir.path(),
        &["check", "--no-config", "--select", "healthchecks"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--select: unknown rule `healthchecks` (did you mean `healthcheck`?)"),
        "{}",
        r.stderr
    );
    let r = common::run(
        dir.path(),
        &["check", "--no-config", "--ignore", "undefined-servic"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean `undefined-service`?"),
        "{}",
        r.stderr
    );
    let config = common::workspace(&[
        ("compose.yaml", b"services:\n  a:\n    image: x:1\n"),
        ("shipshape.yaml", b"ignore: [restart-polcy]\n"),
    ]);
    let r = common::run(config.path(), &["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unknown rule `restart-polcy` (did you mean `restart-policy`?)"),
        "{}",
        r.stderr
    );
    // Validation check ids are rule names too.
    let r = common::run(dir.path(), &["check", "--no-config", "--select", "schema"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A service with findings of every kind: safe fixes (restart, healthcheck), an unsafe one
/// (the literal secret) and none (the floating tag without a lock file).
const MIXED: &[u8] = b"services:\n  db:\n    image: postgres:latest\n    environment:\n      POSTGRES_PASSWORD: hunter2-s3cret\n";

#[test]
fn exit_zero_and_fail_on_decide_the_exit_code() {
    let dir = workspace(&[("compose.yaml", MIXED)]);
    let r = run(dir.path(), &["check", "--no-config", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run(dir.path(), &["check", "--no-config", "-q", "--exit-zero"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("[restart-policy]"),
        "still reported: {}",
        r.stdout
    );
    // Every finding here is a warning: failing on errors only passes.
    let r = run(
        dir.path(),
        &["check", "--no-config", "-q", "--fail-on", "error"],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run(
        dir.path(),
        &["check", "--no-config", "-q", "--fail-on", "info"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    // --exit-zero never hides that shipshape could not do its job.
    let r = run(
        dir.path(),
        &["check", "--no-config", "--exit-zero", "missing.yaml"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn output_file_receives_the_report() {
    let dir = workspace(&[("compose.yaml", MIXED)]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--format",
            "sarif",
            "--output-file",
            "report.sarif",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let report = std::fs::read_to_string(dir.path().join("report.sarif")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(value["version"], "2.1.0");
    assert!(!report.contains("hunter2"));
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--output-file",
            "no/such/dir/report.txt",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot write the report"), "{}", r.stderr);
}

#[test]
fn statistics_count_findings_per_rule() {
    let dir = workspace(&[("compose.yaml", MIXED)]);
    let r = run(dir.path(), &["check", "--no-config", "--statistics"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout);
    let r = run(
        dir.path(),
        &["check", "--no-config", "--statistics", "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
    let rows = json["statistics"].as_array().unwrap();
    let env = rows.iter().find(|r| r["rule"] == "env-secrets").unwrap();
    assert_eq!(env["count"], 1);
    assert_eq!(env["fixable"]["unsafe"], 1);
    let r = run(
        dir.path(),
        &["check", "--no-config", "--statistics", "--format", "sarif"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn check_closes_with_what_fix_would_do_and_the_command() {
    let dir = workspace(&[("app/compose.yaml", MIXED)]);
    let r = run(dir.path(), &["check", "--no-config", "app"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let closing: String = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Found "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(closing);
    // The command it prints does what it says.
    let r = run(dir.path(), &["fix", "--write", "--no-config", "app"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(dir.path(), &["check", "--no-config", "--statistics", "app"]);
    assert!(!r.stdout.contains("[*]"), "safe fixes left: {}", r.stdout);
}

#[test]
fn rdjson_and_gitlab_formats_from_the_command_line() {
    let dir = workspace(&[("compose.yaml", MIXED)]);
    let r = run(dir.path(), &["check", "--no-config", "--format", "rdjson"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let value: serde_json::Value = serde_json::from_str(&r.stdout).expect("rdjson");
    assert_eq!(value["source"]["name"], "shipshape");
    assert!(
        value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["suggestions"].is_array()),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hunter2"));
    let r = run(dir.path(), &["check", "--no-config", "--format", "gitlab"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let value: serde_json::Value = serde_json::from_str(&r.stdout).expect("gitlab");
    assert!(
        value
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["fingerprint"].is_string())
    );
    assert!(!r.stdout.contains("hunter2"));
}

/// `docker compose config --no-interpolate` renders the raw model and skips the consistency
/// checks (measured on Compose 2.40.3: an undefined network or service, a missing image, a
/// dependency cycle pass; a schema error does not). `validate --no-interpolate` does the
/// same, and its help says so.
#[test]
fn no_interpolate_skips_the_consistency_checks_as_compose_does() {
    let dir = workspace(&[
        (
            "compose.yaml",
            b"services:\n  a:\n    image: nginx\n    networks: [missing]\n    depends_on: [a]\n  b:\n    environment: [A=1]\n",
        ),
        ("schema.yaml", b"services:\n  a:\n    image: nginx\n    foo: bar\n"),
    ]);
    let r = run(dir.path(), &["validate", "--no-config", "compose.yaml"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    for rule in ["undefined-network", "depends-on-cycle", "missing-image"] {
        assert!(r.stdout.contains(rule), "{rule}: {}", r.stdout);
    }
    let r = run(
        dir.path(),
        &[
            "validate",
            "--no-config",
            "--no-interpolate",
            "compose.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run(
        dir.path(),
        &["validate", "--no-config", "--no-interpolate", "schema.yaml"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let help = run(dir.path(), &["validate", "--help"]);
    assert!(
        help.stdout
            .contains("consistency checks are off in this mode"),
        "{}",
        help.stdout
    );
}
