use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports healthchecks that are switched off: `healthcheck: {disable: true}` or
    /// `test: NONE` / `test: ["NONE"]`, which also turn off a `HEALTHCHECK` the image
    /// defines.
    ///
    /// ## Why
    /// Without a healthcheck a hung service looks healthy: `depends_on: service_healthy`
    /// cannot wait for it, orchestrators do not replace it and monitoring sees "running".
    /// Docker docs, "Compose file reference: healthcheck"; CIS Docker Benchmark 4.6 "Ensure
    /// that HEALTHCHECK instructions have been added to container images" and 5.27.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     healthcheck:
    ///       disable: true       # warning → define a test instead
    /// ```
    ///
    /// ## Fix safety
    /// No fix: removing the switch would bring back the image's healthcheck, whose
    /// behaviour is unknown here; the `healthcheck` rule adds checks for known images.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "healthcheck-disabled",
    summary: "report healthchecks that are switched off",
    fixable: false,
    security_severity: "2.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let node = service.healthcheck_switched_off()?;
    let message = format!(
        "service `{}` switches its healthcheck off (also any the image defines); a hung container looks healthy",
        service.name
    );
    Some(ctx.finding(rule.id, Location::Node(node.path()), message))
}
