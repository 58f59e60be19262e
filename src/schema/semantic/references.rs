//! References between resources: networks, volumes (mapping form), secrets, configs and
//! models a service uses must be declared; `network_mode` excludes `networks`.

use super::{declared, named_refs, services};
use crate::compose::{Node, Problem};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    let networks = declared(model, "networks");
    let secrets = declared(model, "secrets");
    let configs = declared(model, "configs");
    let models = declared(model, "models");
    for (name, service) in services(model) {
        for (network, origin) in named_refs(service.get("networks")) {
            if network != "default" && !networks.contains(&network) {
                problems.push(Problem::error("undefined-network", origin, format!("service \"{name}\" refers to undefined network \"{network}\"; declare it under the top-level `networks:`")));
            }
        }
        for (secret, origin) in named_refs(service.get("secrets")) {
            if !secrets.contains(&secret) {
                problems.push(Problem::error("undefined-secret", origin, format!("service \"{name}\" refers to undefined secret \"{secret}\"; declare it under the top-level `secrets:`")));
            }
        }
        for (config, origin) in named_refs(service.get("configs")) {
            if !configs.contains(&config) {
                problems.push(Problem::error("undefined-config", origin, format!("service \"{name}\" refers to undefined config \"{config}\"; declare it under the top-level `configs:`")));
            }
        }
        for (used, origin) in named_refs(service.get("models")) {
            if !models.contains(&used) {
                problems.push(Problem::error("undefined-model", origin, format!("service \"{name}\" refers to undefined model \"{used}\"; declare it under the top-level `models:`")));
            }
        }
        if let (Some(mode), Some(listed)) = (service.entry("network_mode"), service.get("networks"))
            && !listed.is_null()
        {
            problems.push(Problem::error("network-mode-conflict", mode.key.clone(), format!("service \"{name}\" sets both `network_mode` and `networks`; Compose refuses the combination")));
        }
    }
}
