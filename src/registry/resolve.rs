//! Resolving many references at once: requests for one repository are shared (the tag list
//! is fetched at most once, each tag's digest at most once), repositories are resolved
//! concurrently on a bounded pool, and one failure never stops the others.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use rayon::prelude::*;

use super::client::{Client, Endpoint};
use super::error::RegistryError;
use super::tags;
use crate::image_ref::ImageRef;

/// Repositories resolved at the same time; registries rate-limit eager clients.
pub const CONCURRENCY: usize = 8;
/// Version tags compared with a floating tag's digest before giving up (newest first, so
/// the match is normally among the first few).
pub const MAX_CANDIDATES: usize = 30;

/// What a reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The tag to write (a version tag for a floating one when found).
    pub tag: String,
    /// The manifest digest (the index digest for multi-platform images).
    pub digest: String,
    /// The registry host serving the image (`registry-1.docker.io`, `ghcr.io`).
    pub registry: String,
    pub repository: String,
    /// Something the user should know (a floating tag that stayed floating).
    pub note: Option<String>,
}

/// Resolves every reference; results are in the order of `images`. `floating_tags` are the
/// policy's floating tags, resolved like `latest` (see [`ImageRef::floats`]).
pub fn resolve_all(
    client: &Client,
    images: &[ImageRef<'_>],
    floating_tags: &[String],
) -> Vec<Result<Resolution, RegistryError>> {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, image) in images.iter().enumerate() {
        let endpoint = client.endpoint(image);
        groups
            .entry((endpoint.base, endpoint.repository))
            .or_default()
            .push(i);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    let resolve_group = |indices: &Vec<usize>| -> Vec<(usize, Result<Resolution, RegistryError>)> {
        let session =
            RepositorySession::new(client, client.endpoint(&images[indices[0]]), floating_tags);
        indices
            .iter()
            .map(|&i| (i, session.resolve(&images[i])))
            .collect()
    };
    let resolved: Vec<(usize, Result<Resolution, RegistryError>)> =
        match rayon::ThreadPoolBuilder::new()
            .num_threads(CONCURRENCY.min(groups.len().max(1)))
            .build()
        {
            Ok(pool) => pool.install(|| groups.par_iter().flat_map_iter(resolve_group).collect()),
            // Without threads, resolve one repository after the other.
            Err(_) => groups.iter().flat_map(resolve_group).collect(),
        };
    let mut ordered: Vec<Option<Result<Resolution, RegistryError>>> =
        (0..images.len()).map(|_| None).collect();
    for (i, result) in resolved {
        ordered[i] = Some(result);
    }
    ordered
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(RegistryError::InvalidResponse {
                    url: String::new(),
                    message: "not resolved".into(),
                })
            })
        })
        .collect()
}

/// One repository's lookups, memoised.
struct RepositorySession<'c> {
    client: &'c Client,
    endpoint: Endpoint,
    floating_tags: &'c [String],
    tags: OnceLock<Result<Vec<String>, RegistryError>>,
    digests: std::sync::Mutex<HashMap<String, Result<String, RegistryError>>>,
}

impl<'c> RepositorySession<'c> {
    fn new(client: &'c Client, endpoint: Endpoint, floating_tags: &'c [String]) -> Self {
        RepositorySession {
            client,
            endpoint,
            floating_tags,
            tags: OnceLock::new(),
            digests: std::sync::Mutex::new(HashMap::new()),
        }
    }

    fn resolve(&self, image: &ImageRef<'_>) -> Result<Resolution, RegistryError> {
        let tag = image.tag.unwrap_or("latest").to_string();
        let digest = self.digest(&tag)?;
        let (tag, note) = if image.floats(self.floating_tags) {
            self.version_tag_for(image.tag, tag, &digest)
        } else {
            (tag, None)
        };
        Ok(Resolution {
            tag,
            digest,
            registry: image.api_host().to_string(),
            repository: image.repository().into_owned(),
            note,
        })
    }

    /// The most specific version tag pointing at `digest`; the floating tag itself when
    /// none does (with a note saying why).
    fn version_tag_for(
        &self,
        floating: Option<&str>,
        tag: String,
        digest: &str,
    ) -> (String, Option<String>) {
        let all = match self.tags.get_or_init(|| self.client.tags(&self.endpoint)) {
            Ok(all) => all,
            Err(e) => {
                return (
                    tag,
                    Some(format!(
                        "kept `{}`: cannot list tags: {e}",
                        display_tag(floating)
                    )),
                );
            }
        };
        let candidates = tags::candidates(floating, all);
        for candidate in candidates.iter().take(MAX_CANDIDATES) {
            if self.digest(candidate).is_ok_and(|d| d == digest) {
                return (candidate.to_string(), None);
            }
        }
        let why = match candidates.len().min(MAX_CANDIDATES) {
            0 => "the repository has no version tags".to_string(),
            1 => format!(
                "the only version tag, `{}`, points at another digest",
                candidates[0]
            ),
            n => format!("no version tag among the newest {n} points at the same digest"),
        };
        (
            tag,
            Some(format!("kept `{}`: {why}", display_tag(floating))),
        )
    }

    fn digest(&self, tag: &str) -> Result<String, RegistryError> {
        if let Some(known) = self.lock_digests().get(tag) {
            return known.clone();
        }
        let result = self
            .client
            .manifest_digest(&self.endpoint, tag)
            .map_err(|e| self.explain_missing(e));
        self.lock_digests().insert(tag.to_string(), result.clone());
        result
    }

    /// Registries often answer `MANIFEST_UNKNOWN` for a repository that does not exist at
    /// all; the tag list tells the two apart (and is shared with floating-tag lookups).
    fn explain_missing(&self, error: RegistryError) -> RegistryError {
        if !matches!(error, RegistryError::ManifestNotFound { .. }) {
            return error;
        }
        match self.tags.get_or_init(|| self.client.tags(&self.endpoint)) {
            Err(missing @ RegistryError::RepositoryNotFound { .. }) => missing.clone(),
            _ => error,
        }
    }

    fn lock_digests(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, Result<String, RegistryError>>> {
        // Single inserts cannot leave the map inconsistent; a poisoned lock is still usable.
        self.digests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn display_tag(tag: Option<&str>) -> &str {
    tag.unwrap_or("latest")
}
