//! Malformed input never panics validation: every corpus file mutated in several ways
//! (truncated, lines dropped or repeated, values swapped for odd YAML), plus random
//! token soup from proptest. Only parseable texts reach validation (the pipeline reports
//! the rest); what matters here is that validation returns findings instead of panicking.

use crate::common;
use common::shared_dir;

use std::path::Path;

use proptest::prelude::*;
use shipshape::compose::Variables;
use shipshape::schema::{ValidateOptions, validate_project_with_env};
use shipshape::source::SourceCache;

/// Validates `text` as if it were a file at `path`; panics propagate to the test.
fn validate_text(path: &Path, text: &str) {
    let sources = SourceCache::new();
    if sources.insert_text(path, text).is_err() {
        return;
    }
    for interpolate in [true, false] {
        let options = ValidateOptions {
            interpolate,
            env_files: Vec::new(),
        };
        let _ =
            validate_project_with_env(&[path.to_path_buf()], &sources, &options, &Variables::new());
    }
}

/// Deterministic mutations of one text, chosen by `seed`.
fn mutations(text: &str, seed: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len().max(1);
    let pick = |k: usize| (seed.wrapping_mul(2654435761).wrapping_add(k * 40503)) % n;
    let mut out = Vec::new();
    let cut = text
        .char_indices()
        .map(|(i, _)| i)
        .nth((seed * 7919) % text.chars().count().max(1))
        .unwrap_or(0);
    out.push(text[..cut].to_string());
    let drop = pick(1);
    out.push(
        lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let repeat = pick(2);
    out.push(
        lines
            .iter()
            .enumerate()
            .flat_map(|(i, l)| if i == repeat { vec![*l, *l] } else { vec![*l] })
            .collect::<Vec<_>>()
            .join("\n"),
    );
    for (k, odd) in [
        "[",
        "{}",
        "*nope",
        "!reset",
        "${",
        "${X:?}",
        "- x",
        "<<: 5",
        "~",
        "[1, {a: b}]",
        "&a [*a]",
    ]
    .iter()
    .enumerate()
    {
        let at = pick(3 + k);
        let mutated: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| match (i == at, l.split_once(": ")) {
                (true, Some((key, _))) => format!("{key}: {odd}"),
                (true, None) => format!("{l} {odd}"),
                _ => (*l).to_string(),
            })
            .collect();
        out.push(mutated.join("\n"));
    }
    out
}

#[test]
#[ignore = "needs ../shared: run via .ci/run"]
fn mutated_corpus_files_never_panic() {
    let files = common::yaml_files(&shared_dir().join("corpus"));
    assert!(!files.is_empty(), "corpus not found; set SHIPSHAPE_SHARED");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("compose.yaml");
    for (seed, file) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for mutated in mutations(&text, seed) {
            let outcome = std::panic::catch_unwind(|| validate_text(&path, &mutated));
            assert!(
                outcome.is_ok(),
                "validation panicked on a mutation of {}:\n{mutated}",
                file.display()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(prop_oneof![
        Just("services:\n"), Just("  web:\n"), Just("    image: x\n"), Just("    ports: [\"80:80\", \"a:\"]\n"),
        Just("    depends_on: [web]\n"), Just("    extends: web\n"), Just("    extends: {file: x.yaml, service: a}\n"),
        Just("include: [a.yaml, {path: [b.yaml]}]\n"), Just("x-a: &a {restart: always}\n"), Just("    <<: *a\n"),
        Just("    environment: ${V:?e}\n"), Just("    volumes: [\":/x\", \"v:/y\"]\n"), Just("networks: {n: }\n"),
        Just("    networks: !reset []\n"), Just("    mem_limit: 1q\n"), Just("  - a\n"), Just("version: 3\n"), Just("web:\n"),
    ], 0..12)) {
        let text: String = tokens.concat();
        let dir = tempfile::tempdir().expect("temp dir");
        validate_text(&dir.path().join("compose.yaml"), &text);
    }
}
