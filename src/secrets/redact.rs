//! Hiding secret values in text we print, without garbling anything else.
//!
//! A [`Redactor`] knows secret values and the keys that hold them. It replaces a value by
//! [`REDACTED`] only where the value stands whole:
//! - a *distinctive* value (long enough, varied enough, not a common word) anywhere it stands
//!   at token boundaries: never inside a word (`./secrets/db.env`, `environment:`, `5128M`
//!   keep their letters), never joined to one by `-` or `.`;
//! - any value (`postgres`, `admin`) only in a value position: after its own key
//!   (`KEY: v`, `KEY=v`, `"KEY": "v"`, quoted or not), as a URL password (`://user:v@`) or as
//!   an interpolation default (`${VAR:-v}`), or as a command-line argument (`--password=v`,
//!   `--token v`, `-pv`: [`super::argv`]). So a user name that equals its password still
//!   shows where it is the user name.
//!
//! Every source form of a value is covered: as is, with Compose's `$$`, YAML single-quoted
//! (`''`), double-quoted / JSON (`\"`, `\\`, `\n`, `\uXXXX`), and line by line for values split
//! over lines (block scalars, private-key bodies); long values are also covered word by word
//! (folded scalars) when the words are distinctive.
//!
//! Refuses: to redact values of common words or values shorter than [`MIN_DISTINCTIVE_LEN`]
//! outside a value position (a `true` or a `1` elsewhere in a diff stays as it is). Limitation:
//! a value glued to other text is not redacted there
//! (MySQL's `-phunter2` excepted).

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::detect::{Verdict, classify};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Values shorter than this are redacted only in value positions.
pub const MIN_DISTINCTIVE_LEN: usize = 8;

/// Words that appear in compose files for other reasons (images, users, databases, switches):
/// redacted only in value positions, whatever their length.
const COMMON_VALUES: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "none",
    "admin",
    "root",
    "user",
    "test",
    "default",
    "example",
    "password",
    "secret",
    "changeme",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "redis",
    "localhost",
    "database",
    "nextcloud",
    "wordpress",
    "grafana",
    "keycloak",
    "elastic",
    "minioadmin",
];

/// Secret values and where they may be redacted.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Source forms of distinctive values: redacted wherever they stand whole.
    anywhere: Vec<String>,
    anywhere_matcher: Option<AhoCorasick>,
    /// Source forms of every value: redacted in value positions.
    positioned: Vec<Positioned>,
    /// Finds the plain and double-quoted forms of `positioned` values (URL passwords,
    /// interpolation defaults), in one pass whatever their number.
    value_matcher: Option<AhoCorasick>,
    /// Finds the keys that `by_key` index.
    key_matcher: Option<AhoCorasick>,
    /// Per key: the forms of its values as they may follow it, by quoting, and the longest.
    by_key: Vec<KeyForms>,
}

/// The source forms of the values of one key, looked up by the text after the key.
#[derive(Debug, Clone, Default)]
struct KeyForms {
    plain: HashSet<String>,
    single: HashSet<String>,
    double: HashSet<String>,
    longest: usize,
}

impl KeyForms {
    fn add(&mut self, forms: &Forms) {
        self.plain.extend(forms.plain.iter().cloned());
        self.single.extend(forms.single.iter().cloned());
        self.double.extend(forms.double.iter().cloned());
        self.longest = forms.all().map(String::len).fold(self.longest, usize::max);
    }

    fn quoted_by(&self, quote: Option<char>) -> &HashSet<String> {
        match quote {
            Some('\'') => &self.single,
            Some(_) => &self.double,
            None => &self.plain,
        }
    }
}

/// A value's source forms.
#[derive(Debug, Clone)]
struct Positioned {
    forms: Forms,
}

/// How one value may be written in text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Forms {
    /// Unquoted, and with `$$` for `$`.
    plain: Vec<String>,
    /// Inside single quotes (`''` for `'`).
    single: Vec<String>,
    /// Inside double quotes (`\"`, `\\`, `\n`, `\uXXXX`).
    double: Vec<String>,
}

