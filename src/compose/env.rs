//! The variables interpolation sees: the project's `.env` (or the `--env-file` files instead),
//! overridden by the process environment — Compose's precedence.
//!
//! Promises: `KEY=VALUE`, `export KEY=VALUE`, `KEY: VALUE`, single/double quotes, `#`
//! comments and `${VAR}` references to earlier keys, as Compose's dotenv reader does.
//! Refuses: a named `--env-file` that cannot be read (an error); a missing `.env` is fine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::template;

pub type Variables = HashMap<String, String>;

/// Reads the variables for a project in `project_dir`.
pub(super) fn project_variables(
    project_dir: &Path,
    env_files: &[PathBuf],
    process: &Variables,
) -> Result<Variables, String> {
    let mut vars = Variables::new();
    if env_files.is_empty() {
        let default = project_dir.join(".env");
        if default.is_file() {
            read_into(&default, process, &mut vars)?;
        }
    } else {
        for file in env_files {
            read_into(file, process, &mut vars)?;
        }
    }
    vars.extend(process.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(vars)
}

/// The process environment (what Compose reads too), read once per process and shared by
/// every project.
pub fn process_variables() -> std::sync::Arc<Variables> {
    static PROCESS: std::sync::LazyLock<std::sync::Arc<Variables>> =
        std::sync::LazyLock::new(|| {
            std::sync::Arc::new(
                std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                    .collect(),
            )
        });
    std::sync::Arc::clone(&PROCESS)
}

fn read_into(path: &Path, process: &Variables, vars: &mut Variables) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("env file {} cannot be read: {e}", path.display()))?;
    for (key, value) in parse(&text, |name| {
        process.get(name).or_else(|| vars.get(name)).cloned()
    }) {
        vars.insert(key, value);
    }
    Ok(())
}

/// Parses dotenv text; `lookup` resolves `${VAR}` in unquoted and double-quoted values.
pub(super) fn parse(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some(split) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..split].trim().to_string();
        let mut raw = line[split + 1..].trim_start().to_string();
        // Quoted values may span lines.
        if let Some(quote) = raw.chars().next().filter(|c| *c == '"' || *c == '\'') {
            while raw.len() < 2 || !closes(&raw, quote) {
                match lines.next() {
                    Some(next) => {
                        raw.push('\n');
                        raw.push_str(next);
                    }
                    None => break,
                }
            }
        }
        let known: HashMap<String, String> = found.iter().cloned().collect();
        let expand = |s: &str| {
            let env: HashMap<String, String> = s_vars(s)
                .into_iter()
                .filter_map(|n| {
                    known
                        .get(&n)
                        .cloned()
                        .or_else(|| lookup(&n))
                        .map(|v| (n, v))
                })
                .collect();
            template::substitute(s, &env)
                .map(|r| r.value)
                .unwrap_or_else(|_| s.to_string())
        };
        let value = match raw.chars().next() {
            Some('\'') => raw[1..]
                .rsplit_once('\'')
                .map_or(raw[1..].to_string(), |(v, _)| v.to_string()),
            Some('"') => expand(&unescape(
                raw[1..].rsplit_once('"').map_or(&raw[1..], |(v, _)| v),
            )),
            _ => expand(strip_comment(&raw).trim_end()),
        };
        found.retain(|(k, _)| *k != key);
        found.push((key, value));
    }
    found
}

fn closes(raw: &str, quote: char) -> bool {
    let body = &raw[1..];
    let mut escaped = false;
    for c in body.chars() {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return true,
            _ => escaped = false,
        }
    }
    false
}

fn strip_comment(raw: &str) -> &str {
    match raw.find(" #") {
        Some(i) => &raw[..i],
        None if raw.starts_with('#') => "",
        None => raw,
    }
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

/// Names of the variables a value refers to.
fn s_vars(s: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let start = if bytes.get(i + 1) == Some(&b'{') {
                i + 2
            } else {
                i + 1
            };
            let end = s[start..]
                .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
                .map_or(s.len(), |e| start + e);
            if end > start {
                names.push(s[start..end].to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dotenv_forms() {
        let text =
            "# comment\nA=1\nexport B = two\nC='lit ${A}'\nD=\"x ${A}\"\nE=v # trailing\nF=\n";
        let vars: HashMap<String, String> = parse(text, |_| None).into_iter().collect();
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "two");
        assert_eq!(vars["C"], "lit ${A}");
        assert_eq!(vars["D"], "x 1");
        assert_eq!(vars["E"], "v");
        assert_eq!(vars["F"], "");
    }
}
