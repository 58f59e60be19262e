use serde::Deserialize;

use crate::document::{Edit, NodeRef, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    limit: Option<u32>,
}

declare_rule! {
    /// ## What it does
    /// Reports services with no process limit (info): neither `pids_limit` nor
    /// `deploy.resources.limits.pids`, in this file or another file of the project. An
    /// explicit value, `0` and `-1` (unlimited) included, is a decision and is left alone.
    ///
    /// ## Why
    /// Without a limit one container can fork until the host's process table is full (a
    /// fork bomb, or a leak of threads or child processes) and starve every other service
    /// and the host itself. CIS Docker Benchmark 5.29 "Ensure that the PIDs cgroup limit is
    /// used"; OWASP Docker Security Cheat Sheet, rule 7 "Limit resources".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: acme/api:1.2
    ///     pids_limit: 1024         # added (with --unsafe-fixes)
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: adds the `limit` option's value (`1024`) as `pids_limit`, or as
    /// `deploy.resources.limits.pids` when the service already has
    /// `deploy.resources.limits` (Compose refuses the two when they differ). The limit
    /// counts threads as well as processes: the default is far above what a single
    /// service usually needs (Tomcat's 200 request threads plus the JVM's own, PostgreSQL's
    /// process per connection up to its default 100 connections) and still stops a fork
    /// bomb early, but a thread-heavy service (GitLab, Elasticsearch under load) may need
    /// more; set it per service. No fix when another rule's fix is adding
    /// `deploy.resources` to the service in the same run (the next pass adds the limit
    /// there).
    ///
    /// ## Options
    /// - `limit` (`1024`): the value the fix adds; `null` reports without a fix.
    /// - `match`: which services the rule applies to.
    id: "pids-limit",
    summary: "limit the number of processes a container can start",
    fixable: true,
    security_severity: "3.0",
    options: Options,
    check_service: check_service,
}

const LIMITS: [&str; 3] = ["deploy", "resources", "limits"];

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    if let Some(node) = service.get("pids_limit") {
        return unlimited(ctx, rule, service, node);
    }
    if service
        .get_path(&[LIMITS[0], LIMITS[1], LIMITS[2], "pids"])
        .is_some()
        || ctx.elsewhere(service, "pids_limit")
    {
        return None;
    }
    let message = format!(
        "service `{}` has no process limit; a fork bomb or a thread leak can exhaust the host's process table (set `pids_limit`)",
        service.name
    );
    let finding = ctx.note(rule.id, Location::Key(service.path.clone()), message);
    let Some(limit) = rule.options.limit else {
        return Some(finding);
    };
    if service.is_alias || ctx.elsewhere(service, "deploy") || deploy_planned(ctx, service) {
        return Some(finding);
    }
    let path = if service.get_path(&LIMITS).is_some() {
        if service.node.get("deploy").is_none() {
            // The limits come through a merge key: an edit would have to override them whole.
            return Some(finding);
        }
        LIMITS
            .iter()
            .fold(service.path.clone(), |p, k| p.key(*k))
            .key("pids")
    } else {
        service.at("pids_limit")
    };
    let fix = Fix::unsafe_(
        format!("limit the service to {limit} processes"),
        vec![Edit::Set {
            path,
            value: Value::Int(i64::from(limit)),
        }],
    );
    Some(finding.with_fix(fix))
}

/// Whether an earlier rule's fix adds `deploy` to the service in this run.
fn deploy_planned(ctx: &Context<'_>, service: &Service<'_>) -> bool {
    let deploy = service.at("deploy");
    ctx.earlier
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .flat_map(|fix| &fix.edits)
        .any(|edit| edit.path().starts_with(&deploy))
}

/// `pids_limit: -1` (or `0`) written out: Docker reads it as "no limit".
fn unlimited(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    node: NodeRef<'_>,
) -> Option<Finding> {
    if !matches!(merge::text(Some(node)), Some("-1" | "0")) {
        return None;
    }
    let message = format!(
        "service `{}` sets `pids_limit` to no limit; a fork bomb or a thread leak can exhaust the host's process table",
        service.name
    );
    Some(ctx.note_on(rule.id, node, message))
}
