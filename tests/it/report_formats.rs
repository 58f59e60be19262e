//! Snapshot tests of every output format on the same findings, and secret redaction.

use std::path::Path;

use shipshape::document::{Edit, Value};
use shipshape::finding::{Finding, Fix, Location, Severity};
use shipshape::outcome::{FileReport, FixOutcome, Reported};
use shipshape::pipeline::position;
use shipshape::report::{self, Entry, Style};
use shipshape::source::SourceCache;

const TEXT: &str = "services:\n  db:\n    image: postgres:latest\n    environment:\n      POSTGRES_PASSWORD: hunter2-s3cret\n";

/// The `restart-policy` finding for `service`, with its fix.
fn restart_finding(file: &Path, service: &str) -> Finding {
    let at = shipshape::document::Path::root()
        .key("services")
        .key(service);
    Finding::new(
        "restart-policy",
        Severity::Warning,
        file,
        Location::Node(at.clone()),
        format!("service `{service}` has no restart policy"),
    )
    .with_fix(Fix::safe(
        "add `restart: unless-stopped`",
        vec![Edit::Insert {
            path: at,
            key: "restart".into(),
            value: Value::str("unless-stopped"),
            after: None,
        }],
    ))
}

fn report() -> FileReport {
    let cache = SourceCache::new();
    let path = Path::new("app/compose.yaml");
    let source = cache.insert_text(path, TEXT).expect("valid YAML");
    let db = shipshape::document::Path::root().key("services").key("db");
    let restart = restart_finding(path, "db");
    let mut secret = Finding::new(
        "env-secrets",
        Severity::Warning,
        path,
        Location::Node(db.clone().key("environment").key("POSTGRES_PASSWORD")),
        "`POSTGRES_PASSWORD` holds a literal secret",
    );
    secret.redact = vec!["hunter2-s3cret".into()];
    let mut suppressed = Finding::new(
        "healthcheck",
        Severity::Warning,
        path,
        Location::Key(db),
        "service `db` has no healthcheck",
    );
    suppressed.suppressed = Some("checked by the platform".into());
    let findings = [restart, secret, suppressed]
        .into_iter()
        .map(|finding| Reported {
            at: position(&finding.location, &source),
            finding,
        })
        .collect();
    FileReport {
        path: path.into(),
        source: Some(source),
        findings,
        error: None,
        ..FileReport::default()
    }
}

/// The report as the one entry of a run without fixes.
fn unfixed(report: &FileReport) -> [Entry<'_>; 1] {
    [Entry { report, fix: None }]
}

fn style() -> Style {
    Style {
        color: false,
        show_secrets: false,
        quiet: false,
    }
}

#[test]
fn text() {
    let report = report();
    let entries = [Entry {
        report: &report,
        fix: None,
    }];
    let out = report::text::render(&entries, &style()) + &report::text::summary(&entries);
    assert!(!out.contains("hunter2"), "secret printed:\n{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn json() {
    let report = report();
    let fix = FixOutcome {
        new_text: Some(String::new()),
        applied: vec![(
            "restart-policy".into(),
            "add `restart: unless-stopped`".into(),
        )],
        ..Default::default()
    };
    let out = report::json::render(
        &[Entry {
            report: &report,
            fix: Some(&fix),
        }],
        &style(),
    );
    assert!(!out.contains("hunter2"));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["files"][0]["findings"][2]["suppressed"], true);
    insta::assert_snapshot!(out);
}

#[test]
fn sarif() {
    let report = report();
    let out = report::sarif::render(&unfixed(&report), &style());
    assert!(!out.contains("hunter2"));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["version"], "2.1.0");
    insta::assert_snapshot!(out);
}

#[test]
fn github() {
    let report = report();
    let out = report::github::render(&unfixed(&report), &style());
    assert!(!out.contains("hunter2"));
    insta::assert_snapshot!(out);
}

#[test]
fn secrets_show_only_when_asked() {
    let report = report();
    let shown = Style {
        show_secrets: true,
        ..style()
    };
    let out = report::text::render(&unfixed(&report), &shown);
    assert!(out.contains("hunter2-s3cret"));
}

