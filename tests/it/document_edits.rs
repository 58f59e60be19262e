//! Before/after snapshots of every edit operation in every style the engine meets, and the
//! errors it must return as values. `\r` shows as `␍`, a BOM as `<BOM>`, a missing final
//! newline as `<no final newline>`.

use shipshape::document::{Document, Edit, EditError, EditGroup, LoadError, Path, Value};

fn p(path: &str) -> Path {
    path.parse().expect("test paths are valid")
}

fn visible(text: &str) -> String {
    let mut out = text.replace('\u{feff}', "<BOM>").replace('\r', "␍");
    if !text.is_empty() && !text.ends_with('\n') {
        out.push_str("<no final newline>\n");
    }
    out
}

fn show_with(input: &str, edits: &[Edit], through_anchors: bool) -> String {
    let doc = match Document::parse(input) {
        Ok(doc) => doc,
        Err(e) => return format!("load error: {e}"),
    };
    let edits_text: Vec<String> = edits.iter().map(Edit::describe).collect();
    let group = EditGroup::new(edits).through_anchors(through_anchors);
    let result = match doc.apply(&[group]).all_or_error() {
        Ok(text) => format!("after:\n{}", visible(&text)),
        Err(e) => format!("error: {e}"),
    };
    format!(
        "{}\nbefore:\n{}{result}",
        edits_text.join("; "),
        visible(input)
    )
}

fn show(input: &str, edits: &[Edit]) -> String {
    show_with(input, edits, false)
}

fn replace(path: &str, value: Value) -> Edit {
    Edit::Replace {
        path: p(path),
        value,
    }
}

fn set(path: &str, value: Value) -> Edit {
    Edit::Set {
        path: p(path),
        value,
    }
}

fn insert(path: &str, key: &str, value: Value) -> Edit {
    Edit::Insert {
        path: p(path),
        key: key.into(),
        value,
        after: None,
    }
}

fn append(path: &str, value: Value) -> Edit {
    Edit::Append {
        path: p(path),
        value,
    }
}

fn remove(path: &str) -> Edit {
    Edit::Remove { path: p(path) }
}

fn s(v: &str) -> Value {
    Value::str(v)
}

const COMPOSE: &str = "\
# stack
services:
  web:
    image: nginx:1.25 # pinned later
    ports:
      - \"8080:80\"
    environment:
      A: '1'
      B: \"two\"

  db:
    image: 'postgres:16'
    command: >
      postgres -c
      max_connections=200
    healthcheck:
      test: |
        pg_isready
    volumes: [data:/var/lib/postgresql/data]
    labels: {tier: backend}
# end
";

#[test]
fn replace_keeps_quote_style() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[
            replace("services.web.image", s("nginx:1.27")),
            replace("services.db.image", s("postgres:17")),
            replace("services.web.environment.B", s("three")),
            replace("services.web.ports[0]", s("9090:90")),
        ]
    ));
}

#[test]
fn replace_quotes_ambiguous_plain_values() {
    insta::assert_snapshot!(show(
        "a: x\nb: x\nc: x\nd: x\n",
        &[
            replace("a", s("8080:80")),
            replace("b", s("yes")),
            replace("c", s("0755")),
            replace("d", s("")),
        ]
    ));
}

#[test]
fn replace_block_scalars_is_refused() {
    insta::assert_snapshot!(
        "replace_literal",
        show(COMPOSE, &[replace("services.db.healthcheck.test", s("x"))])
    );
    insta::assert_snapshot!(
        "replace_folded",
        show(COMPOSE, &[replace("services.db.command", s("x"))])
    );
}

#[test]
fn replace_in_flow_collections() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[
            replace("services.db.volumes[0]", s("db:/data")),
            replace("services.db.labels.tier", s("a, b")),
        ]
    ));
}

#[test]
fn replace_scalar_with_collection() {
    insta::assert_snapshot!(show(
        "x:\n  a: 1\n  b: 2\n",
        &[
            replace("x.a", Value::map([("k", s("v"))])),
            replace("x.b", Value::Seq(vec![s("p"), s("q")])),
        ]
    ));
}

#[test]
fn insert_block_after_last_entry_before_blank_line_and_comment() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[
            insert("services.web", "restart", s("unless-stopped")),
            insert("services.db", "x-flag", s("yes")),
        ]
    ));
}

#[test]
fn insert_after_named_key() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[Edit::Insert {
            path: p("services.web"),
            key: "restart".into(),
            value: s("always"),
            after: Some("image".into()),
        }]
    ));
}

