//! The built-in rules, one file each; `rules::registry` lists them.

pub(super) mod config_mounts;
pub(super) mod depends_on_healthy;
pub(super) mod env_secrets;
pub(super) mod healthcheck;
pub(super) mod legacy_links;
pub(super) mod obsolete_version;
pub(crate) mod pin_image_tags;
pub(super) mod resource_limits;
pub(super) mod restart_policy;
pub(super) mod v1_layout;
