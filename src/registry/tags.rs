//! Choosing a version tag for a floating tag (Renovate's approach): the registry's tags are
//! filtered to version tags of the same variant, ordered newest and most specific first, and
//! the caller takes the first whose digest equals the floating tag's.
//!
//! Promised: `16.4.1` is tried before `16.4`, which is tried before `16`, and `17` before all
//! of them; a variant suffix (`-alpine`) is only accepted when the floating tag had the same
//! one (`latest-alpine`) or is that variant (`alpine`, when the repository has `N-alpine`
//! tags). Which tags float is [`ImageRef::floats`](crate::image_ref::ImageRef::floats).
//! Refused: pre-releases and anything that is not `[v]N(.N)*[-variant]`.

use std::cmp::Ordering;

/// The variant a floating tag asks for: `latest-alpine` → `alpine`, `latest` → none; another
/// floating tag is a variant when the repository has version tags of it (`alpine` with
/// `3.20-alpine`), and otherwise asks for plain versions (`stable` → `1.26.2`).
fn floating_variant<'f>(tag: Option<&'f str>, versions: &[VersionTag<'_>]) -> Option<&'f str> {
    match tag {
        None | Some("latest") => None,
        Some(tag) => match tag.strip_prefix("latest-") {
            Some(variant) => Some(variant),
            None => versions
                .iter()
                .any(|v| v.variant == Some(tag))
                .then_some(tag),
        },
    }
}

/// A tag read as a version: numeric components and an optional `-variant` suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTag<'t> {
    pub tag: &'t str,
    pub numbers: Vec<u64>,
    pub variant: Option<&'t str>,
}

impl<'t> VersionTag<'t> {
    pub fn parse(tag: &'t str) -> Option<VersionTag<'t>> {
        let (version, variant) = match tag.split_once('-') {
            Some((version, variant)) => (version, Some(variant)),
            None => (tag, None),
        };
        let version = version.strip_prefix('v').unwrap_or(version);
        let numbers = version
            .split('.')
            .map(|part| {
                if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                    part.parse().ok()
                } else {
                    None
                }
            })
            .collect::<Option<Vec<u64>>>()?;
        if numbers.is_empty() || numbers.len() > 4 {
            return None;
        }
        Some(VersionTag {
            tag,
            numbers,
            variant,
        })
    }

    /// Newest first, and for the same version line the most specific first:
    /// components compare numerically and a longer version beats its own prefix.
    fn newest_first(&self, other: &Self) -> Ordering {
        other
            .numbers
            .cmp(&self.numbers)
            .then_with(|| self.tag.cmp(other.tag))
    }
}

/// The tags worth comparing with `floating`'s digest, in the order to try them.
pub fn candidates<'t>(floating: Option<&str>, tags: &'t [String]) -> Vec<&'t str> {
    let mut versions: Vec<VersionTag<'t>> =
        tags.iter().filter_map(|t| VersionTag::parse(t)).collect();
    let variant = floating_variant(floating, &versions);
    versions.retain(|v| v.variant == variant);
    versions.sort_by(VersionTag::newest_first);
    versions.into_iter().map(|v| v.tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(std::string::ToString::to_string).collect()
    }

    #[test]
    fn more_specific_versions_come_first() {
        let list = tags(&["16", "16.4", "latest", "16.4.1", "15.8", "17", "9.6.24"]);
        assert_eq!(
            candidates(Some("latest"), &list),
            ["17", "16.4.1", "16.4", "16", "15.8", "9.6.24"]
        );
    }

    #[test]
    fn numeric_not_lexical_order() {
        let list = tags(&["1.9", "1.10", "1.2"]);
        assert_eq!(candidates(None, &list), ["1.10", "1.9", "1.2"]);
    }

    #[test]
    fn variants_are_ignored_unless_asked_for() {
        let list = tags(&[
            "16.4-alpine",
            "16.4",
            "16-alpine",
            "16.4-bookworm",
            "alpine",
            "16.5-rc1",
        ]);
        assert_eq!(candidates(Some("latest"), &list), ["16.4"]);
        assert_eq!(
            candidates(Some("latest-alpine"), &list),
            ["16.4-alpine", "16-alpine"]
        );
    }

    #[test]
    fn v_prefix_and_non_versions() {
        assert_eq!(
            VersionTag::parse("v1.2.3").map(|v| v.numbers),
            Some(vec![1, 2, 3])
        );
        for not_version in [
            "latest",
            "stable",
            "1..2",
            "1.2.",
            "x1",
            "1.2.3.4.5",
            "20240101T1200",
        ] {
            assert_eq!(VersionTag::parse(not_version), None, "{not_version}");
        }
    }

    #[test]
    fn policy_floating_tags_ask_for_versions_or_their_variant() {
        let list = tags(&[
            "1.27.3",
            "1.26.2",
            "1.27.3-alpine",
            "1.26-alpine",
            "stable",
            "alpine",
        ]);
        // `stable` is not a variant here: plain versions.
        assert_eq!(candidates(Some("stable"), &list), ["1.27.3", "1.26.2"]);
        // `alpine` is: only its versions.
        assert_eq!(
            candidates(Some("alpine"), &list),
            ["1.27.3-alpine", "1.26-alpine"]
        );
        // A variant without version tags of its own falls back to plain versions.
        assert_eq!(candidates(Some("slim"), &list), ["1.27.3", "1.26.2"]);
    }
}
