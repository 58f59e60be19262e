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

thread_local! {
    /// Whether the project being validated on this thread was interpolated: then a `$` left
    /// in a value is literal text (written `$$`), not a variable.
    static INTERPOLATED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records whether the project about to be validated on this thread was interpolated.
pub(super) fn set_interpolated(interpolated: bool) {
    INTERPOLATED.set(interpolated);
}

/// Whether the project being validated on this thread was interpolated.
pub(super) fn interpolated() -> bool {
    INTERPOLATED.get()
}

/// A Go duration (`1h30m`, `10s`, `1.5m`, `0`), as Compose parses durations.
pub fn is_duration(text: &str) -> bool {
    // Left uninterpolated (`--no-interpolate`): Compose takes a variable for any string.
    if text.contains('$') && !interpolated() {
        return true;
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if body == "0" {
        return true;
    }
    if body.is_empty() {
        return false;
    }
    let mut rest = body;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[number_end..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len());
        match unit {
            Some(unit) => rest = &rest[unit.len()..],
            None => return false,
        }
    }
    true
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
}