impl Forms {
    fn of(value: &str) -> Forms {
        let mut bases = vec![value.to_string()];
        if value.contains('$') {
            bases.push(value.replace('$', "$$"));
        }
        let mut forms = Forms {
            plain: bases.clone(),
            single: bases.iter().map(|b| b.replace('\'', "''")).collect(),
            double: bases
                .iter()
                .flat_map(|b| [escape_double(b, false), escape_double(b, true)])
                .collect(),
        };
        for list in [&mut forms.plain, &mut forms.single, &mut forms.double] {
            list.sort();
            list.dedup();
        }
        forms
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        self.plain.iter().chain(&self.single).chain(&self.double)
    }
}

/// The text between double quotes (YAML and JSON), optionally with non-ASCII as `\uXXXX`.
fn escape_double(value: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn add_environment<'a>(
    builder: &mut Builder,
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (key, value) in entries {
        let verdict = classify(key, value);
        if let Verdict::Secret { .. } = verdict {
            for part in verdict.secret_texts(value) {
                // Compose reads `$$` as `$`: the text may show either.
                builder.add(Some(key), &part.replace("$$", "$"));
            }
        }
    }
}

impl Redactor {
    /// A redactor for values known to be secret, without keys: distinctive values anywhere,
    /// every value as a URL password or interpolation default.
    pub fn from_values<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Redactor {
        let mut builder = Builder::default();
        for value in values {
            builder.add(None, value.as_ref());
        }
        builder.build()
    }

    /// A redactor for the literal secrets among `environment:` entries (key, value as written
    /// in the compose file), as [`classify`] finds them.
    pub fn from_environment<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Redactor {
        let mut builder = Builder::default();
        add_environment(&mut builder, entries);
        builder.build()
    }

    /// Known secret `values` (no keys) together with the literal secrets among `environment`
    /// entries (key, value as written), as [`classify`] finds them.
    pub fn new<'a, S: AsRef<str>>(
        values: impl IntoIterator<Item = S>,
        environment: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Redactor {
        let mut builder = Builder::default();
        for value in values {
            builder.add(None, value.as_ref());
        }
        add_environment(&mut builder, environment);
        builder.build()
    }

    pub fn is_empty(&self) -> bool {
        self.anywhere.is_empty() && self.positioned.is_empty()
    }

    /// `text` with every secret value replaced by [`REDACTED`]; borrowed when nothing was.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let ranges = self.ranges(text);
        if ranges.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for range in ranges {
            out.push_str(&text[last..range.start]);
            out.push_str(REDACTED);
            last = range.end;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// Whether [`Redactor::redact`] would change `text`.
    pub fn redacts_anything_in(&self, text: &str) -> bool {
        !self.ranges(text).is_empty()
    }

    /// The byte ranges to hide, merged and in order.
    fn ranges(&self, text: &str) -> Vec<Range<usize>> {
        let mut ranges = self.whole_occurrences(text);
        ranges.extend(self.value_positions(text));
        merge(ranges)
    }

    fn whole_occurrences(&self, text: &str) -> Vec<Range<usize>> {
        let Some(matcher) = &self.anywhere_matcher else {
            return Vec::new();
        };
        matcher
            .find_overlapping_iter(text)
            .map(|m| m.range())
            .filter(|r| stands_whole(text, r.clone()))
            .collect()
    }

    fn value_positions(&self, text: &str) -> Vec<Range<usize>> {
        let mut found = Vec::new();
        if let Some(matcher) = &self.value_matcher {
            found.extend(
                matcher
                    .find_overlapping_iter(text)
                    .map(|m| m.range())
                    .filter(|r| {
                        is_url_password(text, r.clone())
                            || is_default(text, r.clone())
                            || super::argv::is_argument(text, r.clone())
                    }),
            );
        }
        if let Some(matcher) = &self.key_matcher {
            for key_match in matcher.find_overlapping_iter(text) {
                let key = key_match.pattern().as_usize();
                if !key_stands_whole(text, key_match.range()) {
                    continue;
                }
                found.extend(after_key(text, key_match.end(), &self.by_key[key]));
            }
        }
        found
    }
}

/// Collects values and keys, then builds the matchers once.
#[derive(Default)]
struct Builder {
    anywhere: Vec<String>,
    positioned: Vec<Positioned>,
    /// Index of each value's forms in `positioned` (a set: thousands of values stay linear).
    positioned_ids: std::collections::HashMap<Forms, usize>,
    keys: Vec<String>,
    key_ids: std::collections::HashMap<String, usize>,
    by_key: Vec<KeyForms>,
}

impl Builder {
    fn add(&mut self, key: Option<&str>, value: &str) {
        if value.trim().is_empty() {
            return;
        }
        let key = key.map(|k| self.key_index(k));
        let forms = Forms::of(value);
        if is_distinctive(value) {
            self.anywhere.extend(forms.all().cloned());
        }
        self.add_positioned(key, forms);
        for segment in segments(value) {
            if is_distinctive(segment) {
                self.anywhere.extend(Forms::of(segment).all().cloned());
            }
        }
    }

