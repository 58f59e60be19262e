use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    report_missing: bool,
}

declare_rule! {
    /// ## What it does
    /// Reports services that run as root: `user: root`, `user: "0"`, `root:root`, `0:0`
    /// (warning), and, with `report_missing`, services without `user:` (info). A user
    /// set by a variable (`${UID}:${GID}`) or any other name or id is accepted.
    ///
    /// A service without `user:` runs as the image's `USER`, which shipshape cannot see (it
    /// never pulls images): for images that already switch to an unprivileged user the
    /// finding is noise, and the message says so.
    ///
    /// ## Why
    /// Root in a container is root on the host kernel: any escape (a kernel bug, a
    /// writable host mount, the Docker socket) starts with full privileges. Docker docs,
    /// "Dockerfile best practices: USER"; CIS Docker Benchmark 4.1 "Ensure that a user for
    /// the container has been created"; OWASP Docker Security Cheat Sheet, rule 2.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: acme/api:1.2
    ///     user: "1000:1000"    # fine
    ///   admin:
    ///     user: root           # warning
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the right user, and whether the image's files are readable by it, depend on
    /// the image.
    ///
    /// ## Options
    /// - `report_missing` (`true`): also report services without `user:` (info).
    /// - `match`: which services the rule applies to.
    id: "non-root-user",
    summary: "report services that run as root",
    fixable: false,
    security_severity: "5.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let Some(user) = service.get("user").filter(|u| !u.is_null()) else {
        if !rule.options.report_missing {
            return None;
        }
        let message = format!(
            "service `{}` sets no `user:`, so it runs as the image's USER (root unless the image's Dockerfile switches; shipshape cannot see it); set a non-root `user:` if the image does not",
            service.name
        );
        return Some(ctx.note(rule.id, Location::Key(service.path.clone()), message));
    };
    let written = merge::text(Some(user))?;
    let name = written.split(':').next().unwrap_or(written).trim();
    if name != "root" && name != "0" {
        return None;
    }
    let message = format!(
        "service `{}` runs as root (`user: {written}`); use an unprivileged user",
        service.name
    );
    Some(ctx.finding(rule.id, Location::Node(user.path()), message))
}
