//! Temporary copies, written and fsynced before anything is renamed.
//!
//! They live in a staging directory `.shipshape-tmp-<pid>-<n>/` holding a `.gitignore` of
//! `*`, so git never shows them. One directory per transaction, next to its main file; a
//! target on another device gets its own (a rename cannot cross devices). The directories are
//! removed when the transaction ends; one left by a killed process is removed by
//! [`clean_stale`] once that process is gone.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::PlannedWrite;

const PREFIX: &str = ".shipshape-tmp-";

/// Numbers staging directories within this process.
static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// The staging directories of one transaction; dropped, they are removed with their contents.
pub(super) struct Staging {
    /// Where the transaction's main staging directory goes (next to its main file).
    home: PathBuf,
    dirs: Vec<PathBuf>,
    next_file: usize,
}

/// A temporary copy, complete and fsynced.
pub(super) struct Staged {
    pub(super) path: PathBuf,
    /// An owner or group that could not be kept.
    pub(super) warning: Option<String>,
}

impl Staging {
    pub(super) fn new(home: PathBuf) -> Self {
        Staging {
            home,
            dirs: Vec::new(),
            next_file: 0,
        }
    }

    /// Writes `write`'s contents for `target`, with the permissions and owner of `existing`
    /// (or the write's mode for a new file).
    pub(super) fn stage(
        &mut self,
        write: &PlannedWrite,
        target: &Path,
        existing: Option<&fs::Metadata>,
    ) -> std::io::Result<Staged> {
        self.stage_with_mode(
            &write.path,
            target,
            write.contents.as_bytes(),
            existing,
            write.mode,
        )
    }

    /// Writes `bytes` for `target` with `existing`'s permissions and owner (a rollback).
    pub(super) fn stage_bytes(
        &mut self,
        target: &Path,
        bytes: &[u8],
        existing: Option<&fs::Metadata>,
    ) -> std::io::Result<Staged> {
        self.stage_with_mode(target, target, bytes, existing, None)
    }

    fn stage_with_mode(
        &mut self,
        shown: &Path,
        target: &Path,
        bytes: &[u8],
        existing: Option<&fs::Metadata>,
        mode: Option<u32>,
    ) -> std::io::Result<Staged> {
        let dir = self.dir_for(&super::parent(target))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // `<n>-<name>.tmp` is never mistaken for a compose file by discovery.
        let path = dir.join(format!("{}-{name}.tmp", self.next_file));
        self.next_file += 1;
        let mut file = create_private(&path)?;
        file.write_all(bytes)?;
        let warning = match existing {
            Some(metadata) => {
                let warning = keep_owner(&file, metadata, shown)?;
                // After chown, which clears set-user-id bits.
                file.set_permissions(metadata.permissions())?;
                warning
            }
            None => {
                set_mode(&file, mode.unwrap_or(0o644))?;
                None
            }
        };
        file.sync_all()?;
        Ok(Staged { path, warning })
    }

