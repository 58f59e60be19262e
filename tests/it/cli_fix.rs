//! End-to-end tests of `fix`: diffs, `--write`, `--check`, idempotence, suppressions, and
//! writes that fail without losing data.

use std::fs;

use crate::common;

use common::{run, shipshape, workspace};

/// A service that `restart-policy` fixes (safe) and nothing else touches.
const NEEDS_RESTART: &str = "# the app\nservices:\n  app:\n    image: nginx:1.27.3  # pinned\n";

fn restart_only(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["--no-config", "--select", "restart-policy"]
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    args.extend(extra.iter().map(std::string::ToString::to_string));
    args
}

fn args<'a>(command: &'a str, owned: &'a [String]) -> Vec<&'a str> {
    std::iter::once(command)
        .chain(owned.iter().map(String::as_str))
        .collect()
}

#[test]
fn fix_prints_a_diff_and_changes_nothing() {
    let dir = workspace(&[("compose.yaml", NEEDS_RESTART.as_bytes())]);
    let owned = restart_only(&[]);
    let r = run(dir.path(), &args("fix", &owned));
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout, @r"
    --- compose.yaml
    +++ compose.yaml
    @@ -2,3 +2,4 @@
     services:
       app:
         image: nginx:1.27.3  # pinned
    +    restart: unless-stopped
    ");
    assert!(
        r.stderr.contains("compose.yaml: would fix 1 issue"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        NEEDS_RESTART
    );
}

#[test]
fn fix_check_exits_1_when_there_is_something_to_change() {
    let dir = workspace(&[("compose.yaml", NEEDS_RESTART.as_bytes())]);
    let owned = restart_only(&["--check"]);
    assert_eq!(run(dir.path(), &args("fix", &owned)).code, 1);
}

#[test]
fn write_twice_changes_nothing_the_second_time() {
    let dir = workspace(&[("compose.yaml", NEEDS_RESTART.as_bytes())]);
    let owned = restart_only(&["--write"]);
    let first = run(dir.path(), &args("fix", &owned));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let written = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert_eq!(
        written,
        format!("{NEEDS_RESTART}    restart: unless-stopped\n")
    );
    let second = run(dir.path(), &args("fix", &owned));
    assert_eq!(second.code, 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        written
    );
    let check = restart_only(&["--check"]);
    assert_eq!(
        run(dir.path(), &args("fix", &check)).code,
        0,
        "nothing left to fix"
    );
}

#[test]
fn five_hundred_files_with_one_broken_are_all_fixed_but_it() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..500 {
        let sub = dir.path().join(format!("svc{i:03}"));
        fs::create_dir_all(&sub).unwrap();
        let text = if i == 250 {
            "services:\n  app: [\n".to_string()
        } else {
            NEEDS_RESTART.to_string()
        };
        fs::write(sub.join("compose.yaml"), text).unwrap();
    }
    let owned = restart_only(&["--write"]);
    let r = run(dir.path(), &args("fix", &owned));
    assert_eq!(r.code, 2, "the broken file decides the exit code");
    assert!(
        r.stderr.contains("svc250/compose.yaml:3:1: invalid YAML")
            || r.stderr.contains("svc250/compose.yaml:"),
        "{}",
        r.stderr
    );
    let fixed = (0..500)
        .filter(|i| {
            fs::read_to_string(dir.path().join(format!("svc{i:03}/compose.yaml")))
                .unwrap()
                .contains("restart: unless-stopped")
        })
        .count();
    assert_eq!(fixed, 499);
}

