//! Loaded files, shared by every stage: each file is read and parsed once per run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::document::{Document, LoadError, MAX_FILE_SIZE};

/// Why a file could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: cannot read: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}:{error}")]
    Load { path: PathBuf, error: LoadError },
}

/// A loaded compose file: its bytes as read (for change detection) and its document.
#[derive(Debug)]
pub struct Source {
    pub path: PathBuf,
    pub document: Document,
    /// The file the bytes came from, symlinks resolved when it was read: a fix is written
    /// there, and only if it still holds `document.text()`.
    pub real_path: Option<PathBuf>,
}

/// A cache of loaded files, safe to share between threads.
#[derive(Debug, Default)]
pub struct SourceCache {
    files: Mutex<HashMap<PathBuf, Result<Arc<Source>, SourceError>>>,
}

impl SourceCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads `path` (once) and returns its document.
    pub fn load(&self, path: &Path) -> Result<Arc<Source>, SourceError> {
        if let Some(found) = self.lock().get(path) {
            return found.clone();
        }
        let loaded = read_source(path);
        self.lock().insert(path.to_path_buf(), loaded.clone());
        loaded
    }

    /// Registers text that did not come from disk (standard input).
    pub fn insert_text(&self, path: &Path, text: &str) -> Result<Arc<Source>, SourceError> {
        self.insert_bytes(path, text.as_bytes())
    }

    /// Registers bytes that did not come from disk; not UTF-8 or too large is a located error.
    pub fn insert_bytes(&self, path: &Path, bytes: &[u8]) -> Result<Arc<Source>, SourceError> {
        let loaded = Document::from_bytes(bytes)
            .map(|document| {
                Arc::new(Source {
                    path: path.to_path_buf(),
                    document,
                    real_path: None,
                })
            })
            .map_err(|error| SourceError::Load {
                path: path.to_path_buf(),
                error,
            });
        self.lock().insert(path.to_path_buf(), loaded.clone());
        loaded
    }

    /// A file already loaded, without touching the disk.
    pub fn get(&self, path: &Path) -> Option<Arc<Source>> {
        self.lock().get(path).and_then(|r| r.as_ref().ok().cloned())
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Result<Arc<Source>, SourceError>>> {
        // A panic while holding the lock cannot leave the map half-updated (single insert).
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn read_source(path: &Path) -> Result<Arc<Source>, SourceError> {
    // Resolved before reading: a link swapped afterwards fails the content check on write.
    let real_path = std::fs::canonicalize(path).ok();
    let bytes = read_regular_file(path)?;
    let document = Document::from_bytes(&bytes).map_err(|error| SourceError::Load {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(Arc::new(Source {
        path: path.to_path_buf(),
        document,
        real_path,
    }))
}

/// Reads a regular file, refusing what would hang or exhaust memory: a FIFO or device (a
/// read that may never end), or a file above [`MAX_FILE_SIZE`] (checked before reading, and
/// again while reading, for files that grow).
fn read_regular_file(path: &Path) -> Result<Vec<u8>, SourceError> {
    use std::io::Read;
    let read_error = |message: String| SourceError::Read {
        path: path.to_path_buf(),
        message,
    };
    let too_large = |size: usize| SourceError::Load {
        path: path.to_path_buf(),
        error: LoadError::TooLarge {
            size,
            limit: MAX_FILE_SIZE,
        },
    };
    // Look before opening: opening a FIFO blocks until a writer comes.
    let metadata = std::fs::metadata(path).map_err(|e| read_error(e.to_string()))?;
    if metadata.is_dir() {
        return Err(read_error(
            "it is a directory; name a compose file or let shipshape walk it".into(),
        ));
    }
    if !metadata.is_file() {
        return Err(read_error(
            "not a regular file (a FIFO, socket or device); pass a compose file, or `-` and \
             the text on standard input"
                .into(),
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| read_error(e.to_string()))?;
    let metadata = file.metadata().map_err(|e| read_error(e.to_string()))?;
    if !metadata.is_file() {
        return Err(read_error(
            "it changed into something else while being read".into(),
        ));
    }
    if metadata.len() > MAX_FILE_SIZE as u64 {
        return Err(too_large(
            usize::try_from(metadata.len()).unwrap_or(usize::MAX),
        ));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(e.to_string()))?;
    if bytes.len() > MAX_FILE_SIZE {
        return Err(too_large(bytes.len()));
    }
    Ok(bytes)
}
