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

use shape::*;

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

/// The passwords of every `scheme://user:password@host` in `value`, whatever the text around
/// them (a command line, a label, a script): `None` when there is none, or when each one is
/// interpolated without a literal default.
pub fn url_credentials(value: &str) -> Option<Verdict> {
    let passwords = url_passwords(value);
    if passwords.is_empty() {
        return None;
    }
    url_verdict(value, passwords)
}

/// Whether `key` names a secret (its words, as [`classify`] reads them): `--password`,
/// `PGPASSWORD`, `api-token`.
pub fn names_secret(key: &str) -> bool {
    matches!(KeyMeaning::of(key), KeyMeaning::Secret(_))
}

/// Whether `key` is about a secret rather than the secret itself: a switch
/// (`ENABLE_PASSWORD_LOGIN`) or a property of one (`PASSWORD_MIN_LENGTH`, `TOKEN_TTL`,
/// `SSH_KEY_PATH`). A key that names no secret at all is not either.
pub fn key_describes_a_secret(key: &str) -> bool {
    matches!(
        KeyMeaning::of(key),
        KeyMeaning::Switch | KeyMeaning::Describes(_)
    )
}

/// Whether `value` holds a secret by its shape alone, whatever its key: a password in a URL,
/// a private key block, a JSON Web Token or a well-known token format.
pub fn has_secret_shape(value: &str) -> bool {
    matches!(
        secret_shape_anywhere(value),
        Some(Verdict::Secret {
            kind: SecretKind::UrlPassword
                | SecretKind::PrivateKeyBlock
                | SecretKind::Jwt
                | SecretKind::KnownTokenFormat,
            ..
        })
    )
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

mod shape;
#[cfg(test)]
mod tests;
