//! Is an `environment:` entry a literal secret?
//!
//! [`classify`] reads the key as words (split on `_`, `-`, `.` and camelCase, so `KEYCLOAK_URL`,
//! `PRIVATE_NETWORK` and `AUTHOR` name no secret) and the value as Compose wrote it (before
//! interpolation, `$$` still escaped). It answers with a [`Verdict`]: a secret with its kind and
//! the byte ranges of the value that hold the secret text (only the password of a URL, only the
//! default of `${VAR:-default}`), or not a secret with the reason.
//!
//! Promises: a key that names a secret (password, key, salt, IV, secret, token, credentials,
//! auth, private) with a literal value is a secret, placeholders such as `changeme` included;
//! URL passwords, private-key blocks, JWTs, well-known token formats and `password=` pairs
//! inside compound values (JAAS, connection strings) are secrets under any key; a literal
//! default of an interpolation is a secret of its own kind.
//!
//! Refuses (never calls a secret): empty values, interpolations without a literal default,
//! switches and booleans, durations and sizes, keys that describe a secret rather than hold it
//! (`*_TOKEN_EXPIRY`, `PASSWORD_MIN_LENGTH`, `*_FILE`, `*_PATH`), file paths, URLs without a
//! password, class/mechanism/algorithm names, marker words (`none`, `user_provided`) and the
//! public half of a key pair (access key ids, public keys, OAuth client keys).
//!
//! Limitations: a neutral key with a value that only looks random is flagged only when the
//! value mixes upper and lower case, digits and symbols; a value assembled from several
//! interpolations and literal text is not a literal secret.

use std::fmt;
use std::ops::Range;

/// Words that make a key name a secret (whole words of the key, trailing digits ignored).
const SECRET_WORDS: &[(&str, SecretWord)] = &[
    ("PASSWORD", SecretWord::Password),
    ("PASSWD", SecretWord::Password),
    ("PASS", SecretWord::Password),
    ("PWD", SecretWord::Password),
    ("PW", SecretWord::Password),
    ("PASSPHRASE", SecretWord::Password),
    ("KEY", SecretWord::Key),
    ("KEYS", SecretWord::Key),
    ("APIKEY", SecretWord::Key),
    ("SALT", SecretWord::Key),
    ("IV", SecretWord::Key),
    ("SECRET", SecretWord::Secret),
    ("SECRETS", SecretWord::Secret),
    ("TOKEN", SecretWord::Token),
    ("TOKENS", SecretWord::Token),
    ("CREDENTIAL", SecretWord::Credential),
    ("CREDENTIALS", SecretWord::Credential),
    ("CREDS", SecretWord::Credential),
    ("AUTH", SecretWord::Auth),
    ("PRIVATE", SecretWord::Private),
];

/// Endings that make a glued word a secret word (`WEBPASSWORD`, `RCONPW`, `CLIENTSECRET`).
const GLUED_SECRET_SUFFIXES: &[(&str, SecretWord)] = &[
    ("PASSWORD", SecretWord::Password),
    ("PASSWD", SecretWord::Password),
    ("PASSPHRASE", SecretWord::Password),
    ("PWD", SecretWord::Password),
    ("PW", SecretWord::Password),
    ("SECRET", SecretWord::Secret),
    ("TOKEN", SecretWord::Token),
    ("APIKEY", SecretWord::Key),
];

/// Words after the secret word that still name the secret itself (`SECRET_KEY_BASE`,
/// `PASSWORD_HASH`); any other word after it names something about the secret.
const SECRET_CONTINUATIONS: &[&str] = &[
    "BASE", "HASH", "HASHED", "VALUE", "STRING", "DATA", "PLAIN", "RAW", "B64", "BASE64", "HEX",
    "PEM", "DER", "JWK", "USERINFO",
];

/// Word sequences after the secret word that still hold a credential (`BASIC_AUTH_USER_INFO`).
const CREDENTIAL_TAILS: &[&[&str]] = &[&["USER", "INFO"]];

/// Words before the secret word that make the key a switch (`MYSQL_RANDOM_ROOT_PASSWORD`,
/// `ALLOW_EMPTY_PASSWORD`).
const SWITCH_WORDS: &[&str] = &[
    "ALLOW", "RANDOM", "EMPTY", "GENERATE", "SKIP", "REQUIRE", "REQUIRED", "ENABLE", "ENABLED",
    "DISABLE", "DISABLED", "USE", "NO", "FORCE",
];

