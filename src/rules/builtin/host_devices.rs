use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports host devices passed into a container (`devices:` entries) and extra device
    /// cgroup rules (`device_cgroup_rules:`).
    ///
    /// ## Why
    /// A device node is direct access to host hardware or kernel interfaces: a disk
    /// (`/dev/sda`) can be read and written below the file system, `/dev/mem` and
    /// `/dev/kmsg` expose the kernel. Pass only what the service needs, read-only where
    /// possible (`/dev/ttyUSB0:/dev/ttyUSB0:r`). Docker docs, "docker run --device"; CIS
    /// Docker Benchmark 5.17 "Ensure that host devices are not directly exposed to
    /// containers".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   zigbee:
    ///     devices:
    ///       - /dev/ttyUSB0:/dev/ttyUSB0     # warning: check it is needed
    /// ```
    ///
    /// ## Fix safety
    /// No fix: a service that is given a device usually needs it.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "host-devices",
    summary: "report host devices passed into containers",
    fixable: false,
    security_severity: "6.5",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for item in items(service.get("devices")) {
            let device = merge::text(Some(item))
                .or_else(|| merge::text(merge::get(item, "source")))
                .unwrap_or("a device");
            let message = format!(
                "service `{}` gets host device `{device}`; make sure it needs it (and only read access if that is enough)",
                service.name
            );
            findings.push(ctx.finding(rule.id, Location::Node(item.path()), message));
        }
        for item in items(service.get("device_cgroup_rules")) {
            let text = item.as_str().unwrap_or_default();
            let message = format!(
                "service `{}` may create or use host devices through cgroup rule `{text}`",
                service.name
            );
            findings.push(ctx.finding(rule.id, Location::Node(item.path()), message));
        }
    }
    findings
}

fn items(node: Option<crate::document::NodeRef<'_>>) -> Vec<crate::document::NodeRef<'_>> {
    node.filter(crate::document::NodeRef::is_sequence)
        .map(|n| n.items().map(merge::resolve).collect())
        .unwrap_or_default()
}
