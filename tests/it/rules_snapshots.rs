//! Per-rule snapshots of the diff `shipshape fix` prints for small fixtures
//! (`tests/fixtures/rules/<rule>/<case>/`), run by the real CLI in a temporary copy.

use std::path::Path;

use assert_cmd::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs `shipshape fix` on the fixture's `compose.yaml`; returns the diff and the summary.
fn fix(fixture: &str, args: &[&str]) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(fixture);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&source, dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["fix", "--format", "text", "--color", "never", "--no-config"])
        .args(args)
        .arg("compose.yaml")
        .output()
        .unwrap();
    format!(
        "{}\n---- stderr ----\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn check(fixture: &str, args: &[&str]) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(fixture);
    let output = Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(&source)
        .env("NO_COLOR", "1")
        .args([
            "check",
            "--format",
            "text",
            "--color",
            "never",
            "--no-config",
        ])
        .args(args)
        .arg("compose.yaml")
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn restart_policy() {
    insta::assert_snapshot!(fix("restart-policy/basic", &["--select", "restart-policy"]));
}

#[test]
fn restart_policy_replaces_always_in_production() {
    insta::assert_snapshot!(fix(
        "restart-policy/basic",
        &[
            "--select",
            "restart-policy",
            "--policy",
            "production",
            "--unsafe-fixes"
        ]
    ));
}

#[test]
fn restart_policy_keeps_crlf() {
    let out = fix("restart-policy/crlf", &["--select", "restart-policy"]);
    assert!(out.contains("+    restart: unless-stopped\r\n"), "{out:?}");
    insta::assert_snapshot!(out);
}

#[test]
fn obsolete_version() {
    insta::assert_snapshot!(fix(
        "obsolete-version/basic",
        &["--select", "obsolete-version"]
    ));
}

#[test]
fn healthcheck() {
    insta::assert_snapshot!(fix(
        "healthcheck/basic",
        &["--select", "healthcheck", "--unsafe-fixes"]
    ));
}

#[test]
fn healthcheck_reports_unknown_images_in_production() {
    insta::assert_snapshot!(check(
        "healthcheck/basic",
        &["--select", "healthcheck", "--policy", "production"]
    ));
}

/// The diff `fix --unsafe-fixes` would apply, then every finding (those without fix say why).
fn fix_and_findings(fixture: &str, args: &[&str]) -> String {
    let with_unsafe: Vec<&str> = args.iter().copied().chain(["--unsafe-fixes"]).collect();
    format!(
        "{}\n==== check ====\n{}",
        fix(fixture, &with_unsafe),
        check(fixture, args)
    )
}

#[test]
fn healthcheck_mongo_versions() {
    // 4.4 has only the legacy `mongo` shell, 5.0+ `mongosh`; 3.6 is older than the facts.
    let out = fix_and_findings("healthcheck/mongo", &["--select", "healthcheck"]);
    let legacy = out.split("  current:").next().unwrap();
    assert!(!legacy.contains("mongosh"), "{out}");
    assert!(out.contains("`mongo:3.6` is older than"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn healthcheck_ports_and_auth() {
    let out = fix_and_findings("healthcheck/ports-and-auth", &["--select", "healthcheck"]);
    assert!(
        out.contains("127.0.0.1:8080/"),
        "nginx-unprivileged listens on 8080: {out}"
    );
    let findings = out.split("==== check ====").nth(1).unwrap();
    assert!(findings.contains("literal password"), "{out}");
    assert!(
        !findings.contains("hunter2"),
        "a password in a message: {out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn healthcheck_keycloak() {
    insta::assert_snapshot!(fix_and_findings(
        "healthcheck/keycloak",
        &["--select", "healthcheck"],
    ));
}

#[test]
fn healthcheck_refuses_floating_and_uncovered_tags() {
    insta::assert_snapshot!(fix_and_findings(
        "healthcheck/floating",
        &["--select", "healthcheck"],
    ));
}

#[test]
fn depends_on_healthy_waits_only_for_planned_healthchecks() {
    let out = fix(
        "depends-on-healthy/unplanned",
        &["--select", "depends-on-healthy", "--unsafe-fixes"],
    );
    assert!(
        out.contains("old-db:\n+        condition: service_started"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn depends_on_healthy() {
    insta::assert_snapshot!(fix(
        "depends-on-healthy/basic",
        &["--select", "depends-on-healthy", "--unsafe-fixes"]
    ));
}

#[test]
fn resource_limits() {
    insta::assert_snapshot!(fix(
        "resource-limits/basic",
        &[
            "--select",
            "resource-limits",
            "--policy",
            "production",
            "--unsafe-fixes"
        ]
    ));
}

#[test]
fn pin_image_tags() {
    insta::assert_snapshot!(fix(
        "pin-image-tags/basic",
        &["--select", "pin-image-tags", "--policy", "policy.yaml"]
    ));
}

#[test]
fn pin_image_tags_findings() {
    insta::assert_snapshot!(check(
        "pin-image-tags/basic",
        &["--select", "pin-image-tags", "--policy", "policy.yaml"]
    ));
}

#[test]
fn env_secrets() {
    let out = fix(
        "env-secrets/basic",
        &["--select", "env-secrets", "--unsafe-fixes"],
    );
    for secret in ["hunter2", "tok-123456", "wp-pass"] {
        assert!(!out.contains(secret), "{secret} printed: {out}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn env_secrets_follow_the_image_facts() {
    let out = fix(
        "env-secrets/images",
        &["--select", "env-secrets", "--unsafe-fixes"],
    );
    for secret in ["maria-pass", "graf-pass", "redis-pass", "pg-pass"] {
        assert!(!out.contains(secret), "{secret} printed: {out}");
    }
    assert!(
        out.contains(" MARIADB_RANDOM_ROOT_PASSWORD: \"true\""),
        "{out}"
    );
    assert!(!out.contains("MARIADB_RANDOM_ROOT_PASSWORD_FILE"), "{out}");
    assert!(
        out.contains("+      GF_SECURITY_ADMIN_PASSWORD__FILE:"),
        "{out}"
    );
    assert!(!out.contains("REDIS_PASSWORD_FILE"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn legacy_links() {
    insta::assert_snapshot!(check("legacy-links/basic", &["--select", "legacy-links"]));
}

#[test]
fn generic_rules() {
    insta::assert_snapshot!(fix(
        "generic/basic",
        &[
            "--policy",
            "policy.yaml",
            "--unsafe-fixes",
            "--select",
            "acme-logging,pull-always,no-privileged"
        ]
    ));
}

#[test]
fn config_mounts() {
    insta::assert_snapshot!(fix(
        "config-mounts/basic",
        &[
            "--select",
            "config-mounts",
            "--policy",
            "production",
            "--unsafe-fixes"
        ]
    ));
}

#[test]
fn config_mounts_writable() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/config-mounts/writable-policy.yaml");
    insta::assert_snapshot!(fix(
        "config-mounts/basic",
        &[
            "--select",
            "config-mounts",
            "--policy",
            dir.to_str().unwrap(),
            "--unsafe-fixes"
        ]
    ));
}

#[test]
fn config_mounts_findings() {
    insta::assert_snapshot!(check(
        "config-mounts/basic",
        &["--select", "config-mounts", "--policy", "production"]
    ));
}

#[test]
fn v1_layout() {
    insta::assert_snapshot!(fix(
        "v1-layout/basic",
        &["--select", "v1-layout", "--policy", "legacy"]
    ));
}

#[test]
fn restart_policy_judges_what_a_service_runs() {
    insta::assert_snapshot!(fix(
        "restart-policy/one-shot",
        &["--select", "restart-policy", "--unsafe-fixes"]
    ));
}

#[test]
fn restart_policy_safe_fixes_only_for_servers() {
    insta::assert_snapshot!(fix(
        "restart-policy/one-shot",
        &["--select", "restart-policy"]
    ));
}

#[test]
fn resource_limits_respect_heaps_minimums_and_existing_limits() {
    insta::assert_snapshot!(fix(
        "resource-limits/heaps",
        &[
            "--select",
            "resource-limits",
            "--policy",
            "production",
            "--unsafe-fixes"
        ]
    ));
}

#[test]
fn resource_limits_findings() {
    insta::assert_snapshot!(check(
        "resource-limits/heaps",
        &["--select", "resource-limits", "--policy", "production"]
    ));
}

#[test]
fn config_mounts_leave_system_paths_alone() {
    insta::assert_snapshot!(fix(
        "config-mounts/system",
        &[
            "--select",
            "config-mounts",
            "--policy",
            "production",
            "--unsafe-fixes"
        ]
    ));
}

#[test]
fn config_mounts_writable_leaves_system_paths_alone() {
    let policy = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/config-mounts/writable-policy.yaml");
    let out = fix(
        "config-mounts/system",
        &[
            "--select",
            "config-mounts",
            "--policy",
            policy.to_str().unwrap(),
            "--unsafe-fixes",
        ],
    );
    for sensitive in [
        "/etc/shadow",
        "/etc/passwd",
        "docker.sock",
        "/proc",
        "/dev/null",
        "tls.key",
    ] {
        assert!(
            !out.lines()
                .any(|l| l.starts_with('+') && !l.starts_with("+++") && l.contains(sensitive)),
            "{sensitive} touched: {out}"
        );
    }
    insta::assert_snapshot!(out);
}

/// A security-pack rule alone on its fixture: the findings (messages, severities, lines),
/// then the diff of `fix --unsafe-fixes` (empty for rules without fixes).
fn security_rule(rule: &str) -> String {
    let fixture = format!("{rule}/basic");
    let select = ["--policy", "security", "--select", rule];
    let fixed = fix(&fixture, &[&select[..], &["--unsafe-fixes"]].concat());
    format!(
        "{}\n==== fix --unsafe-fixes ====\n{fixed}",
        check(&fixture, &select)
    )
}

macro_rules! security_snapshots {
    ($($name:ident => $rule:literal,)*) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(security_rule($rule));
        }
    )*};
}

security_snapshots! {
    security_privileged => "privileged",
    security_docker_socket => "docker-socket",
    security_host_namespaces => "host-namespaces",
    security_dangerous_capabilities => "dangerous-capabilities",
    security_unconfined_security_opt => "unconfined-security-opt",
    security_sensitive_host_mounts => "sensitive-host-mounts",
    security_build_arg_secrets => "build-arg-secrets",
    security_no_new_privileges => "no-new-privileges",
    security_cap_drop_all => "cap-drop-all",
    security_non_root_user => "non-root-user",
    security_host_devices => "host-devices",
    security_cgroup_parent => "cgroup-parent",
    security_mount_propagation => "mount-propagation",
    security_ports_all_interfaces => "ports-all-interfaces",
    security_read_only_root => "read-only-root",
    security_tmpfs_noexec => "tmpfs-noexec",
    security_logging_rotation => "logging-rotation",
    security_healthcheck_disabled => "healthcheck-disabled",
    security_container_name => "container-name",
    security_url_credentials => "url-credentials",
    security_command_secrets => "command-secrets",
    security_localhost_service_address => "localhost-service-address",
    security_privileged_host_ports => "privileged-host-ports",
    security_internal_backend_network => "internal-backend-network",
    security_pids_limit => "pids-limit",
    security_restart_always => "restart-always",
    security_healthcheck_timing => "healthcheck-timing",
    security_pin_image_digests => "pin-image-digests",
    security_volume_over_image_files => "volume-over-image-files",
}

/// A URL password in `environment:` that `env-secrets` reports (with its fix) is not reported
/// again by `url-credentials`; the other places still are.
#[test]
fn url_credentials_leave_environment_urls_to_env_secrets() {
    let out = check(
        "url-credentials/basic",
        &["--select", "env-secrets,url-credentials"],
    );
    assert!(out.contains("env-secrets"), "{out}");
    assert!(
        !out.contains("`services.app.environment.DATABASE_URL`"),
        "{out}"
    );
    assert!(out.contains("`services.app.command[2]`"), "{out}");
    assert!(
        !out.contains("Br0ker-Pass") && !out.contains("hunter2-db"),
        "{out}"
    );
}

/// A value in an anchor is reported once, where it is written, however many services use it.
#[test]
fn url_credentials_report_an_anchor_once() {
    let out = check("url-credentials/alias", &["--select", "url-credentials"]);
    assert_eq!(out.matches("warning[url-credentials]").count(), 1, "{out}");
    assert!(
        out.contains("`x-base.command[1]`") && !out.contains("Alias-Pass-1"),
        "{out}"
    );
}

/// SARIF rule descriptors of security rules carry `security-severity` (GitHub code scanning
/// ranks alerts by it); other rules do not.
#[test]
fn sarif_descriptors_carry_security_severity() {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules/privileged/basic");
    let output = Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(&source)
        .args([
            "check",
            "--format",
            "sarif",
            "--no-config",
            "--policy",
            "production",
        ])
        .args(["--select", "privileged,restart-policy", "compose.yaml"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let score = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {rules:?}"))["properties"]["security-severity"]
            .clone()
    };
    assert_eq!(score("privileged"), "9.0");
    assert!(score("restart-policy").is_null());
}

/// In `production`, an entry two rules judge gets one finding: floating tags are
/// `pin-image-tags`' and a replaced `restart: always` is `restart-policy`'s.
#[test]
fn overlapping_rules_report_an_entry_once() {
    let images = check(
        "pin-image-digests/basic",
        &[
            "--policy",
            "production",
            "--select",
            "pin-image-tags,pin-image-digests",
        ],
    );
    assert_eq!(images.matches("traefik:latest` of").count(), 1, "{images}");
    assert!(
        images.contains("[pin-image-tags]: image `traefik:latest`"),
        "{images}"
    );
    let restart = check(
        "restart-always/basic",
        &[
            "--policy",
            "production",
            "--select",
            "restart-policy,restart-always",
        ],
    );
    assert_eq!(
        restart.matches("uses `restart: always`").count(),
        3,
        "{restart}"
    );
    assert!(
        !restart.contains("[restart-always]: service `api`"),
        "{restart}"
    );
}
