//! The rules, at a glance:
//! - [`registry`]: the list of built-in rules, and a policy's data turned into configured
//!   rules with typed options;
//! - `image_facts`: what the images' own sources say (tools, ports, `_FILE` variables,
//!   healthchecks per version and variant), read from `policies/images.yaml`;
//! - [`view`]: what rules see of a file, Compose's view of each service (through merge keys
//!   and aliases) and where a value may be written;
//! - `builtin/`: one file per built-in rule, its doc comment being its documentation
//!   (`shipshape rule <id>`); `generic`: the rules a policy declares without code.
//!
//! Rules answer with findings whose fixes are path-addressed [`Edit`]s; they never touch byte
//! offsets and never read the disk: a rule's result depends only on the document, its options
//! and the lock file the pipeline hands over. Edits land locally in the service (overriding a
//! merged value, as Compose does); the document engine refuses edits inside anchors that
//! others use.
//!
//! [`Edit`]: crate::document::Edit

mod builtin;
mod doc;
mod generic;
mod image_facts;
pub mod registry;
pub mod view;

use crate::compose::ProjectFacts;
use crate::document::Path;
use crate::finding::Finding;
use crate::lockfile::Lockfile;
use crate::source::Source;

pub use builtin::pin_image_tags::floating_tags;
pub use doc::dedent;
pub(crate) use registry::declare_rule;
pub use registry::{ActiveRules, REGISTRY, RuleMeta};
pub use view::{Context, Service, merge};

/// Runs the active rules on one loaded compose file.
pub fn check(
    source: &Source,
    rules: &ActiveRules,
    lock: Option<&LockState>,
    project: Option<&ProjectFacts>,
) -> Vec<Finding> {
    // Only mappings are compose files; anything else is for validation to report.
    if !source.document.root().is_some_and(|r| r.is_mapping()) {
        return Vec::new();
    }
    let mut ctx = Context::new(source, &rules.pins, lock);
    ctx.project = project;
    rules.check(&mut ctx);
    ctx.earlier
}

/// The lock file that applies to a compose file, as the pipeline loaded it.
pub type LockState = Result<Lockfile, String>;

/// `services.<name>` joined with `rest`.
pub fn service_path(name: &str) -> Path {
    Path::root().key("services").key(name)
}
