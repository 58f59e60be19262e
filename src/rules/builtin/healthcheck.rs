use std::collections::BTreeMap;

use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location, Safety};
use crate::image_ref::{ImageRef, is_interpolated};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Options {
    interval: String,
    timeout: String,
    retries: i64,
    start_period: String,
    report_unknown: bool,
    catalog: BTreeMap<String, CatalogEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogEntry {
    images: Vec<String>,
    test: Vec<String>,
    interval: Option<String>,
    timeout: Option<String>,
    retries: Option<i64>,
    start_period: Option<String>,
    safety: Option<String>,
}

declare_rule! {
    /// ## What it does
    /// Adds a `healthcheck:` to services whose image is in the healthcheck catalog
    /// (`policies/healthchecks.yaml`: postgres, mysql, mariadb, redis, valkey, mongo, rabbitmq,
    /// elasticsearch, opensearch, memcached, minio, nginx, traefik, keycloak, grafana,
    /// prometheus, …). Services that already have one (including `disable: true`, and through
    /// `<<` merge keys) are skipped, as are `build:` services and `${…}` images.
    ///
    /// ## Why
    /// Without a healthcheck, Compose only knows a container is running, not that it is ready:
    /// `depends_on` cannot wait for readiness and `docker compose ps` cannot show a stuck
    /// database.
    ///
    /// ## Example
    /// ```yaml
    /// db:
    ///   image: postgres:16
    ///   healthcheck:                 # added
    ///     test: ["CMD-SHELL", "pg_isready -U $${POSTGRES_USER:-postgres}"]
    ///     interval: 10s
    ///     timeout: 5s
    ///     retries: 5
    ///     start_period: 30s
    /// ```
    /// `$$` keeps Compose from interpolating a variable meant for the container's shell.
    ///
    /// ## Fix safety
    /// Safe: a healthcheck only adds a status. Catalog entries that need something the image
    /// does not enable by default (traefik's ping endpoint) are unsafe. Unknown images get a
    /// finding without fix when `report_unknown` is set.
    ///
    /// ## Options
    /// - `interval` (`10s`), `timeout` (`5s`), `retries` (`5`), `start_period` (`30s`): the
    ///   timing written with every check (an entry may override them).
    /// - `report_unknown` (`false`; `true` in production): report images without an entry.
    /// - `catalog`: entries by name (`images` globs, `test`, optional timing and `safety`);
    ///   add or override entries in your own policy.
    /// - `match`: which services the rule applies to.
    id: "healthcheck",
    summary: "add healthchecks for well-known images from the catalog",
    fixable: true,
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if service.get("healthcheck").is_some() || service.has_build() {
            continue;
        }
        let Some(image) = service.image().filter(|i| !is_interpolated(i)) else {
            continue;
        };
        match planned(service, options) {
            Some(planned) => {
                let message = format!(
                    "service `{}` ({}) has no healthcheck",
                    service.name,
                    ImageRef::parse(image).short_name()
                );
                let mut finding =
                    ctx.finding(rule.id, Location::Key(service.path.clone()), message);
                if !service.is_alias {
                    let title = format!("add a healthcheck ({})", planned.entry);
                    let edits = vec![planned.edit(service)];
                    finding = finding.with_fix(match planned.safety {
                        Safety::Safe => Fix::safe(title, edits),
                        Safety::Unsafe => Fix::unsafe_(title, edits),
                    });
                }
                findings.push(finding);
            }
            None if options.report_unknown => {
                let message = format!(
                    "service `{}` has no healthcheck, and image `{image}` has no catalog entry; add one to the service or to the catalog",
                    service.name
                );
                findings.push(ctx.finding(rule.id, Location::Key(service.path.clone()), message));
            }
            None => {}
        }
    }
    findings
}

/// A healthcheck the rule would add to a service.
pub(super) struct Planned {
    pub entry: String,
    pub value: Value,
    pub safety: Safety,
}

impl Planned {
    pub fn edit(&self, service: &Service<'_>) -> Edit {
        Edit::Set {
            path: service.at("healthcheck"),
            value: self.value.clone(),
        }
    }
}

/// The healthcheck from the catalog for a service without one, if its image has an entry.
pub(super) fn planned(service: &Service<'_>, options: &Options) -> Option<Planned> {
    if service.get("healthcheck").is_some() || service.has_build() {
        return None;
    }
    let image = service.image().filter(|i| !is_interpolated(i))?;
    let short = ImageRef::parse(image).short_name();
    let (name, entry) = options
        .catalog
        .iter()
        .find(|(_, e)| e.images.iter().any(|g| glob(g, short)))?;
    let value = Value::map([
        (
            "test",
            // Compose files conventionally write the test command on one line.
            Value::Flow(Box::new(Value::Seq(
                entry.test.iter().map(Value::str).collect(),
            ))),
        ),
        (
            "interval",
            Value::str(entry.interval.as_deref().unwrap_or(&options.interval)),
        ),
        (
            "timeout",
            Value::str(entry.timeout.as_deref().unwrap_or(&options.timeout)),
        ),
        (
            "retries",
            Value::Int(entry.retries.unwrap_or(options.retries)),
        ),
        (
            "start_period",
            Value::str(
                entry
                    .start_period
                    .as_deref()
                    .unwrap_or(&options.start_period),
            ),
        ),
    ]);
    let safety = if entry.safety.as_deref() == Some("unsafe") {
        Safety::Unsafe
    } else {
        Safety::Safe
    };
    Some(Planned {
        entry: name.clone(),
        value,
        safety,
    })
}

/// Whether a service has a healthcheck that Compose will run (not `disable: true` and not
/// `test: [NONE]`).
pub(super) fn has_active_healthcheck(service: &Service<'_>) -> bool {
    let Some(check) = service.get("healthcheck").filter(|h| h.is_mapping()) else {
        return false;
    };
    if merge::text(merge::get(check, "disable")).is_some_and(|d| d == "true") {
        return false;
    }
    let test = merge::get(check, "test");
    let first = match test {
        Some(t) if t.is_sequence() => t.items().next().and_then(|i| merge::resolve(i).as_str()),
        Some(t) => t.as_str(),
        // Without `test` only the image's own HEALTHCHECK could apply; we cannot see it.
        None => return false,
    };
    first != Some("NONE")
}
