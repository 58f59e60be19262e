//! Image references as Docker reads them (`distribution/reference` grammar and Docker's
//! normalisation): `[registry[:port]/]path[:tag][@digest]`.
//!
//! Promised: the name is kept as the user spelled it (so a pinned reference reads like the
//! original), while [`ImageRef::registry`] and [`ImageRef::repository`] are normalised
//! (`docker.io`, `library/` for official images). Refused: uppercase repository paths,
//! malformed tags and digests, names longer than 255 characters.

use std::fmt;

/// Docker Hub's canonical name in references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// The name exactly as written, without tag or digest (`postgres`, `ghcr.io/org/app`).
    pub name: String,
    /// The registry: `docker.io` for Docker Hub, otherwise the host as written (lowercase).
    pub registry: String,
    /// The repository path inside the registry (`library/postgres`, `org/app`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("empty image reference")]
    Empty,
    #[error("`{0}`: repository names must be lowercase (try `{1}`)")]
    Uppercase(String, String),
    #[error(
        "`{0}`: invalid repository name; components are lowercase letters, digits and single `.`, `_`, `__` or `-` separators"
    )]
    InvalidName(String),
    #[error(
        "`{0}`: invalid tag; tags are up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
    )]
    InvalidTag(String),
    #[error("`{0}`: invalid digest; expected `sha256:` followed by 64 hexadecimal digits")]
    InvalidDigest(String),
    #[error("`{0}`: name longer than 255 characters")]
    TooLong(String),
}

impl ImageRef {
    pub fn parse(reference: &str) -> Result<ImageRef, ReferenceError> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(parse_digest(digest)?)),
            None => (reference, None),
        };
        let (name, tag) = split_tag(rest);
        if let Some(tag) = tag {
            validate_tag(tag)?;
        }
        if name.len() > MAX_NAME_LEN {
            return Err(ReferenceError::TooLong(name.to_string()));
        }
        let (registry, path) = split_registry(name);
        validate_path(name, path)?;
        let registry = normalise_registry(registry);
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        Ok(ImageRef {
            name: name.to_string(),
            registry,
            repository,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry == DOCKER_HUB
    }

    /// The host serving the registry API (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.is_docker_hub() {
            DOCKER_HUB_API_HOST
        } else {
            &self.registry
        }
    }

    /// The reference pinned to `digest`, keeping the user's spelling of the name:
    /// `postgres:16.4@sha256:…` (Renovate's readable form).
    pub fn pinned(&self, tag: Option<&str>, digest: &str) -> String {
        match tag {
            Some(tag) => format!("{}:{tag}@{digest}", self.name),
            None => format!("{}@{digest}", self.name),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A tag follows the last `:` only when that colon comes after the last `/`
/// (`localhost:5000/app` has a port, not a tag).
fn split_tag(rest: &str) -> (&str, Option<&str>) {
    match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    }
}

/// Docker's rule: the first component is a registry host when it contains `.` or `:`, is
/// `localhost`, or has uppercase letters (repository paths cannot).
fn split_registry(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

fn normalise_registry(registry: Option<&str>) -> String {
    match registry.map(str::to_ascii_lowercase) {
        None => DOCKER_HUB.to_string(),
        Some(host) if host == "index.docker.io" || host == DOCKER_HUB_API_HOST => {
            DOCKER_HUB.to_string()
        }
        Some(host) => host,
    }
}

fn validate_path(name: &str, path: &str) -> Result<(), ReferenceError> {
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(
            name.to_string(),
            name.to_ascii_lowercase(),
        ));
    }
    if path.split('/').all(is_path_component) {
        Ok(())
    } else {
        Err(ReferenceError::InvalidName(name.to_string()))
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let valid = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !valid {
            return false;
        }
    }
    true
}

fn validate_tag(tag: &str) -> Result<(), ReferenceError> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let starts_well = tag
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if starts_well && tag.len() <= MAX_TAG_LEN && tag.chars().all(valid_char) {
        Ok(())
    } else {
        Err(ReferenceError::InvalidTag(tag.to_string()))
    }
}

