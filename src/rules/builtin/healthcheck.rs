use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location, Safety};
use crate::image_ref::{ImageRef, is_interpolated};
use crate::rules::image_facts::{self, Family, Healthcheck, ImageFacts, Setting, Variant};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Options {
    interval: String,
    timeout: String,
    retries: i64,
    start_period: String,
    report_unknown: bool,
    images: ImageFacts,
}

declare_rule! {
    /// ## What it does
    /// Adds a `healthcheck:` to services whose image the image facts (`policies/images.yaml`)
    /// cover: postgres, mysql, mariadb, redis, bitnami/redis, valkey, mongo, rabbitmq,
    /// memcached, nginx, nginx-unprivileged, traefik, keycloak, elasticsearch, wordpress,
    /// nextcloud, httpd. Services that already have one (including `disable: true`, and
    /// through `<<` merge keys) are skipped, as are `build:` services and `${…}` images.
    ///
    /// What it knows, per image × version range × variant, each fact citing the image's own
    /// sources (Dockerfile, entrypoint, repo-info, docs) at a commit: the tools in that tag,
    /// the port the server listens on and what changes it, and a check that uses only those
    /// tools. The image is matched on the whole reference: the repository (registry host,
    /// `docker.io/` and `library/` stripped), then the tag's version and variant
    /// (`16-alpine` → postgres 16, alpine). The check then uses:
    /// - the port the service's own `command` or `environment` sets (`-p`, `--port`,
    ///   `PGPORT`, `KC_HTTP_MANAGEMENT_PORT`, …), else the image's default (nginx-unprivileged
    ///   listens on 8080; keycloak 25+ answers health on its management port 9000);
    /// - the server's password where the data says how: redis and valkey started with
    ///   `--requirepass "$${VAR}"` are probed with `REDISCLI_AUTH="$${VAR}"`;
    /// - a probe that fails while the entrypoint's first-start initialisation runs (postgres
    ///   over TCP to 127.0.0.1, MySQL/MariaDB over TCP, mongo on the container address);
    /// - the version's own tools (mongo 4.4 has only the legacy `mongo` shell, 5.0+ `mongosh`).
    ///
    /// What it refuses, with a finding without fix saying why: a floating tag (`latest`,
    /// `alpine`, no tag) or a digest-only reference (the tools are unknown); a version or
    /// variant the facts do not cover (`mongo:3.6`: older than the facts; a tag matching two
    /// variants); a check that needs a tool the sources do not show in that variant
    /// (memcached alpine: `nc` unverified); an image with no check in the facts (grafana,
    /// wordpress fpm); a port or password set through `${…}` or a literal password (never
    /// copied into the test). It never guesses a neighbouring version's check.
    ///
    /// ## Why
    /// Without a healthcheck, Compose only knows a container is running, not that it is ready:
    /// `depends_on` cannot wait for readiness and `docker compose ps` cannot show a stuck
    /// database. A wrong healthcheck is worse than none: the service is reported unhealthy
    /// forever and everything that waits on it never starts, which is why every check is tied
    /// to the tag it was verified for.
    ///
    /// ## Example
    /// ```yaml
    /// db:
    ///   image: postgres:16-alpine
    ///   healthcheck:                 # added
    ///     test: ["CMD-SHELL", "pg_isready -q -h 127.0.0.1 -p \"$${PGPORT:-5432}\" -U \"$${POSTGRES_USER:-postgres}\" -d \"$${POSTGRES_DB:-$${POSTGRES_USER:-postgres}}\""]
    ///     interval: 10s
    ///     timeout: 5s
    ///     retries: 5
    ///     start_period: 30s
    /// ```
    /// `$$` keeps Compose from interpolating a variable meant for the container's shell.
    ///
    /// ## Fix safety
    /// Safe: a healthcheck only adds a status. Unsafe when the check needs a setting the
    /// image does not have by default and the service does not visibly set (the facts'
    /// `requires_config`: traefik's ping endpoint, keycloak's health endpoints, MariaDB's
    /// healthcheck user on an old data directory); the message names the setting.
    ///
    /// ## Options
    /// - `interval` (`10s`), `timeout` (`5s`), `retries` (`5`), `start_period` (`30s`): the
    ///   timing written with every check (the facts may override them per image).
    /// - `report_unknown` (`false`; `true` in production): report images the facts do not
    ///   know at all (finding without fix).
    /// - `images`: the image facts, by family (defaults: `policies/images.yaml`). Entries in
    ///   your policy merge over the built-in ones key by key (lists replace), so you can add
    ///   an image or correct one fact; the format is described at the top of that file.
    /// - `match`: which services the rule applies to.
    id: "healthcheck",
    summary: "add healthchecks that the images' own sources support, per tag",
    fixable: true,
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if !ctx.adds_here(service, "healthcheck") || service.has_build() {
            continue;
        }
        let Some(image) = service.image().filter(|i| !is_interpolated(i)) else {
            continue;
        };
        let location = Location::Key(service.path.clone());
        let Some((family_key, family)) = image_facts::family(&options.images, image) else {
            if options.report_unknown {
                let message = format!(
                    "service `{}` has no healthcheck, and image `{image}` is not in the image facts; add one to the service, or an entry to the rule's `images` option",
                    service.name
                );
                findings.push(ctx.finding(rule.id, location, message));
            }
            continue;
        };
        let short = ImageRef::parse(image).short_name();
        match plan(service, image, family_key, family, options) {
            Ok(planned) => {
                let mut message =
                    format!("service `{}` ({short}) has no healthcheck", service.name);
                for note in &planned.notes {
                    message.push_str("; ");
                    message.push_str(note);
                }
                let mut finding = ctx.finding(rule.id, location, message);
                if !service.is_alias {
                    let title = format!("add a healthcheck ({})", planned.label);
                    let edits = vec![Edit::Set {
                        path: service.at("healthcheck"),
                        value: planned.value,
                    }];
                    finding = finding.with_fix(match planned.safety {
                        Safety::Safe => Fix::safe(title, edits),
                        Safety::Unsafe => Fix::unsafe_(title, edits),
                    });
                }
                findings.push(finding);
            }
            Err(why) => {
                let message = format!(
                    "service `{}` has no healthcheck, and none is proposed: {why}; add one by hand",
                    service.name
                );
                findings.push(ctx.finding(rule.id, location, message));
            }
        }
    }
    findings
}

