//! All integration tests in one binary, so a cold `cargo test` links the crate once.
//!
//! Suites that need `../shared` (corpus, YAML test suite), the real Docker Compose or a registry
//! are `#[ignore]`d with the reason and run by `.ci/run` (`cargo test -- --ignored`).

mod common;
mod document_support;

mod cli;
mod cli_config;
mod cli_fix;
mod cli_init;
mod crash_safety;
mod document_corpus_edits;
mod document_edits;
mod document_props;
mod document_roundtrip;
mod fix_oracle;
mod hooks;
mod pin_registry;
mod report_formats;
mod robustness;
mod rules_env_secrets;
mod rules_policy;
mod rules_snapshots;
mod secrets_detect;
mod secrets_dotenv;
mod secrets_holdout;
mod security_set;
mod validate_checks;
mod validate_errors;
mod validate_fuzz;
mod validate_parity;
mod write;
