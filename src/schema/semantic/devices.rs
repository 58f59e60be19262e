//! Device requests (`gpus:` and `deploy.resources.reservations.devices`): `count` and
//! `device_ids` exclude each other, and `count` is a number or `all`. Compose refuses both
//! while loading, whatever the profiles.

use super::{at, services};
use crate::compose::{Node, Problem, Value};

/// `decoding`: also the `count` syntax, which Compose checks when it decodes the project
/// (not while it loads the model).
pub(super) fn check(model: &Node, decoding: bool, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for path in [
            &["gpus"][..],
            &["deploy", "resources", "reservations", "devices"],
        ] {
            for request in at(service, path).and_then(Node::as_seq).unwrap_or_default() {
                let place = format!("services.{name}.{}", path.join("."));
                request_problems(&place, request, decoding, problems);
            }
        }
    }
}

fn request_problems(place: &str, request: &Node, decoding: bool, problems: &mut Vec<Problem>) {
    let Some(count) = request.entry("count") else {
        return;
    };
    if request.get("device_ids").is_some() {
        problems.push(Problem::error(
            "device-count",
            count.key.clone(),
            format!("{place}: `count` and `device_ids` are exclusive; Compose refuses both — keep `device_ids` to pick devices, or `count` to take any"),
        ));
    }
    if let Value::Str(text) = &count.node.value
        && decoding
        && text != "all"
        && text.parse::<i64>().is_err()
        && !super::uninterpolated(text)
    {
        problems.push(Problem::error(
            "device-count",
            count.node.origin.clone(),
            format!("{place}: invalid `count` \"{text}\"; Compose takes a number or `all`"),
        ));
    }
}
