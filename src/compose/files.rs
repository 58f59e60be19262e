//! The files of a project, numbered so that every [`super::Origin`] can name one cheaply.

use std::path::Path;
use std::sync::Arc;

use super::tree::{FileId, Origin};
use crate::source::Source;

#[derive(Debug, Default)]
pub struct Files {
    sources: Vec<Arc<Source>>,
}

impl Files {
    /// Registers a loaded file (once) and returns its id.
    pub fn add(&mut self, source: Arc<Source>) -> FileId {
        if let Some(id) = self.sources.iter().position(|s| s.path == source.path) {
            return id;
        }
        self.sources.push(source);
        self.sources.len() - 1
    }

    pub fn source(&self, id: FileId) -> &Source {
        &self.sources[id]
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.sources[id].path
    }

    /// The text an origin covers (empty when out of range).
    pub fn text(&self, origin: &Origin) -> &str {
        self.sources
            .get(origin.file)
            .and_then(|s| s.document.text().get(origin.span.clone()))
            .unwrap_or_default()
    }

    /// Narrows `origin` to the first occurrence of `needle` inside it, if the text holds it.
    pub fn narrow(&self, origin: &Origin, needle: &str) -> Origin {
        match self.text(origin).find(needle) {
            Some(at) if !needle.is_empty() => Origin {
                file: origin.file,
                span: origin.span.start + at..origin.span.start + at + needle.len(),
            },
            _ => origin.clone(),
        }
    }
}
