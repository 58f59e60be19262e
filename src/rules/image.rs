//! Image references: `[registry/]name[:tag][@digest]`.

/// A parsed image reference, borrowing from the text as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Everything before the tag and digest (`ghcr.io/acme/api`).
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (reference, None),
        };
        // A `:` after the last `/` separates the tag; one before it is a registry port.
        match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => ImageRef {
                name: &rest[..i],
                tag: Some(&rest[i + 1..]),
                digest,
            },
            _ => ImageRef {
                name: rest,
                tag: None,
                digest,
            },
        }
    }

    /// The repository without registry host and `library/`: `postgres` for
    /// `docker.io/library/postgres:16`, `acme/api` for `ghcr.io/acme/api`.
    pub fn short_name(&self) -> &'a str {
        let mut name = self.name;
        if let Some((first, rest)) = name.split_once('/')
            && (first.contains(['.', ':']) || first == "localhost")
        {
            name = rest;
        }
        name.strip_prefix("library/").unwrap_or(name)
    }
}

/// Whether the reference uses `${…}` interpolation (its value is decided elsewhere).
pub fn is_interpolated(reference: &str) -> bool {
    reference.contains('$')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
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
    }
}
