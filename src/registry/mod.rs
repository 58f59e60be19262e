//! Resolving image references against a real registry (OCI Distribution API); [`crate::pin`]
//! records the answers in `shipshape.lock`.
//!
//! Promised: each reference, parsed as Docker parses it ([`crate::image_ref`]), is looked up
//! over the Distribution API ([`client`]; its requests are in `manifests` and `tag_list`,
//! over `transport`) with the user's Docker credentials ([`auth`]), and a floating tag is
//! replaced by the most specific version tag with the same digest ([`tags`]). Requests for
//! one repository are shared and repositories are resolved concurrently ([`resolve`]).
//! Refused: talking plain HTTP to a registry not named insecure, running credential
//! helpers, and anything beyond reading manifests and tag lists.

pub mod auth;
pub mod client;
pub mod error;
mod manifests;
pub mod resolve;
mod tag_list;
pub mod tags;
#[cfg(test)]
mod test_server;
mod transport;

pub use auth::DockerCredentials;
pub use client::{Client, ClientOptions};
pub use error::RegistryError;
pub use resolve::{Resolution, resolve_all};
