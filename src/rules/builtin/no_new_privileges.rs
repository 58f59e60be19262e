use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports services without `security_opt: [no-new-privileges:true]` (also accepted:
    /// `no-new-privileges=true` and the bare `no-new-privileges`). An explicit
    /// `no-new-privileges:false` is reported without a fix.
    ///
    /// ## Why
    /// Without it a process can gain privileges through setuid/setgid binaries or file
    /// capabilities (`sudo`, `su`, `ping` on old images), which is how many in-container
    /// privilege escalations end. Docker docs, `docker run --security-opt
    /// no-new-privileges`; CIS Docker Benchmark 5.25 "Ensure that the container is
    /// restricted from acquiring additional privileges".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: acme/api:1.2
    ///     security_opt:
    ///       - no-new-privileges:true    # added
    /// ```
    ///
    /// ## Fix safety
    /// Safe: adds `no-new-privileges:true` to a local `security_opt` (or creates it). What
    /// changes is exactly what the rule names: a setuid binary no longer elevates. A
    /// service that relies on that (running `sudo` or `su` after start) fails and should
    /// start as the user it needs; entrypoints that start as root and drop privileges
    /// (`gosu`, `su-exec`, `setpriv`) keep working. No fix when `security_opt` comes
    /// through a merge key (writing it locally would drop the merged entries).
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "no-new-privileges",
    summary: "prevent privilege escalation through setuid binaries",
    fixable: true,
    security_severity: "5.0",
    options: Options,
    check_service: check_service,
}

const OPTION: &str = "no-new-privileges:true";

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let setting = service
        .security_opts()
        .into_iter()
        .find(|(_, name, _)| name == "no-new-privileges");
    if let Some((node, _, value)) = setting {
        if matches!(value, "" | "true" | "True" | "TRUE") {
            return None;
        }
        let message = format!(
            "service `{}` sets `{}` explicitly; setuid binaries can raise privileges",
            service.name,
            node.as_str().unwrap_or_default()
        );
        return Some(ctx.finding(rule.id, Location::Node(node.path()), message));
    }
    let message = format!(
        "service `{}` does not set `security_opt: [{OPTION}]`; setuid binaries in the image can raise privileges",
        service.name
    );
    let existing = service.get("security_opt");
    let at = existing.map_or_else(|| service.path.clone(), |s| s.path());
    let finding = ctx.finding(rule.id, Location::Key(at), message);
    // A service that extends another inherits the list item once the base has it; adding it
    // to both repeats the item, which Compose rejects. Another file may own the key too.
    if service.get("extends").is_some() || ctx.elsewhere(service, "security_opt") {
        return Some(finding);
    }
    let edit = match service.local("security_opt") {
        None if existing.is_none() && !service.is_alias => Edit::Set {
            path: service.at("security_opt"),
            value: Value::Seq(vec![Value::str(OPTION)]),
        },
        Some(local) if local.is_sequence() => Edit::Append {
            path: service.at("security_opt"),
            value: Value::str(OPTION),
        },
        _ => return Some(finding),
    };
    Some(finding.with_fix(Fix::safe(format!("add `{OPTION}`"), vec![edit])))
}
