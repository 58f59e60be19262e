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
    /// Reports `tmpfs:` entries whose options switch Docker's protections off: `exec`
    /// (programs may run from the mount) or `suid` (setuid bits take effect), e.g.
    /// `/tmp:exec` or `/run:size=64m,exec`. A plain `/tmp` is fine: Docker mounts every
    /// `tmpfs:` entry `noexec,nosuid,nodev` unless its options say otherwise. Long-syntax
    /// `type: tmpfs` volumes take no such options in Compose and are not reported.
    ///
    /// ## Why
    /// A writable, executable scratch directory is where downloaded payloads run from;
    /// with a read-only root file system it is often the only place left. Docker's
    /// defaults are safe, so the risk is an explicit `exec` or `suid`. moby
    /// `daemon/oci_linux.go` (tmpfs mounts start from `noexec,nosuid,nodev`, then the
    /// entry's own options are merged); OWASP Docker Security Cheat Sheet, rule 8; CIS
    /// Docker Benchmark 5.13 (read-only root, "use tmpfs for writable paths").
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     tmpfs:
    ///       - /tmp                  # fine: noexec,nosuid by default
    ///       - /run:size=64m,exec    # → /run:size=64m
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes the `exec`/`suid` options, which restores Docker's default. An
    /// explicit `exec` is usually there for a reason, and what needs it stops working:
    /// s6-overlay runs its supervision tree from `/run`, some JVM libraries (Netty,
    /// snappy-java) unpack native code to `/tmp` (point them elsewhere with
    /// `-Djava.io.tmpdir`). Suppress the finding where that is the case. No fix when
    /// `tmpfs` comes through a merge key.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "tmpfs-noexec",
    summary: "keep tmpfs mounts noexec and nosuid",
    fixable: true,
    security_severity: "4.0",
    options: Options,
    check: check,
}

/// Options that turn off a default of Docker's tmpfs mounts (`noexec`, `nosuid`).
const WEAKENING: &[&str] = &["exec", "suid"];

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
            let (weakening, kept): (Vec<&str>, Vec<&str>) = options
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .partition(|o| WEAKENING.contains(o));
            if weakening.is_empty() {
                continue;
            }
            let shown = weakening.join(",");
            let risk = if weakening.contains(&"exec") {
                "files written there can be executed"
            } else {
                "setuid binaries written there raise privileges"
            };
            let message = format!(
                "service `{}` mounts tmpfs `{path}` with `{shown}`, which turns off Docker's `noexec,nosuid` default; {risk}",
                service.name
            );
            let mut finding = ctx.finding(rule.id, Location::Node(entry.path()), message);
            if local {
                let fixed = if kept.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}:{}", kept.join(","))
                };
                let fix = Fix::unsafe_(
                    format!("remove `{shown}` from tmpfs `{path}`"),
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