/// A healthcheck the rule would add to a service.
struct Planned {
    /// Family and variant, for the fix title.
    label: String,
    value: Value,
    safety: Safety,
    /// What the reader should know (assumed port, why unsafe).
    notes: Vec<String>,
}

/// The healthcheck the facts support for this service's tag, or why there is none.
fn plan(
    service: &Service<'_>,
    image: &str,
    family_key: &str,
    family: &Family,
    options: &Options,
) -> Result<Planned, String> {
    let covered = family.variant_for(image)?;
    let variant = covered.variant;
    let label = format!("{family_key}, {} variant", variant.variant);
    let check = family
        .healthcheck_for(&covered)
        .ok_or_else(|| format!("the image facts propose no healthcheck for {label}"))?;
    let missing: Vec<String> = check
        .requires_tools
        .iter()
        .filter(|t| !variant.tools.contains(t))
        .map(|t| format!("`{t}`"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "its check needs {}, which the image's sources do not show in `{image}` ({label})",
            missing.join(", ")
        ));
    }
    let mut notes = Vec::new();
    let mut test = check.test.clone().unwrap_or_default();
    if let Some(with_auth) = &check.test_auth
        && let Some(variable) = password_variable(service, &check.password_from)?
    {
        test = with_auth
            .iter()
            .map(|part| part.replace("{password_env}", &variable))
            .collect();
    }
    if test.iter().any(|part| part.contains("{port}")) {
        let port = port(service, variant, &check, &mut notes)?;
        test = test
            .iter()
            .map(|part| part.replace("{port}", &port.to_string()))
            .collect();
    }
    if test
        .iter()
        .any(|part| part.contains("{port}") || part.contains("{password_env}"))
    {
        return Err(format!(
            "the check for {label} has a placeholder the rule cannot fill"
        ));
    }
    let mut safety = Safety::Safe;
    if let Some(needs) = &check.requires_config
        && !check.config_visible.iter().any(|s| is_set(service, s))
    {
        safety = Safety::Unsafe;
        notes.push(format!("unsafe: the check needs {needs}"));
    }
    let value = Value::map([
        (
            "test",
            // Compose files conventionally write the test command on one line.
            Value::Flow(Box::new(Value::Seq(test.iter().map(Value::str).collect()))),
        ),
        (
            "interval",
            Value::str(check.interval.as_deref().unwrap_or(&options.interval)),
        ),
        (
            "timeout",
            Value::str(check.timeout.as_deref().unwrap_or(&options.timeout)),
        ),
        (
            "retries",
            Value::Int(check.retries.unwrap_or(options.retries)),
        ),
        (
            "start_period",
            Value::str(
                check
                    .start_period
                    .as_deref()
                    .unwrap_or(&options.start_period),
            ),
        ),
    ]);
    Ok(Planned {
        label,
        value,
        safety,
        notes,
    })
}

