use std::collections::BTreeMap;

use serde::Deserialize;

use crate::finding::{Finding, Location};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    data_stores: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports, once per service, a data store (its image's last path segment without tag
    /// matches `data_stores`: postgres, mysql, mariadb, redis, mongo, …) that shares a network
    /// with a service publishing ports (a front: not itself a data store), when none of the
    /// data store's networks is marked `internal: true`. A service without `networks:` is on
    /// `default`.
    ///
    /// Quiet when the data store uses `network_mode` (it is not on the project's networks),
    /// publishes ports itself (it could not stay on an internal network only;
    /// `ports-all-interfaces` judges those ports), when one of its networks is internal, when
    /// one is `external` (its settings live elsewhere), and when no front shares its networks.
    ///
    /// ## Why
    /// On a network shared with the published services, every container on it (also those
    /// with no business with the data store) can connect to it, and the data store can reach
    /// the internet: an attacker who gets in has a way out. A backend network with
    /// `internal: true` has no route outside the host, and only the services attached to it
    /// reach the data store. Docker docs, "Networking in
    /// Compose" and the `internal` network attribute of the Compose Specification; OWASP
    /// Docker Security Cheat Sheet, rule 5 "Disable inter-container communication" (let
    /// containers talk only to those they need).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     ports: ["8080:80"]
    ///     networks: [frontend, backend]
    ///   db:
    ///     image: postgres:17
    ///     networks: [backend]      # without this (and `internal: true` below): info
    /// networks:
    ///   frontend: {}
    ///   backend:
    ///     internal: true
    /// ```
    ///
    /// ## Fix safety
    /// No fix: which services need the data store, and whether it needs the internet
    /// (replication, backups to a cloud bucket), is a design decision.
    ///
    /// ## Options
    /// - `data_stores`: globs of image names (last path segment, no tag) of data stores.
    /// - `match`: which services the rule applies to (as data stores).
    id: "internal-backend-network",
    summary: "suggest an internal network for data stores next to published services",
    fixable: false,
    security_severity: "3.0",
    options: Options,
    check: check,
}

/// What the file says about one network.
#[derive(Default, Clone, Copy)]
struct NetworkFacts {
    internal: bool,
    external: bool,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let declared = declared_networks(ctx);
    let is_store = |s: &Service<'_>| {
        s.image_base_name()
            .is_some_and(|image| rule.options.data_stores.iter().any(|g| glob(g, image)))
    };
    // The fronts: services other than data stores that publish ports.
    let fronts: Vec<(&str, Vec<String>)> = ctx
        .services
        .iter()
        .filter(|s| publishes(s) && !is_store(s))
        .filter_map(|s| Some((s.name, networks_of(s)?)))
        .collect();
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        // A store that publishes its own ports cannot live on an internal network only;
        // `ports-all-interfaces` is about that.
        if !is_store(service) || publishes(service) {
            continue;
        }
        let Some(networks) = networks_of(service) else {
            continue;
        };
        let facts = |n: &String| declared.get(n).copied().unwrap_or_default();
        if networks
            .iter()
            .any(|n| facts(n).internal || facts(n).external)
        {
            continue;
        }
        let Some((front, shared)) = fronts.iter().find_map(|(front, theirs)| {
            Some((*front, networks.iter().find(|n| theirs.contains(n))?))
        }) else {
            continue;
        };
        findings.push(finding(ctx, rule, service, front, shared));
    }
    findings
}

fn finding(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    front: &str,
    shared: &str,
) -> Finding {
    let message = format!(
        "data store `{}` ({}) shares network `{shared}` with `{front}`, which publishes ports; put it on a backend network with `internal: true` that only its clients join",
        service.name,
        service.image_base_name().unwrap_or_default()
    );
    ctx.note(rule.id, Location::Key(service.path.clone()), message)
}

/// The top-level `networks:` of the file.
fn declared_networks(ctx: &Context<'_>) -> BTreeMap<String, NetworkFacts> {
    let Some(networks) = ctx.root().and_then(|r| merge::get(r, "networks")) else {
        return BTreeMap::new();
    };
    merge::entries(networks)
        .into_iter()
        .map(|(name, spec)| {
            let is_true = |key| merge::text(merge::get(spec, key)) == Some("true");
            let facts = NetworkFacts {
                internal: is_true("internal"),
                external: is_true("external")
                    || merge::get(spec, "external").is_some_and(|e| e.is_mapping()),
            };
            (name, facts)
        })
        .collect()
}

/// The networks a service joins (`default` when it names none); `None` with `network_mode`.
fn networks_of(service: &Service<'_>) -> Option<Vec<String>> {
    if service.get("network_mode").is_some() {
        return None;
    }
    let Some(networks) = service.get("networks") else {
        return Some(vec!["default".to_string()]);
    };
    if networks.is_mapping() {
        return Some(
            merge::entries(networks)
                .into_iter()
                .map(|(k, _)| k)
                .collect(),
        );
    }
    Some(
        merge::strings(Some(networks))
            .into_iter()
            .map(str::to_string)
            .collect(),
    )
}

fn publishes(service: &Service<'_>) -> bool {
    service
        .get("ports")
        .is_some_and(|p| p.is_sequence() && p.items().next().is_some())
}