/// Only sha256 digests are accepted: it is what every registry serves and what we verify.
pub fn parse_digest(digest: &str) -> Result<String, ReferenceError> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(digest.to_string())
        }
        _ => Err(ReferenceError::InvalidDigest(digest.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parse(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn official_image_gets_library_namespace() {
        let r = parse("nginx");
        assert_eq!(
            (r.name.as_str(), r.registry.as_str(), r.repository.as_str()),
            ("nginx", "docker.io", "library/nginx")
        );
        assert_eq!((r.tag.as_deref(), r.digest.as_deref()), (None, None));
        assert_eq!(r.api_host(), "registry-1.docker.io");
    }

    #[test]
    fn explicit_library_namespace_is_kept_as_written() {
        let r = parse("library/nginx:1.27");
        assert_eq!(r.name, "library/nginx");
        assert_eq!(r.repository, "library/nginx");
        assert_eq!(r.tag.as_deref(), Some("1.27"));
        assert_eq!(
            r.pinned(Some("1.27"), DIGEST),
            format!("library/nginx:1.27@{DIGEST}")
        );
    }

    #[test]
    fn docker_hub_aliases_normalise() {
        for s in [
            "docker.io/library/nginx",
            "index.docker.io/library/nginx",
            "docker.io/nginx",
        ] {
            let r = parse(s);
            assert_eq!(
                (r.registry.as_str(), r.repository.as_str()),
                ("docker.io", "library/nginx"),
                "{s}"
            );
        }
        assert_eq!(parse("bitnami/redis").repository, "bitnami/redis");
    }

    #[test]
    fn registry_with_tag_and_digest() {
        let r = parse(&format!("ghcr.io/org/app:1.2@{DIGEST}"));
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("ghcr.io", "org/app")
        );
        assert_eq!(r.tag.as_deref(), Some("1.2"));
        assert_eq!(r.digest.as_deref(), Some(DIGEST));
        assert_eq!(r.api_host(), "ghcr.io");
    }

    #[test]
    fn port_is_not_a_tag() {
        let r = parse("localhost:5000/app");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000", "app", None)
        );
        let r = parse("localhost:5000/team/app:2.0");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000", "team/app", Some("2.0"))
        );
        let r = parse("localhost/app:1");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("localhost", "app")
        );
        let r = parse("127.0.0.1:5000/app:latest");
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", Some("latest"))
        );
    }

    #[test]
    fn digest_only_reference() {
        let r = parse(&format!("postgres@{DIGEST}"));
        assert_eq!(
            (r.tag.as_deref(), r.digest.as_deref()),
            (None, Some(DIGEST))
        );
        assert_eq!(r.to_string(), format!("postgres@{DIGEST}"));
    }

    #[test]
    fn uppercase_repository_is_rejected_with_suggestion() {
        assert_eq!(
            ImageRef::parse("Nginx:1"),
            Err(ReferenceError::Uppercase("Nginx".into(), "nginx".into()))
        );
        let err = ImageRef::parse("org/MyApp").unwrap_err();
        assert_eq!(
            err,
            ReferenceError::Uppercase("org/MyApp".into(), "org/myapp".into())
        );
        assert!(err.to_string().contains("try `org/myapp`"));
        // An uppercase first component is a registry host, as in Docker.
        assert_eq!(
            parse("Registry.Example.com/app").registry,
            "registry.example.com"
        );
    }

    #[test]
    fn malformed_parts_are_rejected() {
        assert!(matches!(ImageRef::parse(""), Err(ReferenceError::Empty)));
        assert!(matches!(
            ImageRef::parse("nginx:-bad"),
            Err(ReferenceError::InvalidTag(_))
        ));
        assert!(matches!(
            ImageRef::parse("nginx:"),
            Err(ReferenceError::InvalidTag(_))
        ));
        assert!(matches!(
            ImageRef::parse("nginx@sha256:abc"),
            Err(ReferenceError::InvalidDigest(_))
        ));
        assert!(matches!(
            ImageRef::parse("nginx@md5:0123"),
            Err(ReferenceError::InvalidDigest(_))
        ));
        assert!(matches!(
            ImageRef::parse("my..app"),
            Err(ReferenceError::InvalidName(_))
        ));
        assert!(matches!(
            ImageRef::parse("app-"),
            Err(ReferenceError::InvalidName(_))
        ));
        assert!(matches!(
            ImageRef::parse("org//app"),
            Err(ReferenceError::InvalidName(_))
        ));
        assert!(matches!(
            ImageRef::parse(&"a".repeat(256)),
            Err(ReferenceError::TooLong(_))
        ));
    }

    #[test]
    fn separators_follow_the_grammar() {
        for ok in ["my_app", "my__app", "my.app", "my--app", "a-b-c"] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in ["my___app", "my._app", "_app", "app.", ""] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }
}
