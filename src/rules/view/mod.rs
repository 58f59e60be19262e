//! What a rule sees of one file: the document, Compose's view of every service (merge keys
//! and aliases followed, see [`merge`]), the policy's pins, the lock file, and the findings of
//! the rules that ran before it (so a rule can build on a fix another rule plans).

pub mod merge;
pub mod mounts;
mod service;

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::LockState;
use crate::compose::ProjectFacts;
use crate::document::{Document, NodeRef};
use crate::finding::{Finding, Location, Severity};
use crate::policy::Selector;
use crate::source::Source;

pub use service::Service;

/// What every rule sees of one file.
pub struct Context<'a> {
    pub source: &'a Source,
    pub doc: &'a Document,
    /// The directory of the compose file (relative paths in it resolve here).
    pub dir: PathBuf,
    /// The services, in document order (empty for a file without `services:`).
    pub services: Vec<Service<'a>>,
    /// Image reference as written → what to pin it to (`pins:` of the policies).
    pub pins: &'a BTreeMap<String, String>,
    /// The lock file that applies to this file, when the pipeline looked for one.
    pub lock: Option<&'a LockState>,
    /// Findings of the rules that ran before, in order (the result once all have run).
    pub earlier: Vec<Finding>,
    /// What the project (every file, override and `extends`) says about each service, when
    /// the pipeline loaded it.
    pub project: Option<&'a ProjectFacts>,
}

impl<'a> Context<'a> {
    pub fn new(
        source: &'a Source,
        pins: &'a BTreeMap<String, String>,
        lock: Option<&'a LockState>,
    ) -> Context<'a> {
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
            dir,
            services,
            pins,
            lock,
            earlier: Vec::new(),
            project: None,
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

    /// Runs `check_service` on every service the rule's `match:` selects.
    pub(crate) fn per_service<O>(
        &self,
        rule: &crate::rules::registry::Configured<O>,
        check_service: fn(
            &Context<'_>,
            &crate::rules::registry::Configured<O>,
            &Service<'_>,
        ) -> Option<Finding>,
    ) -> Vec<Finding> {
        self.selected(&rule.selector)
            .filter_map(|service| check_service(self, rule, service))
            .collect()
    }

    /// Whether a rule that adds `key` where it is missing should add it to `service` in this
    /// file: the key is absent from the service as Compose sees the whole project (overrides
    /// and `extends` included), and this file is where the service is first defined (a key is
    /// added once per project, in the base file, not in every override).
    pub fn adds_here(&self, service: &Service<'_>, key: &str) -> bool {
        service.get(key).is_none() && !self.elsewhere(service, key)
    }

    /// Whether another file of the project owns `key` of `service`: this file only overlays
    /// the service, or the merged project sets the key although this file does not.
    pub fn elsewhere(&self, service: &Service<'_>, key: &str) -> bool {
        self.project.is_some_and(|p| {
            p.is_overlay(service.name, &self.source.path)
                || (service.get(key).is_none() && p.has_key(service.name, key))
        })
    }

    /// Whether rule `rule`, which ran before, already reported `location` (a rule that
    /// overlaps it then stays quiet, so the entry gets one finding).
    pub fn reported_by(&self, rule: &str, location: &Location) -> bool {
        self.earlier
            .iter()
            .any(|f| f.rule == rule && f.location == *location)
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

    /// Whether a comment ends the node's line (removing the node would lose it).
    pub fn comment_on_line(&self, node: NodeRef<'_>) -> bool {
        let line = self.doc.line_col(node.span().end).0;
        self.doc
            .comments()
            .any(|(range, _)| self.doc.line_col(range.start).0 == line)
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

    /// An informational finding (a gap worth knowing, not an error) at `location`.
    pub fn note(&self, rule: &str, location: Location, message: impl Into<String>) -> Finding {
        self.finding(rule, location, message)
            .with_severity(Severity::Info)
    }

    /// An informational finding about the value `node` holds, pointing at it.
    pub fn note_on(&self, rule: &str, node: NodeRef<'_>, message: impl Into<String>) -> Finding {
        self.note(rule, Location::Node(node.path()), message)
    }
}