#[test]
fn inline_suppression_on_a_service_silences_it() {
    let text = "services:\n  app:  # shipshape: ignore[restart-policy] supervised by systemd\n    image: nginx:1.27.3\n";
    let dir = workspace(&[("compose.yaml", text.as_bytes())]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--no-config",
            "--select",
            "restart-policy",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let finding = &json["files"][0]["findings"][0];
    assert_eq!(finding["rule"], "restart-policy");
    assert_eq!(finding["suppressed"], true);
    assert_eq!(finding["suppression_reason"], "supervised by systemd");
    let owned = restart_only(&["--check"]);
    assert_eq!(
        run(dir.path(), &args("fix", &owned)).code,
        0,
        "suppressed findings are not fixed"
    );
}

#[test]
fn config_ignores_need_a_reason_and_apply_by_file_and_rule() {
    let config =
        "ignores:\n  - file: \"legacy/**\"\n    rule: restart-policy\n    reason: retired in Q3\n";
    let dir = workspace(&[
        ("shipshape.yaml", config.as_bytes()),
        ("legacy/compose.yaml", NEEDS_RESTART.as_bytes()),
        ("app/compose.yaml", NEEDS_RESTART.as_bytes()),
    ]);
    let r = run(
        dir.path(),
        &["check", "--select", "restart-policy", "--format", "json"],
    );
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let suppressed: Vec<(String, bool)> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["findings"][0]["suppressed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        suppressed,
        vec![
            ("app/compose.yaml".to_string(), false),
            ("legacy/compose.yaml".to_string(), true)
        ]
    );
    let missing_reason = workspace(&[
        ("shipshape.yaml", b"ignores:\n  - rule: restart-policy\n"),
        ("compose.yaml", NEEDS_RESTART.as_bytes()),
    ]);
    let r = run(missing_reason.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("reason"), "{}", r.stderr);
}

#[test]
fn stdin_fix_writes_the_fixed_text_to_stdout() {
    let dir = workspace(&[]);
    let output = shipshape(dir.path())
        .args([
            "fix",
            "--no-config",
            "--select",
            "restart-policy",
            "--stdin-filename",
            "compose.yaml",
            "-",
        ])
        .write_stdin(NEEDS_RESTART)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{NEEDS_RESTART}    restart: unless-stopped\n")
    );
}

#[cfg(unix)]
mod failing_writes {
    use super::*;
    use common::{set_mode, unprivileged};

    #[test]
    fn permission_denied_on_write_keeps_the_file() {
        let dir = workspace(&[("compose.yaml", NEEDS_RESTART.as_bytes())]);
        set_mode(dir.path(), 0o755);
        set_mode(&dir.path().join("compose.yaml"), 0o444);
        // The directory is writable by its owner only; nobody cannot create the temp file.
        let owned = restart_only(&["--write"]);
        let r = unprivileged(dir.path(), &args("fix", &owned));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr.contains("compose.yaml")
                && r.stderr.to_lowercase().contains("permission denied"),
            "{}",
            r.stderr
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
            NEEDS_RESTART
        );
        // A failed write never claims to have fixed anything.
        assert!(
            !r.stderr.contains("fixed 1 issue") && !r.stderr.contains("Fixed"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains("Nothing fixed; 1 file not written"),
            "{}",
            r.stderr
        );
    }

    #[test]
    fn read_only_directory_is_reported_and_nothing_is_written() {
        let dir = workspace(&[
            ("ro/compose.yaml", NEEDS_RESTART.as_bytes()),
            ("rw/compose.yaml", NEEDS_RESTART.as_bytes()),
        ]);
        for d in ["", "ro", "rw"] {
            set_mode(&dir.path().join(d), 0o777);
        }
        set_mode(&dir.path().join("rw/compose.yaml"), 0o666);
        set_mode(&dir.path().join("ro"), 0o555);
        let owned = restart_only(&["--write"]);
        let r = unprivileged(dir.path(), &args("fix", &owned));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("ro/compose.yaml"), "{}", r.stderr);
        assert!(!r.stderr.contains("ro/compose.yaml: fixed"), "{}", r.stderr);
        assert!(
            r.stderr.contains("rw/compose.yaml: fixed 1 issue")
                && r.stderr
                    .contains("Fixed 1 issue in 1 file; 1 file not written"),
            "{}",
            r.stderr
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("ro/compose.yaml")).unwrap(),
            NEEDS_RESTART
        );
        assert!(
            fs::read_to_string(dir.path().join("rw/compose.yaml"))
                .unwrap()
                .contains("restart: unless-stopped")
        );
    }
}

#[test]
fn a_file_compose_rejects_is_left_untouched_and_fails() {
    let invalid = "services:\n  app:\n    image: acme/app:1.2.3\n    ports: [\"80:80/sctpx\"]\n    depends_on: [ghost]\n";
    let dir = workspace(&[("compose.yaml", invalid.as_bytes())]);
    let owned = restart_only(&["--write"]);
    let r = run(dir.path(), &args("fix", &owned));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("left unchanged: Docker Compose rejects this file"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        invalid
    );
    let json = run(
        dir.path(),
        &args("fix", &restart_only(&["--format", "json"])),
    );
    assert!(
        json.stdout.contains("\"blocked\": \"left unchanged"),
        "{}",
        json.stdout
    );
}

