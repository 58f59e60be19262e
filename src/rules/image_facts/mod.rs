//! Image facts: what the images' own sources say about them (`policies/images.yaml`), as
//! typed data, and which facts apply to one image reference.
//!
//! Promises: an entry is found by exact repository name (registry host, `docker.io/` and
//! `library/` stripped; an entry may also name a host-qualified repository such as
//! `quay.io/keycloak/keycloak`), never by glob. A tag is covered only when its leading
//! version satisfies a variant's `versions` and exactly one variant's `tag_match` accepts
//! the rest of the tag; otherwise [`Family::variant_for`] says why not, in words a finding can
//! carry. Healthchecks are the entry's, overridden by the variant's, then by the first
//! matching `by_version`.
//!
//! Refuses: floating tags (`latest`, `alpine`, none), digest-only references and
//! interpolated images are never covered; a version between or beyond the ranges is not
//! rounded to the nearest one. Prose fields (`why`, `auth`, `note`, …) are carried for
//! people and never interpreted.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::image_ref::{ImageRef, is_interpolated};

mod paths;
pub(crate) use paths::PathFacts;

/// Every image family, by the key it has in the data (`postgres`, `bitnami-redis`, …).
pub(crate) type ImageFacts = BTreeMap<String, Family>;

/// What is known about one image family, across its versions and variants.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
// Citations and prose are for people and for the data tests; the rules do not read them.
#[allow(dead_code)]
pub(crate) struct Family {
    /// Exact repository names.
    pub images: Vec<String>,
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// Variables the entrypoint reads from `<VAR><file_suffix>`.
    #[serde(default)]
    pub file_env: Vec<FileEnv>,
    /// `_FILE` unless the image says otherwise (grafana: `__FILE`).
    #[serde(default)]
    pub file_suffix: Option<String>,
    /// `<VAR>_FILE` names the entrypoint refuses (the container exits).
    #[serde(default)]
    pub file_env_rejected: Vec<String>,
    #[serde(default)]
    pub file_env_note: Option<String>,
    /// Which of `file_env` hold secrets (informational).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Flags and modes: never secrets, never moved.
    #[serde(default)]
    pub switches: Vec<String>,
    #[serde(default)]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default)]
    pub by_version: Vec<ByVersion>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub note: Option<String>,
    /// What the sources did not establish, in prose.
    #[serde(default)]
    pub unverified: Option<String>,
    /// Where the image writes outside its volumes (a read-only root needs a tmpfs there).
    #[serde(default)]
    pub write_paths: Option<PathFacts>,
    /// Where the image ships files that a named volume would freeze.
    #[serde(default)]
    pub content_paths: Option<PathFacts>,
}

/// One flavour of the image (debian, alpine, …) over a range of versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
// Citations and prose are for people and for the data tests; the rules do not read them.
#[allow(dead_code)]
pub(crate) struct Variant {
    pub versions: Versions,
    pub variant: String,
    #[serde(default)]
    pub tag_match: TagMatch,
    #[serde(default)]
    pub shell: Vec<String>,
    /// Binaries the sources show in the final image.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Binaries believed present but not shown by the sources: never relied on.
    #[serde(default)]
    pub unverified: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub port_from: Vec<Setting>,
    /// Absent: the entry's healthcheck applies; `null`: none for this variant.
    #[serde(default, deserialize_with = "present")]
    pub healthcheck: Option<Option<Healthcheck>>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub note: Option<String>,
}

/// How a variant is recognised from the tag's text after the version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagMatch {
    /// Any of these dash-separated tokens present.
    #[serde(default)]
    pub contains: Vec<String>,
    /// None of these tokens present.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// Where a setting (port, password, config switch) can be seen in a service: exactly one
/// of `env`, `flag`, `config` (a config file: never visible to us).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Setting {
    #[serde(default)]
    pub env: Option<String>,
    #[serde(default)]
    pub flag: Option<String>,
    #[serde(default)]
    pub config: Option<String>,
    /// For `config_visible`: the value the variable or flag must have.
    #[serde(default)]
    pub value: Option<String>,
}

