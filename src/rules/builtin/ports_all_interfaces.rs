use serde::Deserialize;

use crate::document::{Edit, NodeRef, Value};
use crate::finding::{Finding, Fix, Location, Severity};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    databases: Vec<String>,
    report_others: bool,
    bind_address: String,
}

declare_rule! {
    /// ## What it does
    /// Reports published ports without a host address (`"8080:80"`, `"80"`, long syntax
    /// without `host_ip`) or bound to all interfaces (`0.0.0.0`, `::`). Services whose
    /// image is a database, cache or broker (`databases`, matched on the image's last path
    /// segment without tag) get a warning; others an info, or nothing when
    /// `report_others` is false. `127.0.0.1:8080:80` and any other specific address are
    /// fine; an address set by a variable is not judged.
    ///
    /// ## Why
    /// Docker publishes on every interface by default and its iptables rules bypass host
    /// firewalls such as `ufw`: a database published for local tools is reachable from the
    /// internet on a cloud VM. Docker docs, "Packet filtering and firewalls: Docker and
    /// ufw" and "Published ports"; CIS Docker Benchmark 5.14 "Ensure that incoming
    /// container traffic is bound to a specific host interface".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     ports: ["5432:5432"]            # → "127.0.0.1:5432:5432"
    ///   web:
    ///     ports: ["127.0.0.1:8080:80"]    # fine
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: binds the port to `bind_address` (`127.0.0.1`), so other hosts can no longer
    /// reach it; a service that must be public (a reverse proxy) should keep its port and
    /// suppress the finding. No fix when `ports` comes through a merge key.
    ///
    /// ## Options
    /// - `databases`: globs of image names that should never listen on all interfaces.
    /// - `report_others` (`true`): also report other services' ports (info).
    /// - `bind_address` (`127.0.0.1`): the address the fix binds to.
    /// - `match`: which services the rule applies to.
    id: "ports-all-interfaces",
    summary: "report ports published on all host interfaces",
    fixable: true,
    security_severity: "6.5",
    options: Options,
    check: check,
}

/// A published port as written: its host address (if any) and the text after it.
struct Published<'a> {
    address: Option<&'a str>,
    /// `[HOST_PORT:]CONTAINER_PORT[/PROTO]`.
    ports: &'a str,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let Some(ports) = service
            .get("ports")
            .filter(crate::document::NodeRef::is_sequence)
        else {
            continue;
        };
        let database = is_database(&rule.options, service);
        if !database && !rule.options.report_others {
            continue;
        }
        let local = !service.inherited("ports");
        for item in ports.items().map(merge::resolve) {
            if let Some(finding) = check_port(ctx, rule, service, item, database, local) {
                findings.push(finding);
            }
        }
    }
    findings
}

fn is_database(options: &Options, service: &Service<'_>) -> bool {
    service
        .image_base_name()
        .is_some_and(|name| options.databases.iter().any(|g| glob(g, name)))
}

fn check_port(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    item: NodeRef<'_>,
    database: bool,
    local: bool,
) -> Option<Finding> {
    let bind = &rule.options.bind_address;
    let (written, edit) = if item.is_mapping() {
        let host_ip = merge::get(item, "host_ip");
        let address = merge::text(host_ip);
        if !all_interfaces(address) {
            return None;
        }
        let edit = match host_ip {
            Some(node) => Edit::Replace {
                path: node.path(),
                value: Value::str(bind),
            },
            None => Edit::Insert {
                path: item.path(),
                key: "host_ip".into(),
                value: Value::str(bind),
                after: None,
            },
        };
        (
            merge::text(merge::get(item, "published"))
                .or(merge::text(merge::get(item, "target")))?,
            edit,
        )
    } else {
        let written = item.as_str()?;
        let published = parse(written)?;
        if !all_interfaces(published.address) {
            return None;
        }
        let separator = if published.ports.contains(':') {
            ":"
        } else {
            "::"
        };
        let value = Value::str(format!("{bind}{separator}{}", published.ports));
        (
            written,
            Edit::Replace {
                path: item.path(),
                value,
            },
        )
    };
    let (severity, why) = if database {
        (
            Severity::Warning,
            "a database or broker should not be reachable from other hosts",
        )
    } else {
        (
            Severity::Info,
            "bind it to one address unless it must be reachable from other hosts",
        )
    };
    let message = format!(
        "service `{}` publishes `{written}` on all host interfaces; {why}",
        service.name
    );
    let finding = ctx
        .finding(
            rule.id,
            Location::Node(merge::field_or_entry(item, &["published"]).path()),
            message,
        )
        .with_severity(severity);
    if !local {
        return Some(finding);
    }
    let fix = Fix::unsafe_(format!("bind `{written}` to {bind}"), vec![edit]);
    Some(finding.with_fix(fix))
}

fn all_interfaces(address: Option<&str>) -> bool {
    matches!(address, None | Some("" | "0.0.0.0" | "::" | "[::]"))
}

/// `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`; None when a variable is involved.
fn parse(text: &str) -> Option<Published<'_>> {
    if text.contains('$') {
        return None;
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (address, ports) = rest.split_once("]:")?;
        return Some(Published {
            address: Some(address),
            ports,
        });
    }
    let colons = text.matches(':').count();
    if colons < 2 {
        return Some(Published {
            address: None,
            ports: text,
        });
    }
    // The address is everything before the last two fields (an IPv6 address has colons).
    let mut fields = text.rsplitn(3, ':');
    let container = fields.next()?;
    let host = fields.next()?;
    let address = fields.next()?;
    let ports = &text[address.len() + 1..];
    debug_assert_eq!(ports, format!("{host}:{container}"));
    Some(Published {
        address: Some(address),
        ports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_from_ports() {
        let p = parse("127.0.0.1:8080:80").unwrap();
        assert_eq!((p.address, p.ports), (Some("127.0.0.1"), "8080:80"));
        let p = parse("[::]:8080:80/udp").unwrap();
        assert_eq!((p.address, p.ports), (Some("::"), "8080:80/udp"));
        let p = parse("8080:80").unwrap();
        assert_eq!((p.address, p.ports), (None, "8080:80"));
        let p = parse("0.0.0.0::80").unwrap();
        assert_eq!((p.address, p.ports), (Some("0.0.0.0"), ":80"));
        assert!(parse("${BIND}:80:80").is_none());
    }
}
