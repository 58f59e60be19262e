//! The secret classifier against the hand-labelled set from the corpus
//! (`tests/fixtures/secrets/labelled.tsv`): precision and recall must both stay ≥ 0.95, and
//! every misclassified entry is printed with its label's reason and the classifier's verdict.

use std::path::Path;

use shipshape::secrets::detect::classify;

const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.95;

struct Labelled {
    key: String,
    value: String,
    secret: bool,
    reason: String,
    source: String,
}

/// TSV fields escape `\\`, `\t`, `\n`, `\r`.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            other => panic!("unknown escape \\{other:?} in {field:?}"),
        }
    }
    out
}

fn labelled_set() -> Vec<Labelled> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets/labelled.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("labelled set missing at {}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some("key\tvalue\tlabel\treason\tsource"),
        "header"
    );
    lines
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 5, "row {}: {line:?}", i + 1);
            let secret = match fields[2] {
                "secret" => true,
                "not-secret" => false,
                other => panic!("row {}: label {other:?}", i + 1),
            };
            Labelled {
                key: unescape(fields[0]),
                value: unescape(fields[1]),
                secret,
                reason: fields[3].to_string(),
                source: fields[4].to_string(),
            }
        })
        .collect()
}

#[test]
fn precision_and_recall_on_the_labelled_corpus_set() {
    let set = labelled_set();
    assert!(set.len() >= 300, "only {} labelled entries", set.len());
    let (mut true_pos, mut false_pos, mut false_neg) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for entry in &set {
        let verdict = classify(&entry.key, &entry.value);
        match (entry.secret, verdict.is_secret()) {
            (true, true) => true_pos += 1,
            (false, true) => false_pos += 1,
            (true, false) => false_neg += 1,
            (false, false) => {}
        }
        if entry.secret != verdict.is_secret() {
            wrong.push(format!(
                "  {}={:?}\n    labelled {} ({}), classified {verdict}  [{}]",
                entry.key,
                entry.value,
                if entry.secret { "secret" } else { "not-secret" },
                entry.reason,
                entry.source
            ));
        }
    }
    let precision = true_pos as f64 / (true_pos + false_pos).max(1) as f64;
    let recall = true_pos as f64 / (true_pos + false_neg).max(1) as f64;
    let secrets = set.iter().filter(|e| e.secret).count();
    println!(
        "{} entries ({secrets} secrets): precision {precision:.3} ({true_pos}/{}), recall \
         {recall:.3} ({true_pos}/{})",
        set.len(),
        true_pos + false_pos,
        true_pos + false_neg
    );
    if !wrong.is_empty() {
        println!("misclassified:\n{}", wrong.join("\n"));
    }
    assert!(
        precision >= MIN_PRECISION && recall >= MIN_RECALL,
        "precision {precision:.3}, recall {recall:.3}; misclassified:\n{}",
        wrong.join("\n")
    );
}
