use serde::Deserialize;

use crate::document::{Edit, NodeRef, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::image_facts::{self, ImageFacts};
use crate::rules::registry::Configured;
use crate::rules::view::mounts;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    images: ImageFacts,
}

declare_rule! {
    /// ## What it does
    /// Reports services without `read_only: true` (info). An explicit `read_only: false`
    /// is reported where it is written, without a fix: it is usually a decision, but it
    /// leaves the same gap.
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
    ///     read_only: true      # added; the paths it writes are unknown: add them
    ///   web:
    ///     image: nginx:1.27
    ///     read_only: true      # added
    ///     tmpfs:               # added from the image facts
    ///       - /var/cache/nginx
    ///       - /var/run
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: adds `read_only: true`. Most images write somewhere (`/tmp`, `/var/run`,
    /// caches, pid files) and fail until those paths get a `tmpfs` or a volume. Where the
    /// image facts (`policies/images.yaml`, `write_paths`) list those paths for the
    /// service's tag (nginx: `/var/cache/nginx`, `/var/run`; postgres:
    /// `/var/run/postgresql`, `/tmp`; mysql: `/var/run/mysqld`, `/tmp`; mariadb:
    /// `/run/mysqld`, `/tmp`; nginx-unprivileged: `/tmp`), the fix also mounts the
    /// ones no tmpfs or volume covers yet as `tmpfs` (Docker mounts them `noexec,nosuid,nodev`).
    /// Otherwise the finding says the paths are unknown and the fix adds no tmpfs; it
    /// never guesses. It stays unsafe either way: custom configuration, plugins or
    /// entrypoint scripts may write elsewhere, and a tmpfs is emptied at every restart.
    ///
    /// ## Options
    /// - `images`: the image facts, by family (defaults: `policies/images.yaml`); entries in
    ///   a policy merge over them (see the `healthcheck` rule).
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
    if let Some(node) = service.get("read_only").filter(|r| !r.is_null()) {
        return written_false(ctx, rule, service, node);
    }
    let writes = write_paths(&rule.options, service);
    let missing = writes
        .as_ref()
        .map(|paths| missing_tmpfs(service, paths))
        .unwrap_or_default();
    let known = match &writes {
        Ok(paths) if paths.is_empty() => {
            "; the image writes only to its volumes (from the image facts)".to_string()
        }
        Ok(paths) => format!(
            "; the image writes to {} (from the image facts)",
            quoted(paths)
        ),
        Err(why) => format!("; the paths it writes are unknown: {why}"),
    };
    let message = format!(
        "service `{}` has a writable root file system; set `read_only: true` and give the paths it writes a `tmpfs` or volume{known}",
        service.name
    );
    let finding = ctx.note(rule.id, Location::Key(service.path.clone()), message);
    if service.is_alias {
        return Some(finding);
    }
    let mut edits = vec![Edit::Set {
        path: service.at("read_only"),
        value: Value::Bool(true),
    }];
    let tmpfs = tmpfs_edits(ctx, service, &missing);
    let title = match &tmpfs {
        Some(_) => format!("add `read_only: true` and a tmpfs at {}", quoted(&missing)),
        None => "add `read_only: true`".to_string(),
    };
    edits.extend(tmpfs.unwrap_or_default());
    Some(finding.with_fix(Fix::unsafe_(title, edits)))
}

/// Where the service's image writes, from the image facts, or why that is unknown.
fn write_paths(options: &Options, service: &Service<'_>) -> Result<Vec<String>, String> {
    let Some(image) = service.image().filter(|_| !service.has_build()) else {
        return Err("the image is built here".into());
    };
    let Some((_, family)) = image_facts::family(&options.images, image) else {
        return Err(format!("the image facts do not cover `{image}`"));
    };
    family.write_paths_for(image).map(<[String]>::to_vec)
}

/// The write paths no tmpfs or volume of the service covers yet.
fn missing_tmpfs(service: &Service<'_>, paths: &[String]) -> Vec<String> {
    let tmpfs = service.get("tmpfs");
    let mut covered: Vec<&str> = merge::strings(tmpfs)
        .into_iter()
        .chain(merge::text(tmpfs))
        .map(|t| t.split(':').next().unwrap_or(t).trim_end_matches('/'))
        .collect();
    covered.extend(
        mounts::of(service)
            .iter()
            .map(|m| m.target.trim_end_matches('/')),
    );
    paths
        .iter()
        .filter(|p| !covered.contains(&p.as_str()))
        .cloned()
        .collect()
}

/// Edits that mount `missing` as tmpfs; `None` when there is nothing to add or the
/// service's `tmpfs` cannot be extended here (a single string, a merge key, another file).
fn tmpfs_edits(ctx: &Context<'_>, service: &Service<'_>, missing: &[String]) -> Option<Vec<Edit>> {
    if missing.is_empty() || ctx.elsewhere(service, "tmpfs") {
        return None;
    }
    let values = missing.iter().map(Value::str);
    match service.local("tmpfs") {
        None if service.get("tmpfs").is_none() => Some(vec![Edit::Set {
            path: service.at("tmpfs"),
            value: Value::Seq(values.collect()),
        }]),
        Some(local) if local.is_sequence() => Some(
            values
                .map(|value| Edit::Append {
                    path: service.at("tmpfs"),
                    value,
                })
                .collect(),
        ),
        _ => None,
    }
}

fn quoted(paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|p| format!("`{p}`")).collect();
    quoted.join(", ")
}

/// An explicit `read_only: false`: reported, never flipped (someone chose it).
fn written_false(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    node: NodeRef<'_>,
) -> Option<Finding> {
    if merge::text(Some(node)) != Some("false") {
        return None;
    }
    let message = format!(
        "service `{}` sets `read_only: false`: its root file system stays writable",
        service.name
    );
    Some(ctx.note_on(rule.id, node, message))
}
