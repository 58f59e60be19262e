//! Hostile input through every stage: the library pipeline (load, validate, lint, fix,
//! reports) and the `shipshape` binary. Whatever the input, nothing may panic or hang, and a
//! file that cannot be loaded is one `file:line:col` error line with exit code 2.
//!
//! Each input runs on its own thread under a generous wall-clock limit (debug builds, a shared
//! machine): the limit catches hangs and runaway expansion, not slowness.

use crate::document_support;

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use shipshape::config::Config;
use shipshape::outcome::FileReport;
use shipshape::pipeline::{self, RunOptions};
use shipshape::policy::PolicySet;
use shipshape::report::{self, Entry, Style};
use shipshape::rules::ActiveRules;
use shipshape::scope::Scopes;
use shipshape::source::SourceCache;

/// Wall-clock limit for one input through the library or the binary.
const LIMIT: Duration = Duration::from_secs(60);

const PACKS: &[&str] = &["production", "recommended", "legacy"];

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(std::string::ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic>".into())
}

/// Runs `f` on its own thread; fails the test if it panics or outlives `limit`.
fn bounded<T: Send + 'static>(
    label: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(label.chars().take(60).collect())
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn a worker thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic!("{label}: panicked: {}", panic_message(&*payload)),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{label}: did not finish within {limit:?} (hang or runaway expansion)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{label}: worker vanished"),
    }
}

fn options(pack: &str) -> RunOptions {
    let config = Config::default();
    RunOptions {
        validate: true,
        lint: true,
        scopes: Scopes::single(
            Config::default(),
            configured(PolicySet::load(&[pack.to_string()], &config).expect("built-in pack loads")),
        ),
        ..RunOptions::default()
    }
}

/// What the library made of one input.
struct Outcome {
    /// Load errors, as printed.
    errors: Vec<String>,
    findings: usize,
    fixed: bool,
}

/// The whole library pipeline on `path`: load, validate, lint, fix (unsafe fixes included),
/// every report format. Runs inside [`bounded`].
fn pipeline_on(path: &Path, pack: &str) -> Outcome {
    let sources = SourceCache::new();
    let reports = pipeline::run(&[path.to_path_buf()], &sources, &options(pack));
    let fixes: Vec<_> = reports
        .iter()
        .map(|r| pipeline::fix_file(r, true))
        .collect();
    let entries: Vec<Entry<'_>> = reports
        .iter()
        .zip(&fixes)
        .map(|(report, fix)| Entry {
            report,
            fix: Some(fix),
        })
        .collect();
    let style = Style::default();
    let _ = report::text::render(&entries, &style);
    let _ = report::text::summary(&entries);
    let _ = report::json::render(&entries, &style);
    let _ = report::sarif::render(&entries, &style);
    let _ = report::github::render(&entries, &style);
    for (r, fix) in reports.iter().zip(&fixes) {
        if let (Some(source), Some(new)) = (&r.source, &fix.new_text) {
            let secrets = report::secrets_of(r);
            let old = source.document.text();
            // The diff built around the engine's changes is the whole-text diff.
            let around =
                report::diff::unified(&r.path, old, new, Some(&fix.changes), &secrets, &style);
            let whole = report::diff::unified(&r.path, old, new, None, &secrets, &style);
            assert_eq!(around, whole, "{}", r.path.display());
        }
    }
    Outcome {
        errors: reports
            .iter()
            .filter_map(|r: &FileReport| r.error.as_ref().map(std::string::ToString::to_string))
            .collect(),
        findings: reports.iter().map(|r| r.findings.len()).sum(),
        fixed: fixes.iter().any(|f| f.new_text.is_some()),
    }
}

/// Writes `bytes` as `compose.yaml` in a fresh directory and runs the library on it.
fn library(label: &str, bytes: &[u8], pack: &'static str) -> Outcome {
    library_within(label, bytes, pack, LIMIT)
}

