//! `container_name` must be unique across the project: Compose refuses duplicates.

use std::collections::HashMap;

use super::services;
use crate::compose::{Node, Problem};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (name, service) in services(model) {
        let Some(container) = service.get("container_name") else {
            continue;
        };
        let Some(text) = container.scalar_text() else {
            continue;
        };
        match seen.get(&text) {
            Some(first) => problems.push(Problem::error("duplicate-container-name", container.origin.clone(), format!("container name \"{text}\" of service \"{name}\" is already used by service \"{first}\""))),
            None => {
                seen.insert(text, name);
            }
        }
    }
}
