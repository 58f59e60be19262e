//! Pinning: resolve every image the compose files use and record it in `shipshape.lock`, so
//! that `fix` can pin images offline and deterministically.
//!
//! Promised: services with `build:` and images with `${…}` are skipped with a note; entries
//! already in the lock are kept unless an update is asked for; an entry whose resolution did
//! not change keeps its `resolved_at` (no churn in reviews); entries for images no longer
//! used are kept (the paths given may not be the whole project). Floating tags are `latest`,
//! no tag, and the tags the policy's `pin-image-tags` rule calls floating (`floating_tags`:
//! `stable`, `edge`, …), so that `fix` finds a pin for each image it reports.
//! The steps: [`collect`] (which images, read through the rules' view of services),
//! [`plan`] (what to do with each, and what the outcome means for the lock), [`resolve`]
//! (asking the registries). Refused: printing (the CLI reports [`Outcome`]s), reading YAML
//! merge keys itself, and editing compose files (that is `fix` with the lock).

mod collect;
mod plan;
mod resolve;
mod settings;

pub(crate) use collect::{ImageUse, collect_images};
pub(crate) use plan::{Outcome, updated_lock};
pub(crate) use resolve::pin_images;
pub(crate) use settings::Settings;
