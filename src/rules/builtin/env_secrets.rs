use std::path::PathBuf;

use serde::Deserialize;

use crate::document::{Edit, NodeRef, Path, Value};
use crate::finding::{FileChange, Finding, Fix, Location};
use crate::image_ref::ImageRef;
use crate::rules::image_facts::{self, Family, ImageFacts};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    key_patterns: Vec<String>,
    allow_keys: Vec<String>,
    url_credentials: bool,
    secrets_dir: String,
    strategy: Strategy,
    images: ImageFacts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Strategy {
    EnvFile,
    Report,
}

declare_rule! {
    /// ## What it does
    /// Finds literal secrets in `environment:` (map and list forms): values of keys that match
    /// the policy's patterns (`PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, `PRIVATE_KEY`,
    /// `ACCESS_KEY`, …) and URLs with credentials (`scheme://user:pass@host`). Values that use
    /// `${…}` are left alone. The fix moves each value out of the file:
    ///
    /// - when the image's entrypoint reads exactly this variable from a file (the image
    ///   facts' `file_env`, `policies/images.yaml`: postgres, mysql, mariadb, mongo,
    ///   wordpress, nextcloud, bitnami/redis, elasticsearch, grafana, …) the value goes to
    ///   `secrets/<name>.txt` (mode 0600), a top-level `secrets:` entry points at it, the
    ///   service lists the secret and the variable becomes `<KEY>_FILE: /run/secrets/<name>`
    ///   (grafana reads `<KEY>__FILE`, with two underscores, and gets that);
    /// - for every other secret the variable moves to a git-ignored env file
    ///   (`secrets/<service>.env`, mode 0600) that the service reads with `env_file:`.
    ///
    /// What it knows and refuses about images: the image is matched on its repository
    /// (registry host, `docker.io/`, `library/` stripped); a variable becomes `_FILE` only
    /// when the facts list that exact name for the image (never a pattern: `MARIADB_*` would
    /// also catch switches the entrypoint never reads from a file), and for the tag's
    /// version where the facts restrict it (a floating tag then does not qualify). Variables
    /// the facts list as switches (`MARIADB_RANDOM_ROOT_PASSWORD`, `POSTGRES_HOST_AUTH_METHOD`)
    /// are not secrets and are never moved. A `_FILE` name the entrypoint rejects
    /// (`RABBITMQ_DEFAULT_PASS_FILE` makes rabbitmq exit) is never written. The official redis
    /// image reads no password variable at all, so `REDIS_PASSWORD` there goes to the env file.
    ///
    /// The secrets directory is added to the `.gitignore` next to the compose file, once.
    ///
    /// ## Why
    /// A compose file is committed, copied and pasted into issues; a secret in it is leaked.
    /// Docker secrets are mounted as files, not exported into every process's environment.
    ///
    /// ## Example
    /// ```yaml
    /// db:
    ///   image: postgres:16
    ///   environment:
    ///     POSTGRES_PASSWORD: hunter2                       # before
    ///     POSTGRES_PASSWORD_FILE: /run/secrets/db_postgres_password   # after
    ///   secrets: [db_postgres_password]                    # added
    /// secrets:                                             # added
    ///   db_postgres_password:
    ///     file: ./secrets/db_postgres_password.txt
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: it creates files and changes how the container receives the value. An existing
    /// secret file with another value is a conflict and the fix is refused. Values never appear
    /// in messages or reports (`<redacted>`).
    ///
    /// ## Options
    /// - `key_patterns`: case-insensitive substrings of secret keys.
    /// - `allow_keys`: keys that match a pattern but hold no secret.
    /// - `url_credentials` (`true`): also move URLs with a password.
    /// - `secrets_dir` (`secrets`): where the files go, relative to the compose file.
    /// - `strategy` (`env_file`): for images without `_FILE` support, `env_file` or `report`.
    /// - `images`: the image facts, by family (defaults: `policies/images.yaml`); entries in
    ///   your policy merge over the built-in ones key by key (lists replace). For your own
    ///   image: `{images: [acme/app], file_env: [DB_PASSWORD], switches: [DB_SSL]}`.
    /// - `match`: which services the rule applies to.
    id: "env-secrets",
    summary: "move literal secrets out of `environment:`",
    fixable: true,
    options: Options,
    check: check,
}

