//! Helpers shared by the CLI tests: a temporary workspace and a way to run the binary.
#![allow(dead_code)] // each test crate uses a different subset

use std::fs;
use std::path::Path;

pub struct Run {
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

pub fn shipshape(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("shipshape").expect("binary is built");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

pub fn run(dir: &Path, args: &[&str]) -> Run {
    Run::from(shipshape(dir).args(args).output().expect("shipshape runs"))
}

/// A temporary directory holding `files` (paths relative to it).
pub fn workspace(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().expect("inside the workspace")).unwrap();
        fs::write(path, contents).unwrap();
    }
    dir
}

#[cfg(unix)]
pub fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Root ignores file modes; run the binary as `nobody` then, so modes bite.
#[cfg(unix)]
pub fn unprivileged(dir: &Path, args: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("shipshape"));
    cmd.current_dir(dir).env("NO_COLOR", "1").args(args);
    if is_root() {
        cmd.uid(65534).gid(65534);
    }
    Run::from(cmd.output().expect("shipshape runs"))
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}
