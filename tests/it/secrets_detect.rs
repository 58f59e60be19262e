//! The secret classifier against the hand-labelled set from the corpus
//! (`tests/fixtures/secrets/labelled.tsv`): precision and recall must both stay ≥ 0.95, and
//! every misclassified entry is printed with its label's reason and the classifier's verdict.

use std::path::Path;

use shipshape::secrets::detect::classify;

const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.95;

/// One row of a labelled TSV set (`labelled.tsv`, `holdout.tsv`).
pub(crate) struct Labelled {
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) secret: bool,
    pub(crate) reason: String,
    pub(crate) source: String,
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
    load_set("labelled.tsv")
}

/// Loads `tests/fixtures/secrets/<name>` (columns key, value, label, reason, source; `#` lines
/// are comments).
pub(crate) fn load_set(name: &str) -> Vec<Labelled> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/secrets")
        .join(name);
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

/// The classifier's score on a labelled set, with every misclassified entry described.
pub(crate) struct Score {
    pub(crate) entries: usize,
    pub(crate) secrets: usize,
    pub(crate) true_pos: usize,
    pub(crate) false_pos: usize,
    pub(crate) false_neg: usize,
    pub(crate) wrong: Vec<String>,
}

impl Score {
    pub(crate) fn precision(&self) -> f64 {
        self.true_pos as f64 / (self.true_pos + self.false_pos).max(1) as f64
    }

    pub(crate) fn recall(&self) -> f64 {
        self.true_pos as f64 / (self.true_pos + self.false_neg).max(1) as f64
    }

    /// Prints the figures and the misclassified entries.
    pub(crate) fn print(&self) {
        println!(
            "{} entries ({} secrets): precision {:.3} ({}/{}), recall {:.3} ({}/{})",
            self.entries,
            self.secrets,
            self.precision(),
            self.true_pos,
            self.true_pos + self.false_pos,
            self.recall(),
            self.true_pos,
            self.true_pos + self.false_neg
        );
        if !self.wrong.is_empty() {
            println!("misclassified:\n{}", self.wrong.join("\n"));
        }
    }
}

/// Classifies every entry of `set` and counts hits and misses.
pub(crate) fn score(set: &[Labelled]) -> Score {
    let (mut true_pos, mut false_pos, mut false_neg) = (0usize, 0usize, 0usize);
    let mut wrong = Vec::new();
    for entry in set {
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
    Score {
        entries: set.len(),
        secrets: set.iter().filter(|e| e.secret).count(),
        true_pos,
        false_pos,
        false_neg,
        wrong,
    }
}

#[test]
fn precision_and_recall_on_the_labelled_corpus_set() {
    let set = labelled_set();
    assert!(set.len() >= 300, "only {} labelled entries", set.len());
    let score = score(&set);
    score.print();
    let (precision, recall) = (score.precision(), score.recall());
    assert!(
        precision >= MIN_PRECISION && recall >= MIN_RECALL,
        "precision {precision:.3}, recall {recall:.3}; misclassified:\n{}",
        score.wrong.join("\n")
    );
}
