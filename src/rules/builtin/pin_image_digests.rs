use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::image_ref::{ImageRef, is_interpolated};
use crate::rules::builtin::pin_image_tags::{self, broken_lock, pin_fix, pinned};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports images without a digest (`image: nginx:1.27` rather than
    /// `nginx:1.27@sha256:…`), version tags included, and rewrites them to what
    /// `shipshape.lock` resolved them to (`shipshape pin` fills it) or to the policy's
    /// `pins:`. Without a known pin the finding has no fix. Quiet on digest-pinned images,
    /// `build:` services (the image names the build's output) and services that reuse an
    /// image another service of the file builds, `${…}` images, and images
    /// `pin-image-tags` already reports (floating tags) in the same run.
    ///
    /// ## Why
    /// A tag is a pointer the publisher (or anyone who takes over the repository or the
    /// registry account) can move: `1.27` today is not `1.27` after a rebuild or a
    /// compromise. Only a digest names the exact bytes that were reviewed. OWASP Docker
    /// Security Cheat Sheet, rule 13 "Enhance supply chain security"; Docker docs,
    /// "Image digests" (`docker pull` by digest); CIS Docker Benchmark 4.x (use trusted,
    /// verified images).
    ///
    /// ## Example
    /// ```yaml
    /// web:
    ///   image: nginx:1.27                          # before
    ///   image: nginx:1.27@sha256:5f2a…             # after (from shipshape.lock)
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the digest is what the tag resolved to when it was locked and reviewed, so the
    /// container runs the image it ran then. Updating it is `shipshape pin --update`.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    /// The policy's top-level `pins:` maps a reference as written to its pin.
    id: "pin-image-digests",
    summary: "pin images to digests, version tags included",
    fixable: true,
    security_severity: "4.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut lock_needed = false;
    // An image another service builds here is local: there is no registry digest to pin.
    let built: Vec<&str> = ctx
        .services
        .iter()
        .filter(|s| s.has_build())
        .filter_map(|s| s.image().map(str::trim))
        .collect();
    let mut findings: Vec<Finding> = ctx
        .selected(&rule.selector)
        .filter(|service| service.image().is_none_or(|i| !built.contains(&i.trim())))
        .filter_map(|service| check_service(ctx, rule, service, &mut lock_needed))
        .collect();
    findings.extend(broken_lock(ctx, rule.id, lock_needed));
    findings
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    lock_needed: &mut bool,
) -> Option<Finding> {
    let image = service.image()?.trim();
    if is_interpolated(image) || service.has_build() || ImageRef::parse(image).digest.is_some() {
        return None;
    }
    let location = Location::Node(service.at("image"));
    if ctx.reported_by(pin_image_tags::META.id, &location) {
        return None;
    }
    let message = format!(
        "image `{image}` of `{}` is not pinned to a digest; the tag can be moved to other content (`shipshape pin` records the digest)",
        service.name
    );
    let finding = ctx.finding(rule.id, location, message);
    match pinned(ctx, image, lock_needed) {
        Some(pin) if pin != image && !service.is_alias && has_digest(&pin) => {
            Some(finding.with_fix(pin_fix(service, image, pin)))
        }
        _ => Some(finding),
    }
}

fn has_digest(reference: &str) -> bool {
    ImageRef::parse(reference).digest.is_some()
}
