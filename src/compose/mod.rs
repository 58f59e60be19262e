//! The Compose model: what Compose sees after anchors, merges, interpolation, `include` and
//! `extends`, with a map back to the text each value came from.
//!
//! Promises: every value carries the [`Origin`] of its text (aliases point at the anchored
//! text), so a problem found anywhere in the merged model is reported in the right file at
//! the right line. Refuses: nothing silently — what cannot be resolved is a [`Problem`].

mod env;
mod facts;
mod files;
mod interpolate;
mod load;
mod merge;
mod problem;
mod project;
pub mod template;
mod tree;

pub use env::{Variables, process_variables};
pub use facts::{ProjectFacts, ServiceFacts};
pub use files::Files;
pub use problem::Problem;
pub use project::{LoadOptions, Project, load_project, normalize};
pub use tree::{Entry, FileId, MergeTag, Node, Origin, Value};
