use std::path::PathBuf;

use serde::Deserialize;

use crate::document::{Edit, NodeRef, Path, Value};
use crate::finding::{FileChange, Finding, Fix, Location};
use crate::image_ref::ImageRef;
use crate::rules::image_facts::{self, Family, ImageFacts};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};
use crate::secrets::detect::{SecretKind, Verdict, classify};
use crate::secrets::dotenv;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    key_patterns: Vec<String>,
    allow_keys: Vec<String>,
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
    /// Finds literal secrets in `environment:` (map and list forms, entries merged in through
    /// `<<:` included) with the secret detector (`src/secrets/detect`): keys whose words name
    /// a secret (PASS/PWD, KEY/SALT/IV, SECRET, TOKEN, CREDENTIALS, AUTH, PRIVATE) together
    /// with the value's shape, URLs and DSNs with a password, compound values (`user/pass`,
    /// JAAS configs), private keys, JWTs and known token formats under any key. Switches,
    /// durations, paths, access-key ids, marker words and `${…}` values are not secrets; a
    /// literal default of `${VAR:-default}` is reported (without a fix: the variable is the
    /// way to set it). The fix moves each value out of the file:
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
    /// - `key_patterns` (`[]`): extra case-insensitive substrings of keys that hold secrets.
    /// - `allow_keys`: keys that never hold a secret, whatever the detector says.
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
    /// As written in the file.
    written: String,
    /// What Compose resolves it to; `None` when it cannot move (an interpolation default, or
    /// an entry merged in from an anchor that other services share).
    value: Option<String>,
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

fn top_level_secret_names(ctx: &Context<'_>) -> Taken {
    let Some(secrets) = ctx.root().and_then(|r| merge::get(r, "secrets")) else {
        return Taken::new();
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
    let judge = |key: &str, value: &str| match family.is_some_and(|f| f.is_switch(key)) {
        true => Literal::NotSecret,
        false => judge(key, value, options),
    };
    let base = service.at("environment");
    let mut found = Vec::new();
    if env.is_mapping() {
        // Entries merged in through `<<:` count; only the service's own can be moved.
        for (key, node) in merge::entries(env) {
            let Some(text) = merge::text(Some(node)) else {
                continue;
            };
            if node.is_mapping() || node.is_sequence() {
                continue;
            }
            let own = env
                .entries()
                .any(|(k, v)| k.as_str() == Some(key.as_str()) && v.alias_name().is_none());
            let value = match judge(&key, text) {
                Literal::NotSecret => continue,
                Literal::Movable(resolved) if own => Some(resolved),
                _ => None,
            };
            found.push(Secret {
                path: base.clone().key(key.as_str()),
                written: text.to_string(),
                value,
                node,
                list_form: false,
                key,
            });
        }
    } else if env.is_sequence() {
        for (i, item) in env.items().enumerate() {
            let Some((key, text)) = item.as_str().and_then(|s| s.split_once('=')) else {
                continue;
            };
            let value = match judge(key, text) {
                Literal::NotSecret => continue,
                Literal::Movable(resolved) => Some(resolved),
                Literal::ReportOnly => None,
            };
            found.push(Secret {
                key: key.to_string(),
                written: text.to_string(),
                value,
                path: base.clone().index(i),
                node: item,
                list_form: true,
            });
        }
    }
    found
}

/// What a literal `environment:` value is, as the detector and the policy see it.
enum Literal {
    /// A secret that can move out of the file: the value as Compose resolves it (`$$` → `$`).
    Movable(String),
    /// A secret that cannot move (the literal default of an interpolation).
    ReportOnly,
    NotSecret,
}

fn judge(key: &str, value: &str, options: &Options) -> Literal {
    if options
        .allow_keys
        .iter()
        .any(|k| k.eq_ignore_ascii_case(key))
    {
        return Literal::NotSecret;
    }
    let upper = key.to_ascii_uppercase();
    let named_by_policy = !upper.ends_with("_FILE")
        && !value.trim().is_empty()
        && options
            .key_patterns
            .iter()
            .any(|p| upper.contains(&p.to_ascii_uppercase()));
    let verdict = classify(key, value);
    if !verdict.is_secret() && !named_by_policy {
        return Literal::NotSecret;
    }
    let default_only = matches!(
        verdict,
        Verdict::Secret {
            kind: SecretKind::InterpolationDefault,
            ..
        }
    );
    match resolved(value) {
        Some(value) if !default_only => Literal::Movable(value),
        _ => Literal::ReportOnly,
    }
}

/// The value Compose resolves a literal to (`$$` is a `$`); `None` when it interpolates.
fn resolved(value: &str) -> Option<String> {
    let without_escapes = value.replace("$$", "");
    (!without_escapes.contains('$')).then(|| value.replace("$$", "$"))
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

/// Secret names (and env files, as `env-file:<path>`) in use: from the file, with the file
/// each declares, or claimed in this run (`None`). A map: thousands of services stay linear.
type Taken = std::collections::HashMap<String, Option<String>>;

/// A name no other top-level secret uses for another file (deterministic: `_2`, `_3`, …).
fn free_name(wanted: &str, dir: &str, taken: &mut Taken) -> String {
    let mut candidate = wanted.to_string();
    let mut n = 1;
    while let Some(existing) = taken.get(&candidate) {
        if existing.as_deref() == Some(secret_file(dir, &candidate).as_str()) {
            return candidate;
        }
        n += 1;
        candidate = format!("{wanted}_{n}");
    }
    // Taken for this run: another service whose name sanitizes alike (`my-app`, `my_app`)
    // gets the next name, never the same file.
    taken.insert(candidate.clone(), None);
    candidate
}

/// `<dir>/<service>.env`, unique in this run (services whose names sanitize alike differ).
fn free_env_file(service: &str, dir: &str, taken: &mut Taken) -> String {
    let mut n = 1;
    loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("_{n}")
        };
        let file = format!("{dir}/{service}{suffix}.env");
        let key = format!("env-file:{file}");
        if let std::collections::hash_map::Entry::Vacant(e) = taken.entry(key) {
            e.insert(None);
            return file;
        }
        n += 1;
    }
}

