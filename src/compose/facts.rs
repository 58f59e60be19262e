//! What a project says about each service beyond any one file: which file defines it first
//! (the base, where a key that is missing should be added) and which keys the service has
//! once every file, override and `extends` is merged, as Compose sees it.
//!
//! Rules use these facts to add a key once per project, in the base file, and to count a
//! value inherited through `extends` or set by an override as present. Refuses: nothing;
//! a project that could not be loaded has no facts and rules fall back to one file's view.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::Project;

/// One service across the project.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    /// The first file (in load order) that defines the service.
    pub base: PathBuf,
    /// Top-level keys of the merged service.
    pub keys: BTreeSet<String>,
}

/// Every service of a project.
#[derive(Debug, Clone, Default)]
pub struct ProjectFacts {
    services: HashMap<String, ServiceFacts>,
}

impl ProjectFacts {
    pub fn of(project: &Project) -> ProjectFacts {
        let mut services: HashMap<String, ServiceFacts> = HashMap::new();
        for (file, tree) in &project.file_trees {
            let Some(defined) = tree.get("services").and_then(|s| s.as_map()) else {
                continue;
            };
            for name in defined.keys() {
                services
                    .entry(name.clone())
                    .or_insert_with(|| ServiceFacts {
                        base: project.files.path(*file).to_path_buf(),
                        keys: BTreeSet::new(),
                    });
            }
        }
        let merged = project
            .model
            .as_ref()
            .and_then(|m| m.get("services"))
            .and_then(|s| s.as_map());
        for (name, entry) in merged.into_iter().flatten() {
            if let (Some(facts), Some(map)) = (services.get_mut(name), entry.node.as_map()) {
                facts.keys = map.keys().cloned().collect();
            }
        }
        ProjectFacts { services }
    }

    pub fn service(&self, name: &str) -> Option<&ServiceFacts> {
        self.services.get(name)
    }

    /// Whether `file` only overlays `service` (another file of the project defines it first).
    pub fn is_overlay(&self, service: &str, file: &Path) -> bool {
        self.service(service).is_some_and(|s| s.base != file)
    }

    /// Whether the merged service has the top-level `key`.
    pub fn has_key(&self, service: &str, key: &str) -> bool {
        self.service(service).is_some_and(|s| s.keys.contains(key))
    }
}
