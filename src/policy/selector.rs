//! `match:` selectors: which services a rule applies to.
//!
//! ```yaml
//! match:
//!   service: ["api-*", worker]     # service name globs (any)
//!   image: "acme/*"                # image globs (any); `*` does not cross `/`, `**` does
//!   labels: {tier: backend}        # every label present with that value (`"*"`: any value)
//!   profiles: [prod]               # the service is in one of these profiles
//!   has: [build]                   # every key present (dotted paths, through merge keys)
//!   missing: [deploy.restart_policy]  # every key absent
//!   exclude: {service: ["*-test"]} # a selector that removes services
//! ```
//! An absent field matches everything; the fields combine with AND.

use yaml_serde::Value as Y;

use super::string_list;

/// What a selector looks at; the rules implement it for their view of a service.
pub trait Subject {
    fn name(&self) -> &str;
    fn image(&self) -> Option<String>;
    fn label(&self, key: &str) -> Option<String>;
    fn profiles(&self) -> Vec<String>;
    /// Whether the dotted key path exists (following merge keys).
    fn has(&self, dotted: &str) -> bool;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    pub services: Vec<String>,
    pub images: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub profiles: Vec<String>,
    pub has: Vec<String>,
    pub missing: Vec<String>,
    pub exclude: Option<Box<Selector>>,
}

const FIELDS: &[&str] = &[
    "service", "image", "labels", "profiles", "has", "missing", "exclude",
];

impl Selector {
    pub fn parse(value: &Y) -> Result<Selector, String> {
        let Y::Mapping(map) = value else {
            return Err("expected a mapping".into());
        };
        for key in map.keys() {
            let key = crate::document::scalar_key(key);
            if !FIELDS.contains(&key.as_str()) {
                return Err(format!(
                    "unknown field `{key}` (expected one of {})",
                    FIELDS.join(", ")
                ));
            }
        }
        let labels = match map.get("labels") {
            Some(Y::Mapping(m)) => m
                .iter()
                .map(|(k, v)| {
                    (
                        crate::document::scalar_key(k),
                        crate::document::scalar_key(v),
                    )
                })
                .collect(),
            Some(other @ (Y::Sequence(_) | Y::String(_))) => string_list(Some(other))
                .into_iter()
                .map(|k| (k, "*".to_string()))
                .collect(),
            Some(_) => return Err("labels: expected a mapping or a list of keys".into()),
            None => Vec::new(),
        };
        Ok(Selector {
            services: string_list(map.get("service")),
            images: string_list(map.get("image")),
            labels,
            profiles: string_list(map.get("profiles")),
            has: string_list(map.get("has")),
            missing: string_list(map.get("missing")),
            exclude: match map.get("exclude") {
                Some(spec) => Some(Box::new(Selector::parse(spec)?)),
                None => None,
            },
        })
    }

    pub fn matches(&self, subject: &dyn Subject) -> bool {
        if !self.services.is_empty() && !self.services.iter().any(|g| glob(g, subject.name())) {
            return false;
        }
        if !self.images.is_empty() {
            let Some(image) = subject.image() else {
                return false;
            };
            if !self.images.iter().any(|g| image_matches(g, &image)) {
                return false;
            }
        }
        for (key, want) in &self.labels {
            match subject.label(key) {
                Some(value) if want == "*" || glob(want, &value) => {}
                _ => return false,
            }
        }
        if !self.profiles.is_empty() {
            let profiles = subject.profiles();
            if !self.profiles.iter().any(|p| profiles.contains(p)) {
                return false;
            }
        }
        if !self.has.iter().all(|k| subject.has(k)) || self.missing.iter().any(|k| subject.has(k)) {
            return false;
        }
        !self.exclude.as_ref().is_some_and(|e| e.matches(subject))
    }
}

pub fn glob(pattern: &str, text: &str) -> bool {
    pattern == text || glob_match::glob_match(pattern, text)
}

/// An image glob matches the reference as written or its name without tag and digest, so
/// `acme/*` matches `acme/api:1.2` and `postgres` matches `postgres:16`.
pub fn image_matches(pattern: &str, image: &str) -> bool {
    let name = image.split('@').next().unwrap_or(image);
    let without_tag = match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    };
    glob(pattern, image) || glob(pattern, without_tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl Subject for Fake {
        fn name(&self) -> &str {
            "api-1"
        }
        fn image(&self) -> Option<String> {
            Some("acme/api:1.2".into())
        }
        fn label(&self, key: &str) -> Option<String> {
            (key == "tier").then(|| "backend".into())
        }
        fn profiles(&self) -> Vec<String> {
            vec!["prod".into()]
        }
        fn has(&self, dotted: &str) -> bool {
            dotted == "build"
        }
    }

    fn sel(text: &str) -> Selector {
        Selector::parse(&yaml_serde::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn fields_combine() {
        assert!(sel("{service: 'api-*', image: 'acme/*', labels: {tier: backend}, profiles: [prod], has: [build]}").matches(&Fake));
        assert!(!sel("{image: 'other/*'}").matches(&Fake));
        assert!(!sel("{missing: [build]}").matches(&Fake));
        assert!(!sel("{exclude: {service: 'api-*'}}").matches(&Fake));
        assert!(sel("{image: acme/api}").matches(&Fake));
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(Selector::parse(&yaml_serde::from_str("{services: x}").unwrap()).is_err());
    }
}