/// A healthcheck the data proposes, with what it needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Healthcheck {
    /// Compose `test`, with `{port}` and `{password_env}` placeholders.
    #[serde(default)]
    pub test: Option<Vec<String>>,
    /// The test to use when the service's password variable is known (`{password_env}`).
    #[serde(default)]
    pub test_auth: Option<Vec<String>>,
    #[serde(default)]
    pub requires_tools: Vec<String>,
    #[serde(default)]
    pub init_aware: Option<bool>,
    #[serde(default)]
    pub auth: Option<String>,
    /// Where the password the server requires is set (for `test_auth`).
    #[serde(default)]
    pub password_from: Vec<Setting>,
    /// Settings the service needs for the test to work (prose).
    #[serde(default)]
    pub requires_config: Option<String>,
    /// Where `requires_config` can be seen in a service; any one makes it visible.
    #[serde(default)]
    pub config_visible: Vec<Setting>,
    /// The port `{port}` stands for when it is not the variant's `port`.
    #[serde(default)]
    pub health_port: Option<u16>,
    #[serde(default)]
    pub health_port_from: Vec<Setting>,
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub retries: Option<i64>,
    #[serde(default)]
    pub start_period: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
}

/// A healthcheck override for a narrower range of versions.
#[derive(Debug, Clone)]
pub(crate) struct ByVersion {
    pub versions: Versions,
    pub healthcheck: Healthcheck,
}

impl<'de> Deserialize<'de> for ByVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = yaml_serde::Mapping::deserialize(deserializer)?;
        let versions = map
            .remove("versions")
            .ok_or_else(|| de::Error::missing_field("versions"))?;
        let versions = versions
            .as_str()
            .ok_or_else(|| de::Error::custom("`versions` must be a string"))
            .and_then(|v| Versions::parse(v).map_err(de::Error::custom))?;
        let healthcheck =
            Healthcheck::deserialize(yaml_serde::Value::Mapping(map)).map_err(de::Error::custom)?;
        Ok(ByVersion {
            versions,
            healthcheck,
        })
    }
}

/// A variable read from `<VAR>_FILE`, for every version or only some.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum FileEnv {
    Always(String),
    Limited(LimitedFileEnv),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitedFileEnv {
    pub name: String,
    pub versions: Versions,
}

impl FileEnv {
    pub(super) fn name(&self) -> &str {
        match self {
            FileEnv::Always(name) => name,
            FileEnv::Limited(limited) => &limited.name,
        }
    }
}

