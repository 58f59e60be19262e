//! Literal secrets in `environment:` entries: which values are secrets ([`detect`]), how to write
//! them to an env file that Compose reads back byte for byte ([`dotenv`]), and how to hide them
//! in any text we print without garbling the rest ([`redact`]).
//!
//! The layer knows nothing about YAML documents or findings: it works on keys, values and text,
//! so `env-secrets` and every report format can share one notion of "a secret".

mod argv;
pub mod detect;
pub mod dotenv;
pub mod redact;

/// Every concatenation of `n` of `parts` (repeats allowed), for never-panic tests of parsers.
#[cfg(test)]
pub(crate) fn joined_fragments(parts: &[&str], n: usize) -> Vec<String> {
    (0..n).fold(vec![String::new()], |texts, _| {
        texts
            .iter()
            .flat_map(|t| parts.iter().map(move |p| format!("{t}{p}")))
            .collect()
    })
}
