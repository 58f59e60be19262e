//! Writes that never lose data, even when the process is killed half-way.
//!
//! A [`Transaction`] holds the main files of a change (compose files) and their side files
//! (secret files, `.gitignore` lines). What it promises:
//!
//! - **Order.** Every file is first written to a temporary copy and fsynced; then `.gitignore`
//!   files are renamed into place, then new files, then the main files last, and each
//!   directory is fsynced before the next group lands. Killed at any instant (or on power loss),
//!   the disk holds either the old state or one where every file a main file refers to exists
//!   with its full contents.
//! - **All or nothing on errors.** A step that fails restores what was already renamed (and
//!   removes the directories it created); temporary copies are removed before `commit` returns.
//! - **No lost edits.** Right before each rename, the target must still hold the bytes it was
//!   read with (content, not modification time), be a regular file (a symlink put in its place
//!   is not followed) and have a single link (a rename would split hard links: refused).
//! - **Same file, new contents.** A replaced file keeps its mode, owner and group; when only
//!   root could keep the owner or group, the change is made and reported as a warning.
//! - **Temporary files stay out of the way.** They live in a staging directory
//!   `.shipshape-tmp-<pid>-<n>/` next to the files, whose own `.gitignore` (`*`) hides it from
//!   git; one left by a killed process is removed by [`clean_stale`] on the next run.
//!
//! What it refuses or leaves out: replacing a secret file that holds other contents; extended
//! attributes and ACLs are not copied; a staging directory whose process id belongs to a live
//! process (on this host) is never touched, even if another host left it on a shared disk; a
//! bind mount inside a project (same device, another mount) makes the rename fail — an error,
//! with everything rolled back. The check right before a rename narrows, but cannot close, the
//! window in which another program may still write the file (there is no lock to take).

mod commit;
mod staging;
mod target;

use std::fs;
use std::path::{Path, PathBuf};

use crate::finding::FileChange;

use commit::Run;
pub use staging::clean_stale;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: changed on disk since it was read; run shipshape again")]
    Modified { path: PathBuf },
    #[error("{path}: exists with other contents; refusing to overwrite it")]
    Conflict { path: PathBuf },
    #[error(
        "{path}: is a symbolic link now (it was read as a regular file); not following it, \
         run shipshape again"
    )]
    Symlink { path: PathBuf },
    #[error(
        "{path}: has {links} hard links; replacing it would leave the other names with the \
         old contents; refusing (copy the file to break the link, or edit it by hand)"
    )]
    HardLinked { path: PathBuf, links: u64 },
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
}

impl WriteError {
    fn io(path: &Path, what: &str, error: std::io::Error) -> WriteError {
        WriteError::Io {
            path: path.to_path_buf(),
            message: format!("{what}: {error}"),
        }
    }
}

/// What a file must hold right before it is replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Whatever is there may be replaced, through a symlink: files only shipshape writes
    /// (the lock file).
    Anything,
    /// Nothing may be there, except a file with exactly the new contents (left as is).
    Absent,
    /// Exactly these bytes, as read when the change was planned.
    Contents(Vec<u8>),
}

/// One file to replace or create.
#[derive(Debug, Clone)]
pub struct PlannedWrite {
    /// The file as the user named it (messages use it).
    pub path: PathBuf,
    /// Where the bytes go when that differs from `path`: the file a symlink pointed to when
    /// it was read. Only this file is written, never what a link points to now.
    pub real_path: Option<PathBuf>,
    pub contents: String,
    /// Mode for a new file; an existing file keeps its own permissions.
    pub mode: Option<u32>,
    pub expect: Expect,
}

impl PlannedWrite {
    /// Replaces a file read as `read` (refused if it changed since).
    pub fn replace(
        path: &Path,
        real_path: Option<&Path>,
        contents: impl Into<String>,
        read: &[u8],
    ) -> Self {
        PlannedWrite {
            path: path.to_path_buf(),
            real_path: real_path.map(Path::to_path_buf),
            contents: contents.into(),
            mode: None,
            expect: Expect::Contents(read.to_vec()),
        }
    }

    /// Creates a file that must not exist yet (or already holds exactly `contents`).
    pub fn create(path: &Path, contents: impl Into<String>, mode: u32) -> Self {
        PlannedWrite {
            path: path.to_path_buf(),
            real_path: None,
            contents: contents.into(),
            mode: Some(mode),
            expect: Expect::Absent,
        }
    }

    /// Writes a file whatever it holds now, through a symlink (files only shipshape writes).
    pub fn overwrite(path: &Path, contents: impl Into<String>, mode: u32) -> Self {
        PlannedWrite {
            expect: Expect::Anything,
            ..PlannedWrite::create(path, contents, mode)
        }
    }

    /// The file the bytes go to.
    fn target(&self) -> PathBuf {
        match (&self.real_path, &self.expect) {
            (Some(real), _) => real.clone(),
            // Written through a symlink on purpose (see `Expect::Anything`).
            (None, Expect::Anything) => {
                fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone())
            }
            (None, _) => self.path.clone(),
        }
    }
}