/// The port the probe targets: what the service's command or environment sets, else the
/// default (noted when a config file could set it unseen).
fn port(
    service: &Service<'_>,
    variant: &Variant,
    check: &Healthcheck,
    notes: &mut Vec<String>,
) -> Result<u16, String> {
    let (default, sources) = match check.health_port {
        Some(port) => (Some(port), &check.health_port_from),
        None => (variant.port, &variant.port_from),
    };
    let default = default.ok_or("the image facts give no port to probe")?;
    let mut seen: Vec<u16> = Vec::new();
    for (what, text) in settings(service, sources) {
        if text.contains('$') {
            return Err(format!(
                "the port is set by `{what}` through `$`-substitution, which is not visible here"
            ));
        }
        let number = text.rsplit(':').next().unwrap_or_default();
        let port = number
            .parse::<u16>()
            .map_err(|_| format!("cannot read a port from `{what}`"))?;
        if !seen.contains(&port) {
            seen.push(port);
        }
    }
    match seen.as_slice() {
        [] => {
            if let Some(config) = sources.iter().find_map(|s| s.config.as_deref()) {
                notes.push(format!(
                    "assumes port {default}, the image's default ({config} is not visible here)"
                ));
            }
            Ok(default)
        }
        [port] => Ok(*port),
        _ => Err("the service sets conflicting ports".to_string()),
    }
}

/// The container variable holding the password the command requires, if it requires one.
fn password_variable(service: &Service<'_>, sources: &[Setting]) -> Result<Option<String>, String> {
    let Some((what, text)) = settings(service, sources).into_iter().next() else {
        return Ok(None);
    };
    // `$${VAR}` / `$$VAR`: the container's own variable.
    if let Some(name) = variable_name(text.strip_prefix("$$").unwrap_or("")) {
        return Ok(Some(name));
    }
    // `${VAR}` / `$VAR`: Compose substitutes it; the check can read it only from the
    // container's environment.
    if let Some(name) = variable_name(text.strip_prefix('$').unwrap_or("")) {
        return if env_declares(service, &name) {
            Ok(Some(name))
        } else {
            Err(format!(
                "the password comes from `{what}`, which Compose substitutes, and the container's environment has no `{name}` for the check to read"
            ))
        };
    }
    Err(format!(
        "`{}` sets a literal password, which is not copied into a healthcheck",
        what.split_whitespace().next().unwrap_or(&what)
    ))
}

/// `VAR` from `{VAR}`, `{VAR:-default}` or `VAR` (a whole variable reference, nothing after).
fn variable_name(text: &str) -> Option<String> {
    let name = match text.strip_prefix('{') {
        Some(inner) => {
            let inner = inner.strip_suffix('}')?;
            inner.split([':', '-', '?', '+']).next()?
        }
        None => text,
    };
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    valid.then(|| name.to_string())
}

/// Where each `env`/`flag` source is visibly set: (how it reads in the file, its value).
fn settings(service: &Service<'_>, sources: &[Setting]) -> Vec<(String, String)> {
    let tokens = command_tokens(service);
    let mut found = Vec::new();
    for source in sources {
        if let Some(name) = &source.env
            && let Some(value) = env_text(service, name)
        {
            found.push((format!("{name}={value}"), value));
        }
        if let Some(flag) = &source.flag {
            for value in flag_values(&tokens, flag) {
                found.push((format!("{} {value}", flag.trim_end_matches('=')), value));
            }
        }
    }
    found
}

/// Whether a `config_visible` setting is present in the service.
fn is_set(service: &Service<'_>, setting: &Setting) -> bool {
    if let Some(name) = &setting.env {
        return env_text(service, name).is_some_and(|value| {
            setting
                .value
                .as_ref()
                .is_none_or(|wanted| value.eq_ignore_ascii_case(wanted))
        });
    }
    if let Some(flag) = &setting.flag {
        let tokens = command_tokens(service);
        // A sub-option (`--ping.entrypoint=web`) changes what the flag enables; not assumed.
        let refined = format!("{flag}.");
        if tokens.iter().any(|token| token.starts_with(&refined)) {
            return false;
        }
        return tokens.iter().any(|token| {
            token == flag
                || token
                    .strip_prefix(flag.as_str())
                    .and_then(|r| r.strip_prefix('='))
                    .is_some_and(|value| match &setting.value {
                        Some(wanted) => value.eq_ignore_ascii_case(wanted),
                        None => !value.eq_ignore_ascii_case("false"),
                    })
        });
    }
    false
}