    /// The staging directory for files going to `target_dir`: the transaction's own when on
    /// the same device, else one inside `target_dir`.
    fn dir_for(&mut self, target_dir: &Path) -> std::io::Result<PathBuf> {
        let same_device = match (device(&self.home), device(target_dir)) {
            (Some(home), Some(target)) => home == target,
            _ => false,
        };
        let parent = if same_device {
            self.home.clone()
        } else {
            target_dir.to_path_buf()
        };
        if let Some(dir) = self.dirs.iter().find(|d| d.parent() == Some(&parent)) {
            return Ok(dir.clone());
        }
        let dir = create_staging_dir(&parent)?;
        self.dirs.push(dir.clone());
        Ok(dir)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        for dir in &self.dirs {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

fn create_staging_dir(parent: &Path) -> std::io::Result<PathBuf> {
    loop {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("{PREFIX}{}-{n}", std::process::id()));
        match fs::create_dir(&dir) {
            // Left by an earlier process with our id: take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        // Before any secret goes in: git ignores everything here, this file included.
        let written = create_private(&dir.join(".gitignore")).and_then(|mut f| f.write_all(b"*\n"));
        if let Err(e) = written {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
        return Ok(dir);
    }
}

/// A new file only its owner can read, refusing to open anything already there.
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Renames `temp` to `target` unless something is there by then (`AlreadyExists`).
pub(super) fn place_new(temp: &Path, target: &Path) -> std::io::Result<()> {
    // A hard link fails when the name exists, atomically; the staged name then goes away.
    match fs::hard_link(temp, target) {
        Ok(()) => {
            let _ = fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        // A file system without hard links: look, then rename.
        Err(_) if fs::symlink_metadata(target).is_ok() => {
            Err(std::io::ErrorKind::AlreadyExists.into())
        }
        Err(_) => fs::rename(temp, target),
    }
}

/// Makes the entries of `dir` (renames, new files) durable.
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        match fs::File::open(dir).and_then(|d| d.sync_all()) {
            // Some file systems cannot fsync a directory; nothing more to do there.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOTSUP)) => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Removes the staging directories in `dir` left by processes that no longer run (killed
/// mid-write); returns how many. Errors are ignored: a leftover is harmless, git ignores it.
pub fn clean_stale(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir
            && pid != std::process::id()
            && !alive(pid)
            && fs::remove_dir_all(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    #[allow(unsafe_code)]
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    // No cheap check: keep the directory (git ignores it).
    true
}

#[cfg(unix)]
fn device(dir: &Path) -> Option<u64> {
    fs::metadata(dir)
        .ok()
        .map(|m| std::os::unix::fs::MetadataExt::dev(&m))
}

#[cfg(not(unix))]
fn device(dir: &Path) -> Option<u64> {
    dir.exists().then_some(0)
}

/// The mode of a new file (other systems keep the default permissions).
fn set_mode(file: &fs::File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// Gives the copy `existing`'s owner and group; when that is not allowed (only root may give
/// a file away), keeps what it can and says what changes.
#[cfg(unix)]
fn keep_owner(
    file: &fs::File,
    existing: &fs::Metadata,
    shown: &Path,
) -> std::io::Result<Option<String>> {
    use std::os::unix::fs::{MetadataExt, fchown};
    let (uid, gid) = (existing.uid(), existing.gid());
    let mine = file.metadata()?;
    if (mine.uid(), mine.gid()) == (uid, gid) {
        return Ok(None);
    }
    if fchown(file, Some(uid), Some(gid)).is_err() {
        // A group we belong to can still be kept.
        let _ = fchown(file, None, Some(gid));
    }
    let now = file.metadata()?;
    if (now.uid(), now.gid()) == (uid, gid) {
        return Ok(None);
    }
    Ok(Some(format!(
        "{}: owner changes from {uid}:{gid} to {}:{} (only root can keep another user's \
         ownership); run as that user or chown it back",
        shown.display(),
        now.uid(),
        now.gid()
    )))
}

#[cfg(not(unix))]
fn keep_owner(
    _file: &fs::File,
    _existing: &fs::Metadata,
    _shown: &Path,
) -> std::io::Result<Option<String>> {
    Ok(None)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A staging directory left by a killed process must not show up in `git status`, or a
    /// staged secret could be committed.
    #[test]
    fn git_ignores_a_staging_directory() {
        let git = |dir: &Path, args: &[&str]| {
            std::process::Command::new("git")
                .args(args)
                .current_dir(dir)
                .output()
        };
        let dir = tempfile::tempdir().unwrap();
        match git(dir.path(), &["init", "-q"]) {
            Ok(out) if out.status.success() => {}
            _ => {
                eprintln!("skipped: git is not available");
                return;
            }
        }
        let staging = create_staging_dir(dir.path()).unwrap();
        fs::write(staging.join("0-db_password.txt.tmp"), "s3cret").unwrap();
        fs::write(dir.path().join("compose.yaml"), "services: {}\n").unwrap();
        let status = git(
            dir.path(),
            &["status", "--porcelain", "--untracked-files=all"],
        )
        .unwrap();
        assert_eq!(String::from_utf8_lossy(&status.stdout), "?? compose.yaml\n");
    }

    #[test]
    fn temporary_names_are_not_compose_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("compose.yaml");
        let mut staging = Staging::new(dir.path().to_path_buf());
        let staged = staging.stage_bytes(&target, b"a: 1\n", None).unwrap();
        let name = staged.path.file_name().unwrap().to_str().unwrap();
        assert!(!crate::discover::is_compose_name(name), "{name}");
        let staging_dir = staged.path.parent().unwrap().to_path_buf();
        assert!(staging_dir.exists());
        drop(staging);
        assert!(
            !staging_dir.exists(),
            "dropped staging must remove its directory"
        );
    }
}
