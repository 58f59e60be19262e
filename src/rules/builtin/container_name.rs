use serde::Deserialize;

use crate::finding::Finding;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services with a fixed `container_name` (info).
    ///
    /// ## Why
    /// Container names are global on a Docker host: a fixed name blocks `docker compose up
    /// --scale`, makes a second copy of the project (a review app, a CI run) fail with
    /// "name already in use", and makes blue-green redeploys collide. Services already
    /// reach each other by service name. Docker docs, "Compose file reference:
    /// container_name" ("Compose cannot scale a service beyond one container if a custom
    /// name is specified").
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     container_name: db    # → remove; other services already use `db`
    /// ```
    ///
    /// ## Fix safety
    /// No fix: scripts may call `docker exec <name>`; removing the name would break them.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "container-name",
    summary: "report fixed container names",
    fixable: false,
    security_severity: "1.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let node = service.get("container_name")?;
    let name = merge::text(Some(node))?;
    let message = format!(
        "service `{}` has the fixed container name `{name}`: it cannot scale and a second copy of the project collides",
        service.name
    );
    Some(ctx.note_on(rule.id, node, message))
}
