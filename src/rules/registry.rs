//! The list of built-in rules and how a policy's plain data becomes configured rules.
//!
//! Promises: a rule id a policy names is known here or declared by the policy itself
//! (`ensure:`/`set:`/`remove:`), else loading fails naming the file; each rule's options are
//! parsed into that rule's own `Options` type (unknown or mistyped options are errors), and
//! its check receives them typed. Pack membership is not declared here: it is read from the
//! pack files (`policies/*.yaml`), the only place it is written.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use yaml_serde::{Mapping, Value as Y};

use super::builtin::{
    build_arg_secrets, cap_drop_all, cgroup_parent, command_secrets, config_mounts, container_name,
    dangerous_capabilities, depends_on_healthy, docker_socket, env_secrets, healthcheck,
    healthcheck_disabled, healthcheck_timing, host_devices, host_namespaces,
    internal_backend_network, legacy_links, localhost_service_address, logging_rotation,
    mount_propagation, no_new_privileges, non_root_user, obsolete_version, pids_limit,
    pin_image_digests, pin_image_tags, ports_all_interfaces, privileged, privileged_host_ports,
    read_only_root, resource_limits, restart_always, restart_policy, sensitive_host_mounts,
    tmpfs_noexec, unconfined_security_opt, url_credentials, v1_layout, volume_over_image_files,
};
use super::{Context, generic};
use crate::finding::Finding;
use crate::policy::{GenericRule, PolicyError, PolicySet, Selector};

/// What the CLI and the reports know about a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub id: &'static str,
    pub summary: &'static str,
    pub fixable: bool,
    /// SARIF `security-severity` (a CVSS-like score, `"0.1"`–`"10.0"`) of a security rule;
    /// GitHub code scanning ranks alerts by it.
    pub security_severity: Option<&'static str>,
    /// The rule's documentation (its doc comment): `shipshape rule <id>` prints it.
    pub doc: &'static str,
    /// Parses the rule's merged options into its own type and binds them to its check.
    pub(crate) configure: fn(Mapping, Selector) -> Result<Box<dyn ActiveRule>, String>,
    /// The option names the rule's `Options` type accepts (checked against the policy schema).
    pub option_names: fn() -> &'static [&'static str],
}

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
    // The security pack, highest security severity first.
    privileged::META,
    docker_socket::META,
    host_namespaces::META,
    dangerous_capabilities::META,
    unconfined_security_opt::META,
    sensitive_host_mounts::META,
    build_arg_secrets::META,
    url_credentials::META,
    command_secrets::META,
    no_new_privileges::META,
    cap_drop_all::META,
    non_root_user::META,
    host_devices::META,
    cgroup_parent::META,
    mount_propagation::META,
    ports_all_interfaces::META,
    privileged_host_ports::META,
    internal_backend_network::META,
    pin_image_digests::META,
    read_only_root::META,
    tmpfs_noexec::META,
    volume_over_image_files::META,
    logging_rotation::META,
    pids_limit::META,
    restart_always::META,
    healthcheck_disabled::META,
    healthcheck_timing::META,
    localhost_service_address::META,
    container_name::META,
];

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    REGISTRY.iter().find(|r| r.id == id)
}

/// A rule ready to run: its check bound to its typed options and selector.
pub(crate) trait ActiveRule: Send + Sync {
    fn id(&self) -> &'static str;
    fn check(&self, ctx: &Context<'_>) -> Vec<Finding>;
}

/// A built-in rule with its options of type `O`, as its check function receives it.
pub(crate) struct Configured<O> {
    pub id: &'static str,
    pub selector: Selector,
    pub options: O,
    check: fn(&Context<'_>, &Configured<O>) -> Vec<Finding>,
}

impl<O: Send + Sync> ActiveRule for Configured<O> {
    fn id(&self) -> &'static str {
        self.id
    }

