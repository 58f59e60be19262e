//! Files a service names: `env_file` and `label_file` must exist (Compose refuses a missing
//! one, unless `required: false`); a secret's or config's `file:` that is missing is only a
//! warning (Compose does not check it, the engine fails later).

use std::path::Path;

use super::services;
use crate::compose::{Node, Problem, Project, Value};

pub(super) fn check(model: &Node, project: &Project, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for (item, required) in env_files(service.get("env_file")) {
            let Some(path) = item.as_str().filter(|p| !super::uninterpolated(p)) else {
                continue;
            };
            let full = project.base_dir(item.origin.file).join(path);
            if required && !full.is_file() {
                problems.push(Problem::error("missing-env-file", item.origin.clone(), format!("service \"{name}\": env file \"{path}\" not found (mark it `required: false` if it is optional)")));
            }
        }
        for (item, _) in env_files(service.get("label_file")) {
            let Some(path) = item.as_str().filter(|p| !super::uninterpolated(p)) else {
                continue;
            };
            if !project.base_dir(item.origin.file).join(path).is_file() {
                problems.push(Problem::error(
                    "missing-label-file",
                    item.origin.clone(),
                    format!("service \"{name}\": label file \"{path}\" not found"),
                ));
            }
        }
    }
    for section in ["secrets", "configs"] {
        for (name, entry) in model
            .get(section)
            .and_then(Node::as_map)
            .into_iter()
            .flatten()
        {
            let Some(file) = entry.node.get("file") else {
                continue;
            };
            let Some(path) = file.as_str().filter(|p| !super::uninterpolated(p)) else {
                continue;
            };
            let full = project.base_dir(file.origin.file).join(path);
            if !Path::new(&full).exists() {
                let kind = &section[..section.len() - 1];
                problems.push(Problem::warning("missing-file", file.origin.clone(), format!("{kind} \"{name}\": file \"{path}\" does not exist (Compose accepts the file, but the service will fail to start)")));
            }
        }
    }
}

/// The path nodes of `env_file` (string, list of strings, or list of `{path, required}`),
/// each with whether it is required.
fn env_files(node: Option<&Node>) -> Vec<(&Node, bool)> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        Value::Str(_) => vec![(node, true)],
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| match &item.value {
                Value::Str(_) => Some((item, true)),
                Value::Map(_) => {
                    let required = item.get("required").is_none_or(|r| {
                        !matches!(&r.value, Value::Bool(false))
                            && r.as_str().is_none_or(|s| {
                                !matches!(s, "false" | "False" | "FALSE" | "no" | "0")
                            })
                    });
                    Some((item.get("path")?, required))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
