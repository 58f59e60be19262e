//! Document-engine benchmarks (plain `harness = false` main, timed with `Instant`):
//!
//! * parse + index every file of the public corpus;
//! * parse + 10 edits + verification on every corpus file with services;
//! * the same on a generated ~10 MB compose file with 5,000 services, plus a linearity check
//!   (parse, and look up / locate every service, at 1,250, 2,500 and 5,000 services).
//!
//! Run: `cargo bench --bench document`. Shared data: `<CARGO_MANIFEST_DIR>/../shared` or
//! `$SHIPSHAPE_SHARED`.

use std::hint::black_box;
use std::path::{Path as FsPath, PathBuf};
use std::time::{Duration, Instant};

use shipshape::document::{Document, Edit, EditGroup, Path, Value};

fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("SHIPSHAPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    assert!(
        dir.join("corpus").is_dir(),
        "shared data not found at {}: check out the project's shared data (corpus/) next to the \
         repository or set SHIPSHAPE_SHARED",
        dir.display()
    );
    dir
}

fn walk(dir: &FsPath, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

fn corpus() -> Vec<String> {
    let mut files = Vec::new();
    walk(&shared_dir().join("corpus"), &mut files);
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// Minimum and median of `runs` timings of `f`.
fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[runs / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, (min, median): (Duration, Duration)) {
    println!(
        "{what:<58} min {:>9.2} ms   median {:>9.2} ms",
        ms(min),
        ms(median)
    );
}

/// Ten `Set` edits spread over the document's services (none when it has no services).
fn ten_edits(doc: &Document) -> Vec<Edit> {
    let Some(services) = doc.lookup(&Path::root().key("services")) else {
        return Vec::new();
    };
    let names: Vec<String> = services
        .entries()
        .filter(|(_, v)| v.is_mapping())
        .filter_map(|(k, _)| k.as_str().map(String::from))
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    (0..10)
        .map(|i| {
            let service = Path::root()
                .key("services")
                .key(names[i % names.len()].clone());
            // One key per (service, pass): the ten edits never conflict with each other.
            let (path, value) = match i / names.len() {
                0 => (service.key("restart"), "unless-stopped".to_string()),
                1 => (service.key("x-flag"), "yes".to_string()),
                2 => (
                    service
                        .key("deploy")
                        .key("resources")
                        .key("limits")
                        .key("memory"),
                    "512M".to_string(),
                ),
                _ => (service.key(format!("x-bench-{i}")), format!("v{i}")),
            };
            Edit::Set {
                path,
                value: Value::str(value),
            }
        })
        .collect()
}

/// A compose file with `n` services of about 2 KB each.
fn generated(n: usize) -> String {
    let mut out = String::from("# generated for benchmarks\nservices:\n");
    for i in 0..n {
        out.push_str(&format!(
            "  svc-{i}:\n    image: \"registry.example.com/team/app-{i}:1.2.3\"\n    container_name: app-{i}\n    restart: unless-stopped\n    ports:\n      - \"{}:80\"\n      - '{}:443'\n    environment:\n",
            8000 + i % 1000,
            9000 + i % 1000
        ));
        for j in 0..36 {
            out.push_str(&format!("      KEY_{j}: \"value-{i}-{j}\" # setting {j}\n"));
        }
        out.push_str(&format!(
            "    labels:\n      - \"traefik.http.routers.app{i}.rule=Host(`app{i}.example.com`)\"\n    volumes: [./data/{i}:/data, logs:/var/log]\n    command: [\"serve\", \"--port\", \"80\"]\n    healthcheck:\n      test: |\n        curl -f http://localhost/{i}\n      interval: 30s\n\n"
        ));
    }
    out
}

/// Looks up and locates every service and its image: must stay linear in the file size.
fn visit_services(doc: &Document, what: u8) -> usize {
    let services = doc.lookup(&Path::root().key("services")).expect("services");
    let mut total = 0;
    for (key, _) in services.entries() {
        let name = key.as_str().unwrap_or_default();
        let path = Path::root().key("services").key(name).key("image");
        let image = doc.lookup(&path).expect("image");
        total += match what {
            0 => doc.line_col(image.span().start).0,
            1 => doc.aliases_of(image.id).len(),
            2 => image.path().segments().len(),
            _ => 0,
        };
    }
    total
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    println!(
        "document engine benchmarks ({} available cores)",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    let files = corpus();
    let bytes: usize = files.iter().map(String::len).sum();
    println!(
        "corpus: {} files, {:.2} MB",
        files.len(),
        bytes as f64 / 1e6
    );
    report(
        "corpus: parse + index every file",
        time(20, || {
            for text in &files {
                black_box(Document::parse(text).ok());
            }
        }),
    );
    let docs: Vec<Document> = files
        .iter()
        .filter_map(|t| Document::parse(t).ok())
        .collect();
    let batches: Vec<(usize, Vec<Edit>)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (i, ten_edits(d)))
        .filter(|(_, e)| !e.is_empty())
        .collect();
    let mut refused = 0;
    let timing = time(5, || {
        refused = 0;
        for (i, edits) in &batches {
            let doc = Document::parse(docs[*i].text()).expect("parsed before");
            let outcome = doc.apply(&one_per_edit(edits));
            refused += outcome.refused().count();
            black_box(outcome.text);
        }
    });
    report(
        &format!(
            "corpus: parse + 10 edits + verify ({} files)",
            batches.len()
        ),
        timing,
    );
    println!("  ({refused} of {} edits refused)", batches.len() * 10);

    for n in [1250, 2500, 5000] {
        let text = generated(n);
        let mb = text.len() as f64 / 1e6;
        let parse = time(5, || {
            black_box(Document::parse(&text).expect("generated text is valid"));
        });
        report(
            &format!("generated {n} services ({mb:.1} MB): parse + index"),
            parse,
        );
        println!("  {:.2} ms per MB", ms(parse.0) / mb);
        let doc = Document::parse(&text).expect("generated text is valid");
        let visits = [
            (3, "lookup"),
            (0, "lookup + line_col"),
            (1, "lookup + aliases_of"),
            (2, "lookup + path"),
        ];
        for (what, label) in visits {
            report(
                &format!("generated {n} services: {label} of every image"),
                time(5, || {
                    black_box(visit_services(&doc, what));
                }),
            );
        }
        if n == 5000 {
            let edits = ten_edits(&doc);
            let mut outcome = None;
            report(
                "generated 5000 services: parse + 10 edits + verify",
                time(3, || {
                    let doc = Document::parse(&text).expect("generated text is valid");
                    outcome = Some(doc.apply(&one_per_edit(&edits)));
                }),
            );
            let outcome = outcome.expect("ran");
            let refused: Vec<_> = outcome.refused().collect();
            assert!(refused.is_empty(), "{refused:?}");
        }
    }
}

/// Each edit as its own group, as independent fixes reach the engine.
fn one_per_edit(edits: &[Edit]) -> Vec<EditGroup> {
    edits.iter().map(|e| EditGroup::new([e.clone()])).collect()
}
