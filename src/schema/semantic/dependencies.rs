//! `depends_on`: every named service must exist (unless `required: false`), and the
//! dependency graph must have no cycle (Compose refuses both; a service depending on itself
//! is a cycle too).

use std::collections::HashMap;

use super::{named_refs, services};
use crate::compose::{Node, Origin, Problem};

pub fn check(model: &Node, problems: &mut Vec<Problem>) {
    let names: Vec<&String> = services(model).map(|(n, _)| n).collect();
    let mut graph: HashMap<&str, Vec<(String, Origin)>> = HashMap::new();
    for (name, service) in services(model) {
        let depends_on = service.get("depends_on");
        for (dependency, origin) in named_refs(depends_on) {
            let required = depends_on
                .and_then(|d| d.get(&dependency))
                .and_then(|d| d.get("required"))
                .is_none_or(|r| !matches!(r.value, crate::compose::Value::Bool(false)));
            if !names.iter().any(|n| **n == dependency) {
                if required {
                    problems.push(Problem::error(
                        "undefined-service",
                        origin,
                        format!("service \"{name}\" depends on undefined service \"{dependency}\""),
                    ));
                } else {
                    problems.push(Problem::warning("undefined-service", origin, format!("service \"{name}\" depends on undefined service \"{dependency}\" (ignored: `required: false`)")));
                }
                continue;
            }
            graph
                .entry(name.as_str())
                .or_default()
                .push((dependency, origin));
        }
        for (used, origin) in named_refs(service.get("volumes_from")) {
            let target = used.split(':').next().unwrap_or_default();
            if !target.starts_with("container") && !names.iter().any(|n| *n == target) {
                problems.push(Problem::error(
                    "undefined-service",
                    origin,
                    format!("service \"{name}\" takes volumes from undefined service \"{target}\""),
                ));
            }
        }
    }
    report_cycles(&graph, &names, problems);
}

/// Depth-first search; each cycle is reported once, at the `depends_on` entry closing it.
fn report_cycles(
    graph: &HashMap<&str, Vec<(String, Origin)>>,
    names: &[&String],
    problems: &mut Vec<Problem>,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    fn visit<'g>(
        node: &'g str,
        graph: &'g HashMap<&str, Vec<(String, Origin)>>,
        marks: &mut HashMap<&'g str, Mark>,
        stack: &mut Vec<&'g str>,
        problems: &mut Vec<Problem>,
    ) {
        marks.insert(node, Mark::Visiting);
        stack.push(node);
        for (next, origin) in graph.get(node).map(Vec::as_slice).unwrap_or_default() {
            match marks.get(next.as_str()) {
                Some(Mark::Visiting) => {
                    let start = stack.iter().position(|s| *s == next).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[start..].to_vec();
                    cycle.push(next);
                    problems.push(Problem::error(
                        "depends-on-cycle",
                        origin.clone(),
                        format!("dependency cycle: {}", cycle.join(" -> ")),
                    ));
                }
                Some(Mark::Done) => {}
                None => visit(next, graph, marks, stack, problems),
            }
        }
        stack.pop();
        marks.insert(node, Mark::Done);
    }
    for name in names {
        if !marks.contains_key(name.as_str()) {
            visit(name, graph, &mut marks, &mut Vec::new(), problems);
        }
    }
}
