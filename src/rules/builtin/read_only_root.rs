use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services without `read_only: true` (info). An explicit `read_only: false`
    /// is a decision and is left alone.
    ///
    /// ## Why
    /// A read-only root file system stops an intruder from replacing binaries, dropping
    /// tools or persisting changes in the container; data goes to volumes and scratch
    /// space to `tmpfs`. CIS Docker Benchmark 5.13 "Ensure that the container's root
    /// filesystem is mounted as read only"; OWASP Docker Security Cheat Sheet, rule 8.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: acme/api:1.2
    ///     read_only: true      # added
    ///     tmpfs: [/tmp]        # add the paths it writes to
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: adds `read_only: true`. Most images write somewhere (`/tmp`, `/var/run`,
    /// caches, pid files) and fail until those paths get a `tmpfs` or a volume; the fix
    /// does not guess them (no image facts list them yet).
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "read-only-root",
    summary: "run containers with a read-only root file system",
    fixable: true,
    security_severity: "4.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    if service.get("read_only").is_some_and(|r| !r.is_null()) {
        return None;
    }
    let message = format!(
        "service `{}` has a writable root file system; set `read_only: true` and give the paths it writes a `tmpfs` or volume",
        service.name
    );
    let finding = ctx
        .finding(rule.id, Location::Key(service.path.clone()), message)
        .with_severity(Severity::Info);
    if service.is_alias {
        return Some(finding);
    }
    let fix = Fix::unsafe_(
        "add `read_only: true`",
        vec![Edit::Set {
            path: service.at("read_only"),
            value: Value::Bool(true),
        }],
    );
    Some(finding.with_fix(fix))
}