/// Words before `KEY` that make it the public half of a pair.
const PUBLIC_KEY_WORDS: &[&str] = &["PUBLIC", "PUB", "CLIENT", "CONSUMER"];

/// Values that switch something on or off.
const SWITCH_VALUES: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "0", "1", "enable", "enabled", "disable",
    "disabled",
];

/// Values that say "no secret here" or "make one up" rather than being one.
const MARKER_WORDS: &[&str] = &[
    "none",
    "null",
    "nil",
    "undefined",
    "unset",
    "user_provided",
    "auto",
    "generate",
    "generated",
];

/// Mechanism, method and algorithm names (case-insensitive).
const MECHANISM_WORDS: &[&str] = &[
    "oauthbearer",
    "bearer",
    "plain",
    "basic",
    "digest",
    "login",
    "trust",
    "md5",
    "scram-sha-256",
    "scram-sha-512",
    "gssapi",
    "kerberos",
    "ldap",
    "oidc",
    "oauth",
    "oauth2",
    "saml",
    "hs256",
    "hs384",
    "hs512",
    "rs256",
    "rs384",
    "rs512",
    "es256",
    "bcrypt",
    "argon2",
    "argon2id",
    "pbkdf2",
    "sha256",
    "sha512",
];

/// Prefixes of token formats that are secrets wherever they appear (minimum length after it).
const KNOWN_TOKEN_PREFIXES: &[(&str, usize)] = &[
    ("ghp_", 30),
    ("gho_", 30),
    ("ghu_", 30),
    ("ghs_", 30),
    ("ghr_", 30),
    ("github_pat_", 30),
    ("glpat-", 20),
    ("xoxb-", 20),
    ("xoxp-", 20),
    ("xoxa-", 20),
    ("xapp-", 20),
    ("sk_live_", 16),
    ("rk_live_", 16),
    ("sk-ant-", 20),
    ("sk-proj-", 20),
    ("SG.", 40),
    ("AIza", 30),
    ("npm_", 30),
    ("pypi-", 30),
    ("hvs.", 20),
    ("dop_v1_", 40),
    ("shpat_", 30),
    // Plex: links a server to an account.
    ("claim-", 16),
];

/// What kind of secret a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretWord {
    Password,
    Key,
    Secret,
    Token,
    Credential,
    Auth,
    Private,
}

/// Why a value is a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A literal under a key that names a secret.
    Named(SecretWord),
    /// The literal default of `${VAR:-default}` (or `${VAR-default}`).
    InterpolationDefault,
    /// The password in a URL's userinfo (`scheme://user:password@host`).
    UrlPassword,
    /// A password inside a compound value: `user/pass`, `password="…"` in a JAAS config.
    CompoundCredential,
    /// A PEM private key block.
    PrivateKeyBlock,
    /// A JSON Web Token.
    Jwt,
    /// A well-known token format (`ghp_…`, `glpat-…`, `claim-…`).
    KnownTokenFormat,
    /// A value that mixes upper and lower case, digits and symbols like a generated password.
    RandomLooking,
}

/// Why a value is not a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSecret {
    Empty,
    /// `$VAR`, `${VAR}`, `${VAR:?message}`: the value comes from elsewhere.
    Interpolated,
    /// The key names no secret and the value has no secret shape.
    NoSecretName,
    /// The key names something about a secret (its expiry, length, path…): the word.
    DescribesSecret(String),
    /// `ALLOW_EMPTY_PASSWORD`, `MYSQL_RANDOM_ROOT_PASSWORD`.
    SwitchKey,
    /// `true`, `no`, `off`…
    SwitchValue,
    /// A duration or a size.
    Quantity,
    FilePath,
    UrlWithoutPassword,
    /// Access key ids, public keys, OAuth client keys: the half of a pair that may be shown.
    PublicHalf,
    /// `none`, `user_provided`…
    Marker,
    /// A class, mechanism or algorithm name.
    Name,
}

/// The answer of [`classify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `parts` are byte ranges of the value holding secret text (never empty, in order).
    Secret {
        kind: SecretKind,
        parts: Vec<Range<usize>>,
    },
    NotSecret(NotSecret),
}

impl Verdict {
    pub fn is_secret(&self) -> bool {
        matches!(self, Verdict::Secret { .. })
    }

