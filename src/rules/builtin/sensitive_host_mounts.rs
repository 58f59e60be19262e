use serde::Deserialize;

use crate::finding::{Finding, Location, Severity};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::view::mounts::{self, Mount};
use crate::rules::{Context, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    paths: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports bind mounts of sensitive host paths: the host root `/`, `/etc`, `/root`,
    /// `/boot`, `/dev`, `/proc`, `/sys`, `/var/lib/docker`, home directories (`/home/*`,
    /// `~`), SSH keys and cloud credentials anywhere (`**/.ssh`, `~/.aws`, …). Writable
    /// mounts are errors; read-only ones are warnings. Paths below a listed directory are
    /// not reported unless a pattern says so: `/etc/localtime:/etc/localtime:ro` is fine.
    /// The container engine's socket is the `docker-socket` rule's.
    ///
    /// ## Why
    /// A writable host root or `/etc` lets the container add a user, a cron job or an SSH
    /// key to the host; `/proc` and `/sys` reach kernel settings; `/var/lib/docker` holds
    /// every other container's files; home directories hold keys and tokens. Read-only
    /// still discloses them. CIS Docker Benchmark 5.5 "Ensure sensitive host system
    /// directories are not mounted on containers"; OWASP Docker Security Cheat Sheet,
    /// rule 8.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   backup:
    ///     volumes:
    ///       - /:/host                  # error: writable host root
    ///       - ~/.ssh:/root/.ssh:ro     # warning
    ///       - /etc/localtime:/etc/localtime:ro   # fine
    /// ```
    ///
    /// ## Fix safety
    /// No fix: mount the one subdirectory the service needs, read-only.
    ///
    /// ## Options
    /// - `paths`: globs of host paths (after `~`/`$HOME` become `~` and trailing slashes
    ///   are dropped); `*` stays within one path segment, `**` crosses them.
    /// - `match`: which services the rule applies to.
    id: "sensitive-host-mounts",
    summary: "report bind mounts of sensitive host paths",
    fixable: false,
    security_severity: "8.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for mount in mounts::of(service) {
            let Some(path) = sensitive_path(&rule.options, &mount) else {
                continue;
            };
            let (severity, access) = if mount.read_only {
                (Severity::Warning, "read-only")
            } else {
                (Severity::Error, "writable")
            };
            let what = if path == "/" {
                "the host's root file system"
            } else {
                "sensitive host path"
            };
            let message = format!(
                "service `{}` mounts {what} `{path}` ({access}) at `{}`; mount only the subdirectory it needs, read-only",
                service.name, mount.target
            );
            findings.push(
                ctx.finding(
                    rule.id,
                    Location::Node(mount.field(&["source"]).path()),
                    message,
                )
                .with_severity(severity),
            );
        }
    }
    findings
}

fn sensitive_path<'m>(options: &Options, mount: &'m Mount<'_>) -> Option<&'m str> {
    let path = mount.host_path.as_deref()?;
    options
        .paths
        .iter()
        .any(|pattern| glob(pattern, path))
        .then_some(path)
}
