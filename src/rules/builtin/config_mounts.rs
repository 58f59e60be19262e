use serde::Deserialize;

use crate::document::{Edit, NodeRef, Path, Value};
use crate::finding::{Finding, Fix, Location};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::view::mounts::{self, MountKind};
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    mode: Mode,
    system_paths: Vec<String>,
    sensitive_targets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Configs,
    Writable,
    Report,
}

declare_rule! {
    /// ## What it does
    /// Finds read-only bind mounts of a single file of the project
    /// (`./nginx.conf:/etc/nginx/nginx.conf:ro`, or the long syntax with `read_only: true`).
    /// In mode `configs` the mount becomes a top-level `configs:` entry (`file:`) and a
    /// service `configs:` entry with the same `target`; in mode `writable` the `:ro` is
    /// dropped; in mode `report` nothing changes. Directories and sources that do not exist
    /// stay bind mounts, with a finding.
    ///
    /// What it refuses, in every mode and without a finding: mounts of the host's own files
    /// (`system_paths`: `/etc/passwd`, `/etc/shadow`, `/etc/localtime`, `/proc`, `/sys`,
    /// `/dev`, sockets such as `/var/run/docker.sock`, …), since they are not the project's
    /// configuration and must stay exactly as mounted; and mounts onto a sensitive path of
    /// the container (`sensitive_targets`: account databases, TLS keys, `/proc`, …), so
    /// `writable` mode can never make one of them writable. Paths are compared after
    /// removing `.`, `..` and repeated `/`.
    ///
    /// ## Why
    /// A configuration file is not data: `configs:` says so, works the same under Swarm and
    /// lets the file be versioned and rotated without touching volumes.
    ///
    /// ## Example
    /// ```yaml
    /// web:
    ///   volumes:
    ///     - ./nginx.conf:/etc/nginx/nginx.conf:ro    # removed
    ///     - /etc/localtime:/etc/localtime:ro         # left alone: a host file
    ///   configs:                                      # added
    ///     - source: nginx_conf
    ///       target: /etc/nginx/nginx.conf
    /// configs:                                        # added
    ///   nginx_conf:
    ///     file: ./nginx.conf
    /// ```
    /// Names come from the file name; a name another config uses for another file gets
    /// `_2`, `_3`, … (deterministic).
    ///
    /// ## Fix safety
    /// Unsafe: the file is mounted by a different mechanism (and, in `writable` mode, becomes
    /// writable).
    ///
    /// ## Options
    /// - `mode` (`configs`): `configs`, `writable` or `report`.
    /// - `system_paths`: globs of host paths never touched (`**` crosses `/`).
    /// - `sensitive_targets`: globs of container paths never touched.
    /// - `match`: which services the rule applies to.
    id: "config-mounts",
    summary: "turn read-only single-file bind mounts into configs",
    fixable: true,
    options: Options,
    check: check,
}

/// A read-only bind mount found in a service's `volumes:`.
struct Mount<'a> {
    index: usize,
    node: NodeRef<'a>,
    source: String,
    target: String,
    /// Short syntax options other than `ro` (`z`, `cached`, …), kept in `writable` mode.
    other_options: Vec<String>,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let mut taken = top_level_configs(ctx);
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let Some(volumes) = service
            .local("volumes")
            .filter(crate::document::NodeRef::is_sequence)
        else {
            continue;
        };
        let mut fixable = Vec::new();
        for mount in read_only_binds(volumes) {
            if protected(&mount, options) {
                continue;
            }
            let source_path = ctx.dir.join(&mount.source);
            let location = Location::Node(service.at("volumes").index(mount.index));
            if !source_path.is_file() {
                let what = if source_path.is_dir() {
                    "a directory"
                } else {
                    "missing"
                };
                let message = format!(
                    "read-only bind mount `{}` of `{}` stays a bind mount: the source is {what}",
                    mount.source, service.name
                );
                findings.push(ctx.finding(rule.id, location, message));
                continue;
            }
            fixable.push(mount);
        }
        if !fixable.is_empty() {
            findings.push(service_finding(
                ctx,
                rule,
                options.mode,
                service,
                &fixable,
                &mut taken,
            ));
        }
    }
    findings
}