    /// The secret texts of `value` (the one this verdict was computed for).
    pub fn secret_texts<'v>(&self, value: &'v str) -> Vec<&'v str> {
        match self {
            Verdict::Secret { parts, .. } => parts.iter().map(|r| &value[r.clone()]).collect(),
            Verdict::NotSecret(_) => Vec::new(),
        }
    }

    fn secret(kind: SecretKind, part: Range<usize>) -> Verdict {
        Verdict::Secret {
            kind,
            parts: vec![part],
        }
    }

    /// The same verdict for a value found at `offset` inside a larger one.
    fn shifted(self, offset: usize) -> Verdict {
        match self {
            Verdict::Secret { kind, parts } => Verdict::Secret {
                kind,
                parts: parts
                    .into_iter()
                    .map(|r| r.start + offset..r.end + offset)
                    .collect(),
            },
            other => other,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Secret { kind, .. } => write!(f, "secret: {kind}"),
            Verdict::NotSecret(why) => write!(f, "not a secret: {why}"),
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretKind::Named(word) => write!(f, "literal {word:?} (named by the key)"),
            SecretKind::InterpolationDefault => f.write_str("interpolation default"),
            SecretKind::UrlPassword => f.write_str("password in a URL"),
            SecretKind::CompoundCredential => f.write_str("password in a compound value"),
            SecretKind::PrivateKeyBlock => f.write_str("private key block"),
            SecretKind::Jwt => f.write_str("JSON Web Token"),
            SecretKind::KnownTokenFormat => f.write_str("well-known token format"),
            SecretKind::RandomLooking => f.write_str("random-looking value"),
        }
    }
}

impl fmt::Display for NotSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSecret::Empty => f.write_str("empty"),
            NotSecret::Interpolated => f.write_str("interpolated without a literal default"),
            NotSecret::NoSecretName => f.write_str("the key names no secret"),
            NotSecret::DescribesSecret(word) => {
                write!(f, "the key names a {word} of a secret, not the secret")
            }
            NotSecret::SwitchKey => f.write_str("the key is a switch"),
            NotSecret::SwitchValue => f.write_str("a switch value"),
            NotSecret::Quantity => f.write_str("a duration or size"),
            NotSecret::FilePath => f.write_str("a file path"),
            NotSecret::UrlWithoutPassword => f.write_str("a URL without a password"),
            NotSecret::PublicHalf => f.write_str("the public half of a key pair"),
            NotSecret::Marker => f.write_str("a marker word"),
            NotSecret::Name => f.write_str("a class, mechanism or algorithm name"),
        }
    }
}

/// Classifies one `environment:` entry (`value` as written in the compose file).
pub fn classify(key: &str, value: &str) -> Verdict {
    if value.trim().is_empty() {
        return Verdict::NotSecret(NotSecret::Empty);
    }
    if let Some(found) = secret_shape_anywhere(value) {
        return found;
    }
    match KeyMeaning::of(key) {
        KeyMeaning::Secret(word) => classify_named(word, value),
        KeyMeaning::AccessKey if is_random_looking(unquoted(value).0, 30) => {
            Verdict::secret(SecretKind::Named(SecretWord::Key), unquoted_range(value))
        }
        KeyMeaning::AccessKey | KeyMeaning::PublicHalf => Verdict::NotSecret(NotSecret::PublicHalf),
        KeyMeaning::Describes(word) if word == "FILE" || word == "PATH" => {
            Verdict::NotSecret(NotSecret::FilePath)
        }
        KeyMeaning::Describes(word) => {
            Verdict::NotSecret(NotSecret::DescribesSecret(word.to_lowercase()))
        }
        KeyMeaning::Switch => Verdict::NotSecret(NotSecret::SwitchKey),
        KeyMeaning::Neutral => classify_neutral(value),
    }
}

/// What a key's words say about its value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyMeaning {
    Secret(SecretWord),
    /// Names something about a secret: the word that says what.
    Describes(String),
    Switch,
    PublicHalf,
    /// `*_ACCESS_KEY`: usually the id half of a pair, but some providers call the secret so.
    AccessKey,
    Neutral,
}

