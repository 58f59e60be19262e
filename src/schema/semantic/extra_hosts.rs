//! `extra_hosts` written as a list: each entry is `host:ip` or `host=ip`, with a host name.
//! Compose refuses an entry with no separator ("missing IP") or an empty host — typically
//! `"${HOST}:${IP}"` with both variables unset. Checked whatever the profiles.

use super::services;
use crate::compose::{Node, Problem, Value};

pub(super) fn check(model: &Node, problems: &mut Vec<Problem>) {
    for (name, service) in services(model) {
        for item in service
            .get("extra_hosts")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let Value::Str(entry) = &item.value else {
                continue;
            };
            if super::uninterpolated(entry) {
                continue;
            }
            let host = match entry.split_once('=').or_else(|| entry.split_once(':')) {
                Some((host, _)) => host,
                None => {
                    problems.push(Problem::error(
                        "extra-host",
                        item.origin.clone(),
                        format!("services.{name}.extra_hosts: \"{entry}\" has no IP address; write it as host:ip (or host=ip)"),
                    ));
                    continue;
                }
            };
            if host.is_empty() {
                problems.push(Problem::error(
                    "extra-host",
                    item.origin.clone(),
                    format!("services.{name}.extra_hosts: \"{entry}\" has an empty host name (are its variables set?); write it as host:ip"),
                ));
            }
        }
    }
}