#[test]
fn insert_after_literal_block_keeps_its_trailing_spaces() {
    insta::assert_snapshot!(show(
        "s:\n  script: |\n    echo hi  \n\nother: 1\n",
        &[insert("s", "after", s("x"))]
    ));
}

#[test]
fn insert_into_flow_and_empty_mappings() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[insert("services.db.labels", "team", s("core"))]
    ));
    insta::assert_snapshot!(
        "insert_empty_flow_map",
        show("a: {}\n", &[insert("a", "k", s("on"))])
    );
    insta::assert_snapshot!(
        "insert_null_value",
        show("a:\nb: 1\n", &[insert("a", "k", s("v"))])
    );
}

#[test]
fn set_creates_nested_mappings_two_spaces() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[
            set("services.web.deploy.resources.limits.memory", s("512M")),
            set("services.web.deploy.resources.limits.cpus", s("0.5")),
        ]
    ));
}

#[test]
fn set_creates_nested_mappings_four_spaces() {
    let input = "services:\n    web:\n        image: nginx\n        ports:\n        - \"80:80\"\n";
    insta::assert_snapshot!(show(
        input,
        &[
            set("services.web.deploy.resources.limits.memory", s("512M")),
            set(
                "services.web.healthcheck.test",
                Value::Seq(vec![s("CMD"), s("true")])
            ),
        ]
    ));
}

#[test]
fn append_block_sequences_indented_and_indentless() {
    insta::assert_snapshot!(
        "append_indented",
        show(COMPOSE, &[append("services.web.ports", s("9090:90"))])
    );
    let indentless =
        "services:\n  web:\n    ports:\n    - \"80:80\"\n    - '443:443'\n    image: x\n";
    insta::assert_snapshot!(
        "append_indentless",
        show(
            indentless,
            &[
                append("services.web.ports", s("9090:90")),
                set("services.web.dns", Value::Seq(vec![s("1.1.1.1")])),
            ]
        )
    );
}

#[test]
fn append_to_flow_and_empty_sequences() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[append("services.db.volumes", s("logs:/var/log"))]
    ));
    insta::assert_snapshot!(
        "append_empty_flow_seq",
        show("a: []\n", &[append("a", s("x"))])
    );
    insta::assert_snapshot!(
        "append_null_value",
        show("a:\n  b:\n  c: 1\n", &[append("a.b", s("x"))])
    );
}

#[test]
fn append_mapping_item() {
    insta::assert_snapshot!(show(
        "secrets:\n  - source: a\n    target: b\n",
        &[append(
            "secrets",
            Value::map([("source", s("c")), ("target", s("d"))])
        )]
    ));
}

#[test]
fn remove_entries_and_items() {
    insta::assert_snapshot!(
        "remove_middle_entry",
        show(COMPOSE, &[remove("services.web.ports")])
    );
    insta::assert_snapshot!(
        "remove_last_entry_of_file",
        show(COMPOSE, &[remove("services.db.labels")])
    );
    insta::assert_snapshot!(
        "remove_sequence_item",
        show(COMPOSE, &[remove("services.web.environment.A")])
    );
    insta::assert_snapshot!(
        "remove_flow_items",
        show(
            "a: [x, y, z]\nb: {k: 1, l: 2}\n",
            &[remove("a[1]"), remove("b.l")]
        )
    );
}

#[test]
fn remove_only_member_leaves_empty_collection_on_the_key_line() {
    insta::assert_snapshot!(
        "remove_only_entry",
        show("x:\n  a:\n    only: 1\n  b: 2\n", &[remove("x.a.only")])
    );
    insta::assert_snapshot!(
        "remove_only_item",
        show("x:\n  a:\n    - only\n  b: 2\n", &[remove("x.a[0]")])
    );
    insta::assert_snapshot!(
        "remove_only_item_indentless",
        show("a:\n- only\nb: 2\n", &[remove("a[0]")])
    );
    insta::assert_snapshot!(
        "remove_only_entry_after_comment",
        show(
            "x:\n  a:\n    # keep me\n    only: 1\n  b: 2\n",
            &[remove("x.a.only")]
        )
    );
}

#[test]
fn remove_with_comments_around() {
    let input = "a:\n  # about b\n  b: 1 # inline b\n  # about c\n  c: 2\n  d: 3\n";
    insta::assert_snapshot!(show(input, &[remove("a.c")]));
}

#[test]
fn rename_keys() {
    insta::assert_snapshot!(show(
        COMPOSE,
        &[
            Edit::RenameKey {
                path: p("services.web"),
                to: "frontend".into()
            },
            Edit::RenameKey {
                path: p("services.db.labels"),
                to: "x-labels".into()
            },
        ]
    ));
}

