use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location, Severity};
use crate::image_ref::{ImageRef, is_interpolated};
use crate::policy::PolicySet;
use crate::rules::registry::{Configured, parse_options};
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    floating_tags: Vec<String>,
    report_unresolvable: bool,
}

declare_rule! {
    /// ## What it does
    /// Finds images that float (`:latest`, no tag, or a tag the policy calls floating:
    /// `stable`, `edge`, `lts`, …) and rewrites them to what `shipshape.lock` resolved them to
    /// (`shipshape pin` fills it), or to the policy's `pins:`. Without a known pin the finding
    /// has no fix. Images of `build:` services and `${…}` images are reported, never rewritten.
    ///
    /// ## Why
    /// A floating tag makes two deployments of the same file run different code; a digest
    /// makes the file mean one thing and makes updates reviewable.
    ///
    /// ## Example
    /// ```yaml
    /// db:
    ///   image: postgres:latest                          # before
    ///   image: postgres:16.4@sha256:5f2a…               # after (from shipshape.lock)
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the pin is what the reference resolved to when it was locked and reviewed.
    ///
    /// ## Options
    /// - `floating_tags`: tags treated like `latest`.
    /// - `report_unresolvable` (`true`): report `${…}` images and `build:` services' images
    ///   (without fix).
    /// - `match`: which services the rule applies to.
    /// The policy's top-level `pins:` maps a reference as written to its pin.
    id: "pin-image-tags",
    summary: "pin floating image tags to the lock file's digests",
    fixable: true,
    options: Options,
    check: check,
}

/// The tags `policy` treats as floating besides a missing tag (`floating_tags`), so that
/// `shipshape pin` resolves the same images this rule pins; `None` when the rule is disabled.
pub fn floating_tags(policy: &PolicySet) -> Option<Vec<String>> {
    let setting = policy.rules.get(META.id).filter(|s| s.enabled)?;
    let options: Options = parse_options(setting.options.clone()).ok()?;
    Some(options.floating_tags)
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let mut lock_needed = false;
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let Some(image) = service.image() else {
            continue;
        };
        if let Some(finding) = check_service(ctx, rule, options, service, image, &mut lock_needed) {
            findings.push(finding);
        }
    }
    findings.extend(broken_lock(ctx, rule.id, lock_needed));
    findings
}

/// The error finding for a broken lock file, when a file needed the lock (`lock_needed`).
pub(super) fn broken_lock(ctx: &Context<'_>, rule: &str, lock_needed: bool) -> Option<Finding> {
    let (true, Some(Err(message))) = (lock_needed, ctx.lock) else {
        return None;
    };
    let reported = ctx
        .earlier
        .iter()
        .any(|f| f.location == Location::File && f.message == *message);
    (!reported).then(|| {
        ctx.finding(rule, Location::File, message.clone())
            .with_severity(Severity::Error)
    })
}

/// What `image` is pinned to: the policy's `pins:`, else the lock file's entry (a lookup
/// in the lock sets `lock_needed`).
pub(super) fn pinned(ctx: &Context<'_>, image: &str, lock_needed: &mut bool) -> Option<String> {
    ctx.pins.get(image).cloned().or_else(|| {
        *lock_needed = true;
        let lock = ctx.lock?.as_ref().ok()?;
        lock.get(image).map(|e| e.resolved.clone())
    })
}

/// The safe fix that writes `pinned` as the service's image.
pub(super) fn pin_fix(service: &Service<'_>, image: &str, pinned: String) -> Fix {
    Fix::safe(
        format!("pin `{image}` to `{pinned}`"),
        vec![Edit::Set {
            path: service.at("image"),
            value: Value::str(pinned),
        }],
    )
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    options: &Options,
    service: &Service<'_>,
    image: &str,
    lock_needed: &mut bool,
) -> Option<Finding> {
    let location = Location::Node(service.at("image"));
    if is_interpolated(image) {
        let default = default_value(image);
        let floating = !default.is_empty()
            && !default.contains('$')
            && floating_reason(&default, options).is_some();
        return (options.report_unresolvable && floating).then(|| {
            ctx.finding(rule.id, location, format!("image of `{}` is set by a variable whose default `{default}` floats; pin it where the variable is set", service.name))
        });
    }
    let reason = floating_reason(image, options)?;
    if service.has_build() {
        return options.report_unresolvable.then(|| {
            ctx.finding(rule.id, location, format!("service `{}` is built here and tagged `{image}` ({reason}); tag the build output with a version", service.name))
        });
    }
    let message = format!(
        "image `{image}` of `{}` {reason}; pin it (`shipshape pin` records a digest)",
        service.name
    );
    let finding = ctx.finding(rule.id, location, message);
    match pinned(ctx, image, lock_needed) {
        Some(pinned) if pinned != image && !service.is_alias => {
            Some(finding.with_fix(pin_fix(service, image, pinned)))
        }
        _ => Some(finding),
    }
}

fn floating_reason(image: &str, options: &Options) -> Option<String> {
    let reference = ImageRef::parse(image);
    if reference.digest.is_some() {
        return None;
    }
    match reference.tag {
        None => Some("has no tag (it means `latest`)".into()),
        Some(tag) if options.floating_tags.iter().any(|t| t == tag) => {
            Some(format!("uses the floating tag `{tag}`"))
        }
        Some(_) => None,
    }
}

/// The image reference with each `${VAR:-default}`/`${VAR-default}` replaced by its default
/// and each other `${VAR}` by nothing: what the file means when no variable is set.
fn default_value(reference: &str) -> String {
    let mut out = String::new();
    let mut rest = reference;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        if let Some(i) = inner.find(['-', ':', '?', '+']) {
            let default = inner[i..]
                .trim_start_matches([':', '?', '+'])
                .trim_start_matches('-');
            if inner[i..].trim_start_matches(':').starts_with('-') {
                out.push_str(default);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_of_variables() {
        assert_eq!(default_value("${IMAGE:-nginx:latest}"), "nginx:latest");
        assert_eq!(default_value("acme/app:${TAG-latest}"), "acme/app:latest");
        assert_eq!(default_value("acme/app:${TAG}"), "acme/app:");
        assert_eq!(default_value("acme/app:${TAG:?required}"), "acme/app:");
    }
}
