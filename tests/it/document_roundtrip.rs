//! Round trip over real data: every corpus file and every valid YAML-test-suite case loads,
//! renders back byte for byte, and every located node has a sane span. Invalid suite cases
//! must be rejected with an error, never a panic. Known parser gaps are listed, with a reason,
//! in `tests/fixtures/document/yaml-test-suite-allowlist.txt`; the test fails on new failures
//! and on stale entries.

use crate::document_support;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use shipshape::document::{Document, NodeKind, NodeRef, Style};

const ALLOWLIST: &str = include_str!("../fixtures/document/yaml-test-suite-allowlist.txt");

/// Checks every node reachable from every document root; returns the problems found.
fn check_spans(doc: &Document) -> Vec<String> {
    let mut problems = Vec::new();
    for i in 0..doc.document_count() {
        if let Some(root) = doc.root_of(i) {
            check_node(doc, root, &mut problems);
        }
    }
    problems
}

fn check_node(doc: &Document, node: NodeRef<'_>, problems: &mut Vec<String>) {
    let text = doc.text();
    let span = node.span();
    let at = format!("node at {:?} ({:?})", doc.line_col(span.start), span);
    if span.start > span.end || span.end > text.len() {
        problems.push(format!(
            "{at}: span out of bounds (text is {} bytes)",
            text.len()
        ));
        return;
    }
    if !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
        problems.push(format!("{at}: span not on char boundaries"));
        return;
    }
    let source = node.source();
    match node.kind() {
        NodeKind::Scalar { value, style } => check_scalar(&at, source, value, *style, problems),
        NodeKind::Alias { name } => {
            if source != format!("*{name}") {
                problems.push(format!("{at}: alias source {source:?} is not *{name}"));
            }
        }
        // A single-pair mapping in a flow sequence (`[a: b]`) has no braces.
        NodeKind::Mapping { flow: true, .. }
            if !source.starts_with('{')
                || node
                    .entries()
                    .next()
                    .is_some_and(|(k, _)| k.span().start == span.start) =>
        {
            let in_flow_seq = node
                .parent()
                .is_some_and(|p| p.is_sequence() && p.is_flow());
            let last_end = node
                .entries()
                .last()
                .map(|(k, v)| k.span().end.max(v.span().end));
            if !in_flow_seq || last_end != Some(span.end) {
                problems.push(format!("{at}: brace-less flow mapping {source:?} must be a pair in a flow sequence ending at its value"));
            }
        }
        NodeKind::Mapping { flow: true, .. } | NodeKind::Sequence { flow: true, .. } => {
            let (open, close) = if node.is_mapping() {
                ('{', '}')
            } else {
                ('[', ']')
            };
            if !(source.starts_with(open) && source.ends_with(close)) {
                problems.push(format!(
                    "{at}: flow collection source {source:?} is not {open}…{close}"
                ));
            }
        }
        NodeKind::Mapping { .. } | NodeKind::Sequence { .. } => {
            check_block(doc, &at, node, problems);
        }
    }
    for (key, value) in node.entries() {
        check_node(doc, key, problems);
        check_node(doc, value, problems);
    }
    for item in node.items() {
        check_node(doc, item, problems);
    }
}

fn check_scalar(at: &str, source: &str, value: &str, style: Style, problems: &mut Vec<String>) {
    let quote = match style {
        Style::SingleQuoted => Some('\''),
        Style::DoubleQuoted => Some('"'),
        // An empty value (`key:`) is an implicit null, which the parser reports as `~`.
        Style::Plain if source.is_empty() && value == "~" => None,
        Style::Plain if !source.contains('\n') && source != value => {
            problems.push(format!(
                "{at}: one-line plain scalar source {source:?} is not its value {value:?}"
            ));
            None
        }
        Style::Literal | Style::Folded if !source.starts_with(['|', '>']) => {
            problems.push(format!(
                "{at}: block scalar source {source:?} does not start at its header"
            ));
            None
        }
        _ => None,
    };
    if let Some(q) = quote
        && !(source.len() >= 2 && source.starts_with(q) && source.ends_with(q))
    {
        problems.push(format!(
            "{at}: quoted scalar source {source:?} is not delimited by {q}"
        ));
    }
}

