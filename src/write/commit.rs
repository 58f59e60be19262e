//! Landing a transaction: stage every file, rename group by group with directory fsyncs in
//! between, and undo what already landed when a step fails.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::staging::{self, Staging};
use super::target::{Existing, inspect};
use super::{Committed, PlannedWrite, WriteError, parent};

/// A commit in progress: what it staged, what it already changed, how to undo it.
pub(super) struct Run {
    staging: Staging,
    journal: Vec<Landed>,
    created_dirs: Vec<PathBuf>,
    pub(super) committed: Committed,
}

/// A file renamed into place, and how to undo that.
enum Landed {
    Created(PathBuf),
    Replaced { target: PathBuf, old: Vec<u8> },
}

impl Run {
    pub(super) fn new(home: PathBuf) -> Self {
        Run {
            staging: Staging::new(home),
            journal: Vec::new(),
            created_dirs: Vec::new(),
            committed: Committed::default(),
        }
    }

    pub(super) fn all(&mut self, groups: &[Vec<PlannedWrite>]) -> Result<(), WriteError> {
        // Refuse before touching anything when a file already changed or cannot be replaced.
        for write in groups.iter().flatten() {
            inspect(write, &write.target())?;
        }
        let mut staged = Vec::new();
        for write in groups.iter().flatten() {
            let target = write.target();
            self.create_dirs(write, &parent(&target))?;
            let existing = inspect(write, &target)?;
            let temp = self
                .staging
                .stage(write, &target, existing.metadata())
                .map_err(|e| {
                    WriteError::io(&write.path, "cannot write a temporary copy next to it", e)
                })?;
            self.committed.warnings.extend(temp.warning.clone());
            staged.push(temp);
        }
        let mut staged = staged.into_iter();
        let mut dirs = BTreeSet::new();
        for (index, group) in groups.iter().enumerate() {
            for write in group {
                // Staged in the same order as `groups` is walked.
                let temp = staged.next().expect("one staged copy per write");
                let target = write.target();
                self.land(write, &target, &temp.path)?;
                dirs.insert(parent(&target));
            }
            // `.gitignore` and new files are flushed together (one fsync per directory, not
            // two): what matters is that both are durable before a main file refers to them.
            if index == 0 {
                continue;
            }
            for dir in std::mem::take(&mut dirs) {
                staging::sync_dir(&dir)
                    .map_err(|e| WriteError::io(&dir, "cannot flush the directory", e))?;
            }
        }
        Ok(())
    }

    fn create_dirs(&mut self, write: &PlannedWrite, dir: &Path) -> Result<(), WriteError> {
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(d.to_path_buf());
            at = d.parent();
        }
        for d in missing.into_iter().rev() {
            match fs::create_dir(&d) {
                Ok(()) => self.created_dirs.push(d.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(WriteError::io(
                        &write.path,
                        "cannot create its directory",
                        e,
                    ));
                }
            }
            // The new directory's entry must survive a crash before files land in it.
            staging::sync_dir(&parent(&d))
                .map_err(|e| WriteError::io(&d, "cannot flush the directory", e))?;
        }
        Ok(())
    }

    /// Renames one staged copy into place, checking right before that the target is still
    /// what the plan saw.
    fn land(&mut self, write: &PlannedWrite, target: &Path, temp: &Path) -> Result<(), WriteError> {
        let rename_error = |e| WriteError::io(&write.path, "cannot move the new contents in", e);
        match inspect(write, target)? {
            Existing::Same => {
                let _ = fs::remove_file(temp);
                return Ok(());
            }
            Existing::Absent => {
                staging::place_new(temp, target).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        WriteError::Conflict {
                            path: write.path.clone(),
                        }
                    } else {
                        rename_error(e)
                    }
                })?;
                self.journal.push(Landed::Created(target.to_path_buf()));
            }
            Existing::File { bytes, .. } => {
                fs::rename(temp, target).map_err(rename_error)?;
                self.journal.push(Landed::Replaced {
                    target: target.to_path_buf(),
                    old: bytes,
                });
            }
        }
        self.committed.written.push(write.path.clone());
        Ok(())
    }

    /// Best effort: puts back what was replaced, removes what was created.
    pub(super) fn roll_back(&mut self) {
        for landed in self.journal.drain(..).rev() {
            match landed {
                Landed::Created(path) => {
                    let _ = fs::remove_file(&path);
                }
                Landed::Replaced { target, old } => {
                    let metadata = fs::symlink_metadata(&target).ok();
                    if let Ok(temp) = self.staging.stage_bytes(&target, &old, metadata.as_ref()) {
                        let _ = fs::rename(&temp.path, &target);
                    }
                }
            }
        }
        for dir in self.created_dirs.drain(..).rev() {
            let _ = fs::remove_dir(&dir);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn roll_back_restores_replaced_files_and_removes_what_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let compose = dir.path().join("compose.yaml");
        fs::write(&compose, "old\n").unwrap();
        fs::set_permissions(&compose, fs::Permissions::from_mode(0o640)).unwrap();
        let secret = dir.path().join("secrets/deep/db.txt");
        let writes = [
            PlannedWrite::create(&secret, "s3cret", 0o600),
            PlannedWrite::replace(&compose, None, "new\n", b"old\n"),
        ];
        let mut run = Run::new(dir.path().to_path_buf());
        for write in &writes {
            let target = write.target();
            run.create_dirs(write, &parent(&target)).unwrap();
            let existing = inspect(write, &target).unwrap();
            let staged = run
                .staging
                .stage(write, &target, existing.metadata())
                .unwrap();
            run.land(write, &target, &staged.path).unwrap();
        }
        assert_eq!(fs::read_to_string(&compose).unwrap(), "new\n");
        assert_eq!(fs::read_to_string(&secret).unwrap(), "s3cret");
        run.roll_back();
        drop(run);
        assert_eq!(fs::read_to_string(&compose).unwrap(), "old\n");
        let mode = fs::metadata(&compose).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
        assert!(!dir.path().join("secrets").exists());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["compose.yaml"]);
    }
}