impl KeyMeaning {
    fn of(key: &str) -> KeyMeaning {
        let words = key_words(key);
        let Some((at, word)) = words
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, w)| secret_word(w).map(|s| (i, s)))
        else {
            return KeyMeaning::Neutral;
        };
        let after = &words[at + 1..];
        if !names_the_secret_itself(after) {
            let describing = after
                .iter()
                .rev()
                .find(|w| !SECRET_CONTINUATIONS.contains(&w.as_str()))
                .cloned()
                .unwrap_or_default();
            return match (word, describing.as_str()) {
                (SecretWord::Key, "ID") => KeyMeaning::PublicHalf,
                _ => KeyMeaning::Describes(describing),
            };
        }
        let before = &words[..at];
        if before.iter().any(|w| SWITCH_WORDS.contains(&w.as_str())) {
            return KeyMeaning::Switch;
        }
        if word == SecretWord::Key {
            let previous = before.last().map(String::as_str);
            if previous.is_some_and(|w| PUBLIC_KEY_WORDS.contains(&w)) {
                return KeyMeaning::PublicHalf;
            }
            let secret_named_elsewhere = before
                .iter()
                .any(|w| secret_word(w) == Some(SecretWord::Secret));
            if previous == Some("ACCESS") && !secret_named_elsewhere {
                return KeyMeaning::AccessKey;
            }
        }
        KeyMeaning::Secret(word)
    }
}

fn names_the_secret_itself(after: &[String]) -> bool {
    after
        .iter()
        .all(|w| SECRET_CONTINUATIONS.contains(&w.as_str()))
        || CREDENTIAL_TAILS
            .iter()
            .any(|tail| after.iter().map(String::as_str).eq(tail.iter().copied()))
}

/// The key's words, upper case: split on anything but letters and digits, and at camelCase.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = key.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            flush_word(&mut current, &mut words);
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let camel_start = c.is_uppercase()
            && previous.is_some_and(|p| {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if camel_start {
            flush_word(&mut current, &mut words);
        }
        current.extend(c.to_uppercase());
    }
    flush_word(&mut current, &mut words);
    words
}

fn flush_word(current: &mut String, words: &mut Vec<String>) {
    if !current.is_empty() {
        words.push(std::mem::take(current));
    }
}

fn secret_word(word: &str) -> Option<SecretWord> {
    // `PASSWORD2`, `KEY_1`: the digits number the secret, they do not change what it is.
    let word = word.trim_end_matches(|c: char| c.is_ascii_digit());
    if let Some((_, kind)) = SECRET_WORDS.iter().find(|(w, _)| *w == word) {
        return Some(*kind);
    }
    GLUED_SECRET_SUFFIXES
        .iter()
        .find(|(suffix, _)| word.len() > suffix.len() + 1 && word.ends_with(suffix))
        .map(|(_, kind)| *kind)
}

/// A value under a key that names a secret.
fn classify_named(word: SecretWord, value: &str) -> Verdict {
    let (inner, offset) = unquoted(value);
    if inner.trim().is_empty() {
        return Verdict::NotSecret(NotSecret::Empty);
    }
    if let Some(interpolation) = WholeInterpolation::parse(inner) {
        return match interpolation.literal_default() {
            Some(range) => match classify_named(word, &inner[range.clone()]) {
                Verdict::Secret { parts, .. } => Verdict::Secret {
                    kind: SecretKind::InterpolationDefault,
                    parts,
                }
                .shifted(offset + range.start),
                not_secret => not_secret,
            },
            None => Verdict::NotSecret(NotSecret::Interpolated),
        };
    }
    if has_interpolation(inner) {
        return Verdict::NotSecret(NotSecret::Interpolated);
    }
    let literal = inner.replace("$$", "$");
    if let Some(why) = not_a_secret_value(&literal) {
        return Verdict::NotSecret(why);
    }
    if let Some(password) = compound_password(inner).filter(|_| word == SecretWord::Auth) {
        return Verdict::secret(SecretKind::CompoundCredential, password).shifted(offset);
    }
    Verdict::secret(SecretKind::Named(word), offset..offset + inner.len())
}

