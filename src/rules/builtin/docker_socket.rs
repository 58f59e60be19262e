use serde::Deserialize;

use crate::finding::{Finding, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::view::mounts::{self, Mount, MountKind};
use crate::rules::{Context, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports bind mounts of a container engine's API socket in any form: short or long
    /// syntax, `/var/run/docker.sock`, `/run/docker.sock`, a rootless socket
    /// (`$XDG_RUNTIME_DIR/docker.sock`), Podman's and containerd's sockets, and the
    /// directories that hold them (`/var/run`, `/run`). `:ro` does not make it safer.
    ///
    /// ## Why
    /// Whoever can talk to the Docker API can start a privileged container with the host's
    /// root file system mounted: the socket is root on the host. A read-only mount only
    /// stops the socket file from being replaced; connecting to it still works. Docker
    /// docs, "Protect the Docker daemon socket"; CIS Docker Benchmark 5.31 "Ensure that the
    /// Docker socket is not mounted inside any containers"; OWASP Docker Security Cheat
    /// Sheet, rule 1.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   proxy:
    ///     volumes:
    ///       - /var/run/docker.sock:/var/run/docker.sock:ro   # error
    /// ```
    /// Put a filtering proxy (e.g. one that allows only `GET /containers`) between the
    /// service and the socket, or use the service's file-based configuration.
    ///
    /// ## Fix safety
    /// No fix: the services that mount the socket need the API.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "docker-socket",
    summary: "report container engine sockets mounted into containers",
    fixable: false,
    security_severity: "9.0",
    options: Options,
    check: check,
}

/// Socket file names of container engines.
const SOCKETS: &[&str] = &[
    "docker.sock",
    "podman.sock",
    "containerd.sock",
    "crio.sock",
    // Docker Desktop's named pipe on Windows (`type: npipe`).
    "docker_engine",
];
/// Directories that contain the engine sockets.
const SOCKET_DIRS: &[&str] = &[
    "/run",
    "/var/run",
    "/run/docker",
    "/var/run/docker",
    "/run/containerd",
    "/run/podman",
];

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for mount in mounts::of(service) {
            let Some(what) = exposes_socket(&mount) else {
                continue;
            };
            let message = format!(
                "service `{}` mounts {what} (`{}`): control of the engine is root on the host{}",
                service.name,
                mount.source,
                if mount.read_only {
                    "; `:ro` does not prevent API calls"
                } else {
                    ""
                }
            );
            findings.push(
                ctx.finding(
                    rule.id,
                    Location::Node(mount.field(&["source"]).path()),
                    message,
                )
                .with_severity(Severity::Error),
            );
        }
    }
    findings
}

fn exposes_socket(mount: &Mount<'_>) -> Option<&'static str> {
    // A source set by a variable (`${XDG_RUNTIME_DIR}/docker.sock`) still names the file.
    let path = match mount.kind {
        MountKind::Unknown => mount.source,
        _ => mount.host_path.as_deref()?,
    };
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if SOCKETS.contains(&file) {
        Some("the container engine's API socket")
    } else if SOCKET_DIRS.contains(&path) {
        Some("a directory holding the container engine's API socket")
    } else {
        None
    }
}
