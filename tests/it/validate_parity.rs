//! Parity with the real Docker Compose v2: for every corpus file, `docker compose -f FILE
//! config --quiet` and `shipshape validate FILE` must agree on valid/invalid, and for the
//! invalid ones on the reason (Compose's message mapped to our check ids). Both run from the
//! file's directory in an empty environment (interpolation reads it). Divergences that are
//! right on our side are listed in `tests/parity-allowlist.txt` with a reason; the test fails
//! on any other divergence and on stale entries.

use crate::common;
use common::shared_dir;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rayon::prelude::*;

const ALLOWLIST: &str = include_str!("../parity-allowlist.txt");

pub(crate) fn compose_bin() -> PathBuf {
    let bin = std::env::var_os("DOCKER_COMPOSE_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/compose-v2/docker-compose"))
        })
        .unwrap_or_default();
    assert!(
        bin.is_file(),
        "Docker Compose v2 not found at {}: install it with ../shared/tools/install-compose-v2 and export DOCKER_COMPOSE_BIN=<the path it prints>",
        bin.display()
    );
    bin
}

/// The corpus directory and its compose files (asserting the corpus is there).
pub(crate) fn corpus_files() -> (PathBuf, Vec<PathBuf>) {
    let corpus = shared_dir().join("corpus");
    let files = common::yaml_files(&corpus);
    assert!(
        files.len() > 500,
        "corpus not found under {}",
        corpus.display()
    );
    (corpus, files)
}

/// A command run from the file's directory with nothing in its environment but PATH/HOME.
fn in_empty_env(program: &Path, file: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(file.parent().expect("corpus files live in a directory"))
        .env_clear();
    for keep in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(keep) {
            command.env(keep, value);
        }
    }
    command
}

struct Verdict {
    valid: bool,
    /// Compose: its error message; shipshape: the ids of the error findings.
    reason: String,
}

