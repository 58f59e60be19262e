//! Snapshot tests of every output format on the same findings, and secret redaction.

use std::path::Path;

use shipshape::document::{Edit, Value};
use shipshape::finding::{Finding, Fix, Location, Severity};
use shipshape::outcome::{FileReport, FixOutcome, Reported};
use shipshape::pipeline::position;
use shipshape::report::{self, Entry, Style};
use shipshape::source::SourceCache;

const TEXT: &str = "services:\n  db:\n    image: postgres:latest\n    environment:\n      POSTGRES_PASSWORD: hunter2-s3cret\n";

fn report() -> FileReport {
    let cache = SourceCache::new();
    let path = Path::new("app/compose.yaml");
    let source = cache.insert_text(path, TEXT).expect("valid YAML");
    let db = shipshape::document::Path::root().key("services").key("db");
    let restart = Finding::new(
        "restart-policy",
        Severity::Warning,
        path,
        Location::Node(db.clone()),
        "service `db` has no restart policy",
    )
    .with_fix(Fix::safe(
        "add `restart: unless-stopped`",
        vec![Edit::Insert {
            path: db.clone(),
            key: "restart".into(),
            value: Value::str("unless-stopped"),
            after: None,
        }],
    ));
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
    let out = report::sarif::render(
        &[Entry {
            report: &report,
            fix: None,
        }],
        &style(),
    );
    assert!(!out.contains("hunter2"));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["version"], "2.1.0");
    insta::assert_snapshot!(out);
}

#[test]
fn github() {
    let report = report();
    let out = report::github::render(
        &[Entry {
            report: &report,
            fix: None,
        }],
        &style(),
    );
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
    let out = report::text::render(
        &[Entry {
            report: &report,
            fix: None,
        }],
        &shown,
    );
    assert!(out.contains("hunter2-s3cret"));
}
