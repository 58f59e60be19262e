//! Checks the schema cannot express, run on the merged model. Each file is one check; each
//! reports at the text the user must change. Errors only for what Compose refuses.

mod agreement;
mod build;
mod decode;
mod dependencies;
mod devices;
mod extra_hosts;
mod files;
mod healthcheck;
mod image_or_build;
mod mounts;
mod names;
mod ports;
mod references;
mod resources;
mod sizes;
mod volumes;
mod watch;

use crate::compose::{Node, Problem, Project};

/// Runs every check on the merged `model`. Without `consistency` (`--no-interpolate`) only
/// what Compose checks while it loads the model runs: `docker compose config
/// --no-interpolate` renders the model (`runConfigNoInterpolate`, `opts.ToModel`) and never
/// builds the project, so its decoding checks, cycle detection and consistency checks are
/// skipped.
pub(super) fn check(model: &Node, project: &Project, consistency: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    // What Compose checks while loading the model (schema aside): every service.
    resources::check(model, consistency, &mut problems);
    mounts::check(model, &mut problems);
    devices::check(model, consistency, &mut problems);
    decode::loading(model, &mut problems);
    watch::paths(model, &mut problems);
    volumes::syntax(model, &mut problems);
    ports::check(model, consistency, &mut problems);
    if !consistency {
        return problems;
    }
    // Compose looks for cycles before it drops the services of inactive profiles.
    dependencies::cycles(model, &mut problems);
    // What it checks while decoding the project, before profiles: every service.
    extra_hosts::check(model, &mut problems);
    decode::check(model, &mut problems);
    // Its consistency checks, on the services the active profiles enable.
    let all = model;
    let enabled = enabled_services(model, &project.active_profiles);
    let model = &enabled;
    references::check(model, &mut problems);
    dependencies::undefined(model, all, &mut problems);
    image_or_build::check(model, &mut problems);
    build::check(model, &mut problems);
    healthcheck::check(model, &mut problems);
    agreement::check(model, &mut problems);
    mounts::tmpfs_targets(model, &mut problems);
    watch::targets(model, &mut problems);
    names::check(model, &mut problems);
    volumes::check(model, &mut problems);
    sizes::check(model, &mut problems);
    files::check(model, project, &mut problems);
    problems
}

/// The model without the services whose profiles are all inactive.
fn enabled_services<'m>(model: &'m Node, active: &[String]) -> std::borrow::Cow<'m, Node> {
    let has_profiles = services(model).any(|(_, s)| s.get("profiles").is_some());
    if !has_profiles {
        return std::borrow::Cow::Borrowed(model);
    }
    let mut enabled = model.clone();
    let Some(services) = enabled
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|e| e.node.as_map_mut())
    else {
        return std::borrow::Cow::Owned(enabled);
    };
    services.retain(|_, entry| {
        let Some(profiles) = entry.node.get("profiles").and_then(Node::as_seq) else {
            return true;
        };
        profiles.is_empty()
            || profiles
                .iter()
                .filter_map(Node::as_str)
                .any(|p| active.iter().any(|a| a == p || a == "*"))
    });
    std::borrow::Cow::Owned(enabled)
}

/// Whether `text` still holds a variable: only without interpolation (`--no-interpolate`),
/// where Compose accepts a `${VAR}` wherever it takes a string, so no syntax is checked.
/// After interpolation a `${` is literal text (written `$${`), judged like any other.
pub(super) fn uninterpolated(text: &str) -> bool {
    if super::validator::interpolated() {
        return false;
    }
    text.contains("${")
        || text
            .split('$')
            .skip(1)
            .any(|rest| rest.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic()))
}

/// The services of the model, by name.
pub(super) fn services(model: &Node) -> impl Iterator<Item = (&String, &Node)> {
    model
        .get("services")
        .and_then(Node::as_map)
        .into_iter()
        .flat_map(|m| m.iter().map(|(k, e)| (k, &e.node)))
}

/// The node at `path` under `node`.
pub(super) fn at<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    path.iter().try_fold(node, |n, k| n.get(k))
}

/// The origin of `key` in `node` when present, else of `node`.
pub(super) fn key_origin(node: &Node, key: &str) -> crate::compose::Origin {
    node.entry(key)
        .map_or(node.origin.clone(), |e| e.key.clone())
}

/// Names declared under a top-level section (`networks`, `volumes`, ...).
pub(super) fn declared(model: &Node, section: &str) -> Vec<String> {
    model
        .get(section)
        .and_then(Node::as_map)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Names listed by a service attribute written as a list or as a mapping, with the node
/// naming each (the list item, or the mapping key's origin as a scalar node).
pub(super) fn named_refs(node: Option<&Node>) -> Vec<(String, crate::compose::Origin)> {
    let mut refs = all_named_refs(node);
    // Names still holding a variable (`--no-interpolate`) cannot be checked.
    refs.retain(|(name, _)| !uninterpolated(name));
    refs
}

fn all_named_refs(node: Option<&Node>) -> Vec<(String, crate::compose::Origin)> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        crate::compose::Value::Seq(items) => items
            .iter()
            .filter_map(|item| match &item.value {
                // Without a source, Compose looks for a resource named "".
                crate::compose::Value::Map(_) => match item.get("source") {
                    Some(s) => Some((s.scalar_text()?, s.origin.clone())),
                    None => Some((String::new(), item.origin.clone())),
                },
                _ => Some((item.scalar_text()?, item.origin.clone())),
            })
            .collect(),
        crate::compose::Value::Map(m) => {
            m.iter().map(|(k, e)| (k.clone(), e.key.clone())).collect()
        }
        _ => Vec::new(),
    }
}