/// What a successful commit did.
#[derive(Debug, Default)]
pub struct Committed {
    /// Files written, in the order they landed.
    pub written: Vec<PathBuf>,
    /// Things the user should know (an owner that could not be kept).
    pub warnings: Vec<String>,
}

/// A set of writes that lands whole or not at all, side files before main files.
#[derive(Debug, Default)]
pub struct Transaction {
    /// `.gitignore` files: they land first, so a secret file never exists unignored.
    ignores: Vec<PlannedWrite>,
    /// Files the main files refer to (secret files, env files).
    side: Vec<PlannedWrite>,
    /// The files that refer to the others (compose files): they land last.
    main: Vec<PlannedWrite>,
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a main file: it lands after every side file.
    pub fn write(&mut self, write: PlannedWrite) {
        self.main.push(write);
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
                    match fs::read(&target) {
                        Ok(existing) if existing == contents.as_bytes() => {}
                        Ok(_) => return Err(WriteError::Conflict { path: target }),
                        Err(_) => {
                            self.side
                                .push(PlannedWrite::create(&target, contents.clone(), *mode));
                        }
                    }
                }
                FileChange::EnsureLine { path, line } => {
                    let target = dir.join(path);
                    self.ensure_line(&target, line)?;
                }
            }
        }
        Ok(())
    }

    fn ensure_line(&mut self, target: &Path, line: &str) -> Result<(), WriteError> {
        let index = match self.ignores.iter().position(|w| w.path == target) {
            Some(index) => index,
            None => {
                let planned = match fs::read(target) {
                    Ok(bytes) => PlannedWrite {
                        contents: String::from_utf8(bytes.clone()).map_err(|_| WriteError::Io {
                            path: target.to_path_buf(),
                            message: format!("not UTF-8; add the line `{line}` by hand"),
                        })?,
                        expect: Expect::Contents(bytes),
                        mode: None,
                        ..PlannedWrite::create(target, "", 0o644)
                    },
                    Err(_) => PlannedWrite::create(target, "", 0o644),
                };
                self.ignores.push(planned);
                self.ignores.len() - 1
            }
        };
        let contents = &mut self.ignores[index].contents;
        if contents.lines().any(|l| l.trim() == line.trim()) {
            return Ok(());
        }
        if !contents.is_empty() && !contents.ends_with('\n') {
            contents.push('\n');
        }
        contents.push_str(line);
        contents.push('\n');
        Ok(())
    }

    /// Stages every file, then renames them into place group by group (`.gitignore`, new
    /// files, main files), fsyncing directories in between; restores everything on failure.
    pub fn commit(self) -> Result<Committed, WriteError> {
        let groups: Vec<Vec<PlannedWrite>> = [self.ignores, self.side, self.main]
            .into_iter()
            .map(|group| group.into_iter().filter(unchanged_is_skipped).collect())
            .collect();
        let home = groups
            .iter()
            .rev()
            .flatten()
            .next()
            .map(|w| parent(&w.target()));
        let Some(home) = home else {
            return Ok(Committed::default());
        };
        let mut run = Run::new(home);
        match run.all(&groups) {
            Ok(()) => Ok(run.committed),
            Err(e) => {
                run.roll_back();
                Err(e)
            }
        }
    }
}

/// A `.gitignore` whose lines were all present already is not rewritten.
fn unchanged_is_skipped(write: &PlannedWrite) -> bool {
    write.expect != Expect::Contents(write.contents.as_bytes().to_vec())
}

fn parent(path: &Path) -> PathBuf {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// A reason the side files of a fix cannot be created (an existing file with other contents).
pub fn file_conflict(compose_file: &Path, changes: &[FileChange]) -> Option<String> {
    let dir = compose_file.parent().unwrap_or(Path::new("."));
    changes.iter().find_map(|change| match change {
        FileChange::Create { path, contents, .. } => match fs::read(dir.join(path)) {
            Ok(existing) if existing != contents.as_bytes() => Some(format!(
                "{} exists with other contents; refusing to overwrite it",
                path.display()
            )),
            _ => None,
        },
        FileChange::EnsureLine { .. } => None,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn side_files_land_before_the_main_file() {
        let dir = tempfile::tempdir().unwrap();
        let compose = dir.path().join("compose.yaml");
        fs::write(&compose, "old\n").unwrap();
        let mut tx = Transaction::new();
        tx.write(PlannedWrite::replace(&compose, None, "new\n", b"old\n"));
        let changes = [
            FileChange::Create {
                path: "secrets/db.txt".into(),
                contents: "s3cret".into(),
                mode: 0o600,
                secret: true,
            },
            FileChange::EnsureLine {
                path: ".gitignore".into(),
                line: "/secrets/".into(),
            },
        ];
        tx.add_changes(&compose, &changes).unwrap();
        let committed = tx.commit().unwrap();
        let order: Vec<_> = committed
            .written
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            order,
            [
                PathBuf::from(".gitignore"),
                PathBuf::from("secrets/db.txt"),
                PathBuf::from("compose.yaml")
            ]
        );
    }
}