fn compose_verdict(bin: &Path, file: &Path) -> Verdict {
    let name = file.file_name().expect("a file name");
    let output = in_empty_env(bin, file)
        .arg("-f")
        .arg(name)
        .args(["config", "--quiet"])
        .output()
        .expect("docker compose runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason = stderr
        .lines()
        .filter(|l| !l.contains("level=warning"))
        .collect::<Vec<_>>()
        .join(" ");
    Verdict {
        valid: output.status.success(),
        reason,
    }
}

fn shipshape_verdict(file: &Path) -> Verdict {
    let name = file.file_name().expect("a file name");
    let output = in_empty_env(Path::new(env!("CARGO_BIN_EXE_shipshape")), file)
        .args(["validate", "--no-config", "--format", "json"])
        .arg(name)
        .output()
        .expect("shipshape runs");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let mut rules: Vec<String> = Vec::new();
    for file in report["files"].as_array().into_iter().flatten() {
        if !file["error"].is_null() {
            rules.push("unreadable".into());
        }
        for finding in file["findings"].as_array().into_iter().flatten() {
            if finding["severity"] == "error" {
                rules.push(finding["rule"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    rules.sort();
    rules.dedup();
    Verdict {
        valid: output.status.success(),
        reason: rules.join(","),
    }
}

/// Our check ids that express the reason Compose gives.
fn expected_rules(compose_message: &str) -> &'static [&'static str] {
    const TABLE: &[(&str, &[&str])] = &[
        ("neither an image nor a build context", &["missing-image"]),
        ("refers to undefined network", &["undefined-network"]),
        ("refers to undefined volume", &["undefined-volume"]),
        ("refers to undefined secret", &["undefined-secret"]),
        ("refers to undefined config", &["undefined-config"]),
        ("depends on undefined service", &["undefined-service"]),
        ("dependency cycle detected", &["depends-on-cycle"]),
        ("required variable", &["interpolation"]),
        ("failed to cast", &["schema"]),
        ("invalid spec", &["invalid-volume"]),
        ("No port specified", &["invalid-port"]),
        ("Invalid hostPort", &["invalid-port"]),
        ("Invalid containerPort", &["invalid-port"]),
        (
            "mutually exclusive `network_mode`",
            &["network-mode-conflict"],
        ),
        ("empty compose file", &["empty-file"]),
        ("include cycle", &["include"]),
        ("env file", &["missing-env-file", "env-file"]),
        ("container name", &["duplicate-container-name"]),
        ("mem_limit", &["memory-limit-conflict"]),
        ("additional properties", &["legacy-layout", "schema"]),
        ("validating", &["schema"]),
        ("decoding failed", &["invalid-size", "schema"]),
        (
            "no such file or directory",
            &["include", "missing-file", "extends"],
        ),
    ];
    TABLE
        .iter()
        .find(|(needle, _)| compose_message.contains(needle))
        .map_or(&[], |(_, rules)| rules)
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn verdicts_match_docker_compose() {
    let bin = compose_bin();
    let (corpus, files) = corpus_files();
    let allowed: BTreeMap<String, String> = ALLOWLIST
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (path, reason) = l.split_once('#').unwrap_or((l, ""));
            (path.trim().to_string(), reason.trim().to_string())
        })
        .collect();
    let results: Vec<(String, Verdict, Verdict)> = files
        .par_iter()
        .map(|file| {
            let relative = file
                .strip_prefix(&corpus)
                .unwrap_or(file)
                .to_string_lossy()
                .into_owned();
            (
                relative,
                compose_verdict(&bin, file),
                shipshape_verdict(file),
            )
        })
        .collect();

    let mut table: BTreeMap<(bool, bool), usize> = BTreeMap::new();
    let mut divergences: Vec<String> = Vec::new();
    let mut diverging: Vec<&str> = Vec::new();
    for (file, compose, ours) in &results {
        *table.entry((compose.valid, ours.valid)).or_default() += 1;
        let mut problem = None;
        if compose.valid != ours.valid {
            problem = Some(format!(
                "compose says {}, shipshape says {}",
                verdict(compose.valid),
                verdict(ours.valid)
            ));
        } else if !compose.valid {
            let expected = expected_rules(&compose.reason);
            let ours_rules: Vec<&str> = ours.reason.split(',').collect();
            if !expected.is_empty() && !expected.iter().any(|r| ours_rules.contains(r)) {
                problem = Some(format!(
                    "both invalid, but for different reasons (expected one of {expected:?})"
                ));
            }
        }
        if let Some(problem) = problem {
            diverging.push(file);
            if !allowed.contains_key(file) {
                divergences.push(format!(
                    "{file}: {problem}\n    compose:   {}\n    shipshape: {}",
                    compose.reason, ours.reason
                ));
            }
        }
    }
    let stale: Vec<&String> = allowed
        .keys()
        .filter(|f| !diverging.contains(&f.as_str()))
        .collect();

    println!(
        "\nparity with docker compose over {} corpus files",
        results.len()
    );
    println!("| compose \\ shipshape | valid | invalid |");
    println!("|---|---:|---:|");
    for compose in [true, false] {
        println!(
            "| {} | {} | {} |",
            verdict(compose),
            table.get(&(compose, true)).unwrap_or(&0),
            table.get(&(compose, false)).unwrap_or(&0)
        );
    }
    let agree = results.len() - diverging.len();
    println!(
        "agree: {agree}, disagree: {} ({} allowlisted)",
        diverging.len(),
        diverging.len() - divergences.len()
    );
    assert!(
        divergences.is_empty(),
        "{} divergences from docker compose:\n{}",
        divergences.len(),
        divergences.join("\n")
    );
    assert!(
        stale.is_empty(),
        "allowlist entries that no longer diverge (remove them): {stale:?}"
    );
}

/// Multi-file projects of the corpus, merged as `docker compose -f A -f B` merges them:
/// (directory relative to the corpus, files in order).
fn multi_file_projects(corpus: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let mut projects: Vec<(PathBuf, Vec<String>)> = [
        (
            "appwrite__appwrite",
            &["docker-compose.yml", "docker-compose.override.yml"][..],
        ),
        (
            "netbox-community__netbox-docker",
            &[
                "docker-compose.yml",
                "docker-compose.test.yml",
                "docker-compose.test.override.yml",
            ],
        ),
        (
            "kubernetes__kompose/script/test/fixtures/multiple-files",
            &["first.yaml", "second.yaml"],
        ),
        (
            "kubernetes__kompose/script/test/fixtures/unused/merge-multiple-compose",
            &["base.yml", "dev.yml"],
        ),
        (
            "kubernetes__kompose/script/test/fixtures/unused/merge-multiple-compose",
            &["base.yml", "compose-new-service-prob.yml"],
        ),
        (
            "kubernetes__kompose/script/test/fixtures/unused/merge-multiple-compose",
            &["compose-port-base.yml", "compose-port-prod.yml"],
        ),
        (
            "kubernetes__kompose/script/test/fixtures/unused/merge-multiple-compose",
            &[
                "other-toplevel-base.yml",
                "other-toplevel-dev.yml",
                "other-toplevel-ext.yml",
            ],
        ),
        (
            "kubernetes__kompose/script/test/fixtures/unused/merge-multiple-compose",
            &[
                "service-merge-concat-base.yml",
                "service-merge-concat-override.yml",
            ],
        ),
    ]
    .iter()
    .map(|(dir, files)| {
        (
            corpus.join(dir),
            files.iter().map(std::string::ToString::to_string).collect(),
        )
    })
    .collect();
    // nginx-proxy's test suite: the base file, the test's base override if any, the test file.
    let tests = corpus.join("nginx-proxy__nginx-proxy/test");
    let test_files = common::yaml_files(&tests);
    for file in test_files {
        let Ok(relative) = file.strip_prefix(&tests) else {
            continue;
        };
        let name = relative.to_string_lossy().into_owned();
        if relative.components().count() != 2 || !name.contains("/test_") {
            continue;
        }
        let mut files = vec!["compose.base.yml".to_string()];
        let base_override = relative
            .parent()
            .map(|d| d.join("compose.base.override.yml"));
        if let Some(o) = base_override.filter(|o| tests.join(o).is_file()) {
            files.push(o.to_string_lossy().into_owned());
        }
        files.push(name);
        projects.push((tests.clone(), files));
    }
    projects
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn multi_file_verdicts_match_docker_compose() {
    let bin = compose_bin();
    let corpus = shared_dir().join("corpus");
    let projects = multi_file_projects(&corpus);
    assert!(
        projects.len() > 50,
        "corpus not found under {}",
        corpus.display()
    );
    let divergences: Vec<String> = projects
        .par_iter()
        .filter_map(|(dir, files)| {
            let with_files = |mut command: Command| {
                command.current_dir(dir);
                for file in files {
                    command.arg("-f").arg(file);
                }
                command
            };
            let anchor = dir.join(&files[0]);
            let compose = with_files(in_empty_env(&bin, &anchor)).args(["config", "--quiet"]).output().expect("docker compose runs");
            let mut ours = in_empty_env(Path::new(env!("CARGO_BIN_EXE_shipshape")), &anchor);
            ours.args(["validate", "--no-config", "-q"]);
            let ours = with_files(ours).output().expect("shipshape runs");
            (compose.status.success() != ours.status.success()).then(|| {
                format!(
                    "{} -f {}: compose says {}, shipshape says {}\n    compose: {}\n    shipshape: {}",
                    dir.display(),
                    files.join(" -f "),
                    verdict(compose.status.success()),
                    verdict(ours.status.success()),
                    String::from_utf8_lossy(&compose.stderr).trim(),
                    String::from_utf8_lossy(&ours.stdout).trim()
                )
            })
        })
        .collect();
    println!(
        "multi-file parity: {} projects, {} disagree",
        projects.len(),
        divergences.len()
    );
    assert!(divergences.is_empty(), "{}", divergences.join("\n"));
}

fn verdict(valid: bool) -> &'static str {
    if valid { "valid" } else { "invalid" }
}
