//! Image references as Docker reads them (`distribution/reference` grammar and Docker's
//! normalisation): `[registry[:port]/]path[:tag][@digest]`. The one parser of references:
//! the rules match catalogs with it, `pin` and the registry client resolve with it.
//!
//! Promised: [`ImageRef`] borrows the text as written, so a pinned reference reads like the
//! original; [`ImageRef::registry`] and [`ImageRef::repository`] are normalised (`docker.io`,
//! `library/` for official images) and [`ImageRef::short_name`] is the repository without
//! host and `library/`, for catalog matching. [`ImageRef::parse`] only splits (rules read
//! whatever a file says); [`ImageRef::parse_strict`] also refuses what Docker refuses:
//! uppercase repository paths, malformed tags and digests (sha256 only), names longer than
//! 255 characters. Refused: resolving `${…}` variables; such references are
//! [`is_interpolated`] and their value is decided elsewhere.

use std::borrow::Cow;
use std::fmt;

/// Docker Hub's canonical name in references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// An image reference, borrowing from the text as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageRef<'a> {
    /// The whole reference as written (without surrounding spaces for `parse_strict`).
    pub text: &'a str,
    /// The name exactly as written, without tag or digest (`postgres`, `ghcr.io/org/app`).
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
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

impl<'a> ImageRef<'a> {
    /// Splits a reference without judging it (rules report on what files say, valid or not).
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (reference, None),
        };
        let (name, tag) = split_tag(rest);
        ImageRef {
            text: reference,
            name,
            tag,
            digest,
        }
    }

    /// A reference Docker would accept (surrounding spaces ignored), or why not.
    pub fn parse_strict(reference: &'a str) -> Result<ImageRef<'a>, ReferenceError> {
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let image = ImageRef::parse(reference);
        if let Some(digest) = image.digest {
            parse_digest(digest)?;
        }
        if let Some(tag) = image.tag {
            validate_tag(tag)?;
        }
        if image.name.len() > MAX_NAME_LEN {
            return Err(ReferenceError::TooLong(image.name.to_string()));
        }
        validate_path(image.name, split_registry(image.name).1)?;
        Ok(image)
    }

    /// The registry: `docker.io` for Docker Hub (however spelled), otherwise the host as
    /// written, lowercase.
    pub fn registry(&self) -> Cow<'a, str> {
        match split_registry(self.name).0 {
            None => Cow::Borrowed(DOCKER_HUB),
            Some(host)
                if ["index.docker.io", DOCKER_HUB, DOCKER_HUB_API_HOST]
                    .iter()
                    .any(|hub| host.eq_ignore_ascii_case(hub)) =>
            {
                Cow::Borrowed(DOCKER_HUB)
            }
            Some(host) if host.bytes().any(|b| b.is_ascii_uppercase()) => {
                Cow::Owned(host.to_ascii_lowercase())
            }
            Some(host) => Cow::Borrowed(host),
        }
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry() == DOCKER_HUB
    }

    /// The host serving the registry API (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> Cow<'a, str> {
        if self.is_docker_hub() {
            Cow::Borrowed(DOCKER_HUB_API_HOST)
        } else {
            self.registry()
        }
    }

    /// The repository path inside the registry (`library/postgres`, `org/app`).
    pub fn repository(&self) -> Cow<'a, str> {
        let path = split_registry(self.name).1;
        if self.is_docker_hub() && !path.contains('/') {
            Cow::Owned(format!("library/{path}"))
        } else {
            Cow::Borrowed(path)
        }
    }

    /// The repository without registry host and `library/`: `postgres` for
    /// `docker.io/library/postgres:16`, `acme/api` for `ghcr.io/acme/api`.
    pub fn short_name(&self) -> &'a str {
        let path = split_registry(self.name).1;
        path.strip_prefix("library/").unwrap_or(path)
    }

    /// Whether the tag names "whatever is newest" and is worth replacing by a version tag:
    /// no tag, `latest`, `latest-*`, or one of the policy's `floating_tags`.
    pub fn floats(&self, floating_tags: &[String]) -> bool {
        match self.tag {
            None => true,
            Some(tag) => {
                tag == "latest"
                    || tag.starts_with("latest-")
                    || floating_tags.iter().any(|t| t == tag)
            }
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

impl fmt::Display for ImageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

/// Whether the reference uses `${…}` interpolation (its value is decided elsewhere).
pub fn is_interpolated(reference: &str) -> bool {
    reference.contains('$')
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

    fn parse(s: &str) -> ImageRef<'_> {
        ImageRef::parse_strict(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn splits_without_judging() {
        let r = ImageRef::parse("localhost:5000/acme/api:1.2@sha256:ab");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("localhost:5000/acme/api", Some("1.2"), Some("sha256:ab"))
        );
        assert_eq!(r.short_name(), "acme/api");
        let r = ImageRef::parse("registry:5000/app");
        assert_eq!((r.name, r.tag), ("registry:5000/app", None));
        assert_eq!(
            ImageRef::parse("docker.io/library/postgres:16").short_name(),
            "postgres"
        );
        assert_eq!(
            ImageRef::parse("bitnami/redis").short_name(),
            "bitnami/redis"
        );
        assert!(is_interpolated("acme/app:${TAG}"));
    }

    #[test]
    fn official_image_gets_library_namespace() {
        let r = parse("nginx");
        assert_eq!(
            (r.name, &*r.registry(), &*r.repository()),
            ("nginx", "docker.io", "library/nginx")
        );
        assert_eq!((r.tag, r.digest), (None, None));
        assert_eq!(r.api_host(), "registry-1.docker.io");
    }

    #[test]
    fn explicit_library_namespace_is_kept_as_written() {
        let r = parse("library/nginx:1.27");
        assert_eq!(r.name, "library/nginx");
        assert_eq!(r.repository(), "library/nginx");
        assert_eq!(r.tag, Some("1.27"));
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
                (&*r.registry(), &*r.repository(), r.short_name()),
                ("docker.io", "library/nginx", "nginx"),
                "{s}"
            );
        }
        assert_eq!(parse("bitnami/redis").repository(), "bitnami/redis");
    }

    #[test]
    fn registry_with_tag_and_digest() {
        let text = format!(" ghcr.io/org/app:1.2@{DIGEST} ");
        let r = parse(&text);
        assert_eq!((&*r.registry(), &*r.repository()), ("ghcr.io", "org/app"));
        assert_eq!(r.tag, Some("1.2"));
        assert_eq!(r.digest, Some(DIGEST));
        assert_eq!(r.api_host(), "ghcr.io");
    }

    #[test]
    fn port_is_not_a_tag() {
        let r = parse("localhost:5000/app");
        assert_eq!(
            (&*r.registry(), &*r.repository(), r.tag),
            ("localhost:5000", "app", None)
        );
        let r = parse("localhost:5000/team/app:2.0");
        assert_eq!(
            (&*r.registry(), &*r.repository(), r.tag),
            ("localhost:5000", "team/app", Some("2.0"))
        );
        let r = parse("localhost/app:1");
        assert_eq!((&*r.registry(), &*r.repository()), ("localhost", "app"));
        let r = parse("127.0.0.1:5000/app:latest");
        assert_eq!((&*r.registry(), r.tag), ("127.0.0.1:5000", Some("latest")));
    }

    #[test]
    fn digest_only_reference() {
        let text = format!("postgres@{DIGEST}");
        let r = parse(&text);
        assert_eq!((r.tag, r.digest), (None, Some(DIGEST)));
        assert_eq!(r.to_string(), text);
        assert_eq!(parse(" nginx:1 ").text, "nginx:1");
    }

    #[test]
    fn uppercase_repository_is_rejected_with_suggestion() {
        assert_eq!(
            ImageRef::parse_strict("Nginx:1"),
            Err(ReferenceError::Uppercase("Nginx".into(), "nginx".into()))
        );
        let err = ImageRef::parse_strict("org/MyApp").unwrap_err();
        assert_eq!(
            err,
            ReferenceError::Uppercase("org/MyApp".into(), "org/myapp".into())
        );
        assert!(err.to_string().contains("try `org/myapp`"));
        // An uppercase first component is a registry host, as in Docker.
        assert_eq!(
            parse("Registry.Example.com/app").registry(),
            "registry.example.com"
        );
    }

    #[test]
    fn malformed_parts_are_rejected() {
        let error = |s: &str| ImageRef::parse_strict(s).unwrap_err();
        assert_eq!(error(""), ReferenceError::Empty);
        assert!(matches!(error("nginx:-bad"), ReferenceError::InvalidTag(_)));
        assert!(matches!(error("nginx:"), ReferenceError::InvalidTag(_)));
        assert!(matches!(
            error("nginx@sha256:abc"),
            ReferenceError::InvalidDigest(_)
        ));
        assert!(matches!(
            error("nginx@md5:0123"),
            ReferenceError::InvalidDigest(_)
        ));
        assert!(matches!(error("my..app"), ReferenceError::InvalidName(_)));
        assert!(matches!(error("app-"), ReferenceError::InvalidName(_)));
        assert!(matches!(error("org//app"), ReferenceError::InvalidName(_)));
        assert!(matches!(
            error(&"a".repeat(256)),
            ReferenceError::TooLong(_)
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

    #[test]
    fn floating_tags() {
        let floats = |s: &str, policy: &[String]| ImageRef::parse(s).floats(policy);
        assert!(floats("nginx", &[]));
        assert!(floats("nginx:latest", &[]));
        assert!(floats("nginx:latest-alpine", &[]));
        assert!(!floats("nginx:16.4", &[]));
        assert!(!floats("nginx:alpine", &[]));
        assert!(!floats("nginx:stable", &[]));
        let policy = ["stable".to_string(), "alpine".to_string()];
        assert!(floats("nginx:stable", &policy));
        assert!(floats("nginx:alpine", &policy));
        assert!(floats("nginx:latest", &policy));
        assert!(!floats("nginx:edge", &policy));
        assert!(!floats("nginx:16.4", &policy));
    }
}
