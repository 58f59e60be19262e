//! shipshape: make Docker Compose files production-ready without touching the bytes you wrote.
//!
//! The pipeline reads top to bottom; a layer calls only the layers before it:
//! [`discover`] → [`document`] (load, via [`source`]) → [`schema`] (validate) →
//! [`policy`] and [`rules`] → [`outcome`] → [`report`] and [`write`]. [`cli`] drives it.
//! Beside it, [`pin`] resolves images through [`registry`] into the [`lockfile`] that the
//! `pin-image-tags` rule reads; [`image_ref`] is the one reading of image references.

pub mod baseline;
pub mod cli;
pub mod compose;
pub mod config;
pub mod discover;
pub mod document;
pub mod finding;
pub mod image_ref;
pub mod lockfile;
pub mod outcome;
pub mod pin;
pub mod pipeline;
pub mod policy;
pub mod registry;
pub mod report;
pub mod rules;
pub mod schema;
pub mod scope;
pub mod secrets;
pub mod source;
pub mod suppress;
pub mod write;
pub mod yaml_schema;