#[test]
fn a_v1_file_converges_in_one_run() {
    let v1 = "web:\n  image: nginx:1.27.3\n  links: [db]\ndb:\n  image: postgres:16.4\n";
    let dir = workspace(&[("docker-compose.yml", v1.as_bytes())]);
    let first = run(
        dir.path(),
        &[
            "fix",
            "--no-config",
            "--policy",
            "legacy",
            "--write",
            "--unsafe-fixes",
        ],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let fixed = fs::read_to_string(dir.path().join("docker-compose.yml")).unwrap();
    assert!(fixed.starts_with("services:\n"), "{fixed}");
    assert!(
        fixed.contains("restart:"),
        "second-round fixes missing:\n{fixed}"
    );
    let second = run(
        dir.path(),
        &[
            "fix",
            "--no-config",
            "--policy",
            "legacy",
            "--check",
            "--unsafe-fixes",
        ],
    );
    assert_eq!(second.code, 0, "{}\n{fixed}", second.stderr);
}

/// A service spread over a base and overrides gets a missing key once, in the base file; a key
/// an override already sets counts as present.
#[test]
fn a_project_gets_each_missing_key_once_in_the_base_file() {
    let policy = "name: t\nensure:\n  - id: ensure-logging\n    values:\n      logging: {driver: local}\n    safety: safe\n  - id: ensure-init\n    values:\n      init: true\n    safety: safe\n";
    let dir = workspace(&[
        (
            "compose.yaml",
            b"services:\n  web:\n    image: acme/web:1.0\n",
        ),
        (
            "compose.override.yaml",
            b"services:\n  web:\n    ports: [\"8080:80\"]\n",
        ),
        ("policy.yaml", policy.as_bytes()),
    ]);
    let select = [
        "--no-config",
        "--policy",
        "policy.yaml",
        "--select",
        "ensure-logging",
        "--select",
        "ensure-init",
    ];
    let directory = run(dir.path(), &[&["fix"][..], &select].concat());
    assert_eq!(directory.code, 0, "{}", directory.stderr);
    assert!(
        directory.stdout.contains("+++ compose.yaml"),
        "{}",
        directory.stdout
    );
    assert!(
        !directory.stdout.contains("+++ compose.override.yaml"),
        "{}",
        directory.stdout
    );
    // An overlay that is not an `.override` file is merged only when named with `-f`.
    fs::write(
        dir.path().join("compose.prod.yaml"),
        "services:\n  web:\n    init: false\n",
    )
    .unwrap();
    let project = run(
        dir.path(),
        &[
            &["fix", "-f", "compose.yaml", "-f", "compose.prod.yaml"][..],
            &select,
        ]
        .concat(),
    );
    assert_eq!(project.code, 0, "{}", project.stderr);
    assert!(
        project.stdout.contains("+    logging:"),
        "{}",
        project.stdout
    );
    assert!(
        !project.stdout.contains("+    init:"),
        "init is set by compose.prod.yaml:\n{}",
        project.stdout
    );
    assert!(
        !project.stdout.contains("+++ compose.prod.yaml"),
        "{}",
        project.stdout
    );
}

/// `restart:` for a service spread over three files lands once, in the base file.
#[test]
fn restart_is_added_once_per_project() {
    let dir = workspace(&[
        (
            "compose.yaml",
            b"services:\n  web:\n    image: nginx:1.27.3\n",
        ),
        (
            "compose.override.yaml",
            b"services:\n  web:\n    ports: [\"8080:80\"]\n",
        ),
        (
            "compose.prod.yaml",
            b"services:\n  web:\n    environment: {A: b}\n",
        ),
    ]);
    let r = run(
        dir.path(),
        &[
            "fix",
            "--no-config",
            "--select",
            "restart-policy",
            "-f",
            "compose.yaml",
            "-f",
            "compose.override.yaml",
            "-f",
            "compose.prod.yaml",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.matches("+    restart: unless-stopped").count(),
        1,
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("+++ compose.yaml"), "{}", r.stdout);
}
