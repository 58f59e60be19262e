//! Pinning images from a real registry (OCI Distribution API) into `shipshape.lock`.
//!
//! Promised: each reference is parsed as Docker parses it ([`reference`]), looked up over the
//! Distribution API ([`client`]) with the user's Docker credentials ([`auth`]), and a floating
//! tag is replaced by the most specific version tag with the same digest ([`tags`]).
//! Requests for one repository are shared and repositories are resolved concurrently
//! ([`resolve`]). Refused: talking plain HTTP to a registry not named insecure, running
//! credential helpers, and anything beyond reading manifests and tag lists.

pub mod auth;
pub mod client;
pub mod error;
pub mod reference;
pub mod resolve;
pub mod tags;

pub use auth::DockerCredentials;
pub use client::{Client, ClientOptions};
pub use error::RegistryError;
pub use reference::{ImageRef, ReferenceError};
pub use resolve::{Resolution, resolve_all};
