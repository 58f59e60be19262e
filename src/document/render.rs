//! Rendering new values in the style of the file around them.
//!
//! A string is written plain only when every YAML 1.1 and 1.2 reader would load it back as
//! the same string: `8080:80` (base-60 in 1.1), `yes`/`on` (booleans in 1.1), `0755`, `1e3`,
//! `null`, dates and anything starting with an indicator are quoted.

use super::index::Style;
use super::value::Value;

/// The file's conventions, detected once per document.
#[derive(Debug, Clone)]
pub struct Format {
    pub eol: &'static str,
    pub unit: usize,
    /// Block sequences under a key are indented (`key:\n  - a`) rather than flush (`key:\n- a`).
    pub indent_sequences: bool,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            eol: "\n",
            unit: 2,
            indent_sequences: true,
        }
    }
}

const RESERVED_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~", "<<",
    "=",
];

fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan")
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || lower.starts_with("0b")
    {
        return true;
    }
    let digitish = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | ':' | 'e' | 'E' | '-' | '+'));
    digitish && body.chars().any(|c| c.is_ascii_digit())
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// Whether `s` can be written as a plain scalar and read back as the same string.
pub fn plain_safe(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if RESERVED_WORDS.contains(&s) || looks_numeric(s) || looks_like_date(s) {
        return false;
    }
    if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        let second = s.chars().nth(1);
        let dash_ok = matches!(first, '-' | '?' | ':')
            && second.is_some_and(|c| !c.is_whitespace() && !",[]{}".contains(c));
        if !dash_ok {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') {
        return false;
    }
    if in_flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    !s.chars().any(char::is_control)
}

pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn single_quoted(s: &str) -> Option<String> {
    if s.chars().any(char::is_control) {
        return None;
    }
    Some(format!("'{}'", s.replace('\'', "''")))
}

/// Renders a string in `style` when that style can represent it, else safely.
pub fn string(s: &str, style: Option<Style>, in_flow: bool) -> String {
    match style {
        Some(Style::SingleQuoted) => single_quoted(s).unwrap_or_else(|| double_quoted(s)),
        Some(Style::DoubleQuoted) => double_quoted(s),
        _ if plain_safe(s, in_flow) => s.to_string(),
        _ => double_quoted(s),
    }
}

/// Renders a scalar value; `style` is the preferred quoting for strings.
pub fn scalar(value: &Value, style: Option<Style>, in_flow: bool) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Float(x) => {
            let text = x.to_string();
            if text.contains(['.', 'e', 'E']) || !x.is_finite() {
                text
            } else {
                format!("{text}.0")
            }
        }
        Value::Str(s) => string(s, style, in_flow),
        Value::Seq(_) | Value::Map(_) => flow(value, style),
        // Flow collections quote their strings unless the neighbours say otherwise.
        Value::Flow(inner) => flow(inner, style.or(Some(Style::DoubleQuoted))),
    }
}

/// Renders any value in flow style: `{a: 1, b: [x, y]}`.
pub fn flow(value: &Value, style: Option<Style>) -> String {
    match value {
        Value::Seq(items) => {
            let parts: Vec<String> = items.iter().map(|v| flow(v, style)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", string(k, None, true), flow(v, style)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        scalar_value => scalar(scalar_value, style, true),
    }
}

fn pad(col: usize) -> String {
    " ".repeat(col)
}

/// The text that follows `key:` for a value whose key sits at column `key_col`:
/// ` scalar`, ` {}`, or a line break and the nested block lines.
pub fn after_key(value: &Value, key_col: usize, fmt: &Format, style: Option<Style>) -> String {
    match value {
        Value::Map(entries) if !entries.is_empty() => {
            let col = key_col + fmt.unit;
            format!(
                "{}{}{}",
                fmt.eol,
                pad(col),
                mapping_lines(entries, col, fmt, style)
            )
        }
        Value::Seq(items) if !items.is_empty() => {
            let col = if fmt.indent_sequences {
                key_col + fmt.unit
            } else {
                key_col
            };
            format!(
                "{}{}{}",
                fmt.eol,
                pad(col),
                sequence_lines(items, col, fmt, style)
            )
        }
        other => format!(" {}", scalar(other, style, false)),
    }
}

/// Block mapping lines at column `col`; the first line carries no indentation (the caller
/// has already placed the cursor there).
pub fn mapping_lines(
    entries: &[(String, Value)],
    col: usize,
    fmt: &Format,
    style: Option<Style>,
) -> String {
    let lines: Vec<String> = entries
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                string(k, None, false),
                after_key(v, col, fmt, style)
            )
        })
        .collect();
    lines.join(&format!("{}{}", fmt.eol, pad(col)))
}

/// Block sequence lines with dashes at column `col`; the first line carries no indentation.
pub fn sequence_lines(items: &[Value], col: usize, fmt: &Format, style: Option<Style>) -> String {
    let lines: Vec<String> = items
        .iter()
        .map(|v| format!("- {}", item(v, col + 2, fmt, style)))
        .collect();
    lines.join(&format!("{}{}", fmt.eol, pad(col)))
}

/// A sequence item's text after `- `, whose content column is `col`.
pub fn item(value: &Value, col: usize, fmt: &Format, style: Option<Style>) -> String {
    match value {
        Value::Map(entries) if !entries.is_empty() => mapping_lines(entries, col, fmt, style),
        Value::Seq(items) if !items.is_empty() => sequence_lines(items, col, fmt, style),
        other => scalar(other, style, false),
    }
}

/// A block value placed where a node starts at column `col` (replacing that node).
pub fn block_at(value: &Value, col: usize, fmt: &Format, style: Option<Style>) -> String {
    match value {
        Value::Map(entries) if !entries.is_empty() => mapping_lines(entries, col, fmt, style),
        Value::Seq(items) if !items.is_empty() => sequence_lines(items, col, fmt, style),
        other => scalar(other, style, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "8080:80",
            "yes",
            "on",
            "null",
            "1e3",
            "0755",
            "12:30",
            "",
            "~",
            "2024-01-01",
            "- x",
            "#c",
            "a: b",
            "true",
            "0x1F",
            ".inf",
            "-1",
        ] {
            assert!(!plain_safe(s, false), "{s:?} must be quoted");
        }
        for s in [
            "nginx:1.27",
            "unless-stopped",
            "postgres",
            "512M",
            "-x",
            "/run/secrets/db",
            "a,b",
        ] {
            assert!(plain_safe(s, false), "{s:?} can be plain");
        }
        assert!(!plain_safe("a,b", true));
    }

    #[test]
    fn styles_are_kept_when_possible() {
        assert_eq!(string("it's", Some(Style::SingleQuoted), false), "'it''s'");
        assert_eq!(
            string("a\nb", Some(Style::SingleQuoted), false),
            "\"a\\nb\""
        );
        assert_eq!(string("x", Some(Style::DoubleQuoted), false), "\"x\"");
        assert_eq!(string("yes", Some(Style::Plain), false), "\"yes\"");
    }
}