#[test]
fn crlf_is_kept() {
    let input = "services:\r\n  web:\r\n    image: nginx\r\n    ports:\r\n      - \"80:80\"\r\n";
    insta::assert_snapshot!(show(
        input,
        &[
            set("services.web.deploy.resources.limits.memory", s("512M")),
            append("services.web.ports", s("9090:90")),
        ]
    ));
    insta::assert_snapshot!("crlf_remove", show(input, &[remove("services.web.ports")]));
}

#[test]
fn bom_is_kept() {
    let input = "\u{feff}services:\n  web:\n    image: nginx\n";
    insta::assert_snapshot!(show(
        input,
        &[
            insert("services.web", "restart", s("always")),
            replace("services.web.image", s("nginx:1"))
        ]
    ));
}

#[test]
fn no_final_newline() {
    let input = "services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"";
    insta::assert_snapshot!(
        "no_eol_insert",
        show(input, &[insert("services.web", "restart", s("always"))])
    );
    insta::assert_snapshot!(
        "no_eol_append",
        show(input, &[append("services.web.ports", s("9090:90"))])
    );
    insta::assert_snapshot!(
        "no_eol_remove_last",
        show(input, &[remove("services.web.ports")])
    );
    insta::assert_snapshot!(
        "no_eol_top_level",
        show(
            input,
            &[insert(
                "",
                "secrets",
                Value::map([("a", Value::map([("file", s("./a"))]))])
            )]
        )
    );
}

#[test]
fn multi_document_edits_first_document_only() {
    let input = "---\nservices:\n  web:\n    image: a\n...\n---\nservices:\n  web:\n    image: b\n";
    insta::assert_snapshot!(show(
        input,
        &[
            replace("services.web.image", s("c")),
            insert("services.web", "restart", s("always")),
        ]
    ));
}

#[test]
fn explicit_document_markers() {
    let input = "%YAML 1.2\n---\nservices:\n  web:\n    image: a\n...\n";
    insta::assert_snapshot!(show(
        input,
        &[
            insert("services.web", "restart", s("always")),
            insert("", "volumes", Value::map([("data", Value::Null)]))
        ]
    ));
}

const ANCHORS: &str = "\
x-common: &common
  restart: always
  environment: &env
    A: 1
services:
  web:
    <<: *common
    image: web
  worker:
    <<: *common
    environment: *env
";

#[test]
fn anchors_are_refused_with_a_reason() {
    insta::assert_snapshot!(
        "anchor_edit_inside",
        show(ANCHORS, &[replace("x-common.restart", s("no"))])
    );
    insta::assert_snapshot!(
        "anchor_edit_nested",
        show(ANCHORS, &[insert("x-common.environment", "B", s("2"))])
    );
    insta::assert_snapshot!(
        "anchor_remove_referenced",
        show(ANCHORS, &[remove("x-common.environment")])
    );
    insta::assert_snapshot!(
        "anchor_edit_through_alias",
        show(
            ANCHORS,
            &[insert("services.worker.environment", "B", s("2"))]
        )
    );
}

#[test]
fn anchors_and_merge_keys_when_allowed_or_unaffected() {
    insta::assert_snapshot!(
        "anchor_edit_allowed",
        show_with(
            ANCHORS,
            &[insert("x-common.environment", "B", s("2"))],
            true
        )
    );
    insta::assert_snapshot!(
        "merge_key_service_edits",
        show(
            ANCHORS,
            &[
                insert("services.web", "restart", s("no")),
                remove("services.worker.environment"),
            ]
        )
    );
}

