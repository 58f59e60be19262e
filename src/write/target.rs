//! What is at a target path right now, judged against what the plan expects: checked before
//! staging and again right before each rename. Never follows a symlink.

use std::fs;
use std::io::Read;
use std::path::Path;

use super::{Expect, PlannedWrite, WriteError};

/// The target as found.
pub(super) enum Existing {
    Absent,
    /// A file to be created already holds exactly the new contents: nothing to do.
    Same,
    /// A regular file with one link, holding what the plan expects.
    File {
        bytes: Vec<u8>,
        metadata: fs::Metadata,
    },
}

impl Existing {
    pub(super) fn metadata(&self) -> Option<&fs::Metadata> {
        match self {
            Existing::File { metadata, .. } => Some(metadata),
            Existing::Absent | Existing::Same => None,
        }
    }
}

/// Looks at `target` for `write`: refuses a file that changed since it was read, a symlink,
/// something that is not a regular file, a file with several hard links, or (for a new
/// file) an existing file with other contents.
pub(super) fn inspect(write: &PlannedWrite, target: &Path) -> Result<Existing, WriteError> {
    let path = || write.path.clone();
    let creating = write.expect == Expect::Absent;
    let lstat = match fs::symlink_metadata(target) {
        Ok(lstat) => lstat,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match write.expect {
                // Deleted (or moved away) since it was read.
                Expect::Contents(_) => Err(WriteError::Modified { path: path() }),
                Expect::Absent | Expect::Anything => Ok(Existing::Absent),
            };
        }
        Err(e) => return Err(WriteError::io(&write.path, "cannot look at it", e)),
    };
    if creating && !lstat.is_file() {
        return Err(WriteError::Conflict { path: path() });
    }
    if lstat.file_type().is_symlink() {
        return Err(WriteError::Symlink { path: path() });
    }
    if !lstat.is_file() {
        return Err(WriteError::Io {
            path: path(),
            message: "not a regular file; refusing to replace it".into(),
        });
    }
    let (bytes, metadata) =
        read_no_follow(target).map_err(|e| WriteError::io(&write.path, "cannot read it", e))?;
    match &write.expect {
        Expect::Absent if bytes == write.contents.as_bytes() => return Ok(Existing::Same),
        Expect::Absent => return Err(WriteError::Conflict { path: path() }),
        Expect::Contents(read) if *read != bytes => {
            return Err(WriteError::Modified { path: path() });
        }
        Expect::Contents(_) | Expect::Anything => {}
    }
    let links = link_count(&metadata);
    if links > 1 {
        return Err(WriteError::HardLinked {
            path: path(),
            links,
        });
    }
    Ok(Existing::File { bytes, metadata })
}

/// Reads a file without following a symlink swapped in since it was looked at.
fn read_no_follow(path: &Path) -> std::io::Result<(Vec<u8>, fs::Metadata)> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::other("it changed into something else"));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok((bytes, metadata))
}

#[cfg(unix)]
fn link_count(metadata: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(metadata)
}

#[cfg(not(unix))]
fn link_count(_metadata: &fs::Metadata) -> u64 {
    1
}
