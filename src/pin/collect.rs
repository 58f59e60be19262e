//! Which images the compose files use, and where.
//!
//! Promised: every service's effective `image:` and whether it is built (`build:`), read
//! through the rules' view of a service ([`crate::rules::Context`]), so merge keys and
//! aliases mean here what they mean to `pin-image-tags`. Refused: a reading of `<<` of its
//! own, interpolating `${…}`, and following `extends` or `include` into other files.

use std::path::{Path, PathBuf};

use crate::discover;
use crate::policy::PolicySet;
use crate::rules::Context;
use crate::source::{Source, SourceCache};

/// Where an image reference is used.
#[derive(Debug, Clone)]
pub(crate) struct ImageUse {
    /// The reference as written (surrounding spaces removed): the lock's key.
    pub(crate) reference: String,
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
    pub(crate) service: String,
    pub(crate) built: bool,
}

/// The images found, and the inputs that could not be read (in the order met).
pub(crate) struct Collected {
    pub(crate) uses: Vec<ImageUse>,
    pub(crate) errors: Vec<String>,
}

/// Every image reference of every compose file under `paths`.
pub(crate) fn collect_images(paths: &[PathBuf], policy: &PolicySet) -> Collected {
    let (files, discover_errors) = discover::discover(paths);
    let mut errors: Vec<String> = discover_errors.iter().map(ToString::to_string).collect();
    let sources = SourceCache::new();
    let mut uses = Vec::new();
    for file in files {
        match sources.load(&file) {
            Ok(source) => uses.extend(images_in(&source, policy, &file)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    Collected { uses, errors }
}

fn images_in(source: &Source, policy: &PolicySet, file: &Path) -> Vec<ImageUse> {
    let context = Context::new(source, &policy.pins, None);
    context
        .services
        .iter()
        .filter_map(|service| {
            Some(ImageUse {
                reference: service.image()?.trim().to_string(),
                file: file.to_path_buf(),
                line: service.get("image")?.location().0,
                service: service.name.to_string(),
                built: service.has_build(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn reads_images_through_merge_keys() {
        let text = "x-base: &base\n  image: postgres:16\nx-built: &built\n  build: .\nservices:\n  db:\n    <<: *base\n  app:\n    <<: [*built]\n    image: app:dev\n  web:\n    <<: *base\n    image: nginx\n  none:\n    command: x\n";
        let path = Path::new("compose.yaml");
        let source = SourceCache::new().insert_text(path, text).unwrap();
        let policy = PolicySet::load(&[], &Config::default()).unwrap();
        let uses = images_in(&source, &policy, path);
        let found: Vec<(&str, &str, bool)> = uses
            .iter()
            .map(|u| (u.service.as_str(), u.reference.as_str(), u.built))
            .collect();
        assert_eq!(
            found,
            [
                ("db", "postgres:16", false),
                ("app", "app:dev", true),
                ("web", "nginx", false)
            ]
        );
        assert_eq!(uses[2].line, 13);
    }
}