/// Validates `instance` against a schema committed under `tests/fixtures/formats/`.
fn assert_valid(schema_file: &str, instance: &serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(schema_file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (see SOURCES.md next to it)", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

/// Applies rdjson suggestions (1-based lines, byte columns, exclusive end) to `text`.
fn apply_suggestions(text: &str, suggestions: &[serde_json::Value]) -> String {
    let offset = |position: &serde_json::Value| {
        let line = position["line"].as_u64().unwrap() as usize;
        let column = position["column"].as_u64().unwrap() as usize;
        let start: usize = text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum();
        start + column - 1
    };
    let mut edits: Vec<(usize, usize, &str)> = suggestions
        .iter()
        .map(|s| {
            (
                offset(&s["range"]["start"]),
                offset(&s["range"]["end"]),
                s["text"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, replacement) in edits {
        out.replace_range(start..end, replacement);
    }
    out
}

#[test]
fn rdjson() {
    let report = report();
    let out = report::rdjson::render(&unfixed(&report), &style());
    assert!(!out.contains("hunter2"), "secret printed:\n{out}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_valid("rdjson-DiagnosticResult.jsonschema", &value);
    let diagnostics = value["diagnostics"].as_array().unwrap();
    // The suppressed finding is not posted to a review.
    assert_eq!(diagnostics.len(), 2);
    let restart = &diagnostics[0];
    assert_eq!(restart["code"]["value"], "restart-policy");
    assert_eq!(restart["severity"], "WARNING");
    assert_eq!(restart["location"]["path"], "app/compose.yaml");
    assert_eq!(restart["location"]["range"]["start"]["line"], 2);
    assert_eq!(restart["location"]["range"]["start"]["column"], 3);
    // The suggestion turns the file into the verified fixed text.
    let fixed = apply_suggestions(TEXT, restart["suggestions"].as_array().unwrap());
    assert_eq!(
        fixed,
        "services:\n  db:\n    image: postgres:latest\n    environment:\n      POSTGRES_PASSWORD: hunter2-s3cret\n    restart: unless-stopped\n"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn rdjson_never_suggests_a_redacted_secret() {
    let mut report = report();
    let db = shipshape::document::Path::root().key("services").key("db");
    // A fix whose new text carries the secret: its suggestion must be left out, not redacted.
    report.findings[0].finding.fix = Some(Fix::safe(
        "copy the password",
        vec![Edit::Insert {
            path: db,
            key: "x-password".into(),
            value: Value::str("hunter2-s3cret"),
            after: None,
        }],
    ));
    let entries = [Entry {
        report: &report,
        fix: None,
    }];
    let out = report::rdjson::render(&entries, &style());
    assert!(!out.contains("hunter2"), "{out}");
    assert!(!out.contains("<redacted>"), "{out}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        value["diagnostics"][0].get("suggestions").is_none(),
        "{out}"
    );
    // `--show-secrets` is an explicit request: the suggestion is then complete.
    let shown = Style {
        show_secrets: true,
        ..style()
    };
    let out = report::rdjson::render(&entries, &shown);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        value["diagnostics"][0]["suggestions"][0]["text"]
            .as_str()
            .unwrap()
            .contains("hunter2-s3cret")
    );
}

#[test]
fn gitlab() {
    let report = report();
    let out = report::gitlab::render(&unfixed(&report), &style());
    assert!(!out.contains("hunter2"), "secret printed:\n{out}");
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_valid("gitlab-codequality.schema.json", &value);
    let issues = value.as_array().unwrap();
    assert_eq!(issues.len(), 2, "suppressed findings are left out");
    assert_eq!(issues[0]["check_name"], "restart-policy");
    assert_eq!(issues[0]["severity"], "minor");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 2);
    // Fingerprints are unique and stable across runs.
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    let again = report::gitlab::render(&unfixed(&report), &style());
    assert_eq!(out, again);
    insta::assert_snapshot!(out);
}

#[test]
fn gitlab_fingerprints_do_not_depend_on_lines_or_secrets() {
    let mut report = report();
    let before = report::gitlab::render(&unfixed(&report), &style());
    for finding in &mut report.findings {
        finding.at.line += 10;
    }
    let shown = Style {
        show_secrets: true,
        ..style()
    };
    let after = report::gitlab::render(&unfixed(&report), &shown);
    let prints = |out: &str| -> Vec<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_str(out).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].clone())
            .collect()
    };
    assert_eq!(prints(&before), prints(&after));
}

#[test]
fn the_format_schemas_reject_what_they_should() {
    // Guards the schema checks above against a schema that accepts anything.
    let rdjson =
        serde_json::json!({"diagnostics": [{"location": {"range": {"start": {"line": "two"}}}}]});
    let gitlab = serde_json::json!([{"description": "x", "check_name": "y", "fingerprint": "z", "severity": "warning", "location": {"path": "p", "lines": {"begin": 1}}}]);
    for (file, instance) in [
        ("rdjson-DiagnosticResult.jsonschema", rdjson),
        ("gitlab-codequality.schema.json", gitlab),
    ] {
        let result = std::panic::catch_unwind(|| assert_valid(file, &instance));
        assert!(result.is_err(), "{file} accepted an invalid instance");
    }
}

#[test]
fn rdjson_insertions_replace_the_line_before() {
    let text = "services:\n  web:\n    image: nginx:1.27\n  db:\n    image: postgres:16\n";
    let cache = SourceCache::new();
    let path = Path::new("compose.yaml");
    let source = cache.insert_text(path, text).expect("valid YAML");
    let finding = restart_finding(path, "web");
    let report = FileReport {
        path: path.into(),
        findings: vec![Reported {
            at: position(&finding.location, &source),
            finding,
        }],
        source: Some(source),
        ..FileReport::default()
    };
    let out = report::rdjson::render(&unfixed(&report), &style());
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let suggestions = value["diagnostics"][0]["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 1);
    let range = &suggestions[0]["range"];
    assert_eq!(
        (&range["start"]["line"], &range["end"]["line"]),
        (&serde_json::json!(3), &serde_json::json!(4)),
        "{out}"
    );
    assert_eq!(
        suggestions[0]["text"],
        "    image: nginx:1.27\n    restart: unless-stopped\n"
    );
    assert_eq!(
        apply_suggestions(text, suggestions),
        "services:\n  web:\n    image: nginx:1.27\n    restart: unless-stopped\n  db:\n    image: postgres:16\n"
    );
}
