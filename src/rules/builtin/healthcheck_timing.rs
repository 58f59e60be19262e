use serde::Deserialize;

use crate::document::NodeRef;
use crate::finding::{Finding, Location, Severity};
use crate::rules::image_facts::{self, ImageFacts};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};
use crate::schema::duration_seconds;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    images: ImageFacts,
}

declare_rule! {
    /// ## What it does
    /// Reports healthcheck timing that does not do what it says:
    /// - `retries: 0`: Docker reads 0 as "not set" and uses its default, 3 consecutive
    ///   failures; it never means "unhealthy at the first failure".
    /// - `timeout` longer than `interval`, both written (info): probes never overlap (the
    ///   next one starts `interval` after the last one ended), so a hanging probe stretches
    ///   every cycle to `interval + timeout` and the unhealthy verdict comes more than twice
    ///   as late as the interval suggests. A short interval for a fast first "healthy" is
    ///   better written as `start_interval` (Docker 25+); swapped values show here too.
    ///   Equal values are not reported: they are Docker's own default ratio (30s and 30s).
    /// - `interval` below one second: every probe starts a process in the container through
    ///   the daemon, and sub-second probing costs CPU on both sides for no faster recovery
    ///   (restarts and `depends_on` react in seconds).
    /// - a healthcheck without `start_period` on an image the image facts know to start
    ///   slowly (their researched healthcheck has a `start_period` of 30s or more:
    ///   elasticsearch, keycloak, mariadb, …), reported on `healthcheck:` (info): failed probes while the
    ///   server starts count towards `retries`, so it turns unhealthy (and `depends_on`
    ///   waiters give up) before it is up.
    ///
    /// Not judged: values set by variables, values that are not durations (validation
    /// reports those), Docker's defaults (30s interval and timeout, which are equal), and
    /// disabled healthchecks (`healthcheck-disabled` reports those).
    ///
    /// ## Why
    /// A healthcheck that reports late or never is what `depends_on: service_healthy`,
    /// orchestrators and monitoring rely on. Docker docs, "Dockerfile reference:
    /// HEALTHCHECK" (interval, timeout, retries) and the Engine API (`Retries`: "0 means
    /// inherit"); moby `daemon/health.go` (`retries <= 0` → `defaultProbeRetries`).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     healthcheck:
    ///       test: [CMD, /healthz]
    ///       interval: 5s
    ///       timeout: 30s          # reported: longer than the interval (swapped?)
    ///       retries: 0            # reported: means 3
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the intended values are not knowable from the file.
    ///
    /// ## Options
    /// - `images`: the image facts (`policies/images.yaml`), for start-up periods.
    /// - `match`: which services the rule applies to.
    id: "healthcheck-timing",
    summary: "report healthcheck timing that does not do what it says",
    fixable: false,
    security_severity: "2.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if service.healthcheck_switched_off().is_some() {
            continue;
        }
        for (node, severity, message) in problems(service) {
            let finding = ctx.finding(rule.id, Location::Node(node.path()), message);
            findings.push(finding.with_severity(severity));
        }
        if let Some(message) = slow_start_unguarded(&rule.options, service) {
            let location = Location::Key(service.at("healthcheck"));
            findings.push(
                ctx.finding(rule.id, location, message)
                    .with_severity(Severity::Info),
            );
        }
    }
    findings
}

/// A written duration in seconds, with its node and text (variables and typos skipped).
fn duration<'a>(service: &Service<'a>, key: &str) -> Option<(NodeRef<'a>, &'a str, f64)> {
    let node = service.get_path(&["healthcheck", key])?;
    let text = merge::text(Some(node))?.trim();
    let seconds = duration_seconds(text).filter(|_| !text.contains('$'))?;
    Some((node, text, seconds))
}

fn problems<'a>(service: &Service<'a>) -> Vec<(NodeRef<'a>, Severity, String)> {
    let name = service.name;
    let mut found = Vec::new();
    if let Some(retries) = service.get_path(&["healthcheck", "retries"])
        && merge::text(Some(retries)).map(str::trim) == Some("0")
    {
        found.push((retries, Severity::Warning, format!("service `{name}` sets healthcheck `retries: 0`, which Docker reads as unset: the container turns unhealthy after 3 failures, not 1")));
    }
    let interval = duration(service, "interval");
    if let (Some((_, every, period)), Some((node, limit, timeout))) =
        (interval, duration(service, "timeout"))
        && period > 0.0
        && timeout > period
    {
        found.push((node, Severity::Info, format!("service `{name}` gives its healthcheck a `timeout` ({limit}) longer than its `interval` ({every}): a hanging probe makes each check take `interval + timeout`, so unhealthy comes late (for a fast first check, use `start_interval`)")));
    }
    if let Some((node, every, period)) = interval
        && period > 0.0
        && period < 1.0
    {
        found.push((node, Severity::Warning, format!("service `{name}` probes its health every {every}: each probe starts a process in the container, so sub-second probing costs CPU without faster recovery; use 1s or more")));
    }
    found
}

/// From this researched `start_period` on, an image counts as slow to start.
const SLOW_START_SECONDS: f64 = 30.0;

/// A written healthcheck test without `start_period`, on an image whose researched
/// healthcheck needs one: the message, or `None`.
fn slow_start_unguarded(options: &Options, service: &Service<'_>) -> Option<String> {
    service.get_path(&["healthcheck", "test"])?;
    if service.get_path(&["healthcheck", "start_period"]).is_some() {
        return None;
    }
    let image = service.image()?;
    let (_, family) = image_facts::family(&options.images, image)?;
    let researched = family
        .variant_for(image)
        .ok()
        .and_then(|covered| family.healthcheck_for(&covered))
        .or_else(|| family.healthcheck.clone())?;
    let period = researched.start_period?;
    // Short periods (redis' 10s) are a margin, not a slow start; and enough retries cover
    // the start-up without one.
    let needed = duration_seconds(&period)?;
    if needed < SLOW_START_SECONDS || failures_tolerated(service)? >= needed {
        return None;
    }
    Some(format!(
        "service `{}` runs `{image}`, which takes a while to start (the image facts give it `start_period: {period}`); without `start_period`, probes that fail while it starts count towards `retries` and it turns unhealthy before it is up",
        service.name
    ))
}

/// How long probes may fail before the container turns unhealthy: `interval × retries`
/// with Docker's defaults (30s, 3; `retries: 0` means 3). `None` when a value is a variable.
fn failures_tolerated(service: &Service<'_>) -> Option<f64> {
    let interval = match service.get_path(&["healthcheck", "interval"]) {
        Some(_) => duration(service, "interval")?.2,
        None => 30.0,
    };
    let retries = match service.get_path(&["healthcheck", "retries"]) {
        Some(node) => merge::text(Some(node))?.trim().parse::<u32>().ok()?,
        None => 3,
    };
    let retries = if retries == 0 { 3 } else { retries };
    Some(interval * f64::from(retries))
}
