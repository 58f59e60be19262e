//! Validation speed over the whole corpus on one core: every file validated alone (schema +
//! semantic checks, one compiled validator shared by all), sources already parsed — the
//! figure the pipeline adds on top of loading. Also prints the time including parsing.
//!
//!   cargo bench --bench validate
//!
//! Plain `std::time` timing (no harness): the best and median of several passes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shipshape::compose::Variables;
use shipshape::schema::{ValidateOptions, validate_project_with_env};
use shipshape::source::SourceCache;

const PASSES: usize = 15;

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            corpus_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

fn validate_all(files: &[PathBuf], sources: &SourceCache) -> usize {
    let options = ValidateOptions::default();
    let env = Variables::new();
    files
        .iter()
        .map(|f| validate_project_with_env(std::slice::from_ref(f), sources, &options, &env).len())
        .sum()
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: best {:.1} ms, median {:.1} ms over {} passes",
        ms(times[0]),
        ms(times[times.len() / 2]),
        times.len()
    );
}

fn main() {
    let shared = std::env::var_os("SHIPSHAPE_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let mut files = Vec::new();
    corpus_files(&shared.join("corpus"), &mut files);
    files.sort();
    if files.is_empty() {
        eprintln!(
            "corpus not found under {} (set SHIPSHAPE_SHARED)",
            shared.display()
        );
        std::process::exit(2);
    }
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    println!("corpus: {} files, {} bytes", files.len(), bytes);

    let sources = SourceCache::new();
    let findings = validate_all(&files, &sources); // warms the cache and compiles the schema
    println!("findings: {findings}");
    let warm: Vec<Duration> = (0..PASSES)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(validate_all(&files, &sources));
            start.elapsed()
        })
        .collect();
    report("validate (sources parsed)", warm);
    let cold: Vec<Duration> = (0..PASSES.min(5))
        .map(|_| {
            let fresh = SourceCache::new();
            let start = Instant::now();
            std::hint::black_box(validate_all(&files, &fresh));
            start.elapsed()
        })
        .collect();
    report("read + parse + validate", cold);
}
