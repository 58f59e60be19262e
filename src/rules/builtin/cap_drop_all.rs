use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services that do not drop all capabilities (`cap_drop: [ALL]`), so they keep
    /// Docker's default set (`CHOWN`, `DAC_OVERRIDE`, `SETUID`, `NET_RAW`, …). Privileged
    /// services are left to the `privileged` rule.
    ///
    /// ## Why
    /// Most services need none of the default capabilities once started; dropping them all
    /// and adding back the few that are needed (`cap_add: [NET_BIND_SERVICE]`) shrinks what
    /// an attacker inside the container can do. CIS Docker Benchmark 5.3; OWASP Docker
    /// Security Cheat Sheet, rule 3 "Limit capabilities".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: acme/api:1.2
    ///     cap_drop: [ALL]           # added
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: adds `cap_drop: [ALL]` (or appends `ALL` to an existing local `cap_drop`).
    /// Entrypoints that change file ownership or switch users (`chown`, `gosu`, `su-exec`,
    /// most official database images) or bind ports below 1024 need `CHOWN`, `SETUID`,
    /// `SETGID` or `NET_BIND_SERVICE` added back with `cap_add`.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "cap-drop-all",
    summary: "drop all capabilities and add back only the needed ones",
    fixable: true,
    security_severity: "5.0",
    options: Options,
    check_service: check_service,
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let cap_drop = service.get("cap_drop");
    let drops_all = merge::strings(cap_drop)
        .iter()
        .any(|c| c.eq_ignore_ascii_case("ALL") || c.eq_ignore_ascii_case("CAP_ALL"));
    if drops_all || service.is_true("privileged") {
        return None;
    }
    let message = format!(
        "service `{}` keeps Docker's default capabilities; add `cap_drop: [ALL]` and `cap_add` only what it needs",
        service.name
    );
    let at = cap_drop.map_or_else(|| service.path.clone(), |c| c.path());
    let finding = ctx.finding(rule.id, Location::Key(at), message);
    // A service that extends another inherits the list item once the base has it; adding it
    // to both repeats the item, which Compose rejects. Another file may own the key too.
    if service.get("extends").is_some() || ctx.elsewhere(service, "cap_drop") {
        return Some(finding);
    }
    let edit = match service.local("cap_drop") {
        None if cap_drop.is_none() && !service.is_alias => Edit::Set {
            path: service.at("cap_drop"),
            value: Value::Seq(vec![Value::str("ALL")]),
        },
        Some(local) if local.is_sequence() => Edit::Append {
            path: service.at("cap_drop"),
            value: Value::str("ALL"),
        },
        _ => return Some(finding),
    };
    Some(finding.with_fix(Fix::unsafe_("add `cap_drop: [ALL]`", vec![edit])))
}
