use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports `links`, `external_links` and `volumes_from`, with their modern replacement.
    ///
    /// ## Why
    /// These come from the v1 era of Compose and the legacy Docker links feature: services on
    /// a shared network already resolve each other by name, `depends_on` orders startup, and
    /// named volumes share data explicitly.
    ///
    /// ## Example
    /// ```yaml
    /// web:
    ///   links: [db]            # → drop it; `db` resolves on the default network
    ///   volumes_from: [data]   # → mount the same named volume in both services
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the replacement depends on how the stack uses networks and volumes.
    ///
    /// ## Options
    /// None.
    id: "legacy-links",
    summary: "report links, external_links and volumes_from with their modern replacement",
    fixable: false,
    options: Options,
    check: check,
}

const REPLACEMENTS: &[(&str, &str)] = &[
    (
        "links",
        "services on the same network reach each other by service name; use `depends_on` for startup order and network aliases for other names",
    ),
    (
        "external_links",
        "attach the service to the other project's network (declared with `external: true`) and use its service name",
    ),
    (
        "volumes_from",
        "declare a named volume and mount it in both services",
    ),
];

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for (key, replacement) in REPLACEMENTS {
            if service.local(key).is_some() {
                let message = format!("`{key}` is a legacy feature: {replacement}");
                findings.push(ctx.finding(rule.id, Location::Key(service.at(key)), message));
            }
        }
    }
    findings
}
