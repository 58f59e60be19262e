//! Property tests: random compose-like documents (block and flow collections, every scalar
//! style, comments, 2/4-space indents, indentless sequences, CRLF, missing final newline) and
//! random edits: one per service, or groups of edits per service in any order. Whatever the
//! engine returns must load with `yaml_serde` and mean the original value plus exactly the
//! edits (groups) it reports as applied; no edits is identity; group order does not matter.

use crate::document_support;

use document_support::{Change, bare_lf, load_all};
use proptest::prelude::*;
use shipshape::document::{Document, Edit, EditGroup, Path, Value};
use yaml_serde::Value as Y;

const NAMES: [&str; 4] = ["web", "db", "cache-1", "my.app"];
const SCALARS: [&str; 8] = [
    "nginx:1.27",
    "yes",
    "8080:80",
    "a b",
    "it's",
    "0755",
    "x # y",
    "true",
];

#[derive(Debug, Clone)]
struct Svc {
    image: Option<u8>,
    ports: Option<(u8, usize)>,
    env: Option<(u8, usize)>,
    command: Option<u8>,
    labels_flow: bool,
    empty: Option<u8>,
    comment_before: bool,
    inline_comment: bool,
    /// `<<: *base` as the first key, and `environment: *env` when `env` is absent.
    merge: bool,
    blank_after: bool,
}

#[derive(Debug, Clone)]
struct Spec {
    unit: usize,
    indentless: bool,
    crlf: bool,
    final_newline: bool,
    services: Vec<Svc>,
}

