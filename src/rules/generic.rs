//! Runs the rules declared in policy files (`ensure:`, `set:`, `remove:`).

use crate::document::{Edit, Path, Value};
use crate::finding::{Finding, Fix, Location, Safety};
use crate::policy::{GenericKind, GenericRule};
use crate::rules::{Context, Service, merge};

pub(super) fn check(ctx: &Context<'_>, rule: &GenericRule) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        match rule.kind {
            GenericKind::Ensure => findings.extend(ensure(ctx, rule, service)),
            GenericKind::Set => findings.extend(set(ctx, rule, service)),
            GenericKind::Remove => findings.extend(remove(ctx, rule, service)),
        }
    }
    findings
}

fn path_of(service: &Service<'_>, keys: &[String]) -> Path {
    keys.iter()
        .fold(service.path.clone(), |p, k| p.key(k.as_str()))
}

fn dotted(keys: &[String]) -> String {
    keys.join(".")
}

fn fix(rule: &GenericRule, title: String, edits: Vec<Edit>) -> Fix {
    match rule.safety {
        Safety::Safe => Fix::safe(title, edits),
        Safety::Unsafe => Fix::unsafe_(title, edits),
    }
}

/// Whether a local edit at `keys` would hide something inherited through a merge key.
fn crosses_merge(service: &Service<'_>, keys: &[String]) -> bool {
    let mut node = service.node;
    for key in keys {
        match node.get(key) {
            Some(child) => node = merge::resolve(child),
            None => return merge::get(node, key).is_some(),
        }
    }
    false
}

/// A nested key is added where its top-level key already is; a new top-level key goes where
/// the project lacks it (see [`Context::adds_here`]).
fn adds_here(ctx: &Context<'_>, service: &Service<'_>, keys: &[String]) -> bool {
    keys.first()
        .is_some_and(|top| service.get(top).is_some() || ctx.adds_here(service, top))
}

fn lookup<'a>(service: &Service<'a>, keys: &[String]) -> Option<crate::document::NodeRef<'a>> {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    service.get_path(&keys)
}

fn ensure(ctx: &Context<'_>, rule: &GenericRule, service: &Service<'_>) -> Option<Finding> {
    let missing = rule
        .values
        .iter()
        .filter(|(keys, _)| lookup(service, keys).is_none() && adds_here(ctx, service, keys))
        .collect();
    write_values(ctx, rule, service, missing, "add", |names| {
        format!(
            "service `{}` has no {names} ({})",
            service.name, rule.description
        )
    })
}

fn set(ctx: &Context<'_>, rule: &GenericRule, service: &Service<'_>) -> Option<Finding> {
    let differing = rule
        .values
        .iter()
        .filter(|(keys, value)| {
            lookup(service, keys).and_then(merge::to_value).as_ref() != Some(value)
        })
        .collect();
    write_values(ctx, rule, service, differing, "set", |names| {
        format!(
            "service `{}`: {names} must be set by policy ({})",
            service.name, rule.description
        )
    })
}

/// A finding for `entries` (the values `ensure`/`set` want written) with a fix that sets them,
/// unless a value would land in a merged or aliased mapping (reported only).
fn write_values(
    ctx: &Context<'_>,
    rule: &GenericRule,
    service: &Service<'_>,
    entries: Vec<&(Vec<String>, Value)>,
    verb: &str,
    message: impl Fn(&str) -> String,
) -> Option<Finding> {
    if entries.is_empty() {
        return None;
    }
    let names: Vec<String> = entries
        .iter()
        .map(|(k, _)| format!("`{}`", dotted(k)))
        .collect();
    let names = names.join(", ");
    let finding = ctx.finding(
        &rule.id,
        Location::Key(service.path.clone()),
        message(&names),
    );
    if service.is_alias || entries.iter().any(|(k, _)| crosses_merge(service, k)) {
        return Some(finding);
    }
    let edits = entries
        .iter()
        .map(|(keys, value)| Edit::Set {
            path: path_of(service, keys),
            value: value.clone(),
        })
        .collect();
    Some(finding.with_fix(fix(rule, format!("{verb} {names}"), edits)))
}

fn remove(ctx: &Context<'_>, rule: &GenericRule, service: &Service<'_>) -> Option<Finding> {
    let present: Vec<&Vec<String>> = rule
        .keys
        .iter()
        .filter(|keys| lookup(service, keys).is_some())
        .collect();
    if present.is_empty() {
        return None;
    }
    let names: Vec<String> = present.iter().map(|k| format!("`{}`", dotted(k))).collect();
    let finding = ctx.finding(
        &rule.id,
        Location::Key(path_of(service, present[0])),
        format!(
            "service `{}`: {} not allowed by policy ({})",
            service.name,
            names.join(", "),
            rule.description
        ),
    );
    let local = |keys: &[String]| {
        let mut node = service.node;
        keys.iter().all(|k| match node.get(k) {
            Some(child) => {
                node = merge::resolve(child);
                true
            }
            None => false,
        })
    };
    if service.is_alias || !present.iter().all(|k| local(k)) {
        return Some(finding);
    }
    let edits = present
        .iter()
        .map(|keys| Edit::Remove {
            path: path_of(service, keys),
        })
        .collect();
    Some(finding.with_fix(fix(rule, format!("remove {}", names.join(", ")), edits)))
}
