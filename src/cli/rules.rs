//! `shipshape rules` and `shipshape rule <id>`.

use super::args::{Format, RulesArgs};
use super::{EXIT_CLEAN, EXIT_ERROR, output};
use crate::rules::REGISTRY;
use crate::rules::registry::packs_of;

pub(super) fn list(args: &RulesArgs) -> u8 {
    if args.format == Format::Json {
        let rules: Vec<serde_json::Value> = REGISTRY
            .iter()
            .map(|r| serde_json::json!({"id": r.id, "packs": packs_of(r.id), "options": (r.option_names)(), "fix": r.fixable, "summary": r.summary}))
            .collect();
        let json = serde_json::to_string_pretty(&rules).unwrap_or_default();
        return print(&format!("{json}\n"));
    }
    let width = REGISTRY.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut text = String::new();
    for rule in REGISTRY {
        let fix = if rule.fixable { "fix" } else { "   " };
        text.push_str(&format!(
            "{:width$}  {fix}  {:<34}  {}\n",
            rule.id,
            packs_of(rule.id).join(","),
            rule.summary
        ));
    }
    print(&text)
}

/// Prints to stdout; `shipshape rules | head -1` closes the pipe early, which is an error
/// message and exit 2, not a panic.
fn print(text: &str) -> u8 {
    match output::to_stdout(text) {
        Ok(()) => EXIT_CLEAN,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_ERROR
        }
    }
}

pub(super) fn show(id: &str) -> u8 {
    match REGISTRY.iter().find(|r| r.id == id) {
        Some(rule) => print(&format!("# {}\n\n{}\n", rule.id, rule.doc.trim_end())),
        None => show_check(id),
    }
}

/// A validation check's page, or an error for an unknown id.
fn show_check(id: &str) -> u8 {
    match crate::schema::checks::find(id) {
        Some(check) => print(&format!(
            "# {id}\n\nA validation check (what Docker Compose itself rejects or warns about): {}.\n\nIt runs with `shipshape validate` and `shipshape check`; it has no fix and no options.\n",
            check.summary
        )),
        None => {
            eprintln!(
                "error: unknown rule `{id}`{}; `shipshape rules` lists them",
                crate::rules::registry::did_you_mean(id)
            );
            EXIT_ERROR
        }
    }
}
