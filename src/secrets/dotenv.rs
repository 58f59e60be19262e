//! Writing `KEY=value` lines that Docker Compose's env-file parser reads back as exactly
//! `value`, byte for byte.
//!
//! The parser is compose-go's `dotenv/parser.go` (read at compose-spec/compose-go
//! 042173482969cd44087fbc45b1f2f48d01b2d9c8; the quoted-value scanner of Compose v2.40, which
//! the `#[ignore]`d round-trip test runs against, keeps a backslash unless it escapes the
//! closing quote). What matters from it:
//! - unquoted values end at a newline and at ` #`, lose trailing whitespace, and are
//!   interpolated (`$VAR`);
//! - after `=`, spaces (including U+0085 and U+00A0) are skipped, so leading spaces need quotes;
//! - a single-quoted value is taken raw up to the closing `'` (no interpolation, newlines kept);
//!   `\'` does not close it, so a value with `'` or a trailing `\` cannot be single-quoted;
//! - a double-quoted value unescapes `\\`, `\"`, `\n`, `\r` (and `\a`, `\t`, octal…) and is
//!   then interpolated, where `$$` is a literal `$`.
//!
//! Promises: [`encode`] picks single quotes when they can hold the value (nothing to escape),
//! double quotes with escapes otherwise; every value without a NUL byte is representable.
//! Refuses with a [`DotenvError`]: NUL bytes (an environment variable cannot hold one) and keys
//! outside `[A-Za-z0-9_.-]` plus `[` `]` (the parser rejects or splits them: `:`, `=`, spaces).

use thiserror::Error;

/// Why an entry cannot be written to an env file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DotenvError {
    #[error(
        "`{key}` cannot be a key in an env file: {reason}; keep the variable in the compose \
         file or rename it"
    )]
    Key { key: String, reason: &'static str },
    #[error(
        "the value of `{key}` cannot be written to an env file: {reason}; keep it in the \
         compose file"
    )]
    Value { key: String, reason: &'static str },
}

/// One `KEY=value` line (without the newline) that Compose reads back as `value`.
pub fn encode(key: &str, value: &str) -> Result<String, DotenvError> {
    check_key(key)?;
    if value.contains('\0') {
        return Err(DotenvError::Value {
            key: key.to_string(),
            reason: "it contains a NUL byte, which no environment variable can hold",
        });
    }
    Ok(format!("{key}={}", quote(value)))
}

/// A whole env file: one line per entry, each ending in a newline.
pub fn encode_file<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String, DotenvError> {
    let mut file = String::new();
    for (key, value) in entries {
        file.push_str(&encode(key, value)?);
        file.push('\n');
    }
    Ok(file)
}

fn check_key(key: &str) -> Result<(), DotenvError> {
    let error = |reason| {
        Err(DotenvError::Key {
            key: key.to_string(),
            reason,
        })
    };
    if key.is_empty() {
        return error("it is empty");
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-[]".contains(c))
    {
        return error("the parser accepts only letters, digits, `_`, `.`, `-`, `[` and `]`");
    }
    Ok(())
}

fn quote(value: &str) -> String {
    if can_single_quote(value) {
        format!("'{value}'")
    } else {
        double_quote(value)
    }
}

/// Single quotes keep everything raw, except that `\'` does not end the value.
fn can_single_quote(value: &str) -> bool {
    !value.contains('\'') && !value.ends_with('\\')
}

fn double_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            // Interpolation runs after unescaping: `$$` is its literal dollar.
            '$' => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of the two forms we write, following parser.go's rules for them: the test's
    /// independent check that nothing we write is read differently.
    fn read_back(line: &str) -> String {
        let (_, raw) = line.split_once('=').unwrap();
        if let Some(inner) = raw.strip_prefix('\'') {
            let inner = inner.strip_suffix('\'').unwrap();
            assert!(!inner.contains('\''), "{line}");
            return inner.to_string();
        }
        let inner = raw.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next().unwrap() {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    other @ ('\\' | '"') => out.push(other),
                    other => panic!("unexpected escape \\{other} in {line}"),
                },
                '$' => {
                    assert_eq!(chars.next(), Some('$'), "lone $ in {line}");
                    out.push('$');
                }
                '"' => panic!("unescaped quote in {line}"),
                c => out.push(c),
            }
        }
        out
    }

    const AWKWARD: &[&str] = &[
        "",
        "plain",
        " leading and trailing ",
        "\ttab",
        "trailing backslash\\",
        "\\",
        "it's",
        "'",
        "''",
        "say \"hi\"",
        "both ' and \"",
        "it's a trailing backslash\\",
        "$HOME ${USER} $$ $",
        "a #comment",
        "#hash",
        "line\nbreak",
        "crlf\r\n",
        "nel\u{85}",
        "\u{2028}line separator",
        "\u{a0}nbsp",
        "\u{feff}bom",
        "=equals=",
        "back\\slash\\n not newline",
        "\\'",
        "\\\"",
        "ünïcödé 🔑",
    ];

    #[test]
    fn every_awkward_value_reads_back() {
        for value in AWKWARD {
            let line = encode("KEY", value).unwrap();
            assert_eq!(read_back(&line), *value, "{line}");
        }
    }

    #[test]
    fn single_quotes_when_nothing_needs_escaping() {
        assert_eq!(encode("A", "$HOME #x").unwrap(), "A='$HOME #x'");
        assert_eq!(encode("A", " x\ny ").unwrap(), "A=' x\ny '");
        assert_eq!(encode("A", "").unwrap(), "A=''");
    }

    #[test]
    fn double_quotes_for_quotes_and_trailing_backslashes() {
        assert_eq!(encode("A", "it's $x").unwrap(), r#"A="it's $$x""#);
        assert_eq!(encode("A", "dir\\").unwrap(), r#"A="dir\\""#);
        assert_eq!(encode("A", "'\n\r\"").unwrap(), r#"A="'\n\r\"""#);
    }

    #[test]
    fn refuses_what_cannot_be_represented() {
        assert!(matches!(
            encode("A", "nul\0byte"),
            Err(DotenvError::Value { .. })
        ));
        for key in ["", "MY KEY", "A:B", "A=B", "clé", "#A"] {
            assert!(
                matches!(encode(key, "x"), Err(DotenvError::Key { .. })),
                "{key:?}"
            );
        }
        assert!(encode("my-app.key[0]", "x").is_ok());
        let message = encode("A", "\0").unwrap_err().to_string();
        assert!(
            message.contains("NUL") && message.contains("keep it"),
            "{message}"
        );
    }

    #[test]
    fn files_end_every_line() {
        let file = encode_file([("A", "1"), ("B", "it's")]).unwrap();
        assert_eq!(file, "A='1'\nB=\"it's\"\n");
    }
}