    fn key_index(&mut self, key: &str) -> usize {
        if let Some(&i) = self.key_ids.get(key) {
            return i;
        }
        self.keys.push(key.to_string());
        self.by_key.push(KeyForms::default());
        self.key_ids.insert(key.to_string(), self.keys.len() - 1);
        self.keys.len() - 1
    }

    fn add_positioned(&mut self, key: Option<usize>, forms: Forms) {
        if let Some(key) = key {
            self.by_key[key].add(&forms);
        }
        if !self.positioned_ids.contains_key(&forms) {
            self.positioned_ids
                .insert(forms.clone(), self.positioned.len());
            self.positioned.push(Positioned { forms });
        }
    }

    fn build(mut self) -> Redactor {
        self.anywhere.retain(|v| !v.is_empty());
        self.anywhere.sort();
        self.anywhere.dedup();
        let mut values: Vec<String> = self
            .positioned
            .iter()
            .flat_map(|p| p.forms.plain.iter().chain(&p.forms.double).cloned())
            .collect();
        values.sort();
        values.dedup();
        Redactor {
            anywhere_matcher: matcher(&self.anywhere),
            value_matcher: matcher(&values),
            key_matcher: matcher(&self.keys),
            anywhere: self.anywhere,
            positioned: self.positioned,
            by_key: self.by_key,
        }
    }
}

fn matcher(patterns: &[String]) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    // Standard semantics: overlapping search reports every candidate, so a match rejected at
    // a word boundary does not hide a shorter one that stands whole.
    // A matcher serves one file's few reports: the non-contiguous NFA builds an order of
    // magnitude faster than the DFA the default picks for few patterns.
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .match_kind(MatchKind::Standard)
        .build(patterns)
        .ok()
}

/// Lines of a multi-line value, and the words of a long one (block and folded scalars show
/// them apart).
fn segments(value: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = Vec::new();
    if value.contains('\n') {
        parts.extend(value.lines().map(str::trim).filter(|l| !l.is_empty()));
    }
    if value.contains(' ') {
        parts.extend(value.split_whitespace());
    }
    parts.retain(|p| *p != value);
    parts
}

/// Long and varied enough that it does not occur in a compose file by chance.
fn is_distinctive(value: &str) -> bool {
    let len = value.chars().count();
    if len < MIN_DISTINCTIVE_LEN || COMMON_VALUES.contains(&value.to_lowercase().as_str()) {
        return false;
    }
    let classes = [
        value.chars().any(char::is_lowercase),
        value.chars().any(char::is_uppercase),
        value.chars().any(char::is_numeric),
        value.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|&&present| present)
    .count();
    let distinct = value.chars().collect::<HashSet<_>>().len();
    (len >= 16 || (len >= 10 && classes >= 2) || classes >= 3) && distinct >= 5
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether the match is a whole token: not preceded or followed by a word character, nor by
/// `-` or `.` that joins it to one (`my-secret`, `secret.txt`). Edges of the value that are
/// not word characters need no boundary.
fn stands_whole(text: &str, range: Range<usize>) -> bool {
    let value = &text[range.clone()];
    let first = value.chars().next();
    let last = value.chars().next_back();
    let before = text[..range.start].chars().rev();
    let after = text[range.end..].chars();
    (!first.is_some_and(is_word_char) || boundary(before))
        && (!last.is_some_and(is_word_char) || boundary(after))
}

fn boundary(mut outward: impl Iterator<Item = char>) -> bool {
    match outward.next() {
        None => true,
        Some(c) if is_word_char(c) => false,
        Some('-' | '.') => !outward.next().is_some_and(is_word_char),
        Some(_) => true,
    }
}

/// A key in text: not part of a longer name.
fn key_stands_whole(text: &str, range: Range<usize>) -> bool {
    let name_char = |c: char| is_word_char(c) || c == '.' || c == '-';
    !text[..range.start]
        .chars()
        .next_back()
        .is_some_and(name_char)
        && !text[range.end..].chars().next().is_some_and(name_char)
}

/// The value right after a key: `KEY: v`, `KEY=v`, `"KEY": "v"`, `KEY='v'`.
fn after_key(text: &str, key_end: usize, forms: &KeyForms) -> Option<Range<usize>> {
    let rest = &text[key_end..];
    let rest_start = rest.trim_start_matches(['"', '\'']);
    let rest_start = rest_start.trim_start_matches([' ', '\t']);
    let separator = rest_start
        .chars()
        .next()
        .filter(|c| *c == ':' || *c == '=')?;
    let after_separator = rest_start[separator.len_utf8()..].trim_start_matches([' ', '\t']);
    let quote = after_separator
        .chars()
        .next()
        .filter(|c| *c == '"' || *c == '\'');
    let value_text = &after_separator[quote.map_or(0, char::len_utf8)..];
    let start = text.len() - value_text.len();
    let candidates = forms.quoted_by(quote);
    // The longest known form that ends where a value may end: a set lookup per boundary.
    value_text
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|end| *end <= forms.longest)
        .filter(|end| value_ends(&value_text[*end..], quote))
        .filter(|end| candidates.contains(&value_text[..*end]))
        .last()
        .map(|end| start..start + end)
}

