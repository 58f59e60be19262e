use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::view::mounts;
use crate::rules::{Context, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports bind mounts with `shared` or `rshared` propagation (short syntax mode
    /// `:shared`/`:rshared`, long syntax `bind.propagation`). `slave`, `rslave` and the
    /// private modes are fine.
    ///
    /// ## Why
    /// With shared propagation, mounts the container makes below the mount point appear on
    /// the host (and in other containers): a container that can mount can then change what
    /// the host sees. Docker docs, "Bind mounts: Configure bind propagation"; CIS Docker
    /// Benchmark 5.19 "Ensure that mount propagation mode is not set to shared".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   csi:
    ///     volumes:
    ///       - /mnt/data:/data:rshared      # warning → rslave if it only needs to see host mounts
    /// ```
    ///
    /// ## Fix safety
    /// No fix: storage drivers that mount for the host need shared propagation; others
    /// usually want `rslave`, which is a behaviour change the author should make.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "mount-propagation",
    summary: "report bind mounts with shared propagation",
    fixable: false,
    security_severity: "6.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for mount in mounts::of(service) {
            let Some(mode) = mount
                .propagation
                .filter(|p| matches!(*p, "shared" | "rshared"))
            else {
                continue;
            };
            let message = format!(
                "service `{}` mounts `{}` with `{mode}` propagation: mounts made inside the container reach the host; use `rslave` unless it must mount for the host",
                service.name, mount.source
            );
            findings.push(ctx.finding(
                rule.id,
                Location::Node(mount.field(&["bind", "propagation"]).path()),
                message,
            ));
        }
    }
    findings
}
