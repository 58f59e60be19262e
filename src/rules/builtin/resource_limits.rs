use std::collections::BTreeMap;

use serde::Deserialize;

use crate::document::{Edit, Path, Value};
use crate::finding::{Finding, Fix, Location};
use crate::policy::selector::image_matches;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

type Y = yaml_serde::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    memory: Y,
    cpus: Y,
    reservations: Option<Y>,
    pids_limit: Option<i64>,
    images: BTreeMap<String, Overrides>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    memory: Option<Y>,
    cpus: Option<Y>,
    reservations: Option<Y>,
    pids_limit: Option<i64>,
}

declare_rule! {
    /// ## What it does
    /// Adds `deploy.resources.limits` (`memory`, `cpus`) to services without them, from the
    /// policy's defaults or its per-image overrides; optionally `reservations` and
    /// `pids_limit`. An existing `mem_limit` or `cpus` is never contradicted: its value is
    /// used for the limit.
    ///
    /// ## Why
    /// One leaking container can starve every other service on the host; limits make the
    /// failure local and visible (an OOM kill of that container).
    ///
    /// ## Example
    /// ```yaml
    /// api:
    ///   image: acme/api:1.4
    ///   deploy:                 # added
    ///     resources:
    ///       limits:
    ///         memory: 512M
    ///         cpus: "1.0"
    /// ```
    ///
    /// ## Fix safety
    /// Safe in the sense of the policy (it adds what the policy requires), but a limit below
    /// the service's real needs gets it killed: review the values.
    ///
    /// ## Options
    /// - `memory` (`512M`), `cpus` (`"1.0"`): default limits.
    /// - `reservations` (none): e.g. `{memory: 128M, cpus: "0.25"}`.
    /// - `pids_limit` (none): e.g. `512`, written as `limits.pids` (an existing service
    ///   `pids_limit` is copied there, since Compose refuses the two when they differ).
    /// - `images`: image glob → overrides of the above (`postgres: {memory: 1G}`).
    /// - `match`: which services the rule applies to.
    id: "resource-limits",
    summary: "add memory and CPU limits",
    fixable: true,
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    ctx.per_service(rule, check_service)
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let options = &rule.options;
    let overrides = service
        .image()
        .and_then(|image| {
            options
                .images
                .iter()
                .find(|(glob, _)| image_matches(glob, image))
                .map(|(_, o)| o)
        })
        .unwrap_or(
            const {
                &Overrides {
                    memory: None,
                    cpus: None,
                    reservations: None,
                    pids_limit: None,
                }
            },
        );
    let limits = ["deploy", "resources", "limits"];
    let mut wanted: Vec<(Vec<&str>, Value)> = Vec::new();
    if service
        .get_path(&[&limits[..], &["memory"]].concat())
        .is_none()
    {
        // `deploy.resources.limits.memory` must be a string, where `mem_limit` may be bytes.
        let memory = service
            .get("mem_limit")
            .and_then(merge::to_value)
            .map(|v| match v {
                Value::Int(bytes) => Value::Str(bytes.to_string()),
                other => other,
            })
            .unwrap_or_else(|| {
                Value::from_yaml(overrides.memory.as_ref().unwrap_or(&options.memory))
            });
        wanted.push((vec!["deploy", "resources", "limits", "memory"], memory));
    }
    if service
        .get_path(&[&limits[..], &["cpus"]].concat())
        .is_none()
    {
        let cpus = service
            .get("cpus")
            .and_then(merge::to_value)
            .unwrap_or_else(|| Value::from_yaml(overrides.cpus.as_ref().unwrap_or(&options.cpus)));
        wanted.push((vec!["deploy", "resources", "limits", "cpus"], cpus));
    }
    if wanted.is_empty() {
        return None;
    }
    let reservations = overrides
        .reservations
        .as_ref()
        .or(options.reservations.as_ref());
    if let Some(reservations) = reservations.filter(|r| !r.is_null())
        && service
            .get_path(&["deploy", "resources", "reservations"])
            .is_none()
        && service.get("mem_reservation").is_none()
    {
        wanted.push((
            vec!["deploy", "resources", "reservations"],
            Value::from_yaml(reservations),
        ));
    }
    // Compose refuses a `pids_limit` that differs from `limits.pids` (absent counts as 0), so
    // the limit goes into `limits.pids`, with the service's own value when it has one.
    let pids = service
        .get("pids_limit")
        .and_then(merge::to_value)
        .or(overrides.pids_limit.or(options.pids_limit).map(Value::Int));
    if let Some(pids) = pids
        && service
            .get_path(&["deploy", "resources", "limits", "pids"])
            .is_none()
    {
        wanted.push((vec!["deploy", "resources", "limits", "pids"], pids));
    }
    let missing: Vec<&str> = wanted
        .iter()
        .map(|(keys, _)| *keys.last().unwrap_or(&""))
        .collect();
    let message = format!(
        "service `{}` has no resource limits ({})",
        service.name,
        missing.join(", ")
    );
    let finding = ctx.finding(rule.id, Location::Key(service.path.clone()), message);
    if service.is_alias || wanted.iter().any(|(keys, _)| crosses_merge(service, keys)) {
        return Some(finding);
    }
    let edits = wanted
        .into_iter()
        .map(|(keys, value)| Edit::Set {
            path: keys
                .iter()
                .fold(service.path.clone(), |p: Path, k| p.key(*k)),
            value,
        })
        .collect();
    Some(finding.with_fix(Fix::safe("add resource limits", edits)))
}

/// Whether writing at `keys` locally would hide a mapping the service inherits through a
/// merge key (a local `deploy:` replaces a merged one whole).
fn crosses_merge(service: &Service<'_>, keys: &[&str]) -> bool {
    let mut local = Some(service.node);
    for key in keys {
        let Some(node) = local else { return false };
        match node.get(key) {
            Some(child) => local = Some(merge::resolve(child)),
            None => return merge::get(node, key).is_some(),
        }
    }
    false
}
