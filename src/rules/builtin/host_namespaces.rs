use serde::Deserialize;

use crate::finding::{Finding, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services that share a namespace with the host: `network_mode: host`,
    /// `pid: host`, `ipc: host`, `uts: host`, `cgroup: host` and `userns_mode: host`. Sharing with another
    /// service (`network_mode: "service:vpn"`, `pid: "container:x"`) is fine.
    ///
    /// ## Why
    /// Namespaces are what makes a container a container. With the host's PID namespace a
    /// process sees (and, with `SYS_PTRACE`, enters) every host process; with its network
    /// it can bind any host port and reach services listening on localhost; with its IPC
    /// namespace it reads host shared memory; `userns_mode: host` turns off the daemon's
    /// user-namespace remapping for this container. Docker docs, "docker run: PID, IPC,
    /// network settings"; CIS Docker Benchmark 5.9, 5.15, 5.16, 5.20 and 5.30.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   monitor:
    ///     pid: host               # error
    ///     network_mode: host      # warning → publish the ports it needs instead
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the service may need the namespace (a host monitor, a VPN); replacing it is a
    /// design decision.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "host-namespaces",
    summary: "report services that share the host's network, PID, IPC, UTS or user namespace",
    fixable: false,
    security_severity: "7.5",
    options: Options,
    check: check,
}

/// (key, severity, what the container gains).
const NAMESPACES: &[(&str, Severity, &str)] = &[
    (
        "pid",
        Severity::Error,
        "sees and signals every host process",
    ),
    (
        "ipc",
        Severity::Error,
        "shares the host's shared memory and semaphores",
    ),
    (
        "userns_mode",
        Severity::Warning,
        "runs outside the daemon's user-namespace remapping",
    ),
    (
        "network_mode",
        Severity::Warning,
        "uses the host's network stack: it can bind any host port and reach services listening on the host's localhost",
    ),
    ("uts", Severity::Warning, "can change the host's hostname"),
    (
        "cgroup",
        Severity::Warning,
        "sees the host's whole cgroup hierarchy (cgroup v1 hosts default to it; v2 hosts do not)",
    ),
];

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for (key, severity, gains) in NAMESPACES {
            let Some(node) = service.get(key) else {
                continue;
            };
            if merge::text(Some(node)).is_none_or(|v| !v.eq_ignore_ascii_case("host")) {
                continue;
            }
            let message = format!("service `{}` sets `{key}: host`: it {gains}", service.name);
            findings.push(
                ctx.finding(rule.id, Location::Node(node.path()), message)
                    .with_severity(*severity),
            );
        }
    }
    findings
}