    fn check(&self, ctx: &Context<'_>) -> Vec<Finding> {
        (self.check)(ctx, self)
    }
}

/// Parses `options` into `O` and binds it to `check` (used by `declare_rule!`).
pub(crate) fn configure<O: DeserializeOwned + Send + Sync + 'static>(
    id: &'static str,
    options: Mapping,
    selector: Selector,
    check: fn(&Context<'_>, &Configured<O>) -> Vec<Finding>,
) -> Result<Box<dyn ActiveRule>, String> {
    let options: O = parse_options(options)?;
    Ok(Box::new(Configured {
        id,
        selector,
        options,
        check,
    }))
}

/// A rule's options as its own type; unknown or mistyped options are errors.
pub(crate) fn parse_options<O: DeserializeOwned>(options: Mapping) -> Result<O, String> {
    yaml_serde::from_value(Y::Mapping(options)).map_err(|e| e.to_string())
}

/// The rules a policy set enables, configured, in registry order; then its generic rules.
#[derive(Default)]
pub struct ActiveRules {
    pub(crate) rules: Vec<Box<dyn ActiveRule>>,
    pub generic: Vec<GenericRule>,
    /// Image reference as written → what to pin it to (`pins:` of the policies).
    pub pins: std::collections::BTreeMap<String, String>,
}

impl fmt::Debug for ActiveRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.ids()).finish()
    }
}

impl ActiveRules {
    /// Checks the rule ids `policy` names and parses every enabled rule's options.
    pub fn configure(policy: &PolicySet) -> Result<ActiveRules, PolicyError> {
        for (id, setting) in &policy.rules {
            if find(id).is_none() {
                return Err(PolicyError::Invalid(format!(
                    "{}: unknown rule `{id}`{}; `shipshape rules` lists them",
                    setting.origin,
                    did_you_mean(id)
                )));
            }
        }
        let mut active = ActiveRules {
            rules: Vec::new(),
            generic: policy.generic.clone(),
            pins: policy.pins.clone(),
        };
        for meta in REGISTRY {
            let Some(setting) = policy.rules.get(meta.id).filter(|s| s.enabled) else {
                continue;
            };
            let rule = (meta.configure)(setting.options.clone(), setting.selector.clone())
                .map_err(|m| {
                    PolicyError::Invalid(format!("{}: rule `{}`: {m}", setting.origin, meta.id))
                })?;
            active.rules.push(rule);
        }
        Ok(active)
    }

    /// Enabled rule ids: built-in ones in registry order, then generic ones.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .map(|r| r.id())
            .chain(self.generic.iter().map(|g| g.id.as_str()))
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.ids().any(|e| e == id)
    }

    pub(crate) fn check(&self, ctx: &mut Context<'_>) {
        for rule in &self.rules {
            let found = rule.check(ctx);
            ctx.earlier.extend(found);
        }
        for rule in &self.generic {
            let found = generic::check(ctx, rule);
            ctx.earlier.extend(found);
        }
    }
}

