//! What a value looks like, whatever its key: URLs with a password, interpolation defaults,
//! private keys, JWTs, token formats, `password=` pairs in compound values, quantities,
//! paths and randomness.

use std::ops::Range;

use super::*;

/// Secrets recognisable by the value alone, whatever the key.
pub(super) fn secret_shape_anywhere(value: &str) -> Option<Verdict> {
    let url_parts = url_passwords(value);
    if !url_parts.is_empty() {
        return url_verdict(value, url_parts);
    }
    if let Some(block) = private_key_block(value) {
        return Some(Verdict::secret(SecretKind::PrivateKeyBlock, block));
    }
    if let Some(jwt) = jwt(value) {
        return Some(Verdict::secret(SecretKind::Jwt, jwt));
    }
    let (inner, offset) = unquoted(value);
    if is_known_token(inner) {
        return Some(Verdict::secret(
            SecretKind::KnownTokenFormat,
            offset..offset + inner.len(),
        ));
    }
    let pairs = secret_pairs(value);
    if !pairs.is_empty() {
        return Some(Verdict::Secret {
            kind: SecretKind::CompoundCredential,
            parts: pairs,
        });
    }
    None
}

/// URL passwords: literal ones are secrets, `${VAR:-literal}` ones are interpolation defaults,
/// interpolated ones are nothing.
pub(super) fn url_verdict(value: &str, passwords: Vec<Range<usize>>) -> Option<Verdict> {
    let mut literal = Vec::new();
    let mut defaults = Vec::new();
    for range in passwords {
        let text = &value[range.clone()];
        match WholeInterpolation::parse(text) {
            Some(interpolation) => {
                if let Some(default) = interpolation.literal_default() {
                    let word = match KeyMeaning::of(interpolation.name) {
                        KeyMeaning::Secret(word) => word,
                        _ => SecretWord::Password,
                    };
                    if classify_named(word, &text[default.clone()]).is_secret() {
                        defaults.push(range.start + default.start..range.start + default.end);
                    }
                }
            }
            None if has_interpolation(text) => {}
            None => literal.push(range),
        }
    }
    if !literal.is_empty() {
        literal.extend(defaults);
        literal.sort_by_key(|r| r.start);
        return Some(Verdict::Secret {
            kind: SecretKind::UrlPassword,
            parts: literal,
        });
    }
    (!defaults.is_empty()).then_some(Verdict::Secret {
        kind: SecretKind::InterpolationDefault,
        parts: defaults,
    })
}

/// `${NAME}`, `${NAME:-default}`, `$NAME`… when it is the whole value.
pub(super) struct WholeInterpolation<'a> {
    pub(super) name: &'a str,
    /// The operator (`:-`, `-`, `:?`, `?`, `:+`, `+`) and the text after it, as a range.
    operator: &'a str,
    argument: Range<usize>,
}

impl<'a> WholeInterpolation<'a> {
    pub(super) fn parse(text: &'a str) -> Option<WholeInterpolation<'a>> {
        if let Some(name) = text.strip_prefix('$').filter(|n| is_variable_name(n)) {
            return Some(WholeInterpolation {
                name,
                operator: "",
                argument: text.len()..text.len(),
            });
        }
        let body = text.strip_prefix("${")?;
        if matching_brace(text, 2)? != text.len() - 1 {
            return None;
        }
        let body = &body[..body.len() - 1];
        let name_end = body
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(body.len());
        let name = &body[..name_end];
        let rest = &body[name_end..];
        let operator_len = ["::-", ":-", ":?", ":+", "-", "?", "+"]
            .iter()
            .find(|op| rest.starts_with(**op))
            .map_or(0, |op| op.len());
        if name.is_empty() || (operator_len == 0 && !rest.is_empty()) {
            return None;
        }
        let argument_start = 2 + name_end + operator_len;
        Some(WholeInterpolation {
            name,
            operator: &rest[..operator_len],
            argument: argument_start..text.len() - 1,
        })
    }

    /// The default's range when it is a literal Compose would use (`:-`/`-`), non-empty.
    pub(super) fn literal_default(&self) -> Option<Range<usize>> {
        let is_default = self.operator == ":-" || self.operator == "-";
        (is_default && !self.argument.is_empty()).then(|| self.argument.clone())
    }
}

pub(super) fn is_variable_name(text: &str) -> bool {
    text.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && text.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The index of the `}` closing the `${` whose body starts at `from` (nested `${…}` and `$$`
/// skipped).
pub(super) fn matching_brace(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'$', Some(b'$')) => i += 1,
            (b'$', Some(b'{')) => {
                depth += 1;
                i += 1;
            }
            (b'}', _) => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether Compose would substitute anything in `text` (`$$` is a literal `$`).
pub(super) fn has_interpolation(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            match bytes.get(i + 1) {
                Some(b'$') => i += 1,
                Some(b'{') => return true,
                Some(c) if *c == b'_' || c.is_ascii_alphabetic() => return true,
                _ => {}
            }
        }
        i += 1;
    }
    false
}

/// The value without one pair of matching surrounding quotes (list-form values keep them
/// literally), and the offset of what is left.
pub(super) fn unquoted(value: &str) -> (&str, usize) {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return (&value[1..value.len() - 1], 1);
        }
    }
    (value, 0)
}