/// Shapes that say "not a secret" even under a secret key.
fn not_a_secret_value(literal: &str) -> Option<NotSecret> {
    let lower = literal.trim().to_lowercase();
    if SWITCH_VALUES.contains(&lower.as_str()) {
        return Some(NotSecret::SwitchValue);
    }
    if MARKER_WORDS.contains(&lower.as_str()) {
        return Some(NotSecret::Marker);
    }
    if MECHANISM_WORDS.contains(&lower.as_str()) || is_class_name(literal) {
        return Some(NotSecret::Name);
    }
    if is_quantity(&lower) {
        return Some(NotSecret::Quantity);
    }
    if is_file_path(literal) {
        return Some(NotSecret::FilePath);
    }
    if url_authority(literal).is_some() {
        return Some(NotSecret::UrlWithoutPassword);
    }
    None
}

/// A value under a key that names no secret: only its shape or the name of the variable it
/// defaults can make it one.
fn classify_neutral(value: &str) -> Verdict {
    let (inner, offset) = unquoted(value);
    if let Some(interpolation) = WholeInterpolation::parse(inner) {
        if let (KeyMeaning::Secret(word), Some(range)) = (
            KeyMeaning::of(interpolation.name),
            interpolation.literal_default(),
        ) && let Verdict::Secret { parts, .. } = classify_named(word, &inner[range.clone()])
        {
            return Verdict::Secret {
                kind: SecretKind::InterpolationDefault,
                parts,
            }
            .shifted(offset + range.start);
        }
        return Verdict::NotSecret(NotSecret::NoSecretName);
    }
    if !has_interpolation(inner) && is_random_looking(inner, 12) {
        return Verdict::secret(SecretKind::RandomLooking, offset..offset + inner.len());
    }
    Verdict::NotSecret(NotSecret::NoSecretName)
}

