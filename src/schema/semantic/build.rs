//! `build` as Compose's consistency check wants it: `dockerfile` and `dockerfile_inline`
//! exclude each other; `build.platforms`, when given, includes the service's `platform`;
//! build secrets are declared under the top-level `secrets:`.

use super::{declared, named_refs, services};
use crate::compose::{Node, Problem};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    let secrets = declared(model, "secrets");
    for (name, service) in services(model) {
        let Some(build) = service.get("build").filter(|b| b.as_map().is_some()) else {
            continue;
        };
        let given = |key: &str| {
            build
                .get(key)
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
        };
        if given("dockerfile").is_some()
            && given("dockerfile_inline").is_some()
            && let Some(inline) = build.entry("dockerfile_inline")
        {
            problems.push(Problem::error(
                "dockerfile-conflict",
                inline.key.clone(),
                format!("services.{name}.build: `dockerfile` and `dockerfile_inline` are mutually exclusive; Compose refuses both — keep one"),
            ));
        }
        if let Some(platform) = service.get("platform")
            && let Some(wanted) = platform.as_str().filter(|p| !p.is_empty())
            && let Some(platforms) = build.get("platforms").and_then(Node::as_seq)
            && !platforms.is_empty()
            && !platforms.iter().any(|p| p.as_str() == Some(wanted))
        {
            problems.push(Problem::error(
                "build-platforms",
                platform.origin.clone(),
                format!("services.{name}: `build.platforms` must include the service's `platform` \"{wanted}\"; add it there, or change `platform`"),
            ));
        }
        for (secret, origin) in named_refs(build.get("secrets")) {
            if !secrets.contains(&secret) {
                problems.push(Problem::error("undefined-secret", origin, format!("service \"{name}\" refers to undefined build secret \"{secret}\"; declare it under the top-level `secrets:`")));
            }
        }
    }
}
