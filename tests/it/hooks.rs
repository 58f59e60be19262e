//! The integration files at the repository root: `.pre-commit-hooks.yaml` and `action.yml`.
//! (`.ci/run` also runs the hooks with the real pre-commit.)

use std::path::Path;

use shipshape::discover::is_compose_name;

fn root_file(name: &str) -> yaml_serde::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn pre_commit_hooks_match_compose_file_names_only() {
    let hooks = root_file(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().expect("a list of hooks");
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["shipshape-check", "shipshape-fix"]);
    let compose = [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.override.yaml",
        "compose.prod.yaml",
        "docker-compose.prod.yml",
        "deploy/docker-compose.staging.yml",
        "a/b/compose.override.yml",
    ];
    let other = [
        ".github/workflows/ci.yml",
        ".github/workflows/compose.yml.bak",
        "values.yaml",
        "composer.yaml",
        "my-compose.yaml",
        "compose.json",
        "compose..yaml",
        "k8s/deployment.yaml",
        ".pre-commit-config.yaml",
        "docker-compose",
    ];
    for hook in hooks {
        assert_eq!(hook["language"], "rust", "{hook:?}");
        let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
        for path in compose.iter().chain(&other) {
            let name = path.rsplit('/').next().unwrap();
            assert_eq!(
                files.is_match(path),
                is_compose_name(name),
                "{}: `files` and discovery disagree on {path}",
                hook["id"].as_str().unwrap()
            );
        }
        for path in compose {
            assert!(files.is_match(path), "{path}");
        }
        for path in other {
            assert!(!files.is_match(path), "{path}");
        }
    }
}

#[test]
fn the_action_uploads_sarif_and_uses_real_options() {
    let action = root_file("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(
        uses.iter()
            .any(|u| u.starts_with("github/codeql-action/upload-sarif@")),
        "{uses:?}"
    );
    assert!(
        uses.iter()
            .any(|u| u.starts_with("reviewdog/action-setup@")),
        "{uses:?}"
    );
    // Every option the action passes to `shipshape check` exists.
    let help = assert_cmd::Command::cargo_bin("shipshape")
        .unwrap()
        .args(["check", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    let scripts: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    let mut checked = 0;
    for line in scripts.iter().flat_map(|s| s.lines()) {
        let Some(command) = line.trim().strip_prefix("shipshape check ") else {
            continue;
        };
        for option in command.split_whitespace().filter(|w| w.starts_with("--")) {
            let name = option.split('=').next().unwrap();
            assert!(help.contains(name), "action.yml uses unknown option {name}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "found only {checked} options in action.yml");
    for format in ["github", "sarif", "rdjson"] {
        assert!(
            scripts
                .iter()
                .any(|s| s.contains(&format!("--format {format}"))),
            "{format}"
        );
    }
}
