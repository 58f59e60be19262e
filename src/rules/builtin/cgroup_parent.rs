use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services that set `cgroup_parent`.
    ///
    /// ## Why
    /// The parent cgroup decides which resource limits and device rules apply to the
    /// container. Placing it under a host cgroup escapes the limits Docker sets per
    /// container and can share them with host services. CIS Docker Benchmark 5.24 "Ensure
    /// that the cgroup usage is confirmed".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   worker:
    ///     cgroup_parent: system.slice    # warning
    /// ```
    ///
    /// ## Fix safety
    /// No fix: a custom parent is a deliberate host-level choice; the finding asks to
    /// confirm it.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "cgroup-parent",
    summary: "report containers placed in a custom parent cgroup",
    fixable: false,
    security_severity: "4.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let node = service.get("cgroup_parent")?;
    let parent = merge::text(Some(node))?;
    let message = format!(
        "service `{}` runs in the custom parent cgroup `{parent}`, outside the limits Docker manages per container; confirm it is intended",
        service.name
    );
    Some(ctx.finding(rule.id, Location::Node(node.path()), message))
}
