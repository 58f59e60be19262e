//! The fix oracle: every built-in pack, with `--unsafe-fixes`, over every corpus file the
//! real Docker Compose accepts, on a temporary copy of the file's repository folder:
//!
//! (a) after `fix --write`, Compose still accepts the file;
//! (b) a second `fix` changes nothing (idempotence);
//! (c) every comment of the input is still in the output;
//! (d) the model Compose loads (`config --format json`) differs only at the paths the
//!     applied rules name.
//!
//! Needs Docker Compose v2 (`DOCKER_COMPOSE_BIN`); `.ci/run` installs it. Narrow a run with
//! `FIX_ORACLE_FILTER=<substring of the path>` and `FIX_ORACLE_PACKS=production,legacy`.

use crate::common;
use common::shared_dir;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

const PACKS: &[&str] = &["recommended", "production", "legacy"];

fn compose_bin() -> PathBuf {
    match std::env::var_os("DOCKER_COMPOSE_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => panic!(
            "the fix oracle needs Docker Compose v2: install it with `../shared/tools/install-compose-v2` \
             and export DOCKER_COMPOSE_BIN=<the path it prints> (CI does this in .ci/run)"
        ),
    }
}

/// Which parts of the loaded model each rule may change (prefixes; `*` is one segment).
fn allowed_paths(rule: &str) -> &'static [&'static str] {
    match rule {
        "pin-image-tags" => &["services.*.image"],
        "healthcheck" => &["services.*.healthcheck"],
        "depends-on-healthy" => &["services.*.depends_on", "services.*.healthcheck"],
        "resource-limits" => &["services.*.deploy", "services.*.pids_limit"],
        "config-mounts" => &["services.*.volumes", "services.*.configs", "configs"],
        "env-secrets" => &[
            "services.*.environment",
            "services.*.secrets",
            "services.*.env_file",
            "secrets",
        ],
        "restart-policy" => &["services.*.restart"],
        // The security pack: each fix touches only the key its rule names.
        "privileged" => &["services.*.privileged"],
        "cap-drop-all" => &["services.*.cap_drop"],
        "no-new-privileges" | "unconfined-security-opt" => &["services.*.security_opt"],
        "read-only-root" => &["services.*.read_only", "services.*.tmpfs"],
        "pids-limit" => &["services.*.pids_limit", "services.*.deploy"],
        "restart-always" => &["services.*.restart"],
        "pin-image-digests" => &["services.*.image"],
        "ports-all-interfaces" => &["services.*.ports"],
        "tmpfs-noexec" => &["services.*.tmpfs"],
        "logging-rotation" => &["services.*.logging"],
        "writable-config-mounts" => &["services.*.volumes"],
        "localhost-service-address" => &["services.*.environment"],
        // `version:` and the v1 layout do not reach the model.
        _ => &[],
    }
}

fn corpus_files(corpus: &Path) -> Vec<PathBuf> {
    let mut files = common::yaml_files(corpus);
    let filter = std::env::var("FIX_ORACLE_FILTER").unwrap_or_default();
    files.retain(|f| f.to_string_lossy().contains(&filter));
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create temp dir");
    for entry in std::fs::read_dir(from).expect("read corpus dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy corpus file");
        }
    }
}

/// `docker-compose config --format json` from the file's directory with an empty
/// environment; the copy's root is replaced by `ROOT` so copies compare.
fn load_model(compose: &Path, root: &Path, file: &Path) -> Result<Value, String> {
    let dir = file.parent().expect("file has a directory");
    let output = Command::new(compose)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .current_dir(dir)
        .args(["-p", "oracle", "-f"])
        .arg(file.file_name().expect("file name"))
        .args(["config", "--format", "json"])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.contains("level=warning"))
            .collect();
        return Err(errors.join(" | "));
    }
    // Paths may reach outside the file's folder (`../..`): name the copy's root, not the folder.
    let text = String::from_utf8_lossy(&output.stdout).replace(&root.display().to_string(), "ROOT");
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

fn differences(before: &Value, after: &Value, path: &mut Vec<String>, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                path.push(key.clone());
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(x, y, path, out),
                    _ => out.push(path.join(".")),
                }
                path.pop();
            }
        }
        (x, y) if x != y => out.push(path.join(".")),
        _ => {}
    }
}

fn allowed(path: &str, rules: &[String]) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    rules.iter().flat_map(|r| allowed_paths(r)).any(|prefix| {
        let wanted: Vec<&str> = prefix.split('.').collect();
        segments.len() >= wanted.len()
            && wanted
                .iter()
                .zip(&segments)
                .all(|(w, s)| *w == "*" || w == s)
    })
}