fn service_finding(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    options: &Options,
    service: &Service<'_>,
    secrets: &[Secret<'_>],
    taken: &mut Taken,
) -> Finding {
    let keys: Vec<String> = secrets.iter().map(|s| format!("`{}`", s.key)).collect();
    let message = format!(
        "service `{}` has literal secrets in `environment:` ({})",
        service.name,
        keys.join(", ")
    );
    let mut finding = ctx.finding(rule.id, Location::Node(secrets[0].path.clone()), message);
    finding.redact = secrets
        .iter()
        .flat_map(|s| std::iter::once(s.written.clone()).chain(s.value.clone()))
        .collect();
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
    taken: &mut Taken,
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
    for (secret, value) in secrets.iter().filter_map(|s| Some((s, s.value.as_ref()?))) {
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
                contents: value.clone(),
                mode: 0o600,
                secret: true,
            });
            listed.push(name.clone());
            moved.push(format!("`{}` → secret `{name}`", secret.key));
        } else if options.strategy == Strategy::EnvFile {
            // Written so that Compose's dotenv parser reads back exactly the value.
            let Ok(line) = dotenv::encode(&secret.key, value) else {
                continue;
            };
            if ctx.comment_on_line(secret.node) {
                continue;
            }
            env_lines.push(line);
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
        let env_file = free_env_file(&sanitize(service.name), dir, taken);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_resolve_as_compose_reads_them() {
        assert_eq!(resolved("pa$$word"), Some("pa$word".to_string()));
        assert_eq!(resolved("${PW}"), None);
        assert_eq!(resolved("x${PW:-y}"), None);
    }

    #[test]
    fn names_are_deterministic() {
        let mut taken = Taken::from([("db_pw".to_string(), Some("./other.txt".to_string()))]);
        assert_eq!(free_name("db_pw", "secrets", &mut taken), "db_pw_2");
        // A second secret wanting the same name in the same run gets its own.
        assert_eq!(free_name("db_pw", "secrets", &mut taken), "db_pw_3");
        // One the file already declares with that very file is reused.
        let mut declared = Taken::from([("x".to_string(), Some("./secrets/x.txt".to_string()))]);
        assert_eq!(free_name("x", "secrets", &mut declared), "x");
        assert_eq!(secret_name("my-app", "API.KEY"), "my_app_api_key");
    }
}