/// [`library`] with another hang limit (large inputs in a debug build on a busy machine).
fn library_within(label: &str, bytes: &[u8], pack: &'static str, limit: Duration) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("compose.yaml");
    std::fs::write(&path, bytes).expect("write input");
    let outcome = bounded(label, limit, move || pipeline_on(&path, pack));
    for error in &outcome.errors {
        assert_located(label, error);
    }
    outcome
}

/// A load error names the file, then `line:col`, then what is wrong, on one line.
fn assert_located(label: &str, error: &str) {
    assert!(!error.contains('\n'), "{label}: multi-line error: {error}");
    let rest = error
        .split_once("compose.yaml:")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{label}: error does not name the file: {error}"));
    let mut parts = rest.splitn(3, ':');
    let line = parts.next().unwrap_or_default();
    let col = parts.next().unwrap_or_default();
    assert!(
        line.parse::<usize>().is_ok_and(|n| n >= 1) && col.parse::<usize>().is_ok_and(|n| n >= 1),
        "{label}: error is not located at file:line:col: {error}"
    );
}

struct CliRun {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cli(dir: &Path, args: &[&str]) -> CliRun {
    let start = Instant::now();
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .timeout(LIMIT)
        .output()
        .expect("shipshape runs");
    let run = CliRun {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        start.elapsed() < LIMIT,
        "shipshape {args:?} was killed after {LIMIT:?} (hang?); stderr: {}",
        run.stderr
    );
    assert!(
        (0..=2).contains(&run.code),
        "shipshape {args:?} exited with {} (killed or crashed); stderr: {}",
        run.code,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "shipshape {args:?} panicked: {}",
        run.stderr
    );
    run
}

/// `check` and `fix` on `compose.yaml` holding `bytes`.
fn cli_on(bytes: &[u8]) -> [CliRun; 2] {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("compose.yaml"), bytes).expect("write input");
    [
        cli(
            dir.path(),
            &[
                "check",
                "--no-config",
                "--policy",
                "production",
                "compose.yaml",
            ],
        ),
        cli(
            dir.path(),
            &[
                "fix",
                "--no-config",
                "--policy",
                "production",
                "--unsafe-fixes",
                "compose.yaml",
            ],
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Hostile documents
// ---------------------------------------------------------------------------------------------

/// `levels` anchors, each a list of `width` aliases to the previous one: width^levels leaves.
fn laughs_seq(levels: usize, width: usize) -> String {
    let mut text = String::from("x-l0: &l0 [\"lol\"]\n");
    for level in 1..=levels {
        let items = vec![format!("*l{}", level - 1); width].join(", ");
        writeln!(text, "x-l{level}: &l{level} [{items}]").unwrap();
    }
    text
}

/// The same bomb with mappings, so it can be merged with `<<`.
fn laughs_map(levels: usize, width: usize) -> String {
    let mut text = String::from("x-m0: &m0 {lol: lol}\n");
    for level in 1..=levels {
        let items: Vec<String> = (0..width)
            .map(|i| format!("k{i}: *m{}", level - 1))
            .collect();
        writeln!(text, "x-m{level}: &m{level} {{{}}}", items.join(", ")).unwrap();
    }
    text
}

fn bombs() -> Vec<(&'static str, String)> {
    let seq = laughs_seq(9, 9);
    let map = laughs_map(9, 9);
    vec![
        (
            "bomb in x- extensions",
            format!("{seq}services:\n  web:\n    image: nginx\n"),
        ),
        (
            "bomb in environment",
            format!(
                "{seq}services:\n  web:\n    image: nginx\n    environment:\n      BOMB: *l9\n"
            ),
        ),
        (
            "bomb as environment",
            format!("{map}services:\n  web:\n    image: nginx\n    environment: *m9\n"),
        ),
        (
            "bomb merged with <<",
            format!("{map}services:\n  web:\n    <<: *m9\n    image: nginx\n"),
        ),
        (
            "bomb merged as a list with <<",
            format!("{map}services:\n  web:\n    <<: [*m9, *m8, *m7]\n    image: nginx\n"),
        ),
        ("bomb as a service", format!("{map}services:\n  web: *m9\n")),
        ("bomb as services", format!("{map}services: *m9\n")),
        (
            "bomb in labels and command",
            format!(
                "{seq}services:\n  web:\n    image: nginx\n    command: *l9\n    labels: *l8\n    ports: *l7\n"
            ),
        ),
    ]
}

#[test]
fn alias_bombs_are_bounded() {
    for (label, text) in bombs() {
        library(label, text.as_bytes(), "production");
    }
}

/// A policy file with every kind of generic rule, reading the values a bomb hides in.
const GENERIC_POLICY: &str = "name: hostile\nextends: production\n\
ensure:\n  - id: must-log\n    match: {labels: {tier: \"*\"}, has: [environment], missing: [x.y]}\n    \
values: {logging.driver: json-file}\n\
set:\n  - id: set-env\n    match: {image: \"**\", profiles: [a]}\n    values: {environment: {A: b}, labels: [x], command: [a], ports: [1]}\n  \
- id: set-all\n    values: {environment: {A: b}, labels: {a: b}, command: x, ports: [80]}\n\
remove:\n  - id: rm\n    keys: [environment.BOMB, labels, command]\n";

fn generic_policy_options(dir: &Path) -> RunOptions {
    let path = dir.join("policy.yaml");
    std::fs::write(&path, GENERIC_POLICY).expect("write policy");
    let config = Config::default();
    RunOptions {
        validate: true,
        lint: true,
        scopes: Scopes::single(
            Config::default(),
            configured(
                PolicySet::load(&[path.display().to_string()], &config).expect("policy loads"),
            ),
        ),
        ..RunOptions::default()
    }
}

#[test]
fn alias_bombs_under_generic_rules() {
    for (label, text) in bombs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = generic_policy_options(dir.path());
        let path = dir.path().join("compose.yaml");
        std::fs::write(&path, &text).expect("write input");
        bounded(label, LIMIT, move || {
            let sources = SourceCache::new();
            for report in pipeline::run(&[path], &sources, &options) {
                pipeline::fix_file(&report, true);
            }
        });
    }
}

#[test]
fn alias_bombs_through_the_binary() {
    for (label, text) in bombs().into_iter().take(4) {
        let [check, fix] = cli_on(text.as_bytes());
        assert!(check.code <= 2 && fix.code <= 2, "{label}");
    }
}

fn deep_block(depth: usize) -> String {
    let mut text = String::from("services:\n  web:\n    image: nginx\n    labels:\n");
    for level in 0..depth {
        let _ = writeln!(text, "{}k{level}:", " ".repeat(6 + level));
    }
    text
}

fn deep_block_seq(depth: usize) -> String {
    let mut text = String::from("services:\n  web:\n    image: nginx\n    command:\n");
    for level in 0..depth {
        let _ = writeln!(text, "{}-", " ".repeat(6 + 2 * level));
    }
    text
}

fn deep_flow(depth: usize) -> String {
    format!(
        "services:\n  web:\n    image: nginx\n    command: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

fn deep_flow_map(depth: usize) -> String {
    format!(
        "services:\n  web:\n    image: nginx\n    labels: {}x{}\n",
        "{a: ".repeat(depth),
        "}".repeat(depth)
    )
}

#[test]
fn deep_nesting_is_bounded() {
    for (label, text) in [
        ("10k block mappings", deep_block(10_000)),
        ("10k block sequences", deep_block_seq(10_000)),
        ("10k flow sequences", deep_flow(10_000)),
        ("10k flow mappings", deep_flow_map(10_000)),
        ("deep flow at the root", "[".repeat(10_000)),
        // Just under the parser's own limit: every later stage sees the deepest tree it can.
        ("240 block mappings", deep_block(240)),
        ("240 block sequences", deep_block_seq(240)),
        ("240 flow sequences", deep_flow(240)),
        ("240 flow mappings", deep_flow_map(240)),
    ] {
        library(label, text.as_bytes(), "production");
    }
}

fn deep_interpolation(depth: usize) -> String {
    format!(
        "services:\n  web:\n    image: nginx\n    environment:\n      A: \"{}x{}\"\n",
        "${A:-".repeat(depth),
        "}".repeat(depth)
    )
}

#[test]
fn deep_interpolation_is_an_error_not_a_stack_overflow() {
    let text = deep_interpolation(20_000);
    let outcome = library("20k nested defaults", text.as_bytes(), "production");
    assert!(outcome.findings > 0);
    let [check, _] = cli_on(text.as_bytes());
    assert!(
        check.stdout.contains("invalid interpolation format"),
        "{}",
        check.stdout
    );
}

#[test]
fn deep_nesting_through_the_binary() {
    for text in [deep_block(10_000), deep_flow(10_000)] {
        cli_on(text.as_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// Edge documents
// ---------------------------------------------------------------------------------------------

const EDGES: &[(&str, &str)] = &[
    ("empty file", ""),
    ("only comments", "# nothing\n# here\n"),
    ("document marker only", "---\n"),
    ("end marker only", "...\n"),
    (
        "multi-document",
        "services:\n  a:\n    image: nginx\n---\nservices:\n  b:\n    image: redis\n",
    ),
    ("scalar root", "hello\n"),
    ("null root", "~\n"),
    ("sequence root", "- services\n- a\n"),
    ("flow mapping root", "{services: {web: {image: nginx}}}\n"),
    ("services null", "services: null\n"),
    ("services empty", "services:\n"),
    ("services list", "services: []\n"),
    ("services scalar", "services: web\n"),
    ("service scalar", "services:\n  web: nginx\n"),
    ("service null", "services:\n  web:\n"),
    ("service list", "services:\n  web:\n    - image: nginx\n"),
    (
        "service alias",
        "x-base: &base\n  image: nginx\nservices:\n  web: *base\n  api: *base\n",
    ),
    (
        "service alias to a scalar",
        "x-base: &base nginx\nservices:\n  web: *base\n",
    ),
    ("integer key", "1: x\nservices:\n  web:\n    image: nginx\n"),
    (
        "integer service name",
        "services:\n  1:\n    image: nginx\n  2.5: {image: redis}\n",
    ),
    (
        "complex key",
        "? [a]\n: b\nservices:\n  web:\n    image: nginx\n",
    ),
    (
        "complex key in a service",
        "services:\n  web:\n    image: nginx\n    ? {a: b}\n    : c\n",
    ),
    ("flow complex key", "{[a]: b, services: {}}\n"),
    ("null key", "~: x\nservices:\n  web:\n    image: nginx\n"),
    ("empty key", ": x\n"),
    (
        "duplicate keys",
        "services:\n  web:\n    image: nginx\n    image: redis\n",
    ),
    (
        "duplicate services",
        "services:\n  web:\n    image: nginx\n  web:\n    image: redis\n",
    ),
    (
        "unknown tags",
        "services: !weird\n  web: !!binary\n    image: !foo nginx\n    ports: !bar [80]\n",
    ),
    (
        "bad core tags",
        "services:\n  web:\n    image: !!int nginx\n    cpus: !!float x\n    restart: !!map a\n",
    ),
    ("verbatim tag", "services: !<tag:x> {web: {image: nginx}}\n"),
    (
        "recursive alias",
        "x-a: &a\n  b: *a\nservices:\n  web:\n    <<: *a\n    image: nginx\n",
    ),
    ("self alias", "a: &a *a\n"),
    (
        "unknown alias",
        "services:\n  web:\n    <<: *nope\n    image: nginx\n",
    ),
    (
        "alias as key",
        "x: &k image\nservices:\n  web:\n    *k : nginx\n",
    ),
    (
        "merge of a scalar",
        "x: &s text\nservices:\n  web:\n    <<: *s\n    image: nginx\n",
    ),
    (
        "merge of a list of scalars",
        "x: &s text\nservices:\n  web:\n    <<: [*s, 1, null]\n    image: nginx\n",
    ),
    (
        "merge at the root",
        "<<: {services: {web: {image: nginx}}}\n",
    ),
    (
        "reset and override everywhere",
        "services: !reset\n  web: !override\n    image: !reset nginx\n    ports: !override [80]\n",
    ),
    (
        "interpolation errors",
        "services:\n  web:\n    image: ${IMG:?need an image}\n    ports: [\"${P:-}:${\"]\n    environment:\n      A: ${A:?}\n      B: $${x}\n      C: ${}\n      D: ${A:-${B:-${C}}}\n",
    ),
    ("tab indentation", "services:\n\tweb:\n\t\timage: nginx\n"),
    (
        "crlf",
        "services:\r\n  web:\r\n    image: nginx\r\n    ports:\r\n      - 80\r\n",
    ),
    ("bom", "\u{feff}services:\n  web:\n    image: nginx\n"),
    ("lone cr", "services:\r  web:\r    image: nginx\r"),
    (
        "block scalars",
        "services:\n  web:\n    image: |\n      nginx\n    command: >-\n\n    environment: |+\n",
    ),
    (
        "unterminated quote",
        "services:\n  web:\n    image: \"nginx\n",
    ),
    ("unterminated flow", "services: {web: [\n"),
    ("directive", "%YAML 1.1\n---\nservices: {}\n"),
    ("bad directive", "%YAML 9.9\n---\nservices: {}\n"),
    ("anchor without node", "services: &a\n"),
    (
        "huge numbers",
        "services:\n  web:\n    image: nginx\n    cpus: 1e999999\n    mem_limit: 99999999999999999999999999g\n    ports: [99999999999999999999:1]\n    shm_size: -0x8000000000000000\n",
    ),
    (
        "wrong types everywhere",
        "version: [1]\nservices:\n  web:\n    image: [nginx]\n    healthcheck: yes\n    deploy: 1\n    depends_on: 5\n    restart: {always: 1}\n    environment: 7\n    volumes: {a: b}\n    secrets: x\n    links: 1\n",
    ),
    (
        "extends loops",
        "services:\n  a:\n    extends: b\n  b:\n    extends: a\n  c:\n    extends: {service: c, file: compose.yaml}\n",
    ),
    (
        "include itself",
        "include:\n  - compose.yaml\n  - path: [compose.yaml, /nonexistent.yaml]\nservices: {}\n",
    ),
    (
        "depends_on cycles",
        "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: {a: {condition: service_healthy}}\n",
    ),
    (
        "unicode",
        "services:\n  wéb:\n    image: \"ngïnx:☃\"\n    environment: {\"🔑\": \"p@ss\u{200b}w0rd\"}\n",
    ),
];

#[test]
fn edge_documents_in_every_pack() {
    for (label, text) in EDGES {
        for pack in PACKS {
            library(&format!("{label} ({pack})"), text.as_bytes(), pack);
        }
    }
}

#[test]
fn edge_bytes_are_located_errors() {
    for (label, bytes, at) in [
        (
            "NUL",
            &b"services:\n  web:\n    image: ng\0inx\n"[..],
            "3:14",
        ),
        (
            "invalid UTF-8",
            &b"services:\n  web:\n    image: \xff\xfe\n"[..],
            "3:12",
        ),
        ("truncated UTF-8", &b"services:\n  w\xc3"[..], "2:4"),
        ("bad syntax", &b"services:\n  web:\n image: [\n"[..], ""),
    ] {
        let outcome = library(label, bytes, "production");
        assert_eq!(outcome.errors.len(), 1, "{label}: {:?}", outcome.errors);
        assert!(
            outcome.errors[0].contains(&format!("compose.yaml:{at}")),
            "{label}: {}",
            outcome.errors[0]
        );
        assert_eq!(outcome.findings, 0, "{label}");
        assert!(!outcome.fixed, "{label}");
        let [check, fix] = cli_on(bytes);
        for run in [check, fix] {
            assert_eq!(run.code, 2, "{label}: {}", run.stderr);
            let line = run
                .stderr
                .lines()
                .find(|l| l.contains("compose.yaml:"))
                .unwrap_or_else(|| panic!("{label}: no located error: {}", run.stderr));
            assert_located(label, line);
        }
    }
}

#[test]
fn bad_standard_input_is_a_located_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (label, bytes) in [
        ("invalid UTF-8", &b"services:\n  web: \xff\n"[..]),
        ("NUL", &b"services: \0\n"[..]),
        ("syntax", &b"services: [\n"[..]),
    ] {
        for command in ["check", "fix"] {
            let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_shipshape"))
                .current_dir(dir.path())
                .args([command, "--no-config", "-"])
                .write_stdin(bytes)
                .timeout(LIMIT)
                .output()
                .expect("shipshape runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{label} {command}: {stderr}");
            let errors: Vec<&str> = stderr
                .lines()
                .filter(|l| l.contains("compose.yaml:"))
                .collect();
            assert_eq!(
                errors.len(),
                1,
                "{label} {command}: one error line: {stderr}"
            );
            assert_located(label, errors[0]);
        }
    }
}

#[test]
fn edge_documents_through_the_binary() {
    for (label, text) in EDGES.iter().step_by(3) {
        let [check, fix] = cli_on(text.as_bytes());
        assert!(
            check.code <= 2 && fix.code <= 2,
            "{label}: {}",
            check.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------------

fn services(count: usize) -> String {
    let mut text = String::with_capacity(count * 64);
    text.push_str("services:\n");
    for i in 0..count {
        let _ = write!(
            text,
            "  s{i}:\n    image: nginx:latest\n    environment:\n      PASSWORD: hunter{i}\n"
        );
    }
    text
}

/// Every service of a large file is checked. How the time grows with the number of services
/// is measured by `benches/scale.sh` (1k vs 8k of these services; ratio in BENCHMARKS.md),
/// not timed here.
#[test]
fn many_services_are_all_checked() {
    let count = 8_000;
    let outcome = library_within(
        &format!("{count} services"),
        services(count).as_bytes(),
        "production",
        LIMIT * 3,
    );
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert!(outcome.findings >= count, "{count} services: findings");
}

/// About a minute in a debug build (a few seconds in release): run with `--ignored`.
#[test]
#[ignore = "slow in debug builds; run with --ignored"]
fn a_hundred_thousand_services_load_and_validate() {
    let text = services(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("compose.yaml");
    std::fs::write(&path, text).expect("write input");
    let reports = bounded("100k services", LIMIT * 3, move || {
        let sources = SourceCache::new();
        let options = RunOptions {
            validate: true,
            ..RunOptions::default()
        };
        pipeline::run(&[path], &sources, &options)
            .into_iter()
            .map(|r| (r.error.is_none(), r.findings.len()))
            .collect::<Vec<_>>()
    });
    assert_eq!(reports, vec![(true, 0)]);
}

#[test]
fn long_unknown_keys_and_values_stay_fast() {
    let mut text = String::from("services:\n  web:\n    image: nginx\n");
    for i in 0..60 {
        // Implicit keys stop at 1024 characters: longer ones must be explicit.
        let _ = writeln!(text, "    ? k{i}{}\n    : v", "x".repeat(20_000));
    }
    let _ = writeln!(text, "    restart: \"{}\"", "y".repeat(100_000));
    let _ = writeln!(text, "? x-{}\n: 1", "z".repeat(100_000));
    let outcome = library("long keys", text.as_bytes(), "production");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert!(outcome.findings >= 60);
}

#[test]
fn a_20_mb_file_is_handled() {
    // 20 MB of one long comment-free scalar plus many lines.
    let mut text = services(10);
    text.push_str("x-blob: \"");
    text.push_str(&"a".repeat(10 * 1024 * 1024));
    text.push_str("\"\nx-lines:\n");
    while text.len() < 20 * 1024 * 1024 {
        text.push_str("  - some padding line of text\n");
    }
    let outcome = library("20 MB", text.as_bytes(), "production");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
}

#[test]
fn files_above_the_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("compose.yaml");
    let file = std::fs::File::create(&path).expect("create");
    // Sparse: no disk or memory is used unless the file is read.
    file.set_len(8 * 1024 * 1024 * 1024).expect("sparse file");
    drop(file);
    let outcome = bounded("8 GB sparse file", LIMIT, move || {
        pipeline_on(&path, "production")
    });
    assert_eq!(outcome.errors.len(), 1);
    assert_located("8 GB", &outcome.errors[0]);
    assert!(outcome.errors[0].contains("limit"), "{}", outcome.errors[0]);
}

// ---------------------------------------------------------------------------------------------
// Unreadable paths
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn unreadable_paths_are_errors_not_hangs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir(root.join("dir")).unwrap();
    std::fs::create_dir(root.join("dir/compose.yaml")).unwrap();
    std::os::unix::fs::symlink(root.join("missing.yaml"), root.join("compose.yaml")).unwrap();
    let fifo = root.join("fifo/compose.yaml");
    std::fs::create_dir(root.join("fifo")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());

    // A directory named like a compose file is walked (and holds nothing).
    let r = cli(root, &["check", "--no-config", "dir/compose.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = cli(root, &["check", "--no-config", "dir"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A dangling symlink named explicitly cannot be read.
    for command in ["check", "fix", "validate"] {
        let r = cli(root, &[command, "--no-config", "compose.yaml"]);
        assert_eq!(r.code, 2, "{command}: {}", r.stderr);
        assert!(r.stderr.contains("compose.yaml"), "{command}: {}", r.stderr);
    }

    // Library: the same, as a report error.
    let sources = SourceCache::new();
    let reports = pipeline::run(
        &[root.join("compose.yaml"), root.join("dir/compose.yaml")],
        &sources,
        &options("production"),
    );
    assert!(reports.iter().all(|r| r.error.is_some()), "{reports:?}");

    if made {
        for command in ["check", "fix", "validate"] {
            let r = cli(root, &[command, "--no-config", "fifo/compose.yaml"]);
            assert_eq!(r.code, 2, "{command}: {}", r.stderr);
            assert!(
                r.stderr.contains("not a regular file"),
                "{command}: {}",
                r.stderr
            );
        }
        // Walking a directory skips it.
        let r = cli(root, &["check", "--no-config", "fifo"]);
        assert!(r.code <= 1, "{}", r.stderr);
        let path = fifo.clone();
        let outcome = bounded("fifo", LIMIT, move || pipeline_on(&path, "production"));
        assert_eq!(outcome.errors.len(), 1);
    }
}

#[cfg(unix)]
#[test]
fn device_files_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("compose.yaml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let r = cli(dir.path(), &["check", "--no-config", "compose.yaml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Mutated corpus files
// ---------------------------------------------------------------------------------------------

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SNIPPETS: &[&[u8]] = &[
    b"&a ",
    b"*a",
    b"<<: *a",
    b"<<: [*a, *a]",
    b"!reset ",
    b"!override ",
    b"${X:?}",
    b"${X:-${Y}}",
    b"$",
    b"\t",
    b"\r\n",
    b"\r",
    b"\xef\xbb\xbf",
    b"\0",
    b"\xff",
    b"\xc3",
    b"- ",
    b": ",
    b"? ",
    b"{",
    b"]",
    b"\"",
    b"'",
    b"|\n",
    b"#",
    b"---\n",
    b"...\n",
    b"!!binary ",
    b"*zzz",
    b"x-a: &a {image: nginx}\n",
];

fn lines_of(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            lines.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        lines.push(start..bytes.len());
    }
    lines
}

fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) {
    let lines = lines_of(bytes);
    let line = if lines.is_empty() {
        0..0
    } else {
        lines[rng.below(lines.len())].clone()
    };
    match rng.below(9) {
        0 => {
            bytes.drain(line);
        }
        1 => {
            let copy = bytes[line.clone()].to_vec();
            bytes.splice(line.start..line.start, copy);
        }
        2 => {
            let other = if lines.is_empty() {
                0..0
            } else {
                lines[rng.below(lines.len())].clone()
            };
            let copy = bytes[other].to_vec();
            bytes.splice(line.start..line.start, copy);
        }
        3 => {
            // Swap indentation: add or remove two leading spaces.
            if bytes[line.clone()].starts_with(b"  ") && rng.below(2) == 0 {
                bytes.drain(line.start..line.start + 2);
            } else {
                bytes.splice(line.start..line.start, b"  ".iter().copied());
            }
        }
        4 => {
            // Indentation with tabs.
            let indent = bytes[line.clone()]
                .iter()
                .take_while(|b| **b == b' ')
                .count();
            bytes.splice(
                line.start..line.start + indent,
                vec![b'\t'; indent.div_ceil(2)],
            );
        }
        5 => {
            // Whole-file CRLF.
            let mut out = Vec::with_capacity(bytes.len() + lines.len());
            for b in bytes.iter() {
                if *b == b'\n' {
                    out.push(b'\r');
                }
                out.push(*b);
            }
            *bytes = out;
        }
        6 => {
            let at = rng.below(bytes.len() + 1);
            let len = rng.below(8).min(bytes.len() - at);
            bytes.drain(at..at + len);
        }
        _ => {
            let snippet = SNIPPETS[rng.below(SNIPPETS.len())];
            let at = if rng.below(2) == 0 {
                // After the key on a line, where anchors and tags bite.
                bytes[line.clone()]
                    .iter()
                    .position(|b| *b == b':')
                    .map_or(line.start, |i| (line.start + i + 2).min(line.end))
            } else {
                rng.below(bytes.len() + 1)
            };
            bytes.splice(at..at, snippet.iter().copied());
        }
    }
}

#[test]
#[ignore = "needs ../shared: run via .ci/run"]
fn mutated_corpus_files_never_panic() {
    let corpus = document_support::corpus_files();
    let cases: usize = std::env::var("SHIPSHAPE_ROBUST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("SHIPSHAPE_ROBUST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe_f00d_0001);
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut inputs: Vec<(String, PathBuf)> = Vec::new();
    for case in 0..cases {
        let (name, path) = &corpus[rng.below(corpus.len())];
        let mut bytes = std::fs::read(path).expect("corpus file reads");
        let rounds = 1 + rng.below(4);
        for _ in 0..rounds {
            mutate(&mut bytes, &mut rng);
        }
        let case_dir = dir.path().join(format!("case{case}"));
        std::fs::create_dir(&case_dir).unwrap();
        let file = case_dir.join("compose.yaml");
        std::fs::write(&file, &bytes).unwrap();
        inputs.push((format!("case {case} ({name}, seed {seed:#x})"), file));
    }
    for (case, (label, path)) in inputs.into_iter().enumerate() {
        let pack = PACKS[case % PACKS.len()];
        let label = format!("{label} [{pack}]");
        let errors = bounded(&label, LIMIT, move || {
            let sources = SourceCache::new();
            let reports = pipeline::run(&[path], &sources, &options(pack));
            for report in &reports {
                let fix = pipeline::fix_file(report, true);
                let entries = [Entry {
                    report,
                    fix: Some(&fix),
                }];
                let _ = report::text::render(&entries, &Style::default());
                let _ = report::json::render(&entries, &Style::default());
                let _ = report::sarif::render(&entries, &Style::default());
                let _ = report::github::render(&entries, &Style::default());
            }
            reports
                .iter()
                .filter_map(|r| r.error.as_ref().map(std::string::ToString::to_string))
                .collect::<Vec<_>>()
        });
        for error in errors {
            assert_located(&label, &error);
        }
    }
}

fn configured(policy: PolicySet) -> std::sync::Arc<ActiveRules> {
    std::sync::Arc::new(ActiveRules::configure(&policy).expect("the policy's rules configure"))
}
