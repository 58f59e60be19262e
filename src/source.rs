//! Loaded files, shared by every stage: each file is read and parsed once per run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::document::{Document, LoadError};

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
    /// Modification time when read; a write is refused if it changed since.
    pub modified: Option<std::time::SystemTime>,
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
        let loaded = Document::parse(text)
            .map(|document| {
                Arc::new(Source {
                    path: path.to_path_buf(),
                    document,
                    modified: None,
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
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn read_source(path: &Path) -> Result<Arc<Source>, SourceError> {
    let read_error = |e: std::io::Error| SourceError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let bytes = std::fs::read(path).map_err(read_error)?;
    let document = Document::from_bytes(&bytes).map_err(|error| SourceError::Load {
        path: path.to_path_buf(),
        error,
    })?;
    Ok(Arc::new(Source {
        path: path.to_path_buf(),
        document,
        modified,
    }))
}