/// A literal secret found in a service's environment.
struct Secret<'a> {
    key: String,
    value: String,
    /// The map entry (`environment.KEY`) or list item (`environment[i]`).
    path: Path,
    node: NodeRef<'a>,
    list_form: bool,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let mut taken = top_level_secret_names(ctx);
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let secrets = find_secrets(service, options);
        if secrets.is_empty() {
            continue;
        }
        findings.push(service_finding(
            ctx, rule, options, service, &secrets, &mut taken,
        ));
    }
    findings
}

fn top_level_secret_names(ctx: &Context<'_>) -> Vec<(String, Option<String>)> {
    let Some(secrets) = ctx.root().and_then(|r| merge::get(r, "secrets")) else {
        return Vec::new();
    };
    merge::entries(secrets)
        .into_iter()
        .map(|(name, spec)| {
            (
                name,
                merge::text(merge::get(spec, "file")).map(str::to_string),
            )
        })
        .collect()
}

fn find_secrets<'a>(service: &Service<'a>, options: &Options) -> Vec<Secret<'a>> {
    let Some(env) = service.get("environment") else {
        return Vec::new();
    };
    // Switches (`MARIADB_RANDOM_ROOT_PASSWORD: "true"`) hold modes, not secrets.
    let family = image_family(service, options);
    let is_secret = |key: &str, value: &str| {
        !family.is_some_and(|f| f.is_switch(key)) && is_secret(key, value, options)
    };
    let base = service.at("environment");
    let mut found = Vec::new();
    if env.is_mapping() {
        for (key_node, value) in env.entries() {
            let (Some(key), Some(text)) = (key_node.as_str(), merge::text(Some(value))) else {
                continue;
            };
            if value.is_mapping() || value.is_sequence() || value.alias_name().is_some() {
                continue;
            }
            if is_secret(key, text) {
                found.push(Secret {
                    key: key.to_string(),
                    value: text.to_string(),
                    path: base.clone().key(key),
                    node: value,
                    list_form: false,
                });
            }
        }
    } else if env.is_sequence() {
        for (i, item) in env.items().enumerate() {
            let Some((key, text)) = item.as_str().and_then(|s| s.split_once('=')) else {
                continue;
            };
            if is_secret(key, text) {
                found.push(Secret {
                    key: key.to_string(),
                    value: text.to_string(),
                    path: base.clone().index(i),
                    node: item,
                    list_form: true,
                });
            }
        }
    }
    found
}

fn is_secret(key: &str, value: &str, options: &Options) -> bool {
    // `${VAR}` is resolved elsewhere; `$$` would need unescaping. Neither is a literal here.
    if value.trim().is_empty() || value.contains('$') {
        return false;
    }
    let upper = key.to_ascii_uppercase();
    if upper.ends_with("_FILE")
        || options
            .allow_keys
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    {
        return false;
    }
    options
        .key_patterns
        .iter()
        .any(|p| upper.contains(&p.to_ascii_uppercase()))
        || (options.url_credentials && has_url_credentials(value))
}

/// `scheme://user:password@host…` with a non-empty password.
fn has_url_credentials(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return false;
    };
    userinfo
        .split_once(':')
        .is_some_and(|(_, password)| !password.is_empty())
}

fn image_family<'o>(service: &Service<'_>, options: &'o Options) -> Option<&'o Family> {
    image_facts::family(&options.images, service.image()?).map(|(_, family)| family)
}

/// The variable the image reads the secret from as a file (`KEY_FILE`, `KEY__FILE`), if the
/// image facts list `key` exactly for the service's image and tag.
fn file_variable(service: &Service<'_>, key: &str, options: &Options) -> Option<String> {
    let family = image_family(service, options)?;
    let tag = ImageRef::parse(service.image()?).tag;
    family.file_variable(key, tag)
}

