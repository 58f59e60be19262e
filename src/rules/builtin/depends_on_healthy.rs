use serde::Deserialize;

use super::healthcheck::{self, has_active_healthcheck};
use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    include_planned: bool,
}

declare_rule! {
    /// ## What it does
    /// Makes `depends_on` wait for dependencies that have a healthcheck (or gain one from the
    /// `healthcheck` rule): the short list form becomes the long form with
    /// `condition: service_healthy` for those, `service_started` for the others; in the long
    /// form, `service_started` (or no condition) becomes `service_healthy`. Other conditions
    /// (`service_completed_successfully`) and keys (`restart`, `required`) are kept.
    ///
    /// ## Why
    /// The short form only waits for the dependency's container to start, so the dependent
    /// service races the database's initialisation and crashes or retries.
    ///
    /// ## Example
    /// ```yaml
    /// web:
    ///   depends_on: [db, cache]        # before
    /// ```
    /// ```yaml
    /// web:
    ///   depends_on:                    # after (db has a healthcheck, cache none)
    ///     db:
    ///       condition: service_healthy
    ///     cache:
    ///       condition: service_started
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: startup now waits for the dependency to be healthy, and fails if it never is.
    /// When the dependency's healthcheck is one the `healthcheck` rule is adding, the fix adds
    /// it too, so the two land together.
    ///
    /// What it refuses: a dependency only counts as healthy when it has an active healthcheck
    /// or the `healthcheck` rule plans one (a fix, in this run). A finding of that rule
    /// without fix (`mongo:3.6`, a floating tag, a check needing a tool the image lacks)
    /// plans nothing, so the dependant keeps `service_started` rather than waiting forever
    /// on a check that will never exist.
    ///
    /// ## Options
    /// - `include_planned` (`true`): count healthchecks the `healthcheck` rule would add.
    /// - `match`: which (dependent) services the rule applies to.
    id: "depends-on-healthy",
    summary: "wait for healthy dependencies with `condition: service_healthy`",
    fixable: true,
    options: Options,
    check_service: check_service,
}

/// How a dependency can be waited for.
enum Readiness {
    Healthy,
    /// Healthy once the healthcheck rule's edit lands.
    Planned(Edit),
    StartedOnly,
}

fn readiness(ctx: &Context<'_>, name: &str, options: &Options) -> Readiness {
    let Some(dependency) = ctx.service(name) else {
        return Readiness::StartedOnly;
    };
    if has_active_healthcheck(dependency) {
        return Readiness::Healthy;
    }
    if !options.include_planned || dependency.is_alias {
        return Readiness::StartedOnly;
    }
    // The healthcheck rule runs first; its planned fix lands with ours.
    let target = dependency.at("healthcheck");
    let planned = ctx
        .earlier
        .iter()
        .filter(|f| f.rule == healthcheck::META.id)
        .filter_map(|f| f.fix.as_ref())
        .flat_map(|fix| &fix.edits)
        .find(|edit| matches!(edit, Edit::Set { .. }) && *edit.path() == target);
    match planned {
        Some(edit) => Readiness::Planned(edit.clone()),
        None => Readiness::StartedOnly,
    }
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let options = &rule.options;
    let depends = service.get("depends_on")?;
    let mut edits = Vec::new();
    let mut waiting = Vec::new();
    if depends.is_sequence() {
        let names = merge::strings(Some(depends));
        // Compose interpolates `${…}` in the list form but not in the long form's keys.
        if names.iter().any(|n| n.contains('$')) {
            return None;
        }
        let mut long = Vec::new();
        let mut any_healthy = false;
        for name in &names {
            let condition = match readiness(ctx, name, options) {
                Readiness::Healthy => "service_healthy",
                Readiness::Planned(edit) => {
                    edits.push(edit);
                    "service_healthy"
                }
                Readiness::StartedOnly => "service_started",
            };
            if condition == "service_healthy" {
                any_healthy = true;
                waiting.push(name.to_string());
            }
            long.push((
                name.to_string(),
                Value::map([("condition", Value::str(condition))]),
            ));
        }
        if !any_healthy {
            return None;
        }
        // The long form is a new rendering of the list; comments inside it would be lost.
        if ctx.has_comments_inside(depends) {
            return Some(ctx.finding(rule.id, Location::Node(service.at("depends_on")), format!("service `{}` starts before {} is healthy; use the long form of `depends_on` with `condition: service_healthy` (not rewritten: comments inside the list would be lost)", service.name, quoted_list(&waiting))));
        }
        edits.push(Edit::Replace {
            path: service.at("depends_on"),
            value: Value::Map(long),
        });
    } else if depends.is_mapping() {
        for (name, spec) in merge::entries(depends) {
            let condition = merge::text(merge::get(spec, "condition"));
            if !matches!(condition, None | Some("service_started")) {
                continue;
            }
            let readiness = readiness(ctx, &name, options);
            if let Readiness::Planned(edit) = &readiness {
                edits.push(edit.clone());
            }
            if matches!(readiness, Readiness::StartedOnly) {
                continue;
            }
            let path = service.at("depends_on").key(name.as_str());
            // `db:` with no value, or `db: {}`: the condition goes inside.
            edits.push(if spec.is_null() {
                Edit::Replace {
                    path,
                    value: Value::map([("condition", Value::str("service_healthy"))]),
                }
            } else {
                Edit::Set {
                    path: path.key("condition"),
                    value: Value::str("service_healthy"),
                }
            });
            waiting.push(name);
        }
        if waiting.is_empty() {
            return None;
        }
    } else {
        return None;
    }
    let message = format!(
        "service `{}` starts before {} is healthy; wait with `condition: service_healthy`",
        service.name,
        quoted_list(&waiting)
    );
    let finding = ctx.finding(rule.id, Location::Node(service.at("depends_on")), message);
    // A depends_on inherited through a merge key would be overridden whole; leave it to a human.
    if service.inherited("depends_on")
        || service.is_alias
        || service
            .local("depends_on")
            .is_some_and(|d| d.id != depends.id)
    {
        return Some(finding);
    }
    Some(finding.with_fix(Fix::unsafe_(
        format!("wait for {} to be healthy", quoted_list(&waiting)),
        edits,
    )))
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}
