use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location, Severity};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::view::mounts::{self, Mount, MountKind};
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    config_targets: Vec<String>,
    config_names: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports bind mounts of the project's own configuration that the container can write
    /// (info): a relative source (`./nginx.conf`, `./conf.d`) mounted without `:ro` (or with
    /// `:rw`, or long syntax without `read_only: true`) onto a configuration path
    /// (`config_targets`, e.g. `/etc/**`) or with a configuration file name
    /// (`config_names`, e.g. `*.conf`, `*.yml`). Data directories (`./pgdata:/var/lib/…`)
    /// and host paths (the `sensitive-host-mounts` rule's business) are not reported.
    ///
    /// ## Why
    /// A process that can rewrite its own configuration turns one compromise into a
    /// persistent one, and the change lands in the project's working tree. Docker docs,
    /// "Bind mounts" (`readonly`); OWASP Docker Security Cheat Sheet, rule 8 ("set
    /// filesystem and volumes to read-only"); CIS Docker Benchmark 5.5 (mount sensitive
    /// directories read-only). Tools disagree on the default severity, hence info.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx:
    ///     volumes:
    ///       - ./nginx.conf:/etc/nginx/nginx.conf       # → ./nginx.conf:/etc/nginx/nginx.conf:ro
    ///       - ./html:/usr/share/nginx/html:ro          # fine
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: adds `:ro` (or `read_only: true`). Some entrypoints render templates into
    /// their configuration directory at start (nginx's `envsubst` into `conf.d`, tools that
    /// save settings from a web UI) and fail on a read-only mount. No fix for entries that
    /// come through a merge key or whose mode holds other options besides `rw`.
    ///
    /// ## Options
    /// - `config_targets`: globs of container paths that hold configuration.
    /// - `config_names`: globs of file names that are configuration wherever they go.
    /// - `match`: which services the rule applies to.
    id: "writable-config-mounts",
    summary: "report the project's configuration bind-mounted writable",
    fixable: true,
    security_severity: "3.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let local = !service.inherited("volumes") && !service.is_alias;
        for mount in mounts::of(service) {
            if let Some(finding) = check_mount(ctx, rule, service, &mount, local) {
                findings.push(finding);
            }
        }
    }
    findings
}

fn check_mount(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    mount: &Mount<'_>,
    local: bool,
) -> Option<Finding> {
    if mount.kind != MountKind::Bind || mount.read_only || !is_project_path(mount.source) {
        return None;
    }
    if !is_config(&rule.options, mount) {
        return None;
    }
    let message = format!(
        "service `{}` mounts the project's `{}` at `{}` writable: the container can rewrite its own configuration; add `:ro`",
        service.name, mount.source, mount.target
    );
    let location = Location::Node(mount.field(&["source"]).path());
    let finding = ctx
        .finding(rule.id, location, message)
        .with_severity(Severity::Info);
    match read_only_edit(mount).filter(|_| local) {
        Some(edit) => Some(finding.with_fix(Fix::unsafe_(
            format!("mount `{}` read-only", mount.source),
            vec![edit],
        ))),
        None => Some(finding),
    }
}

/// A source inside the project (`./x`, `../x`, `x/y`), not a host path or a home directory.
fn is_project_path(source: &str) -> bool {
    source.starts_with('.') || !source.starts_with(['/', '~', '$'])
}

fn is_config(options: &Options, mount: &Mount<'_>) -> bool {
    let target = mount.target.trim_end_matches('/');
    options.config_targets.iter().any(|g| glob(g, target))
        || [file_name(mount.source), file_name(target)]
            .iter()
            .any(|n| options.config_names.iter().any(|g| glob(g, n)))
}

/// The last component of `path`.
fn file_name(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// The edit that makes the mount read-only; `None` when its mode says more than `rw`.
fn read_only_edit(mount: &Mount<'_>) -> Option<Edit> {
    if mount.node.is_mapping() {
        return Some(Edit::Set {
            path: mount.node.path().key("read_only"),
            value: Value::Bool(true),
        });
    }
    let written = mount.node.as_str()?;
    let value = match mount.mode {
        "" => format!("{written}:ro"),
        "rw" => format!("{}:ro", written.strip_suffix(":rw")?),
        _ => return None,
    };
    Some(Edit::Replace {
        path: mount.node.path(),
        value: Value::str(value),
    })
}
