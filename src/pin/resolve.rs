//! Asking the registries: each distinct reference that needs it is resolved once, and the
//! answers become [`Outcome`]s.
//!
//! Promised: no client is built (and no network used) when nothing needs resolving; all
//! entries resolved in one run share one `resolved_at`. Refused: deciding what to resolve
//! (that is [`super::plan`]) and writing the lock.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::collect::ImageUse;
use super::plan::{Decision, Outcome, classify, outcome_of};
use super::settings::Settings;
use crate::image_ref::ImageRef;
use crate::lockfile::{Lockfile, rfc3339_utc};
use crate::registry::{Client, DockerCredentials, resolve_all};

/// The outcome for each distinct reference in `uses`, keyed by reference.
pub(crate) fn pin_images(
    settings: &Settings,
    uses: &[ImageUse],
    lock: &Lockfile,
    update: bool,
) -> BTreeMap<String, Outcome> {
    let mut outcomes = BTreeMap::new();
    let mut to_resolve: Vec<(&str, ImageRef<'_>)> = Vec::new();
    for image in uses {
        let reference = image.reference.as_str();
        if outcomes.contains_key(reference) || to_resolve.iter().any(|(r, _)| *r == reference) {
            continue;
        }
        match classify(image, lock, update) {
            Decision::Resolve(parsed) => to_resolve.push((reference, parsed)),
            Decision::Settled(outcome) => {
                outcomes.insert(reference.to_string(), outcome);
            }
        }
    }
    if to_resolve.is_empty() {
        return outcomes;
    }
    let client = Client::new(settings.client.clone(), DockerCredentials::load());
    let images: Vec<ImageRef<'_>> = to_resolve.iter().map(|(_, image)| *image).collect();
    let now = rfc3339_utc(SystemTime::now());
    let results = resolve_all(&client, &images, &settings.floating_tags);
    for ((reference, image), result) in to_resolve.into_iter().zip(results) {
        let outcome = outcome_of(&image, result, lock.get(reference), &now);
        outcomes.insert(reference.to_string(), outcome);
    }
    outcomes
}