/// ` (did you mean `x`?)` when a known id is close to `id`.
pub fn did_you_mean(id: &str) -> String {
    crate::schema::suggest::closest(id, REGISTRY.iter().map(|r| r.id))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The built-in packs that enable `id`, read from the pack files (each loaded once).
pub fn packs_of(id: &str) -> Vec<&'static str> {
    static PACKS: std::sync::OnceLock<Vec<(&'static str, PolicySet)>> = std::sync::OnceLock::new();
    let packs = PACKS.get_or_init(|| {
        let config = crate::config::Config::default();
        crate::policy::BUILTIN_PACKS
            .iter()
            .filter_map(|(pack, _)| {
                Some((*pack, PolicySet::load(&[pack.to_string()], &config).ok()?))
            })
            .collect()
    });
    packs
        .iter()
        .filter(|(_, set)| set.rules.get(id).is_some_and(|s| s.enabled))
        .map(|(pack, _)| *pack)
        .collect()
}

/// The field names a struct type deserializes (what `deny_unknown_fields` accepts).
pub(crate) fn option_names<O: DeserializeOwned>() -> &'static [&'static str] {
    struct Recorder<'r>(&'r mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Recorder<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("only structs are introspected"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = O::deserialize(Recorder(&mut fields));
    fields
}

/// Declares a rule's [`RuleMeta`] as `pub(crate) const META`, with the doc comment above it
/// as the rule's documentation, so the text `shipshape rule <id>` prints has a single source.
macro_rules! declare_rule {
    (@security_severity) => { None };
    (@security_severity $severity:literal) => { Some($severity) };
    // A rule judged service by service: `check_service` runs on each service `match:` selects.
    (
        $(#[doc = $doc:literal])*
        id: $id:literal,
        summary: $summary:literal,
        fixable: $fixable:literal,
        $(security_severity: $severity:literal,)?
        options: $options:ty,
        check_service: $check_service:path $(,)?
    ) => {
        $crate::rules::declare_rule! {
            $(#[doc = $doc])*
            id: $id,
            summary: $summary,
            fixable: $fixable,
            $(security_severity: $severity,)?
            options: $options,
            check: |ctx, rule| ctx.per_service(rule, $check_service),
        }
    };
    (
        $(#[doc = $doc:literal])*
        id: $id:literal,
        summary: $summary:literal,
        fixable: $fixable:literal,
        $(security_severity: $severity:literal,)?
        options: $options:ty,
        check: $check:expr $(,)?
    ) => {
        $(#[doc = $doc])*
        pub(crate) const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
            id: $id,
            summary: $summary,
            fixable: $fixable,
            security_severity: $crate::rules::declare_rule!(@security_severity $($severity)?),
            doc: {
                const RAW: &str = concat!($($doc, "\n"),*);
                const DEDENTED: ([u8; RAW.len()], usize) = $crate::rules::dedent::<{ RAW.len() }>(RAW);
                const BYTES: &[u8; RAW.len()] = &DEDENTED.0;
                match ::core::str::from_utf8(BYTES.split_at(DEDENTED.1).0) {
                    Ok(text) => text,
                    Err(_) => panic!("rule documentation is not UTF-8"),
                }
            },
            configure: |options, selector| {
                $crate::rules::registry::configure::<$options>($id, options, selector, $check)
            },
            option_names: $crate::rules::registry::option_names::<$options>,
        };
    };
}
pub(crate) use declare_rule;

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
    fn every_rule_is_in_some_pack_and_recommended_is_a_subset_of_production() {
        for rule in REGISTRY {
            let packs = packs_of(rule.id);
            assert!(!packs.is_empty(), "{} is in no built-in pack", rule.id);
            if packs.contains(&"recommended") {
                assert!(packs.contains(&"production"), "{}", rule.id);
            }
        }
    }

    /// The policy schema's per-rule options must be exactly what each rule's `Options` accepts.
    #[test]
    fn policy_schema_options_agree_with_the_option_types() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/policy.schema.json")).unwrap();
        let rules = &schema["properties"]["rules"]["properties"];
        for rule in REGISTRY {
            let mut in_schema: Vec<&str> = rules[rule.id]["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{}: no schema entry", rule.id))
                .keys()
                .map(String::as_str)
                .filter(|k| !matches!(*k, "match" | "enabled"))
                .collect();
            let mut in_type = (rule.option_names)().to_vec();
            in_schema.sort_unstable();
            in_type.sort_unstable();
            assert_eq!(in_schema, in_type, "{}", rule.id);
        }
    }

    #[test]
    fn unknown_options_are_errors_naming_the_option() {
        let mut config = crate::config::Config::default();
        config.rules.insert(
            "restart-policy".into(),
            yaml_serde::from_str("{nonsense: 1}").unwrap(),
        );
        let set = PolicySet::load(&[], &config).unwrap();
        let error = ActiveRules::configure(&set).unwrap_err().to_string();
        assert!(error.contains("nonsense"), "{error}");
    }

    #[test]
    fn unknown_rule_ids_are_errors_with_a_suggestion() {
        let mut config = crate::config::Config::default();
        config
            .rules
            .insert("healthchecks".into(), yaml_serde::Value::Bool(true));
        let set = PolicySet::load(&[], &config).unwrap();
        let error = ActiveRules::configure(&set).unwrap_err().to_string();
        assert!(error.contains("did you mean `healthcheck`"), "{error}");
    }
}
