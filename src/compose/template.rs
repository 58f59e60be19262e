//! Compose's variable syntax in one string: `$VAR`, `${VAR}`, `${VAR:-default}`,
//! `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, `$$`,
//! with defaults that may themselves hold variables.
//!
//! Promises: the result Compose computes, plus every variable left unset (for warnings) and
//! the byte offset of each problem inside the string. Refuses: unbalanced `${` (an error),
//! and defaults nested deeper than [`MAX_NESTING`] (an error, not a stack overflow).

/// `${A:-${B:-...}}` nested deeper than this is refused.
pub const MAX_NESTING: usize = 64;

/// Looks a variable up: `None` when unset.
pub trait Lookup {
    fn get(&self, name: &str) -> Option<&str>;
}

impl Lookup for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        std::collections::HashMap::get(self, name).map(String::as_str)
    }
}

/// What went wrong while substituting, at `offset` bytes into the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `${VAR:?message}` with VAR unset (or empty).
    Required {
        offset: usize,
        name: String,
        message: String,
    },
    /// Syntax Compose refuses, e.g. `${` without `}` or `${not a name}`.
    Invalid { offset: usize, text: String },
}

/// The substituted string and the variables that were unset (name, offset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Substituted {
    pub value: String,
    pub unset: Vec<(String, usize)>,
}

/// Substitutes every variable in `text`.
pub fn substitute(text: &str, env: &dyn Lookup) -> Result<Substituted, TemplateError> {
    let mut out = Substituted::default();
    substitute_into(text, 0, env, &mut out, 0)?;
    Ok(out)
}

/// Whether `text` holds any `$` Compose would act on.
pub fn has_variables(text: &str) -> bool {
    text.contains('$')
}

fn substitute_into(
    text: &str,
    base: usize,
    env: &dyn Lookup,
    out: &mut Substituted,
    depth: usize,
) -> Result<(), TemplateError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rel) = text[i..].find('$') else {
            out.value.push_str(&text[i..]);
            break;
        };
        out.value.push_str(&text[i..i + rel]);
        let start = i + rel;
        let next = bytes.get(start + 1).copied();
        match next {
            Some(b'$') => {
                out.value.push('$');
                i = start + 2;
            }
            Some(b'{') => {
                if depth >= MAX_NESTING {
                    // The start of the expression: enough to find it, not the whole chain.
                    let end = (start..=text.len())
                        .find(|&e| e >= start + 32 && text.is_char_boundary(e))
                        .unwrap_or(text.len());
                    return Err(TemplateError::Invalid {
                        offset: base + start,
                        text: text[start..end].to_string(),
                    });
                }
                let close =
                    matching_brace(text, start + 2).ok_or_else(|| TemplateError::Invalid {
                        offset: base + start,
                        text: text[start..].to_string(),
                    })?;
                braced(
                    &text[start + 2..close],
                    base + start,
                    base + start + 2,
                    env,
                    out,
                    depth + 1,
                )?;
                i = close + 1;
            }
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => {
                let end = text[start + 1..]
                    .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
                    .map_or(text.len(), |e| start + 1 + e);
                let name = &text[start + 1..end];
                lookup_plain(name, base + start, env, out);
                i = end;
            }
            _ => {
                out.value.push('$');
                i = start + 1;
            }
        }
    }
    Ok(())
}

/// The index of the `}` closing a `${` whose content starts at `from`.
fn matching_brace(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn lookup_plain(name: &str, offset: usize, env: &dyn Lookup, out: &mut Substituted) {
    match env.get(name) {
        Some(value) => out.value.push_str(value),
        None => out.unset.push((name.to_string(), offset)),
    }
}

/// `inner` is the text between `${` and `}`.
fn braced(
    inner: &str,
    offset: usize,
    inner_base: usize,
    env: &dyn Lookup,
    out: &mut Substituted,
    depth: usize,
) -> Result<(), TemplateError> {
    let name_end = inner
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let rest = &inner[name_end..];
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    if !valid_name {
        return Err(TemplateError::Invalid {
            offset,
            text: format!("${{{inner}}}"),
        });
    }
    if rest.is_empty() {
        lookup_plain(name, offset, env, out);
        return Ok(());
    }
    let (op, arg) = ["^^", ":-", ":?", ":+", "-", "?", "+"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|arg| (*op, arg)))
        .ok_or_else(|| TemplateError::Invalid {
            offset,
            text: format!("${{{inner}}}"),
        })?;
    let arg_base = inner_base + name_end + op.len();
    let value = env.get(name);
    let empty = value.is_none_or(str::is_empty);
    match op {
        ":-" if empty => substitute_into(arg, arg_base, env, out, depth)?,
        "-" if value.is_none() => substitute_into(arg, arg_base, env, out, depth)?,
        ":?" | "?" if (op == ":?" && empty) || value.is_none() => {
            let mut message = Substituted::default();
            substitute_into(arg, arg_base, env, &mut message, depth)?;
            return Err(TemplateError::Required {
                offset,
                name: name.to_string(),
                message: message.value,
            });
        }
        ":+" if !empty => substitute_into(arg, arg_base, env, out, depth)?,
        "+" if value.is_some() => substitute_into(arg, arg_base, env, out, depth)?,
        ":+" | "+" => {}
        "^^" => {
            return Err(TemplateError::Invalid {
                offset,
                text: format!("${{{inner}}}"),
            });
        }
        _ => out.value.push_str(value.unwrap_or_default()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env() -> HashMap<String, String> {
        HashMap::from([
            ("SET".to_string(), "x".to_string()),
            ("EMPTY".to_string(), String::new()),
        ])
    }

    fn sub(text: &str) -> String {
        substitute(text, &env())
            .map(|s| s.value)
            .unwrap_or_else(|e| format!("error: {e:?}"))
    }

    #[test]
    fn follows_compose_defaults_and_alternatives() {
        assert_eq!(sub("a${SET}b$SET"), "axbx");
        assert_eq!(sub("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}"), "d||d");
        assert_eq!(sub("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}"), "alt||alt");
        assert_eq!(sub("$$SET $$ $1"), "$SET $ $1");
        assert_eq!(sub("${UNSET:-${SET}-${UNSET2:-z}}"), "x-z");
    }

    #[test]
    fn required_and_invalid_are_errors_with_offsets() {
        let err = substitute("ab${UNSET:?must be set}", &env());
        assert_eq!(
            err,
            Err(TemplateError::Required {
                offset: 2,
                name: "UNSET".into(),
                message: "must be set".into()
            })
        );
        assert!(substitute("${EMPTY?e}", &env()).is_ok());
        assert!(matches!(
            substitute("x ${UNCLOSED", &env()),
            Err(TemplateError::Invalid { offset: 2, .. })
        ));
        assert!(matches!(
            substitute("${no spaces}", &env()),
            Err(TemplateError::Invalid { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = format!("{}x{}", "${A:-".repeat(10_000), "}".repeat(10_000));
        assert!(matches!(
            substitute(&text, &env()),
            Err(TemplateError::Invalid { offset, .. }) if offset == 5 * MAX_NESTING
        ));
        let ok = format!(
            "{}x{}",
            "${A:-".repeat(MAX_NESTING),
            "}".repeat(MAX_NESTING)
        );
        assert_eq!(
            substitute(&ok, &HashMap::new()).map(|s| s.value),
            Ok("x".into())
        );
    }

    #[test]
    fn unset_variables_are_listed() {
        let out = substitute("${A}-$B", &env()).expect("valid template");
        assert_eq!(out.value, "-");
        assert_eq!(out.unset, vec![("A".to_string(), 0), ("B".to_string(), 5)]);
    }
}