/// Secrets recognisable by the value alone, whatever the key.
fn secret_shape_anywhere(value: &str) -> Option<Verdict> {
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
fn url_verdict(value: &str, passwords: Vec<Range<usize>>) -> Option<Verdict> {
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
struct WholeInterpolation<'a> {
    name: &'a str,
    /// The operator (`:-`, `-`, `:?`, `?`, `:+`, `+`) and the text after it, as a range.
    operator: &'a str,
    argument: Range<usize>,
}

impl<'a> WholeInterpolation<'a> {
    fn parse(text: &'a str) -> Option<WholeInterpolation<'a>> {
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
    fn literal_default(&self) -> Option<Range<usize>> {
        let is_default = self.operator == ":-" || self.operator == "-";
        (is_default && !self.argument.is_empty()).then(|| self.argument.clone())
    }
}

fn is_variable_name(text: &str) -> bool {
    text.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && text.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The index of the `}` closing the `${` whose body starts at `from` (nested `${…}` and `$$`
/// skipped).
fn matching_brace(text: &str, from: usize) -> Option<usize> {
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
fn has_interpolation(text: &str) -> bool {
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
fn unquoted(value: &str) -> (&str, usize) {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return (&value[1..value.len() - 1], 1);
        }
    }
    (value, 0)
}

fn unquoted_range(value: &str) -> Range<usize> {
    let (inner, offset) = unquoted(value);
    offset..offset + inner.len()
}

/// The byte ranges of the non-empty passwords of every `scheme://user:password@host` in
/// `value` (the userinfo may hold interpolations).
fn url_passwords(value: &str) -> Vec<Range<usize>> {
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
fn url_authority(value: &str) -> Option<Range<usize>> {
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
fn url_authority_at(value: &str, start: usize) -> Option<Range<usize>> {
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

fn find_outside_braces(text: &str, wanted: char) -> Option<usize> {
    positions_outside_braces(text, wanted).next()
}

fn rfind_outside_braces(text: &str, wanted: char) -> Option<usize> {
    positions_outside_braces(text, wanted).last()
}

fn positions_outside_braces(text: &str, wanted: char) -> impl Iterator<Item = usize> + '_ {
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
fn private_key_block(value: &str) -> Option<Range<usize>> {
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
fn jwt(value: &str) -> Option<Range<usize>> {
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

fn is_known_token(value: &str) -> bool {
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
fn secret_pairs(value: &str) -> Vec<Range<usize>> {
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
fn pair_value_at(value: &str, start: usize) -> Option<Range<usize>> {
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
fn compound_password(value: &str) -> Option<Range<usize>> {
    if value.contains(char::is_whitespace) || value.contains("://") {
        return None;
    }
    let separator = value.find(['/', ':'])?;
    let (user, password) = (&value[..separator], &value[separator + 1..]);
    let single = !password.contains(['/', ':']);
    (single && !user.is_empty() && !password.is_empty()).then(|| separator + 1..value.len())
}

fn is_class_name(value: &str) -> bool {
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
fn is_quantity(lower: &str) -> bool {
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
fn is_file_path(value: &str) -> bool {
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
fn is_random_looking(value: &str, min_len: usize) -> bool {
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

fn shannon_bits_per_char(value: &str) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(key: &str, value: &str) -> Vec<String> {
        let verdict = classify(key, value);
        assert!(verdict.is_secret(), "{key}={value}: {verdict}");
        verdict
            .secret_texts(value)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn not_secret(key: &str, value: &str) -> NotSecret {
        match classify(key, value) {
            Verdict::NotSecret(why) => why,
            verdict => panic!("{key}={value}: {verdict}"),
        }
    }

    #[test]
    fn secret_words_in_keys() {
        for key in [
            "DB_PASSWORD",
            "IMAP_PASS",
            "MYSQL_PWD",
            "TV_PW",
            "CS2_RCONPW",
            "WEBPASSWORD",
            "APP_KEY",
            "ENCRYPTION_SALT",
            "ENCRYPTION_IV",
            "CSRF_COOKIE_SECRET",
            "API_TOKEN",
            "GOOGLE_CREDENTIALS",
            "WIREGUARD_PRIVATE_KEY",
            "SECRET_KEY_BASE",
            "PASSWORD_HASH",
            "clientSecret",
            "database__connection__password",
            "sonar.jdbc.password",
            "REPLICA_PASSWORD2",
        ] {
            assert_eq!(secret(key, "s3cr3t-value"), ["s3cr3t-value"], "{key}");
        }
    }

    #[test]
    fn words_are_whole_words() {
        for key in [
            "KEYCLOAK_URL",
            "PRIVATE_NETWORK",
            "AUTHOR",
            "KEYBOARD",
            "PASSPORT_ID",
        ] {
            assert!(!classify(key, "anything-here").is_secret(), "{key}");
        }
        assert_eq!(key_words("keyStorePassword"), ["KEY", "STORE", "PASSWORD"]);
        assert_eq!(key_words("HTTPServer_URL"), ["HTTP", "SERVER", "URL"]);
    }

    #[test]
    fn placeholders_are_secrets() {
        for value in [
            "changeme",
            "password",
            "secret",
            "example",
            "<root-password>",
            "'<PSK>'",
        ] {
            assert!(classify("DB_PASSWORD", value).is_secret(), "{value}");
        }
        assert_eq!(secret("PASSWORD", "\"admin\""), ["admin"]);
    }

    #[test]
    fn empty_and_interpolated_values_are_not_secrets() {
        assert_eq!(not_secret("DB_PASSWORD", ""), NotSecret::Empty);
        assert_eq!(not_secret("DB_PASSWORD", "  "), NotSecret::Empty);
        for value in [
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "${X:-}",
            "${X:?must be set}",
            "${X?}",
        ] {
            assert_eq!(
                not_secret("DB_PASSWORD", value),
                NotSecret::Interpolated,
                "{value}"
            );
        }
    }

    #[test]
    fn literal_interpolation_defaults_are_secrets_of_their_own_kind() {
        let value = "${DB_PASSWORD:-hunter2}";
        assert_eq!(
            classify("POSTGRES_PASSWORD", value),
            Verdict::secret(SecretKind::InterpolationDefault, 15..22)
        );
        assert_eq!(secret("X", "${DB_PASSWORD-hunter2}"), ["hunter2"]);
        assert_eq!(secret("X", "${DB_PASSWORD:-${OLD:-hunter2}}"), ["hunter2"]);
        assert_eq!(secret("DB_PASS", "${A:-${B:-hunter2}}"), ["hunter2"]);
        assert_eq!(
            not_secret("ALLOW_EMPTY_PASSWORD", "${ALLOW_EMPTY_PASSWORD:-yes}"),
            NotSecret::SwitchKey
        );
        assert_eq!(
            not_secret("SENTRY_DSN", "\"${JVB_SENTRY_DSN:-0}\""),
            NotSecret::NoSecretName
        );
    }

    #[test]
    fn defaults_agree_with_compose_substitution() {
        // The literal default found is what Compose substitutes when the variable is unset.
        let unset = std::collections::HashMap::<String, String>::new();
        for value in ["${DB_PASSWORD:-hunter2}", "${P-a$$b}", "${A:-${B:-x}}"] {
            let range = WholeInterpolation::parse(value)
                .and_then(|i| i.literal_default())
                .unwrap();
            let expected = crate::compose::template::substitute(value, &unset)
                .unwrap()
                .value;
            let default = &value[range];
            let ours = crate::compose::template::substitute(default, &unset)
                .unwrap()
                .value;
            assert_eq!(ours, expected, "{value}");
        }
    }

    #[test]
    fn switches_and_booleans_are_not_secrets() {
        assert_eq!(
            not_secret("ALLOW_EMPTY_PASSWORD", "yes"),
            NotSecret::SwitchKey
        );
        assert_eq!(
            not_secret("MYSQL_RANDOM_ROOT_PASSWORD", "true"),
            NotSecret::SwitchKey
        );
        assert_eq!(
            not_secret("ALLOW_PASSWORD_RESET", "false"),
            NotSecret::DescribesSecret("reset".into())
        );
        assert_eq!(not_secret("BASIC_AUTH", "False"), NotSecret::SwitchValue);
        assert_eq!(not_secret("SERVER_TOKENS", "off"), NotSecret::SwitchValue);
    }

    #[test]
    fn durations_expiries_and_lengths_are_not_secrets() {
        assert_eq!(
            not_secret("JWT_TOKEN_EXPIRY", "3600"),
            NotSecret::DescribesSecret("expiry".into())
        );
        assert_eq!(
            not_secret("PASSWORD_MIN_LENGTH", "12"),
            NotSecret::DescribesSecret("length".into())
        );
        assert_eq!(not_secret("SESSION_TOKEN", "24h"), NotSecret::Quantity);
    }

    #[test]
    fn providers_issuers_class_names_and_algorithms_are_not_secrets() {
        assert!(matches!(
            not_secret("AUTH_CREDENTIALS_PROVIDER", "OAUTHBEARER"),
            NotSecret::DescribesSecret(_)
        ));
        assert!(matches!(
            not_secret("REGISTRY_AUTH_TOKEN_ISSUER", "gitlab-issuer"),
            NotSecret::DescribesSecret(_)
        ));
        assert_eq!(
            not_secret("CONNECT_SECRET", "io.confluent.connect.SecretProvider"),
            NotSecret::Name
        );
        assert_eq!(not_secret("JWT_SECRET", "HS256"), NotSecret::Name);
        assert_eq!(not_secret("SMTP_AUTH", "login"), NotSecret::Name);
    }

    #[test]
    fn file_paths_are_not_secrets() {
        assert_eq!(
            not_secret("DATABASE_PASSWORD", "/run/secrets/db-password"),
            NotSecret::FilePath
        );
        assert_eq!(
            not_secret("POSTGRES_PASSWORD_FILE", "/run/secrets/x"),
            NotSecret::FilePath
        );
        assert_eq!(
            not_secret("xpack.security.http.ssl.key", "certs/es-key.pem"),
            NotSecret::FilePath
        );
        assert_eq!(
            not_secret(
                "JWT_SECRET_KEY",
                "%kernel.project_dir%/config/jwt/private.pem"
            ),
            NotSecret::FilePath
        );
        assert!(classify("DB_PASSWORD", "/Zx9").is_secret());
    }

    #[test]
    fn hosts_ports_and_users_are_not_secrets() {
        assert_eq!(not_secret("DB_HOST", "postgres"), NotSecret::NoSecretName);
        assert!(matches!(
            not_secret("SECRET_PORT", "3000"),
            NotSecret::DescribesSecret(_)
        ));
        assert!(matches!(
            not_secret("BASIC_AUTH_USERNAME", "admin"),
            NotSecret::DescribesSecret(_)
        ));
        assert_eq!(
            not_secret("KEYCLOAK_ADMIN", "admin"),
            NotSecret::NoSecretName
        );
    }

    #[test]
    fn access_key_ids_are_the_public_half() {
        // The id names the key pair (it appears in logs and IAM listings); only the secret half
        // authenticates. A long random "access key" is an account key (Azure) and is a secret.
        assert_eq!(
            not_secret("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            NotSecret::PublicHalf
        );
        assert_eq!(
            not_secret("MINIO_ACCESS_KEY", "minioadmin"),
            NotSecret::PublicHalf
        );
        assert_eq!(
            not_secret("STORAGE_ACCESS_KEY", "minio"),
            NotSecret::PublicHalf
        );
        assert!(classify("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG").is_secret());
        assert!(
            classify(
                "AZURE_STORAGE_ACCESS_KEY",
                "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
            )
            .is_secret()
        );
        assert_eq!(
            not_secret("WIREGUARD_PUBLIC_KEY", "abc123"),
            NotSecret::PublicHalf
        );
        assert_eq!(
            not_secret("OG_OIDC_CLIENT_KEY", "mykey"),
            NotSecret::PublicHalf
        );
    }

    #[test]
    fn marker_words_are_not_secrets() {
        assert_eq!(
            not_secret("CF_API_TOKEN", "user_provided"),
            NotSecret::Marker
        );
        assert_eq!(not_secret("NEO4J_AUTH", "none"), NotSecret::Marker);
    }

    #[test]
    fn url_credentials_in_any_key() {
        let value = "postgres://u:p4ss@h/db";
        assert_eq!(
            classify("DATABASE_URL", value),
            Verdict::secret(SecretKind::UrlPassword, 13..17)
        );
        assert_eq!(
            secret("DSN", "mysql://root:secret@tcp(db:3306)/x"),
            ["secret"]
        );
        assert_eq!(
            secret("REDIS_URL", "redis://:hunter2@cache:6379"),
            ["hunter2"]
        );
        assert_eq!(
            secret("DB", "postgres://${U:-app}:${P:-linkwarden}@db/x"),
            ["linkwarden"]
        );
        assert_eq!(
            not_secret("MONGO_URL", "mongodb://root:${ROOT_PASS}@mongo/"),
            NotSecret::NoSecretName
        );
        assert!(!classify("DSN", "cockroach://root@crdb:26257/db").is_secret());
        assert!(!classify("X", "http://example.com/a@b").is_secret());
        assert_eq!(
            not_secret("TOKEN_URL", "https://idp/token"),
            NotSecret::DescribesSecret("url".into())
        );
    }

    #[test]
    fn compound_values() {
        assert_eq!(secret("NEO4J_AUTH", "neo4j/s3cret"), ["s3cret"]);
        let jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required \\\nusername=\"admin\" \\\npassword=\"admin-secret\" \\\nuser_admin=\"admin-secret\";\n";
        assert_eq!(
            secret("KAFKA_SASL_JAAS_CONFIG", jaas),
            ["admin-secret", "admin-secret"]
        );
        let interpolated =
            "OAuthBearerLoginModule required clientId=\"$ID\" clientSecret=\"$SECRET\";";
        assert!(!classify("SASL_JAAS_CONFIG", interpolated).is_secret());
        assert_eq!(
            secret(
                "DB_CONNECTION",
                "Host=db;Username=app;Password=hunter2;Database=app"
            ),
            ["hunter2"]
        );
        assert_eq!(
            secret(
                "JAVA_OPTS",
                "-Xmx1g -Djavax.net.ssl.keyStorePassword=changeit"
            ),
            ["changeit"]
        );
        assert!(
            !classify(
                "KAFKA_LOG4J_LOGGERS",
                "kafka.x=INFO,io.confluent.security.auth=INFO"
            )
            .is_secret()
        );
    }

    #[test]
    fn shapes_that_are_secrets_under_any_key() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(secret("TLS", pem), [pem.trim_end()]);
        assert!(
            !classify(
                "CA",
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
            )
            .is_secret()
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(secret("SUPABASE_ANON", jwt), [jwt]);
        assert!(classify("PLEX_CLAIM", "claim-dvmURANy9Z7MbJhmY7V7").is_secret());
        assert!(classify("TEST", "'HQTb_=d.4*FPN@^;w2)UZ%'").is_secret());
        assert!(!classify("CLUSTER_ID", "MkU3OEVBNTcwNTJENDM2Qk").is_secret());
    }

    #[test]
    fn compose_dollar_escapes_are_literal() {
        let hash = "$$2a$$12$$FGHsQAGm9N9sxJ54RiWiMumk2QkRVjyueCv9mRbrdc1f8y6pN36mq";
        assert_eq!(secret("PASSWORD_HASH", hash), [hash]);
        assert!(has_interpolation("a$b"));
        assert!(!has_interpolation("a$$b$"));
    }
}
