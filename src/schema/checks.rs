//! The catalogue of validation check ids: what each one means, so `shipshape rule <id>`,
//! SARIF rule descriptors and `--select`/`--ignore` know validation checks as they know
//! policy rules. A test keeps it complete: every id the loader and the checks report is here.

/// One validation check.
#[derive(Debug, Clone, Copy)]
pub struct CheckMeta {
    pub id: &'static str,
    pub summary: &'static str,
}

const fn check(id: &'static str, summary: &'static str) -> CheckMeta {
    CheckMeta { id, summary }
}

/// Every validation check id, with a one-line meaning.
pub static CHECKS: &[CheckMeta] = &[
    check(
        "yaml",
        "the file is not valid YAML (or uses YAML Compose refuses: alias bombs, deep nesting)",
    ),
    check("empty-file", "the file holds no compose data"),
    check(
        "schema",
        "a value the Compose Specification schema rejects (type, unknown key, format)",
    ),
    check(
        "interpolation",
        "an invalid `${...}` expression, or a required variable that is unset",
    ),
    check(
        "unset-variable",
        "a variable used without a default is not set (it becomes empty)",
    ),
    check(
        "legacy-layout",
        "a v1 file: services at the top level instead of under `services:`",
    ),
    check(
        "obsolete-version",
        "the top-level `version:` is obsolete and ignored by Compose",
    ),
    check("include", "an `include:` entry that cannot be loaded"),
    check(
        "extends",
        "an `extends:` that names a missing file or service, or a cycle",
    ),
    check("env-file", "an `env_file` that cannot be read or parsed"),
    check("missing-env-file", "a required `env_file` does not exist"),
    check(
        "missing-file",
        "a file a secret or config names does not exist",
    ),
    check("missing-label-file", "a `label_file` does not exist"),
    check(
        "missing-image",
        "a service has neither an image nor a build context",
    ),
    check(
        "undefined-service",
        "a reference (depends_on, links, extends, network_mode, ...) to a service that is not defined",
    ),
    check(
        "undefined-network",
        "a service uses a network that is not declared under `networks:`",
    ),
    check(
        "undefined-volume",
        "a service mounts a named volume that is not declared under `volumes:`",
    ),
    check(
        "undefined-secret",
        "a service uses a secret that is not declared under `secrets:`",
    ),
    check(
        "undefined-config",
        "a service uses a config that is not declared under `configs:`",
    ),
    check(
        "undefined-model",
        "a service uses a model that is not declared under `models:`",
    ),
    check(
        "depends-on-cycle",
        "services depend on each other in a cycle",
    ),
    check(
        "duplicate-container-name",
        "two services set the same `container_name`",
    ),
    check(
        "duplicate-host-port",
        "two services publish the same host port",
    ),
    check(
        "network-mode-conflict",
        "`network_mode` together with `networks:`",
    ),
    check(
        "memory-limit-conflict",
        "`mem_limit` and `deploy.resources.limits.memory` disagree",
    ),
    check("invalid-port", "a port mapping Compose cannot parse"),
    check(
        "invalid-size",
        "a byte size Compose cannot parse (`mem_limit`, `shm_size`, ...)",
    ),
    check("invalid-volume", "a volume mount Compose cannot parse"),
    check(
        "external-conflict",
        "an external volume, network, secret or config that also sets driver, driver_opts or labels",
    ),
    check(
        "external-name-conflict",
        "`name` and `external.name` name different resources",
    ),
    check(
        "resource-source",
        "a secret or config without exactly one source (file, environment, content)",
    ),
    check("bind-source", "a bind mount without a source"),
    check("mount-target", "a long-syntax volume without a target"),
    check(
        "tmpfs-conflict",
        "a tmpfs and a volume mounted on the same target",
    ),
    check(
        "device-count",
        "a GPU reservation with both `count` and `device_ids`, or a `count` that is not a number or `all`",
    ),
    check(
        "extra-host",
        "an `extra_hosts` entry without an IP or with an empty host",
    ),
    check("watch-path", "a `develop.watch` rule with a blank path"),
    check(
        "watch-target",
        "a `develop.watch` sync rule without a target",
    ),
    check(
        "dockerfile-conflict",
        "`build.dockerfile` together with `build.dockerfile_inline`",
    ),
    check(
        "build-platforms",
        "`build.platforms` does not include the service's `platform`",
    ),
    check(
        "healthcheck-test",
        "a `healthcheck.test` list that does not start with CMD, CMD-SHELL or NONE",
    ),
    check(
        "scale-conflict",
        "`scale` and `deploy.replicas` (or a v2 resource key and its deploy twin) disagree",
    ),
    check(
        "negative-replicas",
        "a negative `scale` or `deploy.replicas`",
    ),
    check(
        "container-name-replicas",
        "a fixed `container_name` on a service with more than one replica",
    ),
];

/// Ids the reports use for problems outside the loader.
pub static RUN_CHECKS: &[CheckMeta] = &[
    check("load-error", "the file could not be read or parsed at all"),
    check(
        "fix-blocked",
        "`fix` left the file unchanged because Docker Compose rejects it",
    ),
    check(
        "unknown-suppression",
        "a `# shipshape: ignore[...]` comment names a rule that does not exist (it suppresses nothing)",
    ),
];

pub fn find(id: &str) -> Option<&'static CheckMeta> {
    CHECKS.iter().chain(RUN_CHECKS).find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `Problem::error("id", …)` / `Problem::warning("id", …)` in the sources is listed.
    #[test]
    fn every_reported_check_id_is_in_the_catalogue() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.ends_with("schema/checks.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for id in reported_ids(&text) {
                    seen += 1;
                    assert!(
                        find(&id).is_some(),
                        "{}: `{id}` is not catalogued",
                        path.display()
                    );
                }
            }
        }
        assert!(seen > 20, "the source scan found only {seen} check ids");
    }

    fn reported_ids(text: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for call in ["Problem::error(", "Problem::warning("] {
            for (at, _) in text.match_indices(call) {
                let rest = text[at + call.len()..].trim_start();
                if let Some(rest) = rest.strip_prefix('"') {
                    ids.extend(rest.split('"').next().map(str::to_string));
                }
            }
        }
        ids
    }
}