pub(super) fn unquoted_range(value: &str) -> Range<usize> {
    let (inner, offset) = unquoted(value);
    offset..offset + inner.len()
}

/// The byte ranges of the non-empty passwords of every `scheme://user:password@host` in
/// `value` (the userinfo may hold interpolations).
pub(super) fn url_passwords(value: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = value[from..].find("://") {
        let start = from + at + 3;
        from = start;
        let Some(authority) = url_authority_at(value, start) else {
            continue;
        };
        let text = &value[authority.clone()];
        let Some(at_sign) = rfind_outside_braces(text, '@') else {
            continue;
        };
        let Some(colon) = find_outside_braces(&text[..at_sign], ':') else {
            continue;
        };
        if colon + 1 < at_sign {
            found.push(authority.start + colon + 1..authority.start + at_sign);
        }
    }
    found
}

/// The authority of a URL starting at `value` (`scheme://authority/…`), if `value` is one.
pub(super) fn url_authority(value: &str) -> Option<Range<usize>> {
    let scheme_end = value.find("://")?;
    let scheme = &value[..scheme_end];
    let is_scheme = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-:".contains(c));
    is_scheme
        .then(|| url_authority_at(value, scheme_end + 3))
        .flatten()
}

/// The authority starting at `start`: up to `/`, `?`, `#`, whitespace or a quote outside
/// `${…}`.
pub(super) fn url_authority_at(value: &str, start: usize) -> Option<Range<usize>> {
    let rest = &value[start..];
    let mut depth = 0usize;
    let mut end = rest.len();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '$' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                depth += 1;
                chars.next();
            }
            '}' if depth > 0 => depth -= 1,
            '/' | '?' | '#' | '"' | '\'' | ',' | ';' | '\\' if depth == 0 => {
                end = i;
                break;
            }
            c if c.is_whitespace() && depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    (end > 0).then_some(start..start + end)
}

pub(super) fn find_outside_braces(text: &str, wanted: char) -> Option<usize> {
    positions_outside_braces(text, wanted).next()
}

pub(super) fn rfind_outside_braces(text: &str, wanted: char) -> Option<usize> {
    positions_outside_braces(text, wanted).last()
}

pub(super) fn positions_outside_braces(
    text: &str,
    wanted: char,
) -> impl Iterator<Item = usize> + '_ {
    let mut depth = 0usize;
    let mut previous = None;
    text.char_indices().filter_map(move |(i, c)| {
        let hit = match c {
            '{' if previous == Some('$') => {
                depth += 1;
                false
            }
            '}' if depth > 0 => {
                depth -= 1;
                false
            }
            c => c == wanted && depth == 0,
        };
        previous = Some(c);
        hit.then_some(i)
    })
}

/// `-----BEGIN … PRIVATE KEY-----` up to its END line (or the end of the value).
pub(super) fn private_key_block(value: &str) -> Option<Range<usize>> {
    let start = value.find("-----BEGIN ")?;
    let header_end = start + value[start..].find('\n').unwrap_or(value.len() - start);
    if !value[start..header_end].contains("PRIVATE KEY-----") {
        return None;
    }
    let end = value[start..]
        .find("-----END ")
        .and_then(|e| {
            let from = start + e + "-----END ".len();
            value[from..].find("-----").map(|d| from + d + 5)
        })
        .unwrap_or(value.len());
    Some(start..end)
}

/// `eyJ….eyJ….signature` anywhere in the value.
pub(super) fn jwt(value: &str) -> Option<Range<usize>> {
    let is_b64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut from = 0;
    while let Some(at) = value[from..].find("eyJ") {
        let start = from + at;
        from = start + 3;
        let end = value[start..]
            .find(|c: char| !(is_b64url(c) || c == '.'))
            .map_or(value.len(), |e| start + e);
        let token = &value[start..end];
        let parts: Vec<&str> = token.split('.').collect();
        let before_ok = !value[..start].ends_with(is_b64url);
        if before_ok && parts.len() == 3 && parts[0].len() >= 10 && parts[1].starts_with("eyJ") {
            return Some(start..end);
        }
    }
    None
}

pub(super) fn is_known_token(value: &str) -> bool {
    KNOWN_TOKEN_PREFIXES.iter().any(|(prefix, min_rest)| {
        value.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() >= *min_rest
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.=".contains(c))
        })
    })
}