#[test]
fn invalid_inputs_are_errors() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("invalid YAML", b"a: b: c\n".to_vec()),
        ("unclosed flow", b"a: [1, 2\n".to_vec()),
        ("tab indentation", b"a:\n\tb: 1\n".to_vec()),
        ("not UTF-8", b"a: 1\nb: \xff\xfe\n".to_vec()),
        ("NUL byte", b"a: 1\n\0\0\0binary".to_vec()),
        (
            "duplicate keys",
            b"services:\n  web:\n    image: a\n  db: {}\n  web:\n    image: b\n".to_vec(),
        ),
        ("deep nesting", "[".repeat(5000).into_bytes()),
        (
            "deep block nesting",
            (0..2000)
                .map(|i| format!("{}k:\n", " ".repeat(i)))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    let mut out = String::new();
    for (name, bytes) in cases {
        let result = Document::from_bytes(&bytes);
        let line = match result {
            Ok(_) => "loaded".to_string(),
            Err(e) => e.to_string(),
        };
        out.push_str(&format!("{name}: {line}\n"));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn duplicate_key_error_names_both_places() {
    let err = Document::parse("a: 1\nb:\n  c: 1\n  c: 2\n").expect_err("duplicate key");
    assert_eq!(
        err,
        LoadError::DuplicateKey {
            key: "c".into(),
            line: 4,
            col: 3,
            first_line: 3,
            first_col: 3
        }
    );
}

fn billion_laughs() -> String {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i", "j"])
    {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    text.push_str("services:\n  web:\n    image: nginx\n");
    text
}

#[test]
fn billion_laughs_loads_without_expanding_aliases() {
    let text = billion_laughs();
    let started = std::time::Instant::now();
    let doc = Document::parse(&text).expect("the index does not expand aliases");
    assert!(
        started.elapsed().as_millis() < 500,
        "loading took {:?}",
        started.elapsed()
    );
    let j = doc.lookup(&p("j")).expect("j exists");
    assert_eq!(j.items().count(), 9);
    assert_eq!(
        j.items()
            .next()
            .and_then(|n| n.resolve_alias())
            .and_then(|n| n.anchor_name()),
        Some("i")
    );
    // The verifier's loader refuses to expand the bomb: the edit fails cleanly, quickly.
    let started = std::time::Instant::now();
    let result = doc
        .apply(&[EditGroup::new([replace(
            "services.web.image",
            s("nginx:1"),
        )])])
        .all_or_error();
    assert!(
        started.elapsed().as_secs() < 5,
        "verification took {:?}",
        started.elapsed()
    );
    match result {
        Err(EditError::Verify { divergence, .. }) => {
            assert!(
                divergence.contains("cannot load the original"),
                "{divergence}"
            );
        }
        other => panic!("expected a clean verification error, got {other:?}"),
    }
}

#[test]
fn remove_only_member_keeps_properties_and_indentless_comments() {
    insta::assert_snapshot!(
        "remove_only_entry_anchored",
        show("a: &x\n  only: 1\nb: 2\n", &[remove("a.only")])
    );
    insta::assert_snapshot!(
        "remove_only_item_indentless_after_comment",
        show("a:\n# note\n- only # why\nb: 2\n", &[remove("a[0]")])
    );
    insta::assert_snapshot!(
        "remove_only_entry_of_item",
        show("a:\n  - only: 1\n    # tail\n", &[remove("a[0].only")])
    );
}

#[test]
fn same_offset_inserts_nest_correctly() {
    let input = "services:\n  web:\n    ports:\n      - \"80:80\"\n";
    insta::assert_snapshot!(show(
        input,
        &[
            set("services.web.deploy.resources.limits.memory", s("512M")),
            append("services.web.ports", s("9090:90")),
            insert("services", "db", Value::map([("image", s("postgres"))])),
        ]
    ));
}

#[test]
fn removing_a_subtree_with_a_nested_referenced_anchor_is_refused() {
    insta::assert_snapshot!(show(ANCHORS, &[remove("x-common")]));
}

#[test]
fn no_edits_is_identity() {
    for input in [
        COMPOSE,
        ANCHORS,
        "a: 1",
        "\u{feff}a: 1\r\n",
        "--- a\n...\n--- b\n",
    ] {
        let doc = Document::parse(input).expect("valid");
        assert_eq!(doc.text(), input);
        assert_eq!(doc.apply(&[]).all_or_error().as_deref(), Ok(input));
    }
}

/// One group per edit: the engine keeps what it can and refuses conflicting groups one by one.
#[test]
fn conflicting_edits_in_a_batch_are_refused_individually() {
    let input = "services:\n  web:\n    image: a\n    ports:\n      - \"80:80\"\n";
    let doc = Document::parse(input).expect("valid");
    let edits = [
        remove("services.web.ports[0]"),
        append("services.web.ports", s("9090:90")),
        insert("services.web", "restart", s("always")),
        insert("services.web", "restart", s("no")),
        replace("services.web.image", s("b")),
        remove("services.web.image"),
    ];
    let groups: Vec<EditGroup> = edits.iter().map(|e| EditGroup::new([e.clone()])).collect();
    let outcome = doc.apply(&groups);
    let applied: Vec<usize> = (0..edits.len())
        .filter(|&i| outcome.is_applied(i))
        .collect();
    let mut report = format!("applied: {applied:?}\n");
    for (i, error) in outcome.refused() {
        report.push_str(&format!("refused {i} ({}): {error}\n", edits[i].describe()));
    }
    report.push_str(&format!("after:\n{}", visible(&outcome.text)));
    insta::assert_snapshot!(report);
}

#[test]
fn rename_inside_flow_mapping_and_quoted_keys() {
    insta::assert_snapshot!(show(
        "labels: {a: 1, 'b c': 2}\n\"x.y\": 3\n",
        &[
            Edit::RenameKey {
                path: p("labels.a"),
                to: "alpha: one".into()
            },
            Edit::RenameKey {
                path: p("labels.\"b c\""),
                to: "d".into()
            },
            Edit::RenameKey {
                path: p("\"x.y\""),
                to: "z".into()
            },
        ]
    ));
}

#[test]
fn four_space_file_with_comments_and_crlf() {
    let input = "services:\r\n    web:   # the front\r\n        image: 'nginx'   # pinned\r\n        # ports come later\r\n\r\nvolumes: {}\r\n";
    insta::assert_snapshot!(show(
        input,
        &[
            replace("services.web.image", s("nginx:1.27")),
            set("services.web.deploy.resources.limits.memory", s("512M")),
            insert("volumes", "data", Value::Null),
        ]
    ));
}

#[test]
fn replace_collection_with_scalar_and_flow_values() {
    insta::assert_snapshot!(show(
        "a:\n  - x\n  - y\nb: {k: v}\nc: [1, 2]\n",
        &[
            replace("a", s("none")),
            replace("b.k", Value::Seq(vec![s("p"), Value::Int(1)])),
            replace("c[1]", Value::Bool(true)),
        ]
    ));
}

#[test]
fn insert_after_keep_chomping_block_keeps_its_trailing_lines() {
    let input = "a:\n  s: |+\n    text\n\n\nb: 1\n";
    insta::assert_snapshot!(show(input, &[insert("a", "k", s("v")), remove("b")]));
    let input = "a:\n  s: >+\n    folded\n\n  t: x\n";
    insta::assert_snapshot!(
        "insert_after_keep_folded",
        show(input, &[remove("a.t"), insert("a", "k", s("v"))])
    );
}

#[test]
fn anchored_sequence_items() {
    let input = "hosts:\n  - &default-host example.com\n  - other.org\nextra: [*default-host]\n";
    insta::assert_snapshot!(
        "append_after_anchored_items",
        show(input, &[append("hosts", s("new.net")), remove("hosts[1]")])
    );
    insta::assert_snapshot!(
        "remove_referenced_anchored_item",
        show(input, &[remove("hosts[0]")])
    );
}

/// Several insertions into one empty flow collection are joined with `, `.
#[test]
fn inserts_into_an_empty_flow_collection() {
    insta::assert_snapshot!(
        "inserts_into_empty_flow_mapping",
        show(
            "services:\n  web: {}\n",
            &[
                insert("services.web", "image", s("nginx")),
                insert("services.web", "restart", s("always")),
                set("services.web.deploy.replicas", Value::Int(2)),
            ]
        )
    );
    insta::assert_snapshot!(
        "appends_into_empty_flow_sequence",
        show(
            "ports: []\n",
            &[append("ports", s("80:80")), append("ports", s("443:443"))]
        )
    );
}

/// Removing every member of a collection leaves it empty in place, like its only member.
#[test]
fn removing_every_member_leaves_an_empty_collection() {
    insta::assert_snapshot!(
        "remove_every_entry_of_block_mapping",
        show(
            "web:\n  environment:\n    A: 1 # one\n    B: 2\n  image: x\n",
            &[remove("web.environment.A"), remove("web.environment.B")]
        )
    );
    insta::assert_snapshot!(
        "remove_every_item_of_block_sequence",
        show(
            "web:\n  environment:\n  - A=1\n  - B=2\n",
            &[remove("web.environment[1]"), remove("web.environment[0]")]
        )
    );
    insta::assert_snapshot!(
        "remove_every_entry_of_flow_mapping",
        show(
            "web: {environment: {A: 1, B: 2}}\n",
            &[remove("web.environment.A"), remove("web.environment.B")]
        )
    );
}

/// Every edit addresses the original document: a rename and a replace of one key verify in
/// either order.
#[test]
fn rename_and_replace_of_one_key_in_either_order() {
    let input = "environment:\n  PASSWORD: hunter2 # move me\n";
    let rename = Edit::RenameKey {
        path: p("environment.PASSWORD"),
        to: "PASSWORD_FILE".into(),
    };
    let replace = replace("environment.PASSWORD", s("/run/secrets/password"));
    let first = show(input, &[rename.clone(), replace.clone()]);
    let second = show(input, &[replace, rename]);
    assert_eq!(
        first.split_once('\n').map(|x| x.1),
        second.split_once('\n').map(|x| x.1)
    );
    insta::assert_snapshot!(first);
}
