//! Helpers shared by the CLI tests: a temporary workspace and a way to run the binary.
#![allow(dead_code)] // each test crate uses a different subset

use std::fs;
use std::path::{Path, PathBuf};

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: std::process::Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

pub(crate) fn shipshape(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("shipshape").expect("binary is built");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    Run::from(shipshape(dir).args(args).output().expect("shipshape runs"))
}

/// A temporary directory holding `files` (paths relative to it).
pub(crate) fn workspace(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("inside the workspace")).unwrap();
        fs::write(path, contents).unwrap();
    }
    dir
}

#[cfg(unix)]
pub(crate) fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Root ignores file modes; run the binary as `nobody` then, so modes bite.
#[cfg(unix)]
pub(crate) fn unprivileged(dir: &Path, args: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("shipshape"));
    cmd.current_dir(dir).env("NO_COLOR", "1").args(args);
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    Run::from(cmd.output().expect("shipshape runs"))
}

#[cfg(unix)]
pub(crate) fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `<CARGO_MANIFEST_DIR>/../shared`, or `$SHIPSHAPE_SHARED`. Panics (failing the test) with
/// instructions when the data is missing: a suite that silently passes without its data proves
/// nothing.
pub(crate) fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("SHIPSHAPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    assert!(
        dir.join("corpus").is_dir() && dir.join("yaml-test-suite").is_dir(),
        "shared test data not found at {}: it must contain corpus/ (the public compose corpus, \
         see corpus/SOURCES.md) and yaml-test-suite/ (the `data` branch of \
         https://github.com/yaml/yaml-test-suite). Check out the project's shared data next to \
         the repository or set SHIPSHAPE_SHARED to its location.",
        dir.display()
    );
    dir
}

/// Every `*.yml` / `*.yaml` file under `dir`, sorted.
pub(crate) fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The real Docker Compose v2: `DOCKER_COMPOSE_BIN`, else where `install-compose-v2` puts it.
pub(crate) fn compose_bin() -> PathBuf {
    std::env::var_os("DOCKER_COMPOSE_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/compose-v2/docker-compose"))
        })
        .filter(|b| b.is_file())
        .expect("Docker Compose v2: install it with ../shared/tools/install-compose-v2 and export DOCKER_COMPOSE_BIN")
}

/// `docker compose -f FILE… ARGS…` run in `dir` with nothing in its environment but PATH,
/// HOME and `env`: whether it succeeded, and its message on one line (warnings dropped, the
/// directory's prefix removed from the paths it names).
pub(crate) fn compose_verdict(
    dir: &Path,
    files: &[&Path],
    env: &std::collections::HashMap<String, String>,
    args: &[&str],
) -> (bool, String) {
    let mut command = std::process::Command::new(compose_bin());
    command.current_dir(dir).env_clear();
    for keep in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(keep) {
            command.env(keep, value);
        }
    }
    command.envs(env);
    for file in files {
        command.arg("-f").arg(file);
    }
    let output = command.args(args).output().expect("docker compose runs");
    let message = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| !l.contains("level=warning"))
        .collect::<Vec<_>>()
        .join(" ")
        .replace(&format!("{}/", dir.display()), "")
        .replace('\t', " ")
        .trim()
        .to_string();
    (output.status.success(), message)
}