fn top_level_configs(ctx: &Context<'_>) -> Vec<(String, Option<String>)> {
    let Some(configs) = ctx.root().and_then(|r| merge::get(r, "configs")) else {
        return Vec::new();
    };
    merge::entries(configs)
        .into_iter()
        .map(|(name, spec)| {
            (
                name,
                merge::text(merge::get(spec, "file")).map(str::to_string),
            )
        })
        .collect()
}

/// A host file the project does not own, or a sensitive path in the container.
fn protected(mount: &Mount<'_>, options: &Options) -> bool {
    let source = mounts::lexical(&mount.source);
    let target = mounts::lexical(&mount.target);
    (source.starts_with('/') && options.system_paths.iter().any(|g| glob(g, &source)))
        || options.sensitive_targets.iter().any(|g| glob(g, &target))
}

fn is_path(source: &str) -> bool {
    source.starts_with(['.', '/']) && !source.contains('$')
}

/// The read-only bind mounts of a `volumes:` sequence, as [`mounts`] reads them; entries
/// written as aliases are skipped (they cannot be removed in place).
fn read_only_binds(volumes: NodeRef<'_>) -> Vec<Mount<'_>> {
    mounts::in_sequence(volumes)
        .into_iter()
        .filter(|m| {
            volumes
                .items()
                .nth(m.index)
                .is_some_and(|item| item.alias_name().is_none())
        })
        .filter_map(read_only_bind)
        .collect()
}

fn read_only_bind(mount: mounts::Mount<'_>) -> Option<Mount<'_>> {
    if mount.kind != MountKind::Bind || !mount.read_only || !is_path(mount.source) {
        return None;
    }
    let other_options = if mount.node.is_mapping() {
        // Only the plain keys: extra bind options (propagation, selinux) have no configs equivalent.
        let plain = merge::entries(mount.node)
            .iter()
            .all(|(k, _)| matches!(k.as_str(), "type" | "source" | "target" | "read_only"));
        if !plain || merge::get(mount.node, "target").is_none() {
            return None;
        }
        Vec::new()
    } else {
        mount
            .mode
            .split(',')
            .filter(|f| *f != "ro")
            .map(str::to_string)
            .collect()
    };
    Some(Mount {
        index: mount.index,
        node: mount.node,
        source: mount.source.to_string(),
        target: mount.target.to_string(),
        other_options,
    })
}

fn config_name(source: &str) -> String {
    let file = source.rsplit('/').next().unwrap_or(source);
    let name: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.trim_matches('_').to_string()
}

/// A name no other top-level config uses for another file (deterministic: `_2`, `_3`, …).
fn free_name(wanted: &str, file: &str, taken: &mut Vec<(String, Option<String>)>) -> String {
    let mut candidate = wanted.to_string();
    let mut n = 1;
    while let Some((_, existing)) = taken.iter().find(|(name, _)| *name == candidate) {
        if existing.as_deref() == Some(file) {
            return candidate;
        }
        n += 1;
        candidate = format!("{wanted}_{n}");
    }
    taken.push((candidate.clone(), Some(file.to_string())));
    candidate
}

fn service_finding(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    mode: Mode,
    service: &Service<'_>,
    mounts: &[Mount<'_>],
    taken: &mut Vec<(String, Option<String>)>,
) -> Finding {
    let files: Vec<String> = mounts.iter().map(|m| format!("`{}`", m.source)).collect();
    let message = format!(
        "service `{}` bind-mounts configuration files read-only ({}); use `configs:`",
        service.name,
        files.join(", ")
    );
    let finding = ctx.finding(
        rule.id,
        Location::Node(service.at("volumes").index(mounts[0].index)),
        message,
    );
    // A comment inside or beside a mount would be lost with it.
    let commented = mounts.iter().any(|m| {
        let line = ctx.doc.line_col(m.node.span().end).0;
        ctx.doc
            .comments()
            .any(|(range, _)| ctx.doc.line_col(range.start).0 == line)
            || ctx.has_comments_inside(m.node)
    });
    if service.is_alias || commented {
        return finding;
    }
    let fix = match mode {
        Mode::Report => return finding,
        Mode::Writable => writable_fix(service, mounts),
        Mode::Configs => match configs_fix(service, mounts, taken) {
            Some(fix) => fix,
            None => return finding,
        },
    };
    finding.with_fix(fix)
}

fn writable_fix(service: &Service<'_>, mounts: &[Mount<'_>]) -> Fix {
    let edits = mounts
        .iter()
        .map(|m| {
            let path = service.at("volumes").index(m.index);
            if m.node.is_mapping() {
                Edit::Remove {
                    path: path.key("read_only"),
                }
            } else {
                let mut short = format!("{}:{}", m.source, m.target);
                if !m.other_options.is_empty() {
                    short.push(':');
                    short.push_str(&m.other_options.join(","));
                }
                Edit::Replace {
                    path,
                    value: Value::str(short),
                }
            }
        })
        .collect();
    Fix::unsafe_("make the configuration mounts writable", edits)
}

fn configs_fix(
    service: &Service<'_>,
    mounts: &[Mount<'_>],
    taken: &mut Vec<(String, Option<String>)>,
) -> Option<Fix> {
    let existing_targets: Vec<String> = match service.get("configs") {
        Some(configs) if configs.is_sequence() => configs
            .items()
            .filter_map(|c| merge::text(merge::get(c, "target")).map(str::to_string))
            .collect(),
        Some(_) => return None,
        None => Vec::new(),
    };
    // Mount options (`z`, `cached`, …) have no configs equivalent.
    if mounts
        .iter()
        .any(|m| !m.other_options.is_empty() || existing_targets.contains(&m.target))
        || (service.get("configs").is_some() && service.local("configs").is_none())
    {
        return None;
    }
    let mut entries = Vec::new();
    let mut top_level = Vec::new();
    for mount in mounts {
        let name = free_name(&config_name(&mount.source), &mount.source, taken);
        entries.push(Value::map([
            ("source", Value::str(&name)),
            ("target", Value::str(&mount.target)),
        ]));
        top_level.push(Edit::Set {
            path: Path::root().key("configs").key(name.as_str()),
            value: Value::map([("file", Value::str(&mount.source))]),
        });
    }
    let mut edits: Vec<Edit> = match service.local("configs") {
        Some(_) => entries
            .into_iter()
            .map(|value| Edit::Append {
                path: service.at("configs"),
                value,
            })
            .collect(),
        None => vec![Edit::Set {
            path: service.at("configs"),
            value: Value::Seq(entries),
        }],
    };
    let volume_count = service.local("volumes").map_or(0, |v| v.items().count());
    if volume_count == mounts.len() {
        edits.push(Edit::Remove {
            path: service.at("volumes"),
        });
    } else {
        // Remove from the back so the indices of the earlier mounts stay valid.
        edits.extend(mounts.iter().rev().map(|m| Edit::Remove {
            path: service.at("volumes").index(m.index),
        }));
    }
    // Top-level edits last: at the end of the file they must follow the service's own.
    edits.extend(top_level);
    Some(Fix::unsafe_(
        "move read-only configuration files to `configs:`",
        edits,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_file() {
        assert_eq!(config_name("./conf/nginx.conf"), "nginx_conf");
        let mut taken = vec![(
            "nginx_conf".to_string(),
            Some("./other/nginx.conf".to_string()),
        )];
        assert_eq!(
            free_name("nginx_conf", "./conf/nginx.conf", &mut taken),
            "nginx_conf_2"
        );
        assert_eq!(
            free_name("nginx_conf", "./conf/nginx.conf", &mut taken),
            "nginx_conf_2"
        );
        assert_eq!(
            free_name("nginx_conf", "./other/nginx.conf", &mut taken),
            "nginx_conf"
        );
    }
}