fn svc() -> impl Strategy<Value = Svc> {
    (
        prop::option::of(0u8..3),
        prop::option::of((0u8..2, 1usize..4)),
        prop::option::of((0u8..3, 1usize..3)),
        prop::option::of(0u8..3),
        any::<bool>(),
        prop::option::of(0u8..2),
        any::<bool>(),
        any::<bool>(),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                image,
                ports,
                env,
                command,
                labels_flow,
                empty,
                comment_before,
                inline_comment,
                (merge, blank_after),
            )| {
                Svc {
                    image,
                    ports,
                    env,
                    command,
                    labels_flow,
                    empty,
                    comment_before,
                    inline_comment,
                    merge,
                    blank_after,
                }
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::sample::select(vec![2usize, 4]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(svc(), 1..=4),
    )
        .prop_map(|(unit, indentless, crlf, final_newline, services)| Spec {
            unit,
            indentless,
            crlf,
            final_newline,
            services,
        })
}

fn quoted(text: &str, style: u8) -> String {
    match style {
        0 => text.to_string(),
        1 => format!("'{text}'"),
        _ => format!("\"{text}\""),
    }
}

/// Renders the spec as YAML text.
fn render(spec: &Spec) -> String {
    let i1 = " ".repeat(spec.unit);
    let i2 = " ".repeat(spec.unit * 2);
    let i3 = " ".repeat(spec.unit * 3);
    let dash = if spec.indentless {
        i2.clone()
    } else {
        i3.clone()
    };
    let mut out = String::from("# generated\n");
    if spec.services.iter().any(|s| s.merge) {
        out.push_str(&format!(
            "x-base: &base\n{i1}restart: always\n{i1}environment: &env\n{i2}SHARED: 'x'\n"
        ));
    }
    out.push_str("services:\n");
    for (name, s) in NAMES.iter().zip(&spec.services) {
        let key = if name.contains('.') {
            format!("\"{name}\"")
        } else {
            name.to_string()
        };
        if s.comment_before {
            out.push_str(&format!("{i1}# the {name} service\n"));
        }
        out.push_str(&format!("{i1}{key}:\n"));
        if s.merge {
            out.push_str(&format!("{i2}<<: *base\n"));
        }
        let inline = if s.inline_comment { "  # note" } else { "" };
        out.push_str(&format!(
            "{i2}image: {}{inline}\n",
            quoted("nginx:1.25", s.image.unwrap_or(0))
        ));
        if let Some((style, n)) = s.ports {
            let items: Vec<String> = (0..n).map(|i| format!("\"{}:80\"", 8000 + i)).collect();
            if style == 0 {
                out.push_str(&format!("{i2}ports:\n"));
                for item in items {
                    out.push_str(&format!("{dash}- {item}\n"));
                }
            } else {
                out.push_str(&format!("{i2}ports: [{}]\n", items.join(", ")));
            }
        }
        if let Some((style, n)) = s.env {
            match style {
                0 => {
                    out.push_str(&format!("{i2}environment:\n"));
                    for i in 0..n {
                        out.push_str(&format!("{i3}K{i}: '{i}'\n"));
                    }
                }
                1 => {
                    out.push_str(&format!("{i2}environment:\n"));
                    for i in 0..n {
                        out.push_str(&format!("{dash}- K{i}={i}\n"));
                    }
                }
                _ => {
                    let entries: Vec<String> = (0..n).map(|i| format!("K{i}: \"{i}\"")).collect();
                    out.push_str(&format!("{i2}environment: {{{}}}\n", entries.join(", ")));
                }
            }
        }
        match s.command {
            Some(0) => out.push_str(&format!("{i2}command: run --fast\n")),
            Some(1) => out.push_str(&format!("{i2}command: |\n{i3}run\n{i3}  --fast\n")),
            Some(_) => out.push_str(&format!("{i2}command: >-\n{i3}run\n{i3}--fast\n\n")),
            None => {}
        }
        if s.labels_flow {
            out.push_str(&format!("{i2}labels: {{a: 1, b: 'two'}}\n"));
        }
        match s.empty {
            Some(0) => out.push_str(&format!("{i2}volumes: []\n")),
            Some(_) => out.push_str(&format!("{i2}networks: {{}}\n")),
            None => {}
        }
        if s.merge && s.env.is_none() {
            out.push_str(&format!("{i2}environment: *env\n"));
        }
        if s.blank_after {
            out.push('\n');
        }
    }
    out.push_str("# end\n");
    if !spec.final_newline {
        out.truncate(out.len() - 1);
    }
    if spec.crlf {
        document_support::to_crlf(&out)
    } else {
        out
    }
}

fn key_path(keys: &[&str]) -> Path {
    keys.iter().fold(Path::root(), |p, k| p.key(*k))
}

fn strings(keys: &[&str]) -> Vec<String> {
    keys.iter().map(std::string::ToString::to_string).collect()
}

/// An edit on service `name` chosen by `kind`/`pick`, with its intended change.
fn edit_for(name: &str, s: &Svc, kind: u8, pick: usize) -> Option<(Edit, Change)> {
    let value = SCALARS[pick % SCALARS.len()];
    let svc = |k: &str| {
        vec!["services", name, k]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let p = |k: &str| key_path(&["services", name, k]);
    Some(match kind {
        0 => (
            Edit::Replace {
                path: p("image"),
                value: Value::str(value),
            },
            Change::Set(svc("image"), Y::String(value.into())),
        ),
        1 => (
            Edit::Set {
                path: p("restart"),
                value: Value::str(value),
            },
            Change::Set(svc("restart"), Y::String(value.into())),
        ),
        2 => {
            let keys = ["services", name, "deploy", "resources", "limits", "memory"];
            (
                Edit::Set {
                    path: key_path(&keys),
                    value: Value::str("512M"),
                },
                Change::Set(strings(&keys), Y::String("512M".into())),
            )
        }
        3 => {
            s.ports?;
            (
                Edit::Append {
                    path: p("ports"),
                    value: Value::str(value),
                },
                Change::Append(svc("ports"), Y::String(value.into())),
            )
        }
        4 => match s.env.or(s.merge.then_some((0, 0)))? {
            (1, _) => (
                Edit::Append {
                    path: p("environment"),
                    value: Value::str("ADDED=1"),
                },
                Change::Append(svc("environment"), Y::String("ADDED=1".into())),
            ),
            _ => {
                let mut path = svc("environment");
                path.push("ADDED".into());
                (
                    Edit::Insert {
                        path: p("environment"),
                        key: "ADDED".into(),
                        value: Value::str(value),
                        after: None,
                    },
                    Change::Set(path, Y::String(value.into())),
                )
            }
        },
        5 => {
            let present: Vec<&str> = [
                Some("image"),
                s.ports.map(|_| "ports"),
                (s.env.is_some() || s.merge).then_some("environment"),
                s.command.map(|_| "command"),
                s.labels_flow.then_some("labels"),
                s.empty.map(|e| if e == 0 { "volumes" } else { "networks" }),
            ]
            .into_iter()
            .flatten()
            .collect();
            let k = present[pick % present.len()];
            (Edit::Remove { path: p(k) }, Change::Remove(svc(k)))
        }
        6 => {
            let (_, n) = s.ports?;
            let i = pick % n;
            (
                Edit::Remove {
                    path: p("ports").index(i),
                },
                Change::RemoveItem(svc("ports"), i),
            )
        }
        7 => (
            Edit::RenameKey {
                path: p("image"),
                to: "x-image".into(),
            },
            Change::Rename(svc("image"), "x-image".into()),
        ),
        8 => {
            s.empty?;
            let (k, change) = match s.empty? {
                0 => (
                    "volumes",
                    Change::Append(svc("volumes"), Y::String(value.into())),
                ),
                _ => {
                    let mut path = svc("networks");
                    path.push("net".into());
                    ("networks", Change::Set(path, Y::String(value.into())))
                }
            };
            let edit = if k == "volumes" {
                Edit::Append {
                    path: p(k),
                    value: Value::str(value),
                }
            } else {
                Edit::Insert {
                    path: p(k),
                    key: "net".into(),
                    value: Value::str(value),
                    after: None,
                }
            };
            (edit, change)
        }
        _ => (
            Edit::Set {
                path: p("x-flag"),
                value: Value::str(value),
            },
            Change::Set(svc("x-flag"), Y::String(value.into())),
        ),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn edits_are_applied_exactly_or_refused(spec in spec(), choices in prop::collection::vec(((prop::option::of(0u8..10), 0usize..16), (prop::option::of(0u8..5), 0usize..16)), 4)) {
        let text = render(&spec);
        let doc = Document::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(doc.text(), text.as_str());
        let unchanged = doc.apply(&[]).all_or_error();
        prop_assert_eq!(unchanged.as_deref(), Ok(text.as_str()));

        let mut edits = Vec::new();
        let mut changes = Vec::new();
        // Up to two edits per service; the second one from the kinds that add (set, append,
        // insert), so that any conflict is a remove/rename against an add.
        for ((name, s), ((first, pick), (second, pick2))) in NAMES.iter().zip(&spec.services).zip(&choices) {
            let chosen = [first.and_then(|k| edit_for(name, s, k, *pick)), second.and_then(|k| edit_for(name, s, [1, 2, 3, 4, 9][k as usize % 5], *pick2))];
            for (edit, change) in chosen.into_iter().flatten() {
                edits.push(edit);
                changes.push(change);
            }
        }
        let groups: Vec<EditGroup> = edits.iter().map(|e| EditGroup::new([e.clone()])).collect();
        let outcome = doc.apply(&groups);
        let applied: Vec<usize> = (0..edits.len()).filter(|&i| outcome.is_applied(i)).collect();
        let refused: Vec<_> = outcome.refused().collect();
        let mut want = load_all(&text).map_err(TestCaseError::fail)?;
        // The engine's batch semantics: every edit addresses the original document; additions
        // apply first, removals last (so sequence indices name original items).
        let is_removal = |c: &Change| matches!(c, Change::Remove(_) | Change::RemoveItem(..));
        let mut order: Vec<usize> = applied.clone();
        order.sort_by_key(|&i| is_removal(&changes[i]));
        for &i in &order {
            prop_assert!(changes[i].apply(&mut want[0]).is_some(), "edit {} applied but makes no sense", edits[i].describe());
        }
        let got = load_all(&outcome.text).map_err(|e| TestCaseError::fail(format!("{e}\n{}", outcome.text)))?;
        prop_assert!(got == want, "output means something else:\n{}\nedits: {:?}\nrefused: {:?}", outcome.text, edits, refused);
        if spec.crlf {
            prop_assert_eq!(bare_lf(&outcome.text), 0, "bare LF in a CRLF file:\n{}", outcome.text);
        }
        for (i, error) in &refused {
            // Verification failures are planner bugs; other refusals are deliberate.
            prop_assert!(!matches!(error, shipshape::document::EditError::Verify { .. }), "{} failed verification: {error}\n{text}", edits[*i].describe());
        }
        // Idempotence: setting what was just set (or replaced) changes nothing.
        let again: Vec<Edit> = applied
            .iter()
            .filter_map(|&i| match &edits[i] {
                Edit::Set { path, value } | Edit::Replace { path, value } => {
                    Some(Edit::Set { path: path.clone(), value: value.clone() })
                }
                _ => None,
            })
            .collect();
        let edited = Document::parse(&outcome.text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let second = edited.apply(&[EditGroup::new(again.clone())]).all_or_error();
        prop_assert_eq!(second.as_deref(), Ok(outcome.text.as_str()), "re-applying {:?} changed the text", again);
    }
}

/// The groups a service may get, each from its own keys so that no two conflict: the result
/// must not depend on their order. A group that cannot apply whole applies not at all.
fn groups_for(name: &str, s: &Svc, wanted: [bool; 4], pick: usize) -> Vec<Vec<(Edit, Change)>> {
    let kinds: [&[u8]; 4] = [&[0, 7], &[1, 2], &[3, 8], &[4, 9]];
    kinds
        .iter()
        .zip(wanted)
        .filter(|(_, wanted)| *wanted)
        .map(|(kinds, _)| {
            kinds
                .iter()
                .filter_map(|&k| edit_for(name, s, k, pick))
                .collect::<Vec<_>>()
        })
        .filter(|group| !group.is_empty())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn groups_apply_whole_and_in_any_order(spec in spec(), wanted in prop::collection::vec((any::<[bool; 4]>(), 0usize..16), 4), keys in prop::collection::vec(any::<u32>(), 16)) {
        let text = render(&spec);
        let doc = Document::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let mut groups = Vec::new();
        for ((name, s), (want, pick)) in NAMES.iter().zip(&spec.services).zip(&wanted) {
            groups.extend(groups_for(name, s, *want, *pick));
        }
        let edit_groups: Vec<EditGroup> = groups
            .iter()
            .map(|g| EditGroup::new(g.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>()))
            .collect();
        let mut order: Vec<usize> = (0..groups.len()).collect();
        order.sort_by_key(|&i| keys[i % keys.len()].wrapping_add(i as u32));
        let shuffled: Vec<EditGroup> = order.iter().map(|&i| edit_groups[i].clone()).collect();

        let given = doc.apply(&edit_groups);
        let other = doc.apply(&shuffled);
        for (at, &i) in order.iter().enumerate() {
            prop_assert_eq!(given.is_applied(i), other.is_applied(at), "group {:?} applied in one order only", edit_groups[i]);
        }
        for (i, error) in given.refused().chain(other.refused()) {
            prop_assert!(!matches!(error, shipshape::document::EditError::Verify { .. }), "group {i} failed verification: {error}\n{text}");
        }
        let mut want = load_all(&text).map_err(TestCaseError::fail)?;
        for (i, group) in groups.iter().enumerate().filter(|(i, _)| given.is_applied(*i)) {
            for (edit, change) in group {
                prop_assert!(change.apply(&mut want[0]).is_some(), "group {i}: {} applied but makes no sense", edit.describe());
            }
        }
        for outcome in [&given, &other] {
            let got = load_all(&outcome.text).map_err(|e| TestCaseError::fail(format!("{e}\n{}", outcome.text)))?;
            prop_assert!(got == want, "output means something else:\n{}\ngroups: {:?}\noutcome: {:?}", outcome.text, edit_groups, outcome.groups);
            if spec.crlf {
                prop_assert_eq!(bare_lf(&outcome.text), 0, "bare LF in a CRLF file:\n{}", outcome.text);
            }
        }
    }
}
