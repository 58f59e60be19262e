//! The rules: one file per rule, registered in [`REGISTRY`]. A rule's doc comment is its
//! documentation (`shipshape rule <id>`).
//!
//! Rules read the document through [`Service`] (which looks through `<<` merge keys and
//! aliases) and answer with findings whose fixes are path-addressed [`Edit`]s; they never
//! touch byte offsets. Edits land locally in the service (overriding a merged value, as
//! Compose does); the document engine refuses edits inside anchors that others use.
//!
//! [`Edit`]: crate::document::Edit

mod config_mounts;
mod depends_on_healthy;
mod doc;
mod env_secrets;
mod generic;
mod healthcheck;
mod legacy_links;
mod merge;
mod obsolete_version;
mod pin_image_tags;
mod resource_limits;
mod restart_policy;
mod service;
mod v1_layout;

use std::path::PathBuf;

use crate::document::{Document, NodeRef, Path};
use crate::finding::{Finding, Location, Severity};
use crate::policy::{ActiveRule, ParsedOptions, PolicySet, Selector};
use crate::source::Source;

pub use doc::dedent;
pub use pin_image_tags::floating_tags;
pub use service::Service;

/// What the CLI knows about a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub id: &'static str,
    pub packs: &'static [&'static str],
    pub summary: &'static str,
    pub fixable: bool,
    pub doc: &'static str,
    /// Parses the rule's merged options (unknown options are errors).
    pub parse_options: fn(&yaml_serde::Value) -> Result<ParsedOptions, String>,
    /// Runs the rule on one file.
    pub check: fn(&Context<'_>, &ActiveRule) -> Vec<Finding>,
}

/// Declares a rule's [`RuleMeta`] as `pub const META`, with the doc comment above it as the
/// rule's documentation, so the text `shipshape rule <id>` prints has a single source.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        id: $id:literal,
        packs: [$($pack:literal),* $(,)?],
        summary: $summary:literal,
        fixable: $fixable:literal,
        options: $options:ty,
        check: $check:path $(,)?
    ) => {
        $(#[doc = $doc])*
        pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            id: $id,
            packs: &[$($pack),*],
            summary: $summary,
            fixable: $fixable,
            doc: {
                const RAW: &str = concat!($($doc, "\n"),*);
                const DEDENTED: ([u8; RAW.len()], usize) = $crate::rules::dedent::<{ RAW.len() }>(RAW);
                const BYTES: &[u8; RAW.len()] = &DEDENTED.0;
                match ::core::str::from_utf8(BYTES.split_at(DEDENTED.1).0) {
                    Ok(text) => text,
                    Err(_) => panic!("rule documentation is not UTF-8"),
                }
            },
            parse_options: $crate::policy::parse_options::<$options>,
            check: $check,
        };
    };
}
pub(crate) use declare_rule;

/// Every built-in rule, in the order findings are computed and listed.
pub static REGISTRY: &[RuleMeta] = &[
    obsolete_version::META,
    v1_layout::META,
    pin_image_tags::META,
    healthcheck::META,
    depends_on_healthy::META,
    resource_limits::META,
    config_mounts::META,
    env_secrets::META,
    restart_policy::META,
    legacy_links::META,
];

/// What every rule sees of one file.
pub struct Context<'a> {
    pub source: &'a Source,
    pub doc: &'a Document,
    pub policy: &'a PolicySet,
    /// The directory of the compose file (relative paths in it resolve here).
    pub dir: PathBuf,
    /// The services, in document order (empty for a file without `services:`).
    pub services: Vec<Service<'a>>,
}

impl<'a> Context<'a> {
    pub fn new(source: &'a Source, policy: &'a PolicySet) -> Context<'a> {
        let doc = &source.document;
        let services = doc
            .root()
            .and_then(|root| root.get("services"))
            .map(merge::resolve)
            .map(|services| {
                services
                    .entries()
                    .filter_map(|(k, v)| {
                        Some(Service::new(
                            k.as_str()?,
                            merge::resolve(v),
                            v.alias_name().is_some(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let dir = source
            .path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Context {
            source,
            doc,
            policy,
            dir,
            services,
        }
    }

    pub fn root(&self) -> Option<NodeRef<'a>> {
        self.doc.root()
    }

    /// Services a rule's `match:` selects.
    pub fn selected<'s>(
        &'s self,
        selector: &'s Selector,
    ) -> impl Iterator<Item = &'s Service<'a>> + 's {
        self.services.iter().filter(move |s| selector.matches(*s))
    }

    /// Runs `check_service` with the rule's options on every service its `match:` selects
    /// (nothing when the options are not of type `O`, which loading rules out).
    pub fn per_service<O: 'static>(
        &self,
        rule: &ActiveRule,
        check_service: fn(&Context<'_>, &ActiveRule, &O, &Service<'_>) -> Option<Finding>,
    ) -> Vec<Finding> {
        let Some(options) = rule.options.downcast_ref::<O>() else {
            return Vec::new();
        };
        self.selected(&rule.selector)
            .filter_map(|service| check_service(self, rule, options, service))
            .collect()
    }

    pub fn service(&self, name: &str) -> Option<&Service<'a>> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Whether a comment lies inside the node's text (a rewrite of the whole node would drop it).
    pub fn has_comments_inside(&self, node: NodeRef<'_>) -> bool {
        let span = node.span();
        self.doc
            .comments()
            .any(|(range, _)| span.start < range.start && range.end <= span.end)
    }

    /// A policy finding (warning) in this file.
    pub fn finding(&self, rule: &str, location: Location, message: impl Into<String>) -> Finding {
        Finding::new(
            rule,
            Severity::Warning,
            self.source.path.clone(),
            location,
            message,
        )
    }
}

/// Runs the active rules on one loaded compose file.
pub fn check(source: &Source, policy: &PolicySet) -> Vec<Finding> {
    // Only mappings are compose files; anything else is for validation to report.
    if !source.document.root().is_some_and(|r| r.is_mapping()) {
        return Vec::new();
    }
    let ctx = Context::new(source, policy);
    let mut findings = Vec::new();
    for active in &policy.rules {
        if let Some(meta) = REGISTRY.iter().find(|m| m.id == active.id) {
            findings.extend((meta.check)(&ctx, active));
        }
    }
    for rule in &policy.generic {
        findings.extend(generic::check(&ctx, rule));
    }
    findings
}

/// `services.<name>` joined with `rest`.
pub fn service_path(name: &str) -> Path {
    Path::root().key("services").key(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_have_the_required_sections() {
        for rule in REGISTRY {
            for section in [
                "## What it does",
                "## Why",
                "## Example",
                "## Fix safety",
                "## Options",
            ] {
                assert!(rule.doc.contains(section), "{}: missing {section}", rule.id);
            }
            assert!(!rule.doc.starts_with(' '), "{}: doc not dedented", rule.id);
        }
    }

    #[test]
    fn packs_listed_in_the_registry_enable_the_rule() {
        let config = crate::config::Config::default();
        for (pack, _) in crate::policy::BUILTIN_PACKS {
            let set = PolicySet::load(&[pack.to_string()], &config).unwrap();
            for rule in REGISTRY {
                assert_eq!(
                    set.is_enabled(rule.id),
                    rule.packs.contains(pack),
                    "{} in {pack}",
                    rule.id
                );
            }
        }
    }
}