fn shipshape(dir: &Path, file: &Path, pack: &str, write: bool) -> Result<Value, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shipshape"));
    cmd.current_dir(dir).args([
        "fix",
        "--no-config",
        "--unsafe-fixes",
        "--format",
        "json",
        "--policy",
        pack,
    ]);
    if write {
        cmd.arg("--write");
    }
    let output = cmd.arg(file).output().map_err(|e| e.to_string())?;
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "no JSON from shipshape ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn comments(text: &str) -> Vec<String> {
    match shipshape::document::Document::parse(text) {
        Ok(doc) => doc
            .comments()
            .map(|(_, c)| c.trim_end().to_string())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[derive(Default)]
struct Tally {
    accepted: usize,
    changed: BTreeMap<&'static str, usize>,
    applied: BTreeMap<String, usize>,
    refused: BTreeMap<String, usize>,
    /// One example reason per refused rule.
    refusal_examples: BTreeMap<String, String>,
    failures: Vec<String>,
}

fn check_file(compose: &Path, corpus: &Path, file: &Path, tally: &Mutex<Tally>) {
    let relative = file.strip_prefix(corpus).expect("file under corpus");
    let repo = relative
        .components()
        .next()
        .expect("repo folder")
        .as_os_str()
        .to_owned();
    let temp = tempfile::tempdir().expect("temp dir");
    let original_copy = temp.path().join("original");
    copy_dir(&corpus.join(&repo), &original_copy.join(&repo));
    let Ok(before) = load_model(compose, &original_copy, &original_copy.join(relative)) else {
        return;
    };
    tally.lock().unwrap().accepted += 1;
    let input = std::fs::read_to_string(file).unwrap_or_default();
    let packs: Vec<String> = std::env::var("FIX_ORACLE_PACKS")
        .map(|p| p.split(',').map(str::to_string).collect())
        .unwrap_or_else(|_| PACKS.iter().map(std::string::ToString::to_string).collect());
    for pack in PACKS.iter().filter(|p| packs.iter().any(|q| q == *p)) {
        let work = temp.path().join(pack);
        copy_dir(&corpus.join(&repo), &work.join(&repo));
        let target = work.join(relative);
        let fail = |what: &str, detail: String| {
            tally
                .lock()
                .unwrap()
                .failures
                .push(format!("{} [{pack}] {what}: {detail}", relative.display()));
        };
        let report = match shipshape(&work, &target, pack, true) {
            Ok(r) => r,
            Err(e) => {
                fail("run", e);
                continue;
            }
        };
        let summary = &report["files"][0]["fix"];
        let rules: Vec<String> = summary["applied"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["rule"].as_str().map(str::to_string))
            .collect();
        {
            let mut t = tally.lock().unwrap();
            for rule in &rules {
                *t.applied.entry(format!("{pack}/{rule}")).or_default() += 1;
            }
            for refused in summary["refused"].as_array().into_iter().flatten() {
                let rule = refused["rule"].as_str().unwrap_or("?");
                *t.refused.entry(format!("{pack}/{rule}")).or_default() += 1;
                let reason = format!(
                    "{}: {}",
                    relative.display(),
                    refused["reason"].as_str().unwrap_or_default()
                );
                t.refusal_examples.entry(rule.to_string()).or_insert(reason);
            }
        }
        let output = std::fs::read_to_string(&target).unwrap_or_default();
        if output == input {
            continue;
        }
        *tally.lock().unwrap().changed.entry(pack).or_default() += 1;
        // (a) Compose still accepts it, and (d) only the applied rules' paths changed.
        match load_model(compose, &work, &target) {
            Err(e) => fail("(a) compose rejects the output", e),
            Ok(after) => {
                let mut diffs = Vec::new();
                differences(&before, &after, &mut Vec::new(), &mut diffs);
                let unexpected: Vec<&String> =
                    diffs.iter().filter(|d| !allowed(d, &rules)).collect();
                if !unexpected.is_empty() {
                    fail(
                        "(d) model changed outside the applied rules",
                        format!("{unexpected:?} (applied: {rules:?})"),
                    );
                }
            }
        }
        // (b) Idempotence.
        match shipshape(&work, &target, pack, false) {
            Ok(second) if second["files"][0]["fix"]["changed"] == Value::Bool(true) => {
                let again: Vec<&str> = second["files"][0]["fix"]["applied"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a["rule"].as_str())
                    .collect();
                fail("(b) second fix changes the file", format!("{again:?}"));
            }
            Ok(_) => {}
            Err(e) => fail("(b) second run", e),
        }
        // (c) Comments survive.
        let mut remaining = comments(&output);
        for comment in comments(&input) {
            match remaining.iter().position(|c| *c == comment) {
                Some(i) => {
                    remaining.swap_remove(i);
                }
                None => fail("(c) comment lost", comment),
            }
        }
    }
}

#[test]
#[ignore = "needs Docker Compose v2 (DOCKER_COMPOSE_BIN); run by .ci/run"]
fn fixes_keep_files_valid_idempotent_and_scoped() {
    let compose = compose_bin();
    let corpus = shared_dir().join("corpus");
    let files = corpus_files(&corpus);
    assert!(
        !files.is_empty(),
        "no corpus files under {}",
        corpus.display()
    );
    let queue = Mutex::new(files.iter());
    let tally = Mutex::new(Tally::default());
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let Some(file) = queue.lock().unwrap().next() else {
                        break;
                    };
                    check_file(&compose, &corpus, file, &tally);
                }
            });
        }
    });
    let tally = tally.into_inner().unwrap();
    eprintln!(
        "fix oracle: {} files, {} accepted by Compose; files changed per pack: {:?}",
        files.len(),
        tally.accepted,
        tally.changed
    );
    eprintln!("applied fixes: {:?}", tally.applied);
    eprintln!("refused fixes: {:?}", tally.refused);
    for (rule, example) in &tally.refusal_examples {
        eprintln!("  e.g. {rule}: {example}");
    }
    for failure in &tally.failures {
        eprintln!("FAIL {failure}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} fix-oracle failures (listed above)",
        tally.failures.len()
    );
}
