//! What to do with each image reference, and what a registry's answer means for the lock.
//!
//! Promised: built images, `${…}` references and references already pinned to a digest
//! are skipped with the reason; a reference in the lock is kept unless updating; an answer
//! identical to the lock's entry keeps that entry (and its `resolved_at`). Refused: network
//! access (see [`super::resolve`]) and deleting lock entries.

use std::collections::BTreeMap;

use super::collect::ImageUse;
use crate::image_ref::{ImageRef, is_interpolated};
use crate::lockfile::{LockEntry, Lockfile};
use crate::registry::{RegistryError, Resolution};

/// What happened to one reference.
pub(crate) enum Outcome {
    Resolved {
        entry: LockEntry,
        previous: Option<String>,
        note: Option<String>,
    },
    Unchanged {
        entry: LockEntry,
        why: &'static str,
    },
    Skipped(String),
    Failed(String),
}

impl Outcome {
    /// The entry the lock holds for the reference after this outcome, if any.
    pub(crate) fn entry(&self) -> Option<&LockEntry> {
        match self {
            Outcome::Resolved { entry, .. } | Outcome::Unchanged { entry, .. } => Some(entry),
            Outcome::Skipped(_) | Outcome::Failed(_) => None,
        }
    }
}

/// The lock after `outcomes`: `lock` with each resolved or kept entry (others untouched).
pub(crate) fn updated_lock(lock: &Lockfile, outcomes: &BTreeMap<String, Outcome>) -> Lockfile {
    let mut updated = lock.clone();
    for (reference, outcome) in outcomes {
        if let Some(entry) = outcome.entry() {
            updated.images.insert(reference.clone(), entry.clone());
        }
    }
    updated
}

/// What to do with one reference.
pub(super) enum Decision<'u> {
    /// Ask the registry.
    Resolve(ImageRef<'u>),
    /// Settled without asking.
    Settled(Outcome),
}

pub(super) fn classify<'u>(image: &'u ImageUse, lock: &Lockfile, update: bool) -> Decision<'u> {
    if image.built {
        return Decision::Settled(Outcome::Skipped(format!(
            "service `{}` is built locally (`build:`)",
            image.service
        )));
    }
    if is_interpolated(&image.reference) {
        return Decision::Settled(Outcome::Skipped(
            "contains a variable; pin the value it takes instead".into(),
        ));
    }
    let parsed = match ImageRef::parse_strict(&image.reference) {
        Ok(parsed) => parsed,
        Err(e) => return Decision::Settled(Outcome::Failed(e.to_string())),
    };
    if parsed.digest.is_some() {
        return Decision::Settled(Outcome::Skipped("already pinned to a digest".into()));
    }
    match lock.get(&image.reference) {
        Some(entry) if !update => Decision::Settled(Outcome::Unchanged {
            entry: entry.clone(),
            why: "already in the lock; `--update` refreshes it",
        }),
        _ => Decision::Resolve(parsed),
    }
}

/// The outcome of asking the registry about `image`, given the lock's `previous` entry.
pub(super) fn outcome_of(
    image: &ImageRef<'_>,
    result: Result<Resolution, RegistryError>,
    previous: Option<&LockEntry>,
    now: &str,
) -> Outcome {
    let resolution = match result {
        Ok(resolution) => resolution,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let entry = LockEntry {
        resolved: image.pinned(Some(&resolution.tag), &resolution.digest),
        tag: Some(resolution.tag),
        digest: resolution.digest,
        registry: resolution.registry,
        repository: resolution.repository,
        resolved_at: now.to_string(),
    };
    match previous {
        // Same answer as before: keep the old entry so the lock does not change.
        Some(old) if old.same_resolution(&entry) => Outcome::Unchanged {
            entry: old.clone(),
            why: "the registry still serves the same digest",
        },
        _ => Outcome::Resolved {
            entry,
            previous: previous.map(|p| p.resolved.clone()),
            note: resolution.note,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_resolution_keeps_the_old_entry() {
        let image = ImageRef::parse_strict("postgres:16.4").unwrap();
        let resolution = || Resolution {
            tag: "16.4".into(),
            digest: "sha256:aa".into(),
            registry: "registry-1.docker.io".into(),
            repository: "library/postgres".into(),
            note: None,
        };
        let old = LockEntry {
            resolved: "postgres:16.4@sha256:aa".into(),
            tag: Some("16.4".into()),
            digest: "sha256:aa".into(),
            registry: "registry-1.docker.io".into(),
            repository: "library/postgres".into(),
            resolved_at: "2020-01-01T00:00:00Z".into(),
        };
        assert!(
            matches!(outcome_of(&image, Ok(resolution()), Some(&old), "now"), Outcome::Unchanged { entry, .. } if entry == old)
        );
        let moved = LockEntry {
            digest: "sha256:bb".into(),
            ..old.clone()
        };
        assert!(
            matches!(outcome_of(&image, Ok(resolution()), Some(&moved), "now"), Outcome::Resolved { entry, .. } if entry.resolved_at == "now" && entry.digest == "sha256:aa")
        );
    }

    #[test]
    fn skips_what_cannot_or_need_not_be_resolved() {
        let lock = Lockfile::default();
        let use_of = |reference: &str, built: bool| ImageUse {
            reference: reference.into(),
            file: "compose.yaml".into(),
            line: 1,
            service: "app".into(),
            built,
        };
        let skipped = |image: &ImageUse| {
            matches!(
                classify(image, &lock, false),
                Decision::Settled(Outcome::Skipped(_))
            )
        };
        assert!(skipped(&use_of("app:dev", true)));
        assert!(skipped(&use_of("acme/app:${TAG}", false)));
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(skipped(&use_of(&format!("postgres@{digest}"), false)));
        assert!(matches!(
            classify(&use_of("Postgres", false), &lock, false),
            Decision::Settled(Outcome::Failed(_))
        ));
        assert!(matches!(
            classify(&use_of("postgres", false), &lock, false),
            Decision::Resolve(_)
        ));
    }
}