/// `password="…"`, `Password=…;`, `-Djavax.net.ssl.keyStorePassword=…` inside a compound value
/// (JAAS configs, connection strings, JVM options): the literal values of names that name a
/// secret.
pub(super) fn secret_pairs(value: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = value[from..].find('=') {
        let eq = from + at;
        from = eq + 1;
        let name_start = value[..eq]
            .rfind(|c: char| !(c.is_alphanumeric() || "_.-".contains(c)))
            .map_or(0, |p| p + 1);
        let name = value[name_start..eq].trim_start_matches("-D");
        // Inside base64 (`…Pw==`) a `name=` is no name: a name starts the value or follows a
        // separator.
        let starts_pair = value[..name_start]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || ";,\"'(".contains(c));
        if name.is_empty() || !starts_pair || value[eq + 1..].starts_with('=') {
            continue;
        }
        // JAAS PlainLoginModule defines users as `user_<name>="<password>"`.
        let jaas_user = value.contains("LoginModule") && name.starts_with("user_");
        // `auth` alone in a compound value names a logger or a mechanism far more often than a
        // credential (`io.confluent.security.auth=INFO`).
        let names_secret = matches!(
            KeyMeaning::of(name),
            KeyMeaning::Secret(word) if word != SecretWord::Auth
        );
        if !jaas_user && !names_secret {
            continue;
        }
        let Some(pair_value) = pair_value_at(value, eq + 1) else {
            continue;
        };
        let text = &value[pair_value.clone()];
        if !text.is_empty() && !has_interpolation(text) && not_a_secret_value(text).is_none() {
            found.push(pair_value);
        }
    }
    found
}

/// The value after `=` at `start`: quoted (`"…"` with `\"` escapes, `'…'`) or bare up to `;`,
/// `,`, whitespace or a backslash.
pub(super) fn pair_value_at(value: &str, start: usize) -> Option<Range<usize>> {
    let rest = &value[start..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
    match quote {
        Some(q) => {
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    c if c == q && !escaped => return Some(start + 1..start + i),
                    _ => escaped = false,
                }
            }
            None
        }
        None => {
            let end = rest
                .find(|c: char| c == ';' || c == ',' || c == '\\' || c.is_whitespace())
                .unwrap_or(rest.len());
            Some(start..start + end)
        }
    }
}

/// `user/password` or `user:password` (NEO4J_AUTH): the password's range.
pub(super) fn compound_password(value: &str) -> Option<Range<usize>> {
    if value.contains(char::is_whitespace) || value.contains("://") {
        return None;
    }
    let separator = value.find(['/', ':'])?;
    let (user, password) = (&value[..separator], &value[separator + 1..]);
    let single = !password.contains(['/', ':']);
    (single && !user.is_empty() && !password.is_empty()).then(|| separator + 1..value.len())
}

pub(super) fn is_class_name(value: &str) -> bool {
    let segments: Vec<&str> = value.split('.').collect();
    segments.len() >= 3
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
        && segments[0].starts_with(|c: char| c.is_ascii_lowercase())
        && segments
            .last()
            .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// `30s`, `15m`, `24h`, `7d`, `512mb`, `1.5g`.
pub(super) fn is_quantity(lower: &str) -> bool {
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    const UNITS: &[&str] = &[
        "ms", "s", "m", "h", "d", "w", "y", "k", "kb", "mb", "g", "gb", "kib", "mib", "gib",
    ];
    !number.is_empty() && number.starts_with(|c: char| c.is_ascii_digit()) && UNITS.contains(&unit)
}

/// `/run/secrets/db`, `./certs/key.pem`, `~/x`, `certs/ca.pem`, `%kernel.project_dir%/jwt.pem`.
pub(super) fn is_file_path(value: &str) -> bool {
    let path_chars = |c: char| c.is_alphanumeric() || "/._-~%@:[]".contains(c);
    if value.is_empty() || !value.chars().all(path_chars) || !value.contains('/') {
        return false;
    }
    let rooted = ["/", "./", "../", "~/"]
        .iter()
        .any(|p| value.starts_with(p))
        || (value.starts_with('%') && value[1..].contains("%/"));
    let file_name = value.rsplit('/').next().unwrap_or_default();
    let has_extension = file_name
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && (1..=5).contains(&ext.len()));
    // A rooted value is a path when it has more than one level or a file extension: a single
    // `/Zx9` could as well be a password that starts with a slash.
    has_extension || (rooted && value.matches('/').count() >= 2)
}

/// Mixed upper and lower case, digits and symbols, no whitespace, no long lowercase words,
/// at least `min_len` characters: the shape of a generated password.
pub(super) fn is_random_looking(value: &str, min_len: usize) -> bool {
    let len = value.chars().count();
    if len < min_len || len > 256 || value.contains(char::is_whitespace) {
        return false;
    }
    let lower = value.chars().any(|c| c.is_ascii_lowercase());
    let upper = value.chars().any(|c| c.is_ascii_uppercase());
    let digit = value.chars().any(|c| c.is_ascii_digit());
    let symbol = value.chars().any(|c| !c.is_alphanumeric());
    let longest_lowercase_run = value
        .split(|c: char| !c.is_ascii_lowercase())
        .map(str::len)
        .max()
        .unwrap_or(0);
    lower
        && upper
        && digit
        && (symbol || len >= 30)
        && longest_lowercase_run < 5
        && shannon_bits_per_char(value) >= 3.5
}

pub(super) fn shannon_bits_per_char(value: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in value.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let len = value.chars().count() as f64;
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum()
}
