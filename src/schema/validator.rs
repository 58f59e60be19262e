//! The compiled Compose schema, built once per process and shared by every validation.
//!
//! The schema (`schemas/compose-spec.json`) is embedded; the one format it names, `duration`,
//! is checked the way Compose parses durations (Go's syntax).

use std::sync::LazyLock;

use jsonschema::Validator;

const SCHEMA_TEXT: &str = include_str!("../../schemas/compose-spec.json");

/// The schema as JSON, for looking up the keys an object allows (suggestions).
pub(super) static SCHEMA: LazyLock<serde_json::Value> = LazyLock::new(|| {
    // The embedded schema is checked by this crate's tests; it cannot fail at runtime.
    serde_json::from_str(SCHEMA_TEXT).expect("embedded compose schema is valid JSON")
});

pub(super) static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    jsonschema::options()
        .should_validate_formats(true)
        .with_format("duration", is_duration)
        .build(&SCHEMA)
        // Same: the tests compile it, so a broken schema never ships.
        .expect("embedded compose schema compiles")
});

/// A Go duration (`1h30m`, `10s`, `1.5m`, `0`), as Compose parses durations.
pub fn is_duration(text: &str) -> bool {
    // Left uninterpolated (`--no-interpolate`): Compose takes a variable for any string.
    text.contains('$') || duration_seconds(text).is_some()
}

/// The length of a Go duration in seconds; `None` when `text` is not one.
pub fn duration_seconds(text: &str) -> Option<f64> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(body) => (-1.0, body),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if body == "0" {
        return Some(0.0);
    }
    if body.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = body;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        rest = &rest[number_end..];
        let (unit, seconds) = [
            ("ns", 1e-9),
            ("us", 1e-6),
            ("µs", 1e-6),
            ("μs", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
        ]
        .into_iter()
        .filter(|(u, _)| rest.starts_with(*u))
        .max_by_key(|(u, _)| u.len())?;
        rest = &rest[unit.len()..];
        total += number.parse::<f64>().ok()? * seconds;
    }
    Some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_compiles() {
        assert!(VALIDATOR.is_valid(&serde_json::json!({"services": {"web": {"image": "nginx"}}})));
        assert!(!VALIDATOR.is_valid(&serde_json::json!({"services": {"web": {"restrat": "no"}}})));
    }

    #[test]
    fn durations_follow_go() {
        for ok in ["10s", "1m30s", "1.5h", "0", "500ms", "2us"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "10", "10x", "s", "1..5s", "1 s"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn durations_have_lengths() {
        assert_eq!(duration_seconds("1m30s"), Some(90.0));
        assert_eq!(duration_seconds("500ms"), Some(0.5));
        assert_eq!(duration_seconds("-1.5h"), Some(-5400.0));
        assert_eq!(duration_seconds("0"), Some(0.0));
        assert_eq!(duration_seconds("10"), None);
    }
}
