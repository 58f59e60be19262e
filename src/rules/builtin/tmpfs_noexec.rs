use serde::Deserialize;

use crate::document::{Edit, NodeRef, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports `tmpfs:` entries (`/tmp`, `/run:size=64m`) mounted without `noexec`.
    /// Long-syntax `type: tmpfs` volumes have no `noexec` option in Compose and are not
    /// reported.
    ///
    /// ## Why
    /// A writable, executable scratch directory is where downloaded payloads run from;
    /// with a read-only root file system it is often the only place left. CIS Docker
    /// Benchmark 5.13 (read-only root, "use tmpfs for writable paths") and the Docker docs
    /// for `--tmpfs` mount options.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     tmpfs:
    ///       - /tmp                  # → /tmp:noexec
    ///       - /run:size=64m         # → /run:size=64m,noexec
    /// ```
    ///
    /// ## Fix safety
    /// Safe: appends `noexec` to the entry's options, which changes exactly what the rule
    /// names. Programs that execute from the tmpfs stop working: some JVM libraries
    /// (Netty, snappy-java) unpack native code to `/tmp`; point them elsewhere
    /// (`-Djava.io.tmpdir`) or suppress the finding. No fix when `tmpfs` comes through a
    /// merge key.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "tmpfs-noexec",
    summary: "mount tmpfs with noexec",
    fixable: true,
    security_severity: "4.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let Some(tmpfs) = service.get("tmpfs") else {
            continue;
        };
        let local = !service.inherited("tmpfs");
        let entries: Vec<NodeRef<'_>> = if tmpfs.is_sequence() {
            tmpfs.items().map(merge::resolve).collect()
        } else {
            vec![tmpfs]
        };
        for entry in entries {
            let Some(written) = merge::text(Some(entry)) else {
                continue;
            };
            let (path, options) = written.split_once(':').unwrap_or((written, ""));
            if options.split(',').any(|o| o.trim() == "noexec") {
                continue;
            }
            let message = format!(
                "service `{}` mounts tmpfs `{path}` without `noexec`; files written there can be executed",
                service.name
            );
            let mut finding = ctx.finding(rule.id, Location::Node(entry.path()), message);
            if local {
                let fixed = if options.is_empty() {
                    format!("{path}:noexec")
                } else {
                    format!("{path}:{options},noexec")
                };
                let fix = Fix::safe(
                    format!("mount `{path}` with `noexec`"),
                    vec![Edit::Replace {
                        path: entry.path(),
                        value: Value::str(fixed),
                    }],
                );
                finding = finding.with_fix(fix);
            }
            findings.push(finding);
        }
    }
    findings
}
