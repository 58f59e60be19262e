//! `shipshape init` (a baseline config for an existing repository), `completions` and `man`.

use crate::common::{run, workspace};

const OLD: &[u8] = b"services:\n  db:\n    image: postgres:latest\n  web:\n    image: nginx:1.27\n";

#[test]
fn init_baselines_todays_findings_so_only_new_ones_fail() {
    let dir = workspace(&[("app/compose.yaml", OLD)]);
    assert_eq!(run(dir.path(), &["check", "-q"]).code, 1);
    let r = run(dir.path(), &["init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("wrote shipshape.yaml"), "{}", r.stderr);
    let config = std::fs::read_to_string(dir.path().join("shipshape.yaml")).unwrap();
    // One entry per finding, narrowed to its service, with a reason to replace.
    let body: String = config
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(body);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // A new service brings new findings: they fail.
    let grown = [OLD, b"  cache:\n    image: redis:7.4\n".as_slice()].concat();
    std::fs::write(dir.path().join("app/compose.yaml"), grown).unwrap();
    let r = run(dir.path(), &["check", "-q"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("cache"), "{}", r.stdout);
    assert!(!r.stdout.contains("service `db`"), "{}", r.stdout);
}

#[test]
fn init_refuses_to_overwrite_a_config_unless_forced() {
    let dir = workspace(&[
        ("compose.yaml", OLD),
        ("shipshape.yaml", b"ignore: [healthcheck]\n"),
    ]);
    let r = run(dir.path(), &["init"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("shipshape.yaml exists; `shipshape init --force`"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shipshape.yaml")).unwrap(),
        "ignore: [healthcheck]\n"
    );
    let r = run(dir.path(), &["init", "--force", "--policy", "production"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = std::fs::read_to_string(dir.path().join("shipshape.yaml")).unwrap();
    assert!(config.contains("policies:\n- production\n"), "{config}");
    assert_eq!(run(dir.path(), &["check"]).code, 0);
}

#[test]
fn completions_are_generated_for_each_shell() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    for (shell, marker) in [
        ("bash", "complete -F _shipshape"),
        ("zsh", "#compdef shipshape"),
        ("fish", "complete -c shipshape"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(dir.path(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}: {}", r.stdout);
        assert!(r.stdout.contains("fail-on"), "{shell} lacks --fail-on");
    }
    assert_eq!(run(dir.path(), &["completions", "tcsh"]).code, 2);
}

#[test]
fn man_pages_are_generated_from_the_arguments() {
    let dir = workspace(&[] as &[(&str, &[u8])]);
    let r = run(dir.path(), &["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH shipshape 1"), "{}", r.stdout);
    assert!(r.stdout.contains("completions"), "{}", r.stdout);
    let r = run(dir.path(), &["man", "check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH shipshape-check 1"), "{}", r.stdout);
    assert!(r.stdout.contains("statistics"), "{}", r.stdout);
    assert_eq!(run(dir.path(), &["man", "frobnicate"]).code, 2);
}
