//! Writes that never lose data: every file of a change is staged in a temporary file next to
//! its target (fsynced, permissions copied), then all are renamed into place; if any step
//! fails, what was already renamed is restored. A file changed on disk since it was read is
//! not overwritten, and an existing secret file is never replaced by other content.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::finding::FileChange;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: changed on disk since it was read; run shipshape again")]
    Modified { path: PathBuf },
    #[error("{path}: exists with other contents; refusing to overwrite it")]
    Conflict { path: PathBuf },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
    move |e| WriteError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// One file to replace or create.
#[derive(Debug, Clone)]
pub struct PlannedWrite {
    pub path: PathBuf,
    pub contents: String,
    /// Mode for a new file; an existing file keeps its own permissions.
    pub mode: Option<u32>,
    /// Refuse when the file's modification time is no longer this.
    pub expect_modified: Option<SystemTime>,
}

/// A set of writes that lands whole or not at all.
#[derive(Debug, Default)]
pub struct Transaction {
    writes: Vec<PlannedWrite>,
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn write(&mut self, write: PlannedWrite) {
        self.writes.push(write);
    }

    /// Adds the side files of a fix, relative to the compose file's directory.
    pub fn add_changes(
        &mut self,
        compose_file: &Path,
        changes: &[FileChange],
    ) -> Result<(), WriteError> {
        let dir = compose_file.parent().unwrap_or(Path::new("."));
        for change in changes {
            match change {
                FileChange::Create {
                    path,
                    contents,
                    mode,
                    ..
                } => {
                    let target = dir.join(path);
                    match fs::read_to_string(&target) {
                        Ok(existing) if existing == *contents => {}
                        Ok(_) => return Err(WriteError::Conflict { path: target }),
                        Err(_) => self.write(PlannedWrite {
                            path: target,
                            contents: contents.clone(),
                            mode: Some(*mode),
                            expect_modified: None,
                        }),
                    }
                }
                FileChange::EnsureLine { path, line } => {
                    let target = dir.join(path);
                    let staged = self
                        .writes
                        .iter()
                        .find(|w| w.path == target)
                        .map(|w| w.contents.clone());
                    let existing = staged
                        .or_else(|| fs::read_to_string(&target).ok())
                        .unwrap_or_default();
                    if existing.lines().any(|l| l.trim() == line.trim()) {
                        continue;
                    }
                    let mut contents = existing;
                    if !contents.is_empty() && !contents.ends_with('\n') {
                        contents.push('\n');
                    }
                    contents.push_str(line);
                    contents.push('\n');
                    self.writes.retain(|w| w.path != target);
                    self.write(PlannedWrite {
                        path: target,
                        contents,
                        mode: Some(0o644),
                        expect_modified: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// Stages every file, then renames them all into place; rolls back on failure.
    pub fn commit(self) -> Result<Vec<PathBuf>, WriteError> {
        let mut staged = Vec::new();
        for write in &self.writes {
            match stage(write) {
                Ok(temp) => staged.push((write, temp)),
                Err(e) => {
                    drop(staged); // temp files delete themselves
                    return Err(e);
                }
            }
        }
        let mut done: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
        for (write, temp) in staged {
            let target = real_target(&write.path);
            let backup = fs::read(&target).ok();
            if let Err(e) = temp.persist(&target) {
                rollback(&done);
                return Err(WriteError::Io {
                    path: target,
                    message: e.error.to_string(),
                });
            }
            done.push((target, backup));
        }
        Ok(done.into_iter().map(|(p, _)| p).collect())
    }
}

/// A symlinked compose file is written through to its target.
fn real_target(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn stage(write: &PlannedWrite) -> Result<tempfile::NamedTempFile, WriteError> {
    let target = real_target(&write.path);
    if let Some(expected) = write.expect_modified {
        let now = fs::metadata(&target)
            .and_then(|m| m.modified())
            .map_err(io_error(&target))?;
        if now != expected {
            return Err(WriteError::Modified {
                path: write.path.clone(),
            });
        }
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".shipshape-")
        .tempfile_in(dir)
        .map_err(io_error(dir))?;
    temp.write_all(write.contents.as_bytes())
        .map_err(io_error(&target))?;
    temp.as_file().sync_all().map_err(io_error(&target))?;
    let permissions = match fs::metadata(&target) {
        Ok(meta) => meta.permissions(),
        Err(_) => mode_permissions(write.mode.unwrap_or(0o644)),
    };
    fs::set_permissions(temp.path(), permissions).map_err(io_error(&target))?;
    Ok(temp)
}

#[cfg(unix)]
fn mode_permissions(mode: u32) -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(mode)
}

#[cfg(not(unix))]
fn mode_permissions(_mode: u32) -> fs::Permissions {
    fs::metadata(".")
        .map(|m| m.permissions())
        .expect("current directory is readable")
}

fn rollback(done: &[(PathBuf, Option<Vec<u8>>)]) {
    for (path, backup) in done.iter().rev() {
        let _ = match backup {
            Some(bytes) => fs::write(path, bytes),
            None => fs::remove_file(path),
        };
    }
}

/// A reason the side files of a fix cannot be created (an existing file with other contents).
pub fn file_conflict(compose_file: &Path, changes: &[FileChange]) -> Option<String> {
    let dir = compose_file.parent().unwrap_or(Path::new("."));
    changes.iter().find_map(|change| match change {
        FileChange::Create { path, contents, .. } => match fs::read_to_string(dir.join(path)) {
            Ok(existing) if existing != *contents => Some(format!(
                "{} exists with other contents; refusing to overwrite it",
                path.display()
            )),
            _ => None,
        },
        FileChange::EnsureLine { .. } => None,
    })
}