/// A block collection starts at its first key (or dash) and ends where its last child ends.
fn check_block(doc: &Document, at: &str, node: NodeRef<'_>, problems: &mut Vec<String>) {
    let span = node.span();
    let last_end = if node.is_mapping() {
        node.entries()
            .last()
            .map(|(k, v)| k.span().end.max(v.span().end))
    } else {
        node.items().last().map(|i| i.span().end)
    };
    let Some(last_end) = last_end else {
        problems.push(format!("{at}: empty block collection"));
        return;
    };
    if span.end != last_end {
        problems.push(format!(
            "{at}: block collection ends at {} but its last child at {last_end}",
            span.end
        ));
    }
    let first_start = if node.is_mapping() {
        node.entries().next().map(|(k, _)| k.span().start)
    } else {
        node.items().next().map(|i| i.span().start)
    };
    let starts_ok = match first_start {
        Some(first) if node.is_mapping() => span.start <= first,
        Some(first) => doc.text()[span.start..].starts_with('-') && span.start < first,
        None => false,
    };
    if !starts_ok {
        problems.push(format!(
            "{at}: block collection start {} does not precede its first child",
            span.start
        ));
    }
}

/// Loads `bytes` without letting a panic escape; `Err(message)` for a panic.
fn load(bytes: &[u8]) -> Result<Result<Document, String>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        Document::from_bytes(bytes).map_err(|e| e.to_string())
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| {
                p.downcast_ref::<&str>()
                    .map(std::string::ToString::to_string)
            })
            .unwrap_or_else(|| "panic".into())
    })
}

#[test]
#[ignore = "needs ../shared: run via .ci/run"]
fn corpus_round_trips_with_sane_spans() {
    let mut failures = Vec::new();
    let files = document_support::corpus_files();
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        match load(&bytes) {
            Err(panic) => failures.push(format!("{name}: PANIC {panic}")),
            Ok(Err(e)) => failures.push(format!("{name}: does not load: {e}")),
            Ok(Ok(doc)) => {
                if doc.text().as_bytes() != bytes.as_slice() {
                    failures.push(format!("{name}: text() differs from the input"));
                }
                failures.extend(
                    check_spans(&doc)
                        .into_iter()
                        .map(|p| format!("{name}: {p}")),
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems in {} corpus files:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// `id → (kind, reason)` from the allowlist.
fn allowlist() -> BTreeMap<String, (String, String)> {
    ALLOWLIST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, char::is_whitespace);
            let id = parts.next().unwrap_or_default().to_string();
            let kind = parts.next().unwrap_or_default().to_string();
            let reason = parts.next().unwrap_or_default().trim().to_string();
            assert!(!reason.is_empty(), "allowlist entry {id} needs a reason");
            (id, (kind, reason))
        })
        .collect()
}

/// What went wrong with a suite case, as an allowlist kind and details; `None` when fine.
fn judge(case: &document_support::SuiteCase) -> Option<(&'static str, String)> {
    match (load(&case.input), case.is_error) {
        (Err(panic), _) => Some(("panic", panic)),
        (Ok(Ok(_)), true) => Some(("accepts-invalid", "loaded an invalid case".into())),
        (Ok(Err(_)), true) => None,
        (Ok(Err(e)), false) => Some(("rejects-valid", e)),
        (Ok(Ok(doc)), false) => {
            if doc.text().as_bytes() != case.input.as_slice() {
                return Some(("round-trip", "text() differs from the input".into()));
            }
            let problems = check_spans(&doc);
            (!problems.is_empty()).then(|| ("span", problems.join("; ")))
        }
    }
}

#[test]
#[ignore = "needs ../shared: run via .ci/run"]
fn yaml_test_suite_round_trips_and_rejects_errors() {
    let allowed = allowlist();
    let cases = document_support::suite_cases();
    let mut unexpected = Vec::new();
    let mut seen = BTreeMap::new();
    let (mut valid, mut invalid) = (0, 0);
    for case in &cases {
        if case.is_error {
            invalid += 1;
        } else {
            valid += 1;
        }
        let verdict = judge(case);
        match (&verdict, allowed.get(&case.id)) {
            (Some(("panic", msg)), _) => unexpected.push(format!("{}: PANIC {msg}", case.id)),
            (Some((kind, msg)), Some((allowed_kind, _))) if kind == allowed_kind => {
                seen.insert(case.id.clone(), msg.clone());
            }
            (Some((kind, msg)), _) => unexpected.push(format!("{} {kind} {msg}", case.id)),
            (None, _) => {}
        }
    }
    let stale: Vec<&String> = allowed
        .keys()
        .filter(|id| !seen.contains_key(*id))
        .collect();
    eprintln!(
        "yaml-test-suite: {valid} valid and {invalid} invalid cases, {} allowlisted",
        seen.len()
    );
    assert!(
        unexpected.is_empty(),
        "new suite failures (fix them or allowlist them with a reason):\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "allowlist entries that now pass (remove them): {stale:?}"
    );
}
