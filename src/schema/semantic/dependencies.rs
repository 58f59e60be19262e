//! Dependencies between services — `depends_on`, `links`, `network_mode`/`ipc`/`pid`/`uts`
//! `: service:x` and `volumes_from` — must name services of the project, and must not form
//! a cycle (a service depending on itself is one). Compose refuses both. `required: false`
//! only excuses a dependency on a service that exists but is disabled by its profiles.

use std::collections::HashMap;

use super::{named_refs, services};
use crate::compose::{Node, Origin, Problem, Value};

/// One edge of the dependency graph: the service named and the text naming it.
struct Dependency {
    target: String,
    origin: Origin,
    /// What declares it, for messages.
    via: &'static str,
    required: bool,
}

fn dependencies(service: &Node) -> Vec<Dependency> {
    let mut found = Vec::new();
    let depends_on = service.get("depends_on");
    for (target, origin) in named_refs(depends_on) {
        let required = depends_on
            .and_then(|d| d.get(&target))
            .and_then(|d| d.get("required"))
            .is_none_or(|r| !matches!(r.value, Value::Bool(false)));
        found.push(Dependency {
            target,
            origin,
            via: "depends on",
            required,
        });
    }
    for (link, origin) in named_refs(service.get("links")) {
        let target = link.split(':').next().unwrap_or_default().to_string();
        found.push(Dependency {
            target,
            origin,
            via: "links to",
            required: true,
        });
    }
    for (key, via) in [
        ("network_mode", "uses the network of"),
        ("ipc", "shares the IPC namespace of"),
        ("pid", "shares the PID namespace of"),
        ("uts", "shares the UTS namespace of"),
    ] {
        if let Some(mode) = service.get(key)
            && let Some(target) = mode.as_str().and_then(|m| m.strip_prefix("service:"))
        {
            found.push(Dependency {
                target: target.to_string(),
                origin: mode.origin.clone(),
                via,
                required: true,
            });
        }
    }
    for (used, origin) in named_refs(service.get("volumes_from")) {
        if used.starts_with("container:") {
            continue;
        }
        let target = used.split(':').next().unwrap_or_default().to_string();
        found.push(Dependency {
            target,
            origin,
            via: "takes volumes from",
            required: true,
        });
    }
    found
}

/// Dependencies of the enabled services (`model`) on services that are not enabled; `all`
/// holds every service, whatever its profiles.
pub(super) fn undefined(model: &Node, all: &Node, problems: &mut Vec<Problem>) {
    let names: Vec<&String> = services(model).map(|(n, _)| n).collect();
    let defined: Vec<&String> = services(all).map(|(n, _)| n).collect();
    for (name, service) in services(model) {
        for dependency in dependencies(service) {
            if names.iter().any(|n| **n == dependency.target) {
                continue;
            }
            let Dependency {
                target,
                origin,
                via,
                required,
            } = dependency;
            let exists = defined.iter().any(|n| **n == target);
            if !exists {
                let hint =
                    super::super::suggest::closest(&target, names.iter().map(|n| n.as_str()))
                        .map(|s| format!(" (did you mean \"{s}\"?)"))
                        .unwrap_or_default();
                let excuse = if required {
                    ""
                } else {
                    "; `required: false` only excuses a service disabled by its profiles"
                };
                problems.push(Problem::error(
                    "undefined-service",
                    origin,
                    format!(
                        "service \"{name}\" {via} undefined service \"{target}\"{hint}{excuse}"
                    ),
                ));
            } else if required {
                problems.push(Problem::error(
                    "undefined-service",
                    origin,
                    format!("service \"{name}\" {via} service \"{target}\", which its profiles disable; enable a profile of \"{target}\" (COMPOSE_PROFILES) or mark the dependency `required: false`"),
                ));
            }
        }
    }
}

/// Cycles in the dependency graph; each reported once, at the entry closing it.
pub(super) fn cycles(model: &Node, problems: &mut Vec<Problem>) {
    let names: Vec<&String> = services(model).map(|(n, _)| n).collect();
    let graph: HashMap<&str, Vec<Dependency>> = services(model)
        .map(|(name, service)| {
            (
                name.as_str(),
                dependencies(service)
                    .into_iter()
                    .filter(|d| names.iter().any(|n| **n == d.target))
                    .collect(),
            )
        })
        .collect();
    let mut walk = CycleWalk {
        graph: &graph,
        marks: HashMap::new(),
        stack: Vec::new(),
        problems,
    };
    for name in &names {
        if !walk.marks.contains_key(name.as_str()) {
            walk.visit(name);
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Visiting,
    Done,
}

struct CycleWalk<'g, 'p> {
    graph: &'g HashMap<&'g str, Vec<Dependency>>,
    marks: HashMap<&'g str, Mark>,
    stack: Vec<&'g str>,
    problems: &'p mut Vec<Problem>,
}

impl<'g> CycleWalk<'g, '_> {
    fn visit(&mut self, node: &'g str) {
        self.marks.insert(node, Mark::Visiting);
        self.stack.push(node);
        let graph = self.graph;
        for dependency in graph.get(node).map(Vec::as_slice).unwrap_or_default() {
            let next = dependency.target.as_str();
            match self.marks.get(next) {
                Some(Mark::Visiting) => {
                    let start = self.stack.iter().position(|s| *s == next).unwrap_or(0);
                    let mut cycle: Vec<&str> = self.stack[start..].to_vec();
                    cycle.push(next);
                    self.problems.push(Problem::error(
                        "depends-on-cycle",
                        dependency.origin.clone(),
                        format!("dependency cycle: {}", cycle.join(" -> ")),
                    ));
                }
                Some(Mark::Done) => {}
                None => self.visit(next),
            }
        }
        self.stack.pop();
        self.marks.insert(node, Mark::Done);
    }
}
