use serde::Deserialize;

use crate::document::Edit;
use crate::finding::{Finding, Fix, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services with `privileged: true`.
    ///
    /// ## Why
    /// A privileged container gets every capability, every host device and no seccomp,
    /// AppArmor or SELinux confinement: root in it is root on the host (a mount of the host
    /// disk is one command away). Docker docs, "Runtime privilege and Linux capabilities";
    /// CIS Docker Benchmark 5.4 "Ensure that privileged containers are not used".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   agent:
    ///     image: acme/agent:1.0
    ///     privileged: true          # → remove; add the one capability or device it needs
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes `privileged: true`. Whatever needed the privilege (a device, a
    /// capability, a sysctl) stops working until it is granted explicitly. No fix when the
    /// value comes through a merge key.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "privileged",
    summary: "report privileged containers",
    fixable: true,
    security_severity: "9.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    if !service.is_true("privileged") {
        return None;
    }
    let message = format!(
        "service `{}` runs privileged: all capabilities and host devices, no seccomp or AppArmor; grant only what it needs (`cap_add`, `devices`)",
        service.name
    );
    let at = service.get("privileged")?.path();
    let finding = ctx
        .finding(rule.id, Location::Node(at), message)
        .with_severity(Severity::Error);
    if service.inherited("privileged") {
        return Some(finding);
    }
    let fix = Fix::unsafe_(
        "remove `privileged: true`",
        vec![Edit::Remove {
            path: service.at("privileged"),
        }],
    );
    Some(finding.with_fix(fix))
}