/// What may follow a value in a value position.
fn value_ends(after: &str, quote: Option<char>) -> bool {
    let next = after.chars().next();
    match quote {
        Some(q) => next == Some(q),
        None => next.is_none_or(|c| c.is_whitespace() || ",;}])#&\"'".contains(c)),
    }
}

/// `://user:VALUE@`.
fn is_url_password(text: &str, range: Range<usize>) -> bool {
    if !text[..range.start].ends_with(':') || !text[range.end..].starts_with('@') {
        return false;
    }
    let before = &text[..range.start - 1];
    before.rfind("://").is_some_and(|scheme_end| {
        let user = &before[scheme_end + 3..];
        !user.contains(['/', '@']) && !user.contains(char::is_whitespace)
    })
}

/// `${VAR:-VALUE}` or `${VAR-VALUE}`.
fn is_default(text: &str, range: Range<usize>) -> bool {
    if !text[range.end..].starts_with('}') {
        return false;
    }
    let before = text[..range.start]
        .strip_suffix(":-")
        .or_else(|| text[..range.start].strip_suffix('-'));
    before.is_some_and(|b| {
        b.rfind("${").is_some_and(|open| {
            let name = &b[open + 2..];
            !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        })
    })
}

fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start < last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPOSE: &str = "services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: postgres
      POSTGRES_PASSWORD: postgres
      DEBUG: 'false'
    env_file: ./secrets/db.env
    deploy:
      resources:
        limits:
          memory: 512M
