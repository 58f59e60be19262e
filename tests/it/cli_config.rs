//! Configuration that follows the files: found upward from each compose file, `ignores:`
//! relative to the config, checked against `schemas/shipshape-config.schema.json`, per-rule
//! severity, and unknown names (packs, keys, ids in suppression comments) never passing
//! silently.

use crate::common::{run, workspace};

/// A service with no restart policy and no healthcheck (postgres is in the catalog).
const DB: &[u8] = b"services:\n  db:\n    image: postgres:16.4\n";

#[test]
fn config_is_found_upward_from_each_compose_file_not_the_working_directory() {
    let dir = workspace(&[
        ("repo/.git/HEAD", b"ref: refs/heads/main\n"),
        (
            "repo/shipshape.yaml",
            b"ignore: [restart-policy, healthcheck]\n",
        ),
        ("repo/app/compose.yaml", DB),
        ("other/compose.yaml", DB),
    ]);
    // Run from outside the repository: its config still governs its file, and only its file.
    let r = run(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "repo/app/compose.yaml",
            "other/compose.yaml",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
    let rules = |i: usize| -> Vec<String> {
        json["files"][i]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(json["files"][1]["path"], "repo/app/compose.yaml");
    assert!(
        !rules(1).contains(&"restart-policy".to_string()),
        "{}",
        r.stdout
    );
    assert_eq!(json["files"][0]["path"], "other/compose.yaml");
    assert!(
        rules(0).contains(&"restart-policy".to_string()),
        "{}",
        r.stdout
    );
}

#[test]
fn ignores_globs_are_relative_to_the_config_file() {
    let dir = workspace(&[
        (
            "repo/shipshape.yaml",
            b"ignores:\n  - file: legacy/*.yaml\n    reason: retired in Q3\n",
        ),
        ("repo/legacy/compose.yaml", DB),
        ("repo/app/compose.yaml", DB),
    ]);
    for cwd in [dir.path().to_path_buf(), dir.path().join("repo/legacy")] {
        let target = dir.path().join("repo");
        let r = run(
            &cwd,
            &["check", "--format", "json", target.to_str().unwrap()],
        );
        let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
        for file in json["files"].as_array().unwrap() {
            let path = file["path"].as_str().unwrap();
            let all_suppressed = file["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["suppressed"] == true);
            assert_eq!(
                all_suppressed,
                path.contains("legacy"),
                "{path}: {}",
                r.stdout
            );
        }
    }
}

#[test]
fn unknown_config_keys_are_located_errors_with_a_suggestion() {
    let dir = workspace(&[
        (
            "shipshape.yaml",
            b"policies: [recommended]\nignores:\n  - rule: healthcheck\n    reasn: x\n",
        ),
        ("compose.yaml", DB),
    ]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "shipshape.yaml:4:5: invalid config: unknown key `reasn` (did you mean `reason`?)"
        ),
        "{}",
        r.stderr
    );
    let dir = workspace(&[
        ("shipshape.yaml", b"polices: [recommended]\n"),
        ("compose.yaml", DB),
    ]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "shipshape.yaml:1:1: invalid config: unknown key `polices` (did you mean `policies`?)"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn the_config_schema_ships_and_accepts_the_documented_example() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas/shipshape-config.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let example = "policies: [production, ./policies/acme.yaml]\nignore: [resource-limits]\nrules:\n  restart-policy: {policy: on-failure:5}\nseverity:\n  healthcheck: error\nignores:\n  - file: \"legacy/**\"\n    rule: healthcheck\n    reason: the legacy stack is retired in Q3\ninsecure-registries: [\"registry.local:5000\"]\n";
    let value: serde_json::Value = yaml_serde::from_str(example).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&value));
}

#[test]
fn unknown_pack_names_are_errors_with_a_suggestion() {
    let dir = workspace(&[("compose.yaml", DB)]);
    let r = run(
        dir.path(),
        &["check", "--no-config", "--policy", "productoin"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unknown policy `productoin` (did you mean `production`?)"),
        "{}",
        r.stderr
    );
    let dir = workspace(&[
        ("shipshape.yaml", b"policies: [recomended]\n"),
        ("compose.yaml", DB),
    ]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("(did you mean `recommended`?)"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_keys_in_policy_files_are_located_errors_with_a_suggestion() {
    let dir = workspace(&[
        (
            "acme.yaml",
            b"name: acme\nextends: recommended\nrulez: {}\n",
        ),
        ("compose.yaml", DB),
    ]);
    let r = run(
        dir.path(),
        &["check", "--no-config", "--policy", "acme.yaml"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("acme.yaml:3:1: invalid policy: unknown key `rulez` (did you mean `rules`?)"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_unknown_id_in_a_suppression_comment_is_a_finding_with_a_suggestion() {
    let dir = workspace(&[(
        "compose.yaml",
        b"services:\n  web:  # shipshape: ignore[healthchecks, restart-policy] sidecar\n    image: nginx:1.27\n",
    )]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--select",
            "unknown-suppression,restart-policy",
        ],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("compose.yaml:2:9: warning [unknown-suppression]")
            || r.stdout.contains("[unknown-suppression]"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("unknown rule `healthchecks` (did you mean `healthcheck`?)"),
        "{}",
        r.stdout
    );
    // The known id in the same comment still suppresses.
    assert!(!r.stdout.contains("[restart-policy]"), "{}", r.stdout);
    // It is a rule like any other: it can be ignored.
    let r = run(
        dir.path(),
        &["check", "--no-config", "--select", "restart-policy"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn severity_can_be_overridden_per_rule_in_the_config() {
    let dir = workspace(&[
        (
            "shipshape.yaml",
            b"select: [restart-policy]\nseverity:\n  restart-policy: error\n",
        ),
        ("compose.yaml", DB),
    ]);
    let r = run(dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json output");
    assert_eq!(
        json["files"][0]["findings"][0]["severity"], "error",
        "{}",
        r.stdout
    );
    let r = run(dir.path(), &["check", "--fail-on", "error"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    // An unknown id under `severity:` is an error like anywhere else.
    let dir = workspace(&[
        ("shipshape.yaml", b"severity:\n  restart-polcy: error\n"),
        ("compose.yaml", DB),
    ]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("(did you mean `restart-policy`?)"),
        "{}",
        r.stderr
    );
}
