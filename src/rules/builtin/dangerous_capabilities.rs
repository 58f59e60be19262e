use serde::Deserialize;

use crate::finding::{Finding, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    errors: Vec<String>,
    warnings: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports `cap_add` entries that grant host-level power: `ALL`, `SYS_ADMIN`,
    /// `SYS_MODULE`, `SYS_PTRACE`, `DAC_READ_SEARCH`, … as errors, `NET_ADMIN`, `SYS_TIME`,
    /// `BPF`, … as warnings (both lists are options). `CAP_` prefixes and case are ignored.
    ///
    /// ## Why
    /// `SYS_ADMIN` is "the new root" (mounts, namespaces, cgroups), `SYS_MODULE` loads kernel
    /// code, `SYS_PTRACE` reads other processes' memory, `DAC_READ_SEARCH` allowed the
    /// "shocker" escape (`open_by_handle_at`). Docker docs, "Runtime privilege and Linux
    /// capabilities"; CIS Docker Benchmark 5.3 "Ensure that Linux kernel capabilities are
    /// restricted within containers".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   vpn:
    ///     cap_add: [NET_ADMIN]     # warning: can reconfigure the network it shares
    ///   tools:
    ///     cap_add: [SYS_ADMIN]     # error
    ///   web:
    ///     cap_add: [NET_BIND_SERVICE]   # fine
    /// ```
    ///
    /// ## Fix safety
    /// No fix: only the service's author knows which capability it really needs.
    ///
    /// ## Options
    /// - `errors`: capabilities reported as errors.
    /// - `warnings`: capabilities reported as warnings.
    /// - `match`: which services the rule applies to.
    id: "dangerous-capabilities",
    summary: "report cap_add entries that grant host-level power",
    fixable: false,
    security_severity: "8.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let Some(cap_add) = service
            .get("cap_add")
            .filter(crate::document::NodeRef::is_sequence)
        else {
            continue;
        };
        for item in cap_add.items().map(merge::resolve) {
            let Some(written) = item.as_str() else {
                continue;
            };
            let Some(severity) = severity_of(&rule.options, written) else {
                continue;
            };
            let message = format!(
                "service `{}` adds capability `{written}`, which gives it power over the host; drop it or document why it is needed",
                service.name
            );
            findings.push(
                ctx.finding(rule.id, Location::Node(item.path()), message)
                    .with_severity(severity),
            );
        }
    }
    findings
}

fn severity_of(options: &Options, written: &str) -> Option<Severity> {
    let upper = written.trim().to_ascii_uppercase();
    let name = upper.strip_prefix("CAP_").unwrap_or(&upper);
    let listed = |list: &[String]| list.iter().any(|c| c.eq_ignore_ascii_case(name));
    if listed(&options.errors) {
        Some(Severity::Error)
    } else if listed(&options.warnings) {
        Some(Severity::Warning)
    } else {
        None
    }
}