/// Where a fact was read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
// Citations and prose are for people and for the data tests; the rules do not read them.
#[allow(dead_code)]
pub(crate) struct Source {
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `Some(value)` for a key that is present, even as `null` (then `Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A numeric version: `17`, `10.6.15`.
pub(crate) type Version = Vec<u64>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
}

/// Comma-separated constraints, all of which must hold; empty matches no version.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct Versions {
    constraints: Vec<(Op, Version)>,
    text: String,
}

impl TryFrom<String> for Versions {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Versions::parse(&text)
    }
}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Versions {
    pub(super) fn parse(text: &str) -> Result<Versions, String> {
        let mut constraints = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (op, rest) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("==", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .into_iter()
            .find_map(|(prefix, op)| part.strip_prefix(prefix).map(|r| (op, r)))
            .unwrap_or((Op::Eq, part));
            let version = parse_version(rest.trim())
                .filter(|(_, after)| after.is_empty())
                .map(|(v, _)| v)
                .ok_or_else(|| format!("`{part}` is not a version constraint"))?;
            constraints.push((op, version));
        }
        Ok(Versions {
            constraints,
            text: text.to_string(),
        })
    }

    /// Whether `version` satisfies every constraint (an empty set matches nothing).
    pub(super) fn matches(&self, version: &[u64]) -> bool {
        !self.constraints.is_empty()
            && self
                .constraints
                .iter()
                .all(|(op, bound)| satisfies(version, *op, bound))
    }

    /// `version` fails a lower bound (it is older than the range).
    fn below(&self, version: &[u64]) -> bool {
        self.constraints
            .iter()
            .any(|(op, bound)| matches!(op, Op::Ge | Op::Gt) && !satisfies(version, *op, bound))
    }

    /// `version` fails an upper bound (it is newer than the range).
    fn above(&self, version: &[u64]) -> bool {
        self.constraints
            .iter()
            .any(|(op, bound)| matches!(op, Op::Le | Op::Lt) && !satisfies(version, *op, bound))
    }

    /// The bounds it mentions (sample points for overlap checks).
    #[cfg(test)]
    fn bounds(&self) -> impl Iterator<Item = &Version> {
        self.constraints.iter().map(|(_, v)| v)
    }
}

/// Compares a tag's version with a bound. Over the components both have, numerically; a
/// bound with fewer components stands for its whole prefix (`18.1` is `<=18`), and a tag with
/// fewer components stands for the newest release of its prefix (`10.6` is `>=10.6.15`).
fn compare(version: &[u64], bound: &[u64]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let common = version.len().min(bound.len());
    match version[..common].cmp(&bound[..common]) {
        Ordering::Equal if version.len() < bound.len() => Ordering::Greater,
        other => other,
    }
}

fn satisfies(version: &[u64], op: Op, bound: &[u64]) -> bool {
    use std::cmp::Ordering::*;
    let ordering = compare(version, bound);
    match op {
        Op::Ge => ordering != Less,
        Op::Gt => ordering == Greater,
        Op::Le => ordering != Greater,
        Op::Lt => ordering == Less,
        Op::Eq => ordering == Equal,
    }
}

/// The numeric version at the start of `text` (a leading `v` dropped) and what follows it.
fn parse_version(text: &str) -> Option<(Version, &str)> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let mut version = Vec::new();
    let mut rest = text;
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            break;
        }
        version.push(rest[..digits].parse().ok()?);
        rest = &rest[digits..];
        match rest.strip_prefix('.') {
            Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
            _ => break,
        }
    }
    (!version.is_empty()).then_some((version, rest))
}

/// The version and variant part of a tag: `16-alpine3.21` → (`[16]`, `alpine3.21`).
pub(crate) fn split_tag(tag: &str) -> Option<(Version, &str)> {
    parse_version(tag).map(|(version, rest)| (version, rest.trim_start_matches(['-', '.', '_'])))
}

/// Whether the dash-separated `rest` contains `token` (itself possibly dashed) as a whole.
fn has_token(rest: &str, token: &str) -> bool {
    format!("-{rest}-").contains(&format!("-{token}-"))
}

impl TagMatch {
    fn accepts(&self, rest: &str) -> bool {
        (self.contains.is_empty() || self.contains.iter().any(|t| has_token(rest, t)))
            && !self.absent.iter().any(|t| has_token(rest, t))
    }
}

/// The family an image reference belongs to, by exact repository name.
pub(crate) fn family<'f>(facts: &'f ImageFacts, reference: &str) -> Option<(&'f str, &'f Family)> {
    if is_interpolated(reference) {
        return None;
    }
    let image = ImageRef::parse(reference);
    let short = image.short_name();
    let qualified = qualified_name(image.name);
    facts
        .iter()
        .find(|(_, f)| f.images.iter().any(|i| *i == short || *i == qualified))
        .map(|(key, family)| (key.as_str(), family))
}

/// `quay.io/keycloak/keycloak` as written; Docker Hub names without `docker.io/`/`library/`.
fn qualified_name(name: &str) -> &str {
    let name = ["docker.io/", "index.docker.io/", "registry-1.docker.io/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    name.strip_prefix("library/").unwrap_or(name)
}

/// A covered tag: the variant that applies and the tag's version.
#[derive(Debug, Clone)]
pub(crate) struct Covered<'f> {
    pub variant: &'f Variant,
    pub version: Version,
}

impl Family {
    /// The one variant covering `reference`'s tag, or why there is none (a sentence part
    /// naming the reference).
    pub(super) fn variant_for(&self, reference: &str) -> Result<Covered<'_>, String> {
        let image = ImageRef::parse(reference);
        let Some(tag) = image.tag else {
            return Err(if image.digest.is_some() {
                format!("`{reference}` names only a digest, so its version is unknown")
            } else {
                format!("`{reference}` has no tag (it floats with `latest`)")
            });
        };
        let Some((version, rest)) = split_tag(tag) else {
            return Err(format!(
                "`{reference}` uses the floating tag `{tag}`; the image facts cover pinned versions only"
            ));
        };
        if self.variants.is_empty() {
            return Err(format!(
                "the image facts cover no tag of `{}`",
                image.short_name()
            ));
        }
        let in_range: Vec<&Variant> = self
            .variants
            .iter()
            .filter(|v| v.versions.matches(&version))
            .collect();
        let matching: Vec<&Variant> = in_range
            .iter()
            .copied()
            .filter(|v| v.tag_match.accepts(rest))
            .collect();
        match matching.as_slice() {
            [variant] => Ok(Covered { variant, version }),
            [] if in_range.is_empty() => Err(self.out_of_range(reference, &version)),
            [] => {
                let names: Vec<&str> = in_range.iter().map(|v| v.variant.as_str()).collect();
                Err(format!(
                    "the variant of `{reference}` is not one the image facts cover for this version ({})",
                    names.join(", ")
                ))
            }
            several => {
                let names: Vec<&str> = several.iter().map(|v| v.variant.as_str()).collect();
                Err(format!(
                    "`{reference}` matches several variants of the image facts ({})",
                    names.join(", ")
                ))
            }
        }
    }

    fn out_of_range(&self, reference: &str, version: &[u64]) -> String {
        let ranges: Vec<String> = self
            .variants
            .iter()
            .filter(|v| !v.versions.constraints.is_empty())
            .map(|v| format!("{} {}", v.variant, v.versions))
            .collect();
        let covered = if ranges.is_empty() {
            "none".to_string()
        } else {
            ranges.join("; ")
        };
        let live: Vec<&Variant> = self
            .variants
            .iter()
            .filter(|v| !v.versions.constraints.is_empty())
            .collect();
        if !live.is_empty() && live.iter().all(|v| v.versions.below(version)) {
            format!("`{reference}` is older than the versions the image facts cover ({covered})")
        } else if !live.is_empty() && live.iter().all(|v| v.versions.above(version)) {
            format!("`{reference}` is newer than the versions the image facts cover ({covered})")
        } else {
            format!("`{reference}` is not a version the image facts cover ({covered})")
        }
    }

    /// The healthcheck for a covered tag: the entry's, overridden by the variant's, then by
    /// the first matching `by_version`. `None` when the data proposes none (or no `test`).
    pub(super) fn healthcheck_for(&self, covered: &Covered<'_>) -> Option<Healthcheck> {
        let mut check = match &covered.variant.healthcheck {
            None => self.healthcheck.clone()?,
            Some(None) => return None,
            Some(Some(own)) => overlay(self.healthcheck.clone().unwrap_or_default(), own),
        };
        if let Some(narrower) = self
            .by_version
            .iter()
            .find(|b| b.versions.matches(&covered.version))
        {
            check = overlay(check, &narrower.healthcheck);
        }
        check.test.is_some().then_some(check)
    }

    /// The file variable the image reads for `key` at `tag` (`KEY_FILE`, grafana's
    /// `KEY__FILE`), if the data lists `key` exactly for that version and the name is not
    /// one the entrypoint rejects.
    pub(super) fn file_variable(&self, key: &str, tag: Option<&str>) -> Option<String> {
        let listed = self.file_env.iter().find(|f| f.name() == key)?;
        if let FileEnv::Limited(limited) = listed {
            let (version, _) = tag.and_then(split_tag)?;
            if !limited.versions.matches(&version) {
                return None;
            }
        }
        let name = format!("{key}{}", self.file_suffix.as_deref().unwrap_or("_FILE"));
        (!self.file_env_rejected.contains(&name)).then_some(name)
    }

    pub(super) fn is_switch(&self, key: &str) -> bool {
        self.switches.iter().any(|s| s == key)
    }
}

/// `base` with every field `over` sets replaced; a new `test` brings its own `test_auth`.
fn overlay(mut base: Healthcheck, over: &Healthcheck) -> Healthcheck {
    let over = over.clone();
    if over.test.is_some() {
        base.test = over.test;
        base.test_auth = over.test_auth;
    } else if over.test_auth.is_some() {
        base.test_auth = over.test_auth;
    }
    if !over.requires_tools.is_empty() {
        base.requires_tools = over.requires_tools;
    }
    macro_rules! take {
        ($($field:ident),*) => { $( if over.$field.is_some() { base.$field = over.$field; } )* };
    }
    take!(
        init_aware,
        auth,
        requires_config,
        health_port,
        interval,
        timeout,
        retries,
        start_period,
        why
    );
    macro_rules! take_list {
        ($($field:ident),*) => { $( if !over.$field.is_empty() { base.$field = over.$field; } )* };
    }
    take_list!(password_from, config_visible, health_port_from);
    base
}

#[cfg(test)]
mod tests;