";

    fn from_env(entries: &[(&str, &str)]) -> Redactor {
        Redactor::from_environment(entries.iter().copied())
    }

    #[test]
    fn issue_garbling_cases_never_happen() {
        // Short, common or sub-word "secrets" must leave the rest of the text alone.
        let redactor = Redactor::from_values(["secret", "12", "en", "false", "vironm"]);
        assert_eq!(redactor.redact(COMPOSE), COMPOSE);
        assert!(!redactor.redacts_anything_in("`environment:`"));
        let text = "env_file: ./secrets/db.env\nmemory: 5128M\nDEBUG: false\nenvironment:\n";
        assert!(matches!(redactor.redact(text), Cow::Borrowed(_)));
    }

    #[test]
    fn a_password_equal_to_the_user_name_is_hidden_only_where_it_is_the_password() {
        let redactor = from_env(&[
            ("POSTGRES_USER", "postgres"),
            ("POSTGRES_PASSWORD", "postgres"),
        ]);
        let shown = redactor.redact(COMPOSE);
        assert!(shown.contains("image: postgres:16"), "{shown}");
        assert!(shown.contains("POSTGRES_USER: postgres\n"), "{shown}");
        assert!(shown.contains("POSTGRES_PASSWORD: <redacted>\n"), "{shown}");
        assert!(shown.contains("DEBUG: 'false'"), "{shown}");
        let url = "DATABASE_URL: postgres://postgres:postgres@db/postgres";
        assert_eq!(
            redactor.redact(url),
            "DATABASE_URL: postgres://postgres:<redacted>@db/postgres"
        );
    }

    #[test]
    fn distinctive_values_are_hidden_wherever_they_stand_whole() {
        let redactor = Redactor::from_values(["hunter2-db-Pass"]);
        assert_eq!(
            redactor.redact("- POSTGRES_PASSWORD=hunter2-db-Pass # old\npw hunter2-db-Pass."),
            "- POSTGRES_PASSWORD=<redacted> # old\npw <redacted>."
        );
        // Not inside a longer word.
        let glued = "xhunter2-db-Pass hunter2-db-Pass2 hunter2-db-Pass-old";
        assert_eq!(redactor.redact(glued), glued);
    }

    #[test]
    fn every_source_form_is_covered() {
        let value = "it's a \"quoted\" $ecret\\ with ünï";
        let redactor = Redactor::from_values([value]);
        for text in [
            format!("KEY: {value}"),
            "KEY: 'it''s a \"quoted\" $ecret\\ with ünï'".to_string(),
            "KEY: \"it's a \\\"quoted\\\" $ecret\\\\ with ünï\"".to_string(),
            "{\"KEY\":\"it's a \\\"quoted\\\" $ecret\\\\ with \\u00fcn\\u00ef\"}".to_string(),
            "KEY: it's a \"quoted\" $$ecret\\ with ünï".to_string(),
        ] {
            assert!(!redactor.redact(&text).contains("ecret"), "{text}");
        }
    }

    #[test]
    fn multi_line_values_are_covered_line_by_line() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n";
        let redactor = from_env(&[("TLS_KEY", key)]);
        let block = "    TLS_KEY: |\n      -----BEGIN PRIVATE KEY-----\n      MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n      BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n";
        let shown = redactor.redact(block);
        assert!(
            !shown.contains("MIIEvQ") && !shown.contains("BKcwgg"),
            "{shown}"
        );
        let folded = Redactor::from_values(["correct-horse battery-staple-42 x"]);
        let shown = folded.redact("KEY: >\n  correct-horse\n  battery-staple-42 x\n");
        assert!(!shown.contains("correct-horse") && !shown.contains("battery-staple-42"));
    }

    #[test]
    fn keyed_positions_in_every_output_shape() {
        let redactor = from_env(&[("DB_PASSWORD", "admin"), ("JWT_SECRET", "${J:-kutt}")]);
        for (text, expected) in [
            ("DB_PASSWORD: admin", "DB_PASSWORD: <redacted>"),
            ("- DB_PASSWORD=admin", "- DB_PASSWORD=<redacted>"),
            ("DB_PASSWORD='admin'", "DB_PASSWORD='<redacted>'"),
            (
                "{\"DB_PASSWORD\": \"admin\"}",
                "{\"DB_PASSWORD\": \"<redacted>\"}",
            ),
            ("JWT_SECRET: ${J:-kutt}", "JWT_SECRET: ${J:-<redacted>}"),
            (
                "admin: DB_PASSWORD_FILE: admin",
                "admin: DB_PASSWORD_FILE: admin",
            ),
            ("OTHER_PASSWORD: admin", "OTHER_PASSWORD: admin"),
            ("DB_PASSWORD: administrator", "DB_PASSWORD: administrator"),
        ] {
            assert_eq!(redactor.redact(text), expected, "{text}");
        }
    }

    #[test]
    fn non_secrets_are_not_learnt_from_the_environment() {
        let redactor = from_env(&[
            ("ALLOW_EMPTY_PASSWORD", "yes"),
            ("DEBUG", "false"),
            ("POSTGRES_PASSWORD", "${POSTGRES_PASSWORD}"),
        ]);
        assert!(redactor.is_empty());
    }

    #[test]
    fn overlapping_values_are_hidden_whole() {
        let redactor = Redactor::from_values(["abcdefgh-1234", "abcdefgh-1234-xyzw"]);
        assert_eq!(redactor.redact("k=abcdefgh-1234-xyzw"), "k=<redacted>");
        assert_eq!(redactor.redact("a abcdefgh-1234 b"), "a <redacted> b");
        // Neither stands whole inside a longer token.
        let inside = Redactor::from_values(["abcdefgh-1234", "defgh-1234-xyzw"]);
        assert_eq!(
            inside.redact("k=abcdefgh-1234-xyzw"),
            "k=abcdefgh-1234-xyzw"
        );
    }
}
