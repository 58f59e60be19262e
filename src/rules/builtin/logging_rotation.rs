use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    max_size: String,
    max_file: String,
}

declare_rule! {
    /// ## What it does
    /// Reports `logging: {driver: none}` and `json-file` logging without `max-size`. A
    /// service without `logging:` is left alone: the daemon's `log-opts` may rotate.
    ///
    /// ## Why
    /// Without logs an incident cannot be investigated; with unrotated `json-file` logs a
    /// chatty or attacked service fills the host disk and takes every container down. Docker
    /// docs, "JSON File logging driver" (no rotation by default); CIS Docker Benchmark 2.13
    /// "Ensure centralized and remote logging is configured" and OWASP Docker Security
    /// Cheat Sheet, rule 10 "Logging".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     logging:
    ///       driver: json-file      # `none` becomes json-file
    ///       options:               # added
    ///         max-size: 10m
    ///         max-file: "3"
    /// ```
    ///
    /// ## Fix safety
    /// Safe: switches `none` to `json-file` and adds `max-size`/`max-file` to `json-file`;
    /// it only changes what the rule names (logs are kept, bounded). No fix when `logging`
    /// comes through a merge key.
    ///
    /// ## Options
    /// - `max_size` (`10m`), `max_file` (`"3"`): the rotation the fix writes.
    /// - `match`: which services the rule applies to.
    id: "logging-rotation",
    summary: "keep logs, and rotate json-file logs",
    fixable: true,
    security_severity: "3.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let driver_node = service.get_path(&["logging", "driver"]);
    let driver = merge::text(driver_node)?;
    let rotated = service
        .get_path(&["logging", "options", "max-size"])
        .is_some_and(|n| !n.is_null());
    let options = &rule.options;
    let logging = service.at("logging");
    let rotation = [
        ("max-size", &options.max_size),
        ("max-file", &options.max_file),
    ]
    .into_iter()
    .filter(|(key, _)| service.get_path(&["logging", "options", key]).is_none())
    .map(|(key, value)| Edit::Set {
        path: logging.clone().key("options").key(key),
        value: Value::str(value.as_str()),
    });
    let (message, title, edits): (String, &str, Vec<Edit>) = match driver {
        "none" => (
            format!(
                "service `{}` discards its logs (`driver: none`); incidents cannot be investigated",
                service.name
            ),
            "log to json-file",
            std::iter::once(Edit::Replace {
                path: logging.clone().key("driver"),
                value: Value::str("json-file"),
            })
            .chain(rotation)
            .collect(),
        ),
        "json-file" if !rotated => (
            format!(
                "service `{}` logs to json-file without `max-size`; the log grows until the disk is full",
                service.name
            ),
            "rotate the json-file log",
            rotation.collect(),
        ),
        _ => return None,
    };
    let local_driver = service.local("logging").and_then(|l| l.get("driver"));
    // `none` is wrong where it is written; missing rotation is a gap of the whole block.
    let location = if driver != "none" && service.local("logging").is_some() {
        Location::Key(logging.clone())
    } else {
        Location::Node(driver_node?.path())
    };
    let finding = ctx.finding(rule.id, location, message);
    if local_driver.is_none() {
        return Some(finding);
    }
    let title = format!(
        "{title} (max-size {}, max-file {})",
        options.max_size, options.max_file
    );
    Some(finding.with_fix(Fix::safe(title, edits)))
}
