//! A `healthcheck.test` written as a list starts with `CMD`, `CMD-SHELL` or `NONE`
//! (uppercase): Compose refuses anything else. A string is run by the shell and is fine.

use super::services;
use crate::compose::{Node, Problem};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        let Some(first) = service
            .get("healthcheck")
            .and_then(|h| h.get("test"))
            .and_then(Node::as_seq)
            .and_then(<[Node]>::first)
        else {
            continue;
        };
        let text = first.scalar_text().unwrap_or_default();
        if !matches!(text.as_str(), "CMD" | "CMD-SHELL" | "NONE") {
            let hint = match text.to_ascii_uppercase().as_str() {
                upper @ ("CMD" | "CMD-SHELL" | "NONE") => format!("write \"{upper}\""),
                _ => format!(
                    "start it with \"CMD\" (run directly) or \"CMD-SHELL\" (run by the shell), e.g. [\"CMD\", \"{text}\", ...]"
                ),
            };
            problems.push(Problem::error(
                "healthcheck-test",
                first.origin.clone(),
                format!("services.{name}.healthcheck.test: a list must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"; {hint}"),
            ));
        }
    }
}
