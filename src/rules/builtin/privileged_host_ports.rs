use std::ops::RangeInclusive;

use serde::Deserialize;

use crate::document::NodeRef;
use crate::finding::{Finding, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};
use crate::schema::ports;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    below: u32,
}

declare_rule! {
    /// ## What it does
    /// Reports published host ports below 1024 (`below`), in the short syntax (`"80:8080"`,
    /// `"127.0.0.1:443:8443"`, ranges such as `"1000-1030:1000-1030"`) and the long one
    /// (`published: 80`). Only the host side counts: `"8080:80"` is fine. Ports set by a
    /// variable are not judged, nor services on the host's network (`network_mode: host`),
    /// where Compose ignores `ports:`.
    ///
    /// ## Why
    /// Ports below 1024 are privileged on the host: binding them needs root or
    /// `CAP_NET_BIND_SERVICE`, so such a stack cannot move to a rootless daemon, and a
    /// well-known port (22, 25, 53, 80, 443) is what scanners try first. A reverse proxy on
    /// 80/443 is the usual exception: suppress the finding there. CIS Docker Benchmark 5.7
    /// "Ensure that privileged ports are not mapped within containers"; Docker docs,
    /// "Rootless mode: exposing privileged ports".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     ports:
    ///       - "80:8080"          # info → "8080:8080"
    ///       - "8443:443"         # fine: only the container port is below 1024
    /// ```
    ///
    /// ## Fix safety
    /// No fix: clients and firewalls know the port.
    ///
    /// ## Options
    /// - `below` (`1024`): host ports below this are reported.
    /// - `match`: which services the rule applies to.
    id: "privileged-host-ports",
    summary: "report host ports below 1024",
    fixable: false,
    security_severity: "2.0",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if on_host_network(service) {
            continue;
        }
        let Some(ports) = service.get("ports").filter(NodeRef::is_sequence) else {
            continue;
        };
        for item in ports.items().map(merge::resolve) {
            let Some(host) = host_ports(item) else {
                continue;
            };
            if *host.start() >= rule.options.below {
                continue;
            }
            let message = format!(
                "service `{}` publishes host port {}: ports below {} need root on the host (no rootless daemon) and are the first ones scanned; publish a higher port",
                service.name,
                show(&host),
                rule.options.below
            );
            findings.push(
                ctx.finding(
                    rule.id,
                    Location::Node(merge::field_or_entry(item, &["published"]).path()),
                    message,
                )
                .with_severity(Severity::Info),
            );
        }
    }
    findings
}

pub(super) fn on_host_network(service: &Service<'_>) -> bool {
    merge::text(service.get("network_mode")) == Some("host")
}

/// The published host ports of one `ports:` item; `None` when unpublished or interpolated.
fn host_ports(item: NodeRef<'_>) -> Option<RangeInclusive<u32>> {
    let spec = if item.is_mapping() {
        let published = merge::text(merge::get(item, "published"))?;
        format!("{published}:1")
    } else {
        item.as_str()?.to_string()
    };
    if spec.contains('$') {
        return None;
    }
    ports::parse(&spec).ok()?.host
}

fn show(range: &RangeInclusive<u32>) -> String {
    if range.start() == range.end() {
        range.start().to_string()
    } else {
        format!("{}-{}", range.start(), range.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_host_side_counts() {
        let host = |spec: &str| ports::parse(spec).ok().and_then(|p| p.host);
        assert_eq!(host("80:8080"), Some(80..=80));
        assert_eq!(host("127.0.0.1:443:8443/tcp"), Some(443..=443));
        assert_eq!(host("8080:80"), Some(8080..=8080));
        assert_eq!(host("[::1]:1000-1030:1000-1030"), Some(1000..=1030));
        assert_eq!(host("80"), None);
    }
}