/// The literal value of an environment variable the service sets (map or list form).
fn env_text(service: &Service<'_>, name: &str) -> Option<String> {
    let env = service.get("environment")?;
    if env.is_mapping() {
        return merge::text(merge::get(env, name)).map(str::to_string);
    }
    merge::strings(Some(env)).into_iter().find_map(|item| {
        item.split_once('=')
            .filter(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    })
}

/// The service's environment lists the variable (with a value or passed through, `- NAME`).
fn env_declares(service: &Service<'_>, name: &str) -> bool {
    let Some(env) = service.get("environment") else {
        return false;
    };
    if env.is_mapping() {
        return merge::get(env, name).is_some();
    }
    merge::strings(Some(env))
        .iter()
        .any(|item| item.split('=').next() == Some(name))
}

/// The values a flag takes in the command: `F v`, `F=v`, `-pV` for short flags, and for a
/// spec with a space (`-c port=`) the second word's prefix (`-c port=5433`).
fn flag_values(tokens: &[String], flag: &str) -> Vec<String> {
    if flag.contains('<') {
        return Vec::new();
    }
    let mut values = Vec::new();
    if let Some((first, prefix)) = flag.split_once(' ') {
        for pair in tokens.windows(2) {
            if pair[0] == first
                && let Some(value) = pair[1].strip_prefix(prefix)
            {
                values.push(value.to_string());
            }
        }
        return values;
    }
    let short = flag.len() == 2 && flag.starts_with('-');
    for (i, token) in tokens.iter().enumerate() {
        if token == flag {
            if let Some(next) = tokens.get(i + 1) {
                values.push(next.clone());
            }
        } else if let Some(rest) = token.strip_prefix(flag) {
            if let Some(value) = rest.strip_prefix('=') {
                values.push(value.to_string());
            } else if short && !rest.is_empty() {
                values.push(rest.to_string());
            }
        }
    }
    values
}

/// The service's `command` as words (list items split further, so `sh -c "…"` is read too).
fn command_tokens(service: &Service<'_>) -> Vec<String> {
    let parts: Vec<String> = match service.get("command") {
        Some(node) if node.is_sequence() => merge::strings(Some(node))
            .into_iter()
            .map(str::to_string)
            .collect(),
        Some(node) => node.as_str().map(str::to_string).into_iter().collect(),
        None => Vec::new(),
    };
    parts.iter().flat_map(|part| shell_words(part)).collect()
}

/// Splits like a shell would, enough to find flags: whitespace outside quotes, quotes removed.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => current.extend(chars.next()),
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                current.extend(chars.next());
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Whether a service has a healthcheck that Compose will run (not `disable: true` and not
/// `test: [NONE]`).
pub(super) fn has_active_healthcheck(service: &Service<'_>) -> bool {
    let Some(check) = service
        .get("healthcheck")
        .filter(crate::document::NodeRef::is_mapping)
    else {
        return false;
    };
    if merge::text(merge::get(check, "disable")).is_some_and(|d| d == "true") {
        return false;
    }
    let test = merge::get(check, "test");
    let first = match test {
        Some(t) if t.is_sequence() => t.items().next().and_then(|i| merge::resolve(i).as_str()),
        Some(t) => t.as_str(),
        // Without `test` only the image's own HEALTHCHECK could apply; we cannot see it.
        None => return false,
    };
    first != Some("NONE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_flags() {
        let words = shell_words(r#"redis-server --requirepass "$${PW}" --port=6380 -p5433 'a b'"#);
        assert_eq!(
            words,
            [
                "redis-server",
                "--requirepass",
                "$${PW}",
                "--port=6380",
                "-p5433",
                "a b"
            ]
        );
        assert_eq!(flag_values(&words, "--requirepass"), ["$${PW}"]);
        assert_eq!(flag_values(&words, "--port"), ["6380"]);
        assert_eq!(flag_values(&words, "-p"), ["5433"]);
        let words = shell_words("postgres -c port=5433 -c max_connections=10");
        assert_eq!(flag_values(&words, "-c port="), ["5433"]);
        assert_eq!(
            variable_name("{REDIS_PASSWORD:-x}").as_deref(),
            Some("REDIS_PASSWORD")
        );
        assert_eq!(variable_name("PW").as_deref(), Some("PW"));
        assert_eq!(variable_name("hunter2 x"), None);
    }
}
