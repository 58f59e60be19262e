//! Published host ports: two bindings of the same host port, protocol and address (ranges
//! and the 0.0.0.0 wildcard overlap) cannot both start. Compose itself accepts the file, so
//! this is a warning; an unparsable port is an error (Compose refuses it).

use std::collections::HashMap;
use std::ops::RangeInclusive;

use super::services;
use crate::compose::{Node, Origin, Problem, Value};
use crate::schema::ports;

/// One published binding and where it was written.
struct Binding {
    service: String,
    ip: String,
    protocol: String,
    host: RangeInclusive<u32>,
    origin: Origin,
}

/// `decoding`: also the short syntax, which Compose parses when it decodes the project (a
/// long-syntax `host_ip` it checks while loading the model already).
pub(super) fn check(model: &Node, decoding: bool, problems: &mut Vec<Problem>) {
    let mut bindings = Bindings::default();
    for (name, service) in services(model) {
        for item in service
            .get("ports")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            for binding in published(name, item, decoding, problems) {
                if let Some(first) = bindings.first_overlap(&binding) {
                    let port = show_range(&binding.host);
                    let message = format!(
                        "host port {port}/{} of service \"{name}\" is already published by service \"{}\"; only one can start",
                        binding.protocol, first.service
                    );
                    problems.push(Problem::warning(
                        "duplicate-host-port",
                        binding.origin.clone(),
                        message,
                    ));
                }
                bindings.push(binding);
            }
        }
    }
}

fn published(
    service: &str,
    item: &Node,
    decoding: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Binding> {
    let make = |ip: Option<String>, protocol: String, host: RangeInclusive<u32>| Binding {
        service: service.to_string(),
        ip: ip.unwrap_or_default(),
        protocol,
        host,
        origin: item.origin.clone(),
    };
    // `loading`: a number, which Compose converts while loading the model (a string it parses
    // when it decodes the project).
    let short = |text: &str, loading: bool, problems: &mut Vec<Problem>| match ports::parse(text) {
        // Compose reads a container port 0 as no port at all ("missing a target port"), as
        // soon as it loads the model.
        Ok(spec) if *spec.container.start() == 0 => {
            problems.push(Problem::error(
                "invalid-port",
                item.origin.clone(),
                format!(
                    "service \"{service}\": invalid port \"{text}\": the container port is 0, \
                     which Compose reads as no target port"
                ),
            ));
            Vec::new()
        }
        Ok(spec) => spec
            .host
            .map(|host| make(spec.host_ip, spec.protocol, host))
            .into_iter()
            .collect(),
        Err(_) if !decoding && !loading => Vec::new(),
        Err(reason) => {
            problems.push(Problem::error(
                "invalid-port",
                item.origin.clone(),
                format!("service \"{service}\": invalid port \"{text}\": {reason}"),
            ));
            Vec::new()
        }
    };
    match &item.value {
        Value::Str(text) if super::uninterpolated(text) => Vec::new(),
        Value::Str(text) => short(text, false, problems),
        // A number is the container port, checked as its decimal text (`-1`, `65536`, `0`).
        Value::Int(n) => short(&n.to_string(), true, problems),
        Value::Float(x) => {
            problems.push(Problem::error(
                "invalid-port",
                item.origin.clone(),
                format!(
                    "service \"{service}\": invalid port {x}: Compose takes an integer or a \
                     string, not a fractional number"
                ),
            ));
            Vec::new()
        }
        Value::Map(_) => {
            // Compose indexes long-syntax ports by their target: none is refused.
            if item.get("target").is_none_or(|t| t.value == Value::Null) {
                problems.push(Problem::error(
                    "invalid-port",
                    item.origin.clone(),
                    format!(
                        "service \"{service}\": a port mapping without `target` (the container \
                         port); Compose refuses it"
                    ),
                ));
            }
            // `target` is decoded as an unsigned number: a negative one is refused.
            if decoding
                && let Some(target) = item.get("target")
                && let Some(text) = target.scalar_text()
                && text.parse::<i64>().is_ok_and(|n| n < 0)
            {
                problems.push(Problem::error(
                    "invalid-port",
                    target.origin.clone(),
                    format!(
                        "service \"{service}\": invalid `target` {text}: a port cannot be negative"
                    ),
                ));
            }
            if let Some(ip) = item.get("host_ip")
                && let Some(text) = ip.as_str()
                && !super::uninterpolated(text)
                && text.parse::<std::net::IpAddr>().is_err()
            {
                problems.push(Problem::error(
                    "invalid-port",
                    ip.origin.clone(),
                    format!("service \"{service}\": invalid `host_ip` \"{text}\": not an IP address (for the loopback interface write 127.0.0.1)"),
                ));
            }
            let Some(published) = item
                .get("published")
                .and_then(Node::scalar_text)
                .filter(|s| !s.is_empty())
            else {
                return Vec::new();
            };
            let protocol = item
                .get("protocol")
                .and_then(Node::as_str)
                .unwrap_or("tcp")
                .to_string();
            let ip = item
                .get("host_ip")
                .and_then(Node::as_str)
                .map(str::to_string);
            match ports::parse(&format!("{published}:1")) {
                Ok(spec) => spec
                    .host
                    .map(|host| make(ip, protocol, host))
                    .into_iter()
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The bindings seen so far, found by host port so that a file with thousands of published
/// ports is checked in linear time. Ranges (rare) are kept apart and compared with everything.
#[derive(Default)]
struct Bindings {
    all: Vec<Binding>,
    /// (protocol, host port) → indices into `all` of single-port bindings, in order.
    by_port: HashMap<(String, u32), Vec<usize>>,
    /// Indices into `all` of bindings of a port range, in order.
    ranges: Vec<usize>,
}

impl Bindings {
    /// The earliest binding that overlaps `binding`.
    fn first_overlap(&self, binding: &Binding) -> Option<&Binding> {
        let overlapping = |&&i: &&usize| overlaps(&self.all[i], binding);
        let first = if binding.host.start() == binding.host.end() {
            let key = (binding.protocol.clone(), *binding.host.start());
            let single = self
                .by_port
                .get(&key)
                .and_then(|list| list.iter().find(overlapping));
            let range = self.ranges.iter().find(overlapping);
            single.into_iter().chain(range).min().copied()
        } else {
            (0..self.all.len()).find(|i| overlapping(&i))
        };
        first.map(|i| &self.all[i])
    }

    fn push(&mut self, binding: Binding) {
        let i = self.all.len();
        if binding.host.start() == binding.host.end() {
            let key = (binding.protocol.clone(), *binding.host.start());
            self.by_port.entry(key).or_default().push(i);
        } else {
            self.ranges.push(i);
        }
        self.all.push(binding);
    }
}

fn overlaps(a: &Binding, b: &Binding) -> bool {
    let wildcard = |ip: &str| ip.is_empty() || ip == "0.0.0.0" || ip == "::";
    let same_ip = a.ip == b.ip || wildcard(&a.ip) || wildcard(&b.ip);
    same_ip
        && a.protocol == b.protocol
        && a.host.start() <= b.host.end()
        && b.host.start() <= a.host.end()
}

fn show_range(range: &RangeInclusive<u32>) -> String {
    if range.start() == range.end() {
        range.start().to_string()
    } else {
        format!("{}-{}", range.start(), range.end())
    }
}
