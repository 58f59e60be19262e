//! A service needs an `image` or a `build` (or a `provider`): Compose refuses one without,
//! and an `image` that is empty (often a variable that is not set) counts as none.

use super::services;
use crate::compose::{Node, Problem};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        let Some(map) = service.as_map() else {
            continue;
        };
        // An `extends` still present could not be resolved: that error says it all.
        let image = map
            .get("image")
            .is_some_and(|i| !(i.node.is_null() || i.node.as_str() == Some("")));
        if !image
            && !["build", "provider", "extends"]
                .iter()
                .any(|k| map.contains_key(*k))
        {
            if let Some(empty) = map.get("image") {
                problems.push(Problem::error("missing-image", empty.node.origin.clone(), format!("service \"{name}\": `image` is empty (is its variable set?) and there is no `build`; Compose cannot run it")));
                continue;
            }
            let at = model
                .get("services")
                .and_then(|s| s.entry(name))
                .map_or(service.origin.clone(), |e| e.key.clone());
            problems.push(Problem::error("missing-image", at, format!("service \"{name}\" has neither `image` nor `build`; Compose cannot run it (in an override file, validate it together with its base: -f base.yaml -f this.yaml)")));
        }
    }
}
