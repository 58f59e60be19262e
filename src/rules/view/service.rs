//! A service as the rules see it: Compose's view (merge keys and aliases followed) for
//! reading, its own path for editing.

use super::merge;
use crate::document::{NodeRef, Path};
use crate::policy::Subject;

#[derive(Debug, Clone)]
pub struct Service<'a> {
    pub name: &'a str,
    /// The service's mapping (an alias resolved to its anchor).
    pub node: NodeRef<'a>,
    /// The whole service is an alias (`web: *base`): nothing can be inserted into it locally.
    pub is_alias: bool,
    pub path: Path,
}

impl<'a> Service<'a> {
    pub fn new(name: &'a str, node: NodeRef<'a>, is_alias: bool) -> Service<'a> {
        Service {
            name,
            node,
            is_alias,
            path: crate::rules::service_path(name),
        }
    }

    /// The effective value of `key` (through merge keys).
    pub fn get(&self, key: &str) -> Option<NodeRef<'a>> {
        merge::get(self.node, key)
    }

    /// The effective value at a key path (through merge keys at every level).
    pub fn get_path(&self, keys: &[&str]) -> Option<NodeRef<'a>> {
        merge::get_path(self.node, keys)
    }

    /// The service's own entry for `key`, not a merged one.
    pub fn local(&self, key: &str) -> Option<NodeRef<'a>> {
        if self.is_alias {
            None
        } else {
            self.node.get(key).map(merge::resolve)
        }
    }

    /// `key` is set, but only through a merge key (an edit would have to override it whole).
    pub fn inherited(&self, key: &str) -> bool {
        self.local(key).is_none() && self.get(key).is_some()
    }

    pub fn at(&self, key: &str) -> Path {
        self.path.clone().key(key)
    }

    /// `key` is set to YAML `true` (through merge keys).
    pub fn is_true(&self, key: &str) -> bool {
        matches!(merge::text(self.get(key)), Some("true" | "True" | "TRUE"))
    }

    /// The repository's last path segment without tag or digest (`bitnami/redis:7` → `redis`),
    /// for matching images by what they are rather than where they come from.
    pub fn image_base_name(&self) -> Option<&'a str> {
        let image = self.image()?;
        let name = image.split('@').next().unwrap_or(image);
        let last = name.rsplit('/').next().unwrap_or(name);
        Some(last.split(':').next().unwrap_or(last))
    }

    pub fn image(&self) -> Option<&'a str> {
        merge::text(self.get("image"))
    }

    pub fn has_build(&self) -> bool {
        self.get("build").is_some_and(|b| !b.is_null())
    }

    /// The service's labels as (key, value), from the mapping or the `key=value` list form.
    pub fn labels(&self) -> Vec<(String, String)> {
        let Some(labels) = self.get("labels") else {
            return Vec::new();
        };
        if labels.is_mapping() {
            return merge::entries(labels)
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                .collect();
        }
        merge::strings(Some(labels))
            .into_iter()
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (item.to_string(), String::new()),
            })
            .collect()
    }

    /// `environment:` entries as (key, value as written, node), from the mapping (through
    /// merge keys) or the `KEY=value` list form; entries without a value are left out.
    pub fn environment(&self) -> Vec<(String, &'a str, NodeRef<'a>)> {
        let Some(env) = self.get("environment") else {
            return Vec::new();
        };
        if env.is_mapping() {
            return merge::entries(env)
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?, v)))
                .collect();
        }
        env.items()
            .map(merge::resolve)
            .filter_map(|item| {
                let (key, value) = item.as_str()?.split_once('=')?;
                Some((key.to_string(), value, item))
            })
            .collect()
    }

    /// `security_opt` entries as (node, option, value), `seccomp:x` and `seccomp=x` alike;
    /// a bare option (`no-new-privileges`) has the value `""`. Option names are lowercased.
    pub fn security_opts(&self) -> Vec<(NodeRef<'a>, String, &'a str)> {
        let Some(opts) = self
            .get("security_opt")
            .filter(crate::document::NodeRef::is_sequence)
        else {
            return Vec::new();
        };
        opts.items()
            .map(merge::resolve)
            .filter_map(|item| {
                let text = item.as_str()?.trim();
                let (name, value) = text.split_once([':', '=']).unwrap_or((text, ""));
                Some((item, name.trim().to_ascii_lowercase(), value.trim()))
            })
            .collect()
    }

    /// The node that switches the healthcheck off (`disable: true`, `test: NONE` or
    /// `test: [NONE]`), if any.
    pub fn healthcheck_switched_off(&self) -> Option<NodeRef<'a>> {
        let disable = self.get_path(&["healthcheck", "disable"]);
        let test = self.get_path(&["healthcheck", "test"]);
        if matches!(merge::text(disable), Some("true" | "True" | "TRUE")) {
            disable
        } else if merge::strings(test).first() == Some(&"NONE") {
            test
        } else {
            None
        }
    }

    /// The command as one string (list form joined with spaces), for pattern matching.
    pub fn command_text(&self, key: &str) -> String {
        match self.get(key) {
            Some(node) if node.is_sequence() => merge::strings(Some(node)).join(" "),
            Some(node) => node.as_str().unwrap_or_default().to_string(),
            None => String::new(),
        }
    }
}

impl Subject for Service<'_> {
    fn name(&self) -> &str {
        self.name
    }

    fn image(&self) -> Option<String> {
        Service::image(self).map(str::to_string)
    }

    fn label(&self, key: &str) -> Option<String> {
        self.labels()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn profiles(&self) -> Vec<String> {
        merge::strings(self.get("profiles"))
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn has(&self, dotted: &str) -> bool {
        let keys: Vec<&str> = dotted.split('.').collect();
        self.get_path(&keys).is_some_and(|n| !n.is_null())
    }
}