/// Lower case, with anything but letters and digits turned into `_`.
fn sanitize(text: &str) -> String {
    text.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn secret_name(service: &str, key: &str) -> String {
    sanitize(&format!("{service}_{key}"))
}

fn secret_file(dir: &str, name: &str) -> String {
    format!("./{dir}/{name}.txt")
}

/// A name no other top-level secret uses for another file (deterministic: `_2`, `_3`, …).
fn free_name(wanted: &str, dir: &str, taken: &mut Vec<(String, Option<String>)>) -> String {
    let mut candidate = wanted.to_string();
    let mut n = 1;
    while let Some((_, existing)) = taken.iter().find(|(name, _)| *name == candidate) {
        if existing.as_deref() == Some(secret_file(dir, &candidate).as_str()) {
            return candidate;
        }
        n += 1;
        candidate = format!("{wanted}_{n}");
    }
    taken.push((candidate.clone(), Some(secret_file(dir, &candidate))));
    candidate
}

fn service_finding(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    options: &Options,
    service: &Service<'_>,
    secrets: &[Secret<'_>],
    taken: &mut Vec<(String, Option<String>)>,
) -> Finding {
    let keys: Vec<String> = secrets.iter().map(|s| format!("`{}`", s.key)).collect();
    let message = format!(
        "service `{}` has literal secrets in `environment:` ({})",
        service.name,
        keys.join(", ")
    );
    let mut finding = ctx.finding(rule.id, Location::Node(secrets[0].path.clone()), message);
    finding.redact = secrets.iter().map(|s| s.value.clone()).collect();
    // Edits in a merged or aliased environment would change other services too.
    let local_env = service.local("environment").is_some()
        && !service.is_alias
        && service
            .node
            .get("environment")
            .is_none_or(|e| e.alias_name().is_none());
    if !local_env {
        return finding;
    }
    match plan_fix(ctx, options, service, secrets, taken) {
        Some(fix) => finding.with_fix(fix),
        None => finding,
    }
}

fn plan_fix(
    ctx: &Context<'_>,
    options: &Options,
    service: &Service<'_>,
    secrets: &[Secret<'_>],
    taken: &mut Vec<(String, Option<String>)>,
) -> Option<Fix> {
    let dir = options.secrets_dir.trim_end_matches('/');
    let mut edits = Vec::new();
    let mut files = Vec::new();
    let mut listed = Vec::new();
    let mut env_lines = Vec::new();
    let mut moved = Vec::new();
    let mut removed_items = Vec::new();
    // Top-level edits go last: an insertion at the end of the file must follow the ones into
    // the last service, or the service's new key would land under the new top-level key.
    let mut top_level = Vec::new();
    for secret in secrets {
        if let Some(file_key) = file_variable(service, &secret.key, options) {
            if env_has(service, &file_key) {
                continue;
            }
            let name = free_name(&secret_name(service.name, &secret.key), dir, taken);
            let file = secret_file(dir, &name);
            let target = format!("/run/secrets/{name}");
            if secret.list_form {
                edits.push(Edit::Replace {
                    path: secret.path.clone(),
                    value: Value::str(format!("{file_key}={target}")),
                });
            } else {
                edits.push(Edit::RenameKey {
                    path: secret.path.clone(),
                    to: file_key,
                });
                edits.push(Edit::Replace {
                    path: secret.path.clone(),
                    value: Value::str(target),
                });
            }
            top_level.push(Edit::Set {
                path: Path::root().key("secrets").key(name.as_str()),
                value: Value::map([("file", Value::str(file))]),
            });
            files.push(FileChange::Create {
                path: PathBuf::from(dir).join(format!("{name}.txt")),
                contents: secret.value.clone(),
                mode: 0o600,
                secret: true,
            });
            listed.push(name.clone());
            moved.push(format!("`{}` → secret `{name}`", secret.key));
        } else if options.strategy == Strategy::EnvFile {
            // Single quotes are literal in Compose env files (no interpolation, no escapes).
            if secret.value.contains(['\'', '\n', '\r']) || has_comment_on_line(ctx, secret.node) {
                continue;
            }
            env_lines.push(format!("{}='{}'", secret.key, secret.value));
            removed_items.push(secret.path.clone());
            moved.push(format!("`{}` → env file", secret.key));
        }
    }
    if moved.is_empty() {
        return None;
    }
    if !listed.is_empty() {
        match service.local("secrets") {
            Some(existing) if existing.is_sequence() => {
                let present = merge::strings(Some(existing));
                edits.extend(
                    listed
                        .iter()
                        .filter(|n| !present.contains(&n.as_str()))
                        .map(|n| Edit::Append {
                            path: service.at("secrets"),
                            value: Value::str(n),
                        }),
                );
            }
            Some(_) => return None,
            None if service.get("secrets").is_some() => return None,
            None => edits.push(Edit::Set {
                path: service.at("secrets"),
                value: Value::Seq(listed.iter().map(Value::str).collect()),
            }),
        }
    }
    if !env_lines.is_empty() {
        let env_file = format!("{dir}/{}.env", sanitize(service.name));
        let reference = format!("./{env_file}");
        match service.local("env_file") {
            Some(existing) if existing.is_sequence() => edits.push(Edit::Append {
                path: service.at("env_file"),
                value: Value::str(&reference),
            }),
            Some(existing) if existing.as_str().is_some() => {
                let current = existing.as_str().unwrap_or_default();
                edits.push(Edit::Replace {
                    path: service.at("env_file"),
                    value: Value::Seq(vec![Value::str(current), Value::str(&reference)]),
                });
            }
            Some(_) => return None,
            None if service.get("env_file").is_some() => return None,
            None => edits.push(Edit::Set {
                path: service.at("env_file"),
                value: Value::str(&reference),
            }),
        }
        let mut contents = env_lines.join("\n");
        contents.push('\n');
        files.push(FileChange::Create {
            path: PathBuf::from(&env_file),
            contents,
            mode: 0o600,
            secret: true,
        });
        // Remove list items from the back so indices stay valid for the verifier.
        edits.extend(
            removed_items
                .into_iter()
                .rev()
                .map(|path| Edit::Remove { path }),
        );
    }
    edits.extend(top_level);
    files.push(FileChange::EnsureLine {
        path: PathBuf::from(".gitignore"),
        line: format!("/{dir}/"),
    });
    let mut fix = Fix::unsafe_(format!("move {}", moved.join(", ")), edits);
    fix.files = files;
    Some(fix)
}

fn env_has(service: &Service<'_>, key: &str) -> bool {
    let Some(env) = service.get("environment") else {
        return false;
    };
    if env.is_mapping() {
        return merge::get(env, key).is_some();
    }
    merge::strings(Some(env))
        .iter()
        .any(|item| item.split('=').next() == Some(key))
}

/// A comment on the entry's line would be lost when the entry is removed.
fn has_comment_on_line(ctx: &Context<'_>, node: NodeRef<'_>) -> bool {
    let line = ctx.doc.line_col(node.span().end).0;
    ctx.doc
        .comments()
        .any(|(range, _)| ctx.doc.line_col(range.start).0 == line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials() {
        assert!(has_url_credentials("postgres://app:s3cret@db:5432/app"));
        assert!(!has_url_credentials("postgres://app@db:5432/app"));
        assert!(!has_url_credentials("http://example.com/a@b"));
        assert!(!has_url_credentials("redis://:@cache"));
    }

    #[test]
    fn names_are_deterministic() {
        let mut taken = vec![("db_pw".to_string(), Some("./other.txt".to_string()))];
        assert_eq!(free_name("db_pw", "secrets", &mut taken), "db_pw_2");
        assert_eq!(free_name("db_pw", "secrets", &mut taken), "db_pw_2");
        assert_eq!(secret_name("my-app", "API.KEY"), "my_app_api_key");
    }
}
