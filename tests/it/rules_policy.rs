//! Policy files end to end: built-in packs, `extends:`, option overrides, `match:`,
//! config `policies:`/`rules:`, located errors, and the rule documentation commands.

use std::fs;
use std::path::Path;

use crate::common;

use common::run;

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let bytes: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (*n, c.as_bytes())).collect();
    let dir = common::workspace(&bytes);
    // A repository root, so config discovery stops here.
    fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

const COMPOSE: &str = "services:\n  web:\n    image: acme/web:1.0\n  db:\n    image: postgres:16\n";

#[test]
fn rules_lists_every_builtin_rule() {
    let r = run(Path::new("."), &["rules"]);
    assert_eq!(r.code, 0);
    for id in [
        "pin-image-tags",
        "healthcheck",
        "depends-on-healthy",
        "resource-limits",
        "config-mounts",
        "env-secrets",
        "restart-policy",
        "obsolete-version",
        "v1-layout",
        "legacy-links",
    ] {
        assert!(r.stdout.contains(id), "{id} missing:\n{}", r.stdout);
    }
}

#[test]
fn rule_prints_its_doc_comment() {
    let r = run(Path::new("."), &["rule", "restart-policy"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .starts_with("# restart-policy\n\n## What it does\nAdds `restart: unless-stopped`"),
        "{}",
        r.stdout
    );
    for section in ["## Why", "## Example", "## Fix safety", "## Options"] {
        assert!(r.stdout.contains(section), "{section}: {}", r.stdout);
    }
}

#[test]
fn a_user_pack_extends_and_overrides_options_and_selects_services() {
    let policy = "extends: recommended\nrules:\n  healthcheck: false\n  restart-policy:\n    policy: always\n    match: {image: \"acme/*\"}\n";
    let dir = workspace(&[("compose.yaml", COMPOSE), ("policy.yaml", policy)]);
    let r = run(
        dir.path(),
        &[
            "fix",
            "--no-config",
            "--color",
            "never",
            "--policy",
            "policy.yaml",
            // `acme/web` is not a server the rule recognises: its fix is unsafe.
            "--unsafe-fixes",
            "compose.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("+    restart: always"), "{}", r.stdout);
    assert_eq!(
        r.stdout.matches("restart:").count(),
        1,
        "only acme/* services: {}",
        r.stdout
    );
    assert!(!r.stdout.contains("healthcheck"), "{}", r.stdout);
}

#[test]
fn config_policies_resolve_against_the_config_and_rules_override_them() {
    let config =
        "policies: [policies/acme.yaml]\nrules:\n  restart-policy: {policy: on-failure:5}\n";
    let acme = "extends: production\nrules:\n  resource-limits: {memory: 2G}\n";
    let dir = workspace(&[
        ("shipshape.yaml", config),
        ("policies/acme.yaml", acme),
        ("app/compose.yaml", COMPOSE),
    ]);
    let r = run(
        &dir.path().join("app"),
        // Resource limits and restart policies of unrecognised services are unsafe fixes.
        &["fix", "--color", "never", "--unsafe-fixes", "compose.yaml"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("restart: on-failure:5"), "{}", r.stdout);
    assert!(r.stdout.contains("memory: 2G"), "{}", r.stdout);
}

#[test]
fn an_invalid_policy_is_reported_at_its_line_and_column() {
    let policy = "name: broken\nrules:\n  restart-policy:\n    policy: sometimes\n";
    let dir = workspace(&[("compose.yaml", COMPOSE), ("policy.yaml", policy)]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--policy",
            "policy.yaml",
            "compose.yaml",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("policy.yaml:4:5: invalid policy"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_rules_options_and_packs_are_errors() {
    let dir = workspace(&[
        ("compose.yaml", COMPOSE),
        ("typo.yaml", "rules:\n  restart-polcy: true\n"),
        ("cycle.yaml", "extends: cycle.yaml\n"),
    ]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--policy",
            "typo.yaml",
            "compose.yaml",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown rule `restart-polcy`"),
        "{}",
        r.stderr
    );
    let r = run(
        dir.path(),
        &["check", "--no-config", "--policy", "strict", "compose.yaml"],
    );
    assert!(
        r.code == 2 && r.stderr.contains("unknown policy `strict`"),
        "{}",
        r.stderr
    );
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--policy",
            "cycle.yaml",
            "compose.yaml",
        ],
    );
    assert!(r.code == 2 && r.stderr.contains("cycle"), "{}", r.stderr);
}

#[test]
fn builtin_catalogs_and_packs_validate_against_the_schema() {
    // The image facts, wrapped as the option they feed, must be a valid policy file.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("schemas/policy.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let wrap = |rule: &str, option: &str, file: &str| {
        let catalog: serde_json::Value =
            yaml_serde::from_str(&fs::read_to_string(root.join("policies").join(file)).unwrap())
                .unwrap();
        serde_json::json!({"rules": {rule: {option: catalog}}})
    };
    for instance in [
        wrap("healthcheck", "images", "images.yaml"),
        wrap("env-secrets", "images", "images.yaml"),
    ] {
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    for pack in ["recommended", "production", "legacy"] {
        let value: serde_json::Value = yaml_serde::from_str(
            &fs::read_to_string(root.join(format!("policies/{pack}.yaml"))).unwrap(),
        )
        .unwrap();
        assert!(validator.is_valid(&value), "{pack}");
    }
}

#[test]
fn a_policy_extends_and_overrides_the_image_facts() {
    // A new image with its own healthcheck and `_FILE` variable, and one built-in fact
    // corrected (postgres's default port); the rest of the built-in entry still applies.
    let policy = r#"extends: recommended
rules:
  healthcheck:
    images:
      acme-api:
        images: [ghcr.io/acme/api]
        variants:
          - {versions: ">=2, <3", variant: debian, tools: [curl], port: 8000}
        healthcheck:
          test: [CMD, curl, -fsS, "http://127.0.0.1:{port}/healthz"]
          requires_tools: [curl]
      postgres:
        healthcheck: {start_period: 90s}
  env-secrets:
    images:
      acme-api: {images: [ghcr.io/acme/api], file_env: [DB_PASSWORD]}
"#;
    let compose = "services:\n  api:\n    image: ghcr.io/acme/api:2.1\n    environment:\n      DB_PASSWORD: s3cret-value\n  db:\n    image: postgres:16\n";
    let dir = workspace(&[("policy.yaml", policy), ("compose.yaml", compose)]);
    let r = run(
        dir.path(),
        &[
            "fix",
            "--no-config",
            "--policy",
            "policy.yaml",
            "--unsafe-fixes",
            "--select",
            "healthcheck,env-secrets",
            "compose.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("http://127.0.0.1:8000/healthz"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+      DB_PASSWORD_FILE: /run/secrets/"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("pg_isready -q -h 127.0.0.1"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("start_period: 90s"), "{}", r.stdout);
}

#[test]
fn a_mistyped_image_fact_is_an_error_naming_it() {
    let policy = "rules:\n  healthcheck:\n    images:\n      acme: {images: [acme/app], variants: [{versions: \">=1\", variant: x, tool: [sh]}]}\n";
    let dir = workspace(&[("policy.yaml", policy), ("compose.yaml", COMPOSE)]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--policy",
            "policy.yaml",
            "compose.yaml",
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("tool"), "{}", r.stderr);
}
