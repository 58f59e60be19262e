use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location, Severity};
use crate::rules::builtin::restart_policy;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    policy: String,
}

declare_rule! {
    /// ## What it does
    /// Reports `restart: always` (info), and Swarm's equivalent
    /// `deploy.restart_policy.condition: any` (without a fix). Other policies are left alone: `"no"` (one-shot jobs),
    /// `unless-stopped`, `on-failure` and `on-failure:N`. When `restart-policy` already
    /// reports the same entry (the `production` pack replaces `always`), this rule stays
    /// quiet so the entry gets one finding.
    ///
    /// ## Why
    /// `always` restarts a container without end, including one an operator stopped by
    /// hand: the next daemon restart or reboot brings it back, so stopping a misbehaving
    /// or compromised service does not hold. A crash loop also keeps running the failing
    /// process (and its side effects) instead of surfacing the failure. CIS Docker
    /// Benchmark 5.14 "Ensure that the 'on-failure' container restart policy is set to
    /// '5'" (unbounded restarts can amount to a denial of service on the host); Docker
    /// docs, "Start containers automatically" (`unless-stopped` respects a manual stop).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: acme/api:1.2
    ///     restart: always          # → unless-stopped
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: replaces the value with `policy` (`unless-stopped`). The container then
    /// stays down after a manual `docker stop` across daemon restarts, which is the point
    /// but is a change in behaviour. No fix when the value comes through a merge key.
    ///
    /// ## Options
    /// - `policy` (`unless-stopped`): the replacement, e.g. `on-failure:5` (CIS 5.14).
    /// - `match`: which services the rule applies to.
    id: "restart-always",
    summary: "prefer unless-stopped or on-failure:N over restart: always",
    fixable: true,
    security_severity: "2.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    if rule.options.policy == "always" {
        return None;
    }
    if merge::text(service.get("restart")) != Some("always") {
        return swarm_condition_any(ctx, rule, service);
    }
    let location = Location::Node(service.at("restart"));
    if ctx.reported_by(restart_policy::META.id, &location) {
        return None;
    }
    let message = format!(
        "service `{}` uses `restart: always`: it restarts without end and comes back after a manual stop when the daemon restarts; prefer `{}`",
        service.name, rule.options.policy
    );
    let finding = ctx
        .finding(rule.id, location, message)
        .with_severity(Severity::Info);
    if service.inherited("restart") || service.is_alias {
        return Some(finding);
    }
    let fix = Fix::unsafe_(
        format!("replace `restart: always` with `{}`", rule.options.policy),
        vec![Edit::Replace {
            path: service.at("restart"),
            value: Value::str(&rule.options.policy),
        }],
    );
    Some(finding.with_fix(fix))
}

/// `deploy.restart_policy.condition: any` is Swarm's `always` (Compose reads it too); reported
/// without a fix, since the condition's neighbours (`max_attempts`, `delay`) decide what fits.
fn swarm_condition_any(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let node = service.get_path(&["deploy", "restart_policy", "condition"])?;
    if merge::text(Some(node)) != Some("any") {
        return None;
    }
    let message = format!(
        "service `{}` uses `deploy.restart_policy.condition: any`, which restarts it without end like `restart: always`; prefer `on-failure` with `max_attempts`",
        service.name
    );
    Some(ctx.note_on(rule.id, node, message))
}
