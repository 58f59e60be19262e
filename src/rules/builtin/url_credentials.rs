use std::ops::Range;

use serde::Deserialize;

use crate::document::NodeRef;
use crate::finding::{Finding, Location, Severity};
use crate::policy::Selector;
use crate::rules::builtin::env_secrets;
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule};
use crate::secrets::detect::{self, SecretKind, Verdict};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    placeholders: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports a password in the userinfo of a URL (`scheme://user:password@host`) in any
    /// value of the file: `environment:` (map and list forms), `command`, `entrypoint`,
    /// `healthcheck.test`, labels, build args, `x-` extensions, anything. The finding is at
    /// the line where the value starts and never shows the password (`<redacted>`).
    ///
    /// What it does not report, on purpose:
    /// - an empty password (`redis://:@cache`, `http://user@host`) and a password set by a
    ///   variable (`${DB_PASSWORD}`, `$DB_PASSWORD`); a literal default
    ///   (`${DB_PASSWORD:-hunter2}`) is reported, since it is what runs when the variable is unset;
    /// - a password expanded at run time by the container's shell (`$$PGPASS`, `$$(cat …)`);
    /// - templates and masks that cannot be the password as written (`<password>`,
    ///   `{{ .Password }}`, `%s`, `****`): the file is an example to fill in.
    ///
    /// Placeholder words (`password`, `changeme`, `secret`, … the `placeholders` option) are
    /// reported as info: they are working, well-known credentials rather than leaked ones.
    ///
    /// An `environment:` entry where `env-secrets` already reports (with its fix) in the same
    /// run is not reported twice; the service's other URL entries are, each on its own line.
    ///
    /// ## Why
    /// A compose file is committed, copied into issues and printed by `docker compose config`;
    /// every value in it, labels and commands included, is also visible to anyone who can run
    /// `docker inspect`. OWASP Docker Security Cheat Sheet, rule 12 "Utilize Docker Secrets";
    /// Docker docs, "Manage sensitive data with Docker secrets"; CWE-798 "Use of Hard-coded
    /// Credentials".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   worker:
    ///     command: ["celery", "--broker", "amqp://app:s3cr3t@rabbitmq//"]   # warning
    ///     labels:
    ///       backup.target: "s3://AKIA…:wJalr…@bucket"                        # warning
    ///     environment:
    ///       DATABASE_URL: postgres://app:${DB_PASSWORD}@db/app               # fine
    /// ```
    /// Pass the password through a variable (`${DB_PASSWORD}`, set in an ignored `.env`),
    /// or a Docker secret read by the application.
    ///
    /// ## Fix safety
    /// No fix: where the password should come from (an env file, a secret) depends on how
    /// the application reads its configuration. `env-secrets` moves `environment:` values.
    ///
    /// ## Options
    /// - `placeholders`: passwords reported as info, as well-known defaults (case-insensitive).
    /// - `match`: which services are checked; values outside `services:` (`x-` extensions,
    ///   `configs`, …) are checked only when `match` is not set.
    id: "url-credentials",
    summary: "report passwords written in URLs anywhere in the file",
    fixable: false,
    security_severity: "7.5",
    options: Options,
    check: check,
}

/// One URL password found in a scalar.
struct Credential {
    /// The password as written (what reports must hide).
    text: String,
    placeholder: bool,
    default_only: bool,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let Some(root) = ctx.root() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (key, value) in root.entries() {
        if key.as_str() == Some("services") {
            // A service that is an alias (`web: *base`) is read where its anchor is written.
            for service in ctx.selected(&rule.selector).filter(|s| !s.is_alias) {
                scalars(service.node, &mut found);
            }
        } else if rule.selector == Selector::default() {
            scalars(value, &mut found);
        }
    }
    found
        .into_iter()
        .filter_map(|node| report(ctx, rule, node))
        .collect()
}

/// Every scalar under `node`, each once: an alias is read where its anchor is written.
fn scalars<'a>(node: NodeRef<'a>, out: &mut Vec<NodeRef<'a>>) {
    if node.alias_name().is_some() {
        return;
    }
    if node.is_mapping() {
        node.entries().for_each(|(_, value)| scalars(value, out));
    } else if node.is_sequence() {
        node.items().for_each(|item| scalars(item, out));
    } else if node.as_str().is_some_and(|s| s.contains("://")) {
        out.push(node);
    }
}

fn report(ctx: &Context<'_>, rule: &Configured<Options>, node: NodeRef<'_>) -> Option<Finding> {
    let value = node.as_str()?;
    let credentials = credentials(value, &rule.options);
    if credentials.is_empty() {
        return None;
    }
    let path = node.path();
    // env-secrets reports a service once, at its first secret `environment:` entry, and its
    // fix moves that value out; the service's other entries get their own finding here.
    if ctx.reported_by(env_secrets::META.id, &Location::Node(path.clone())) {
        return None;
    }
    let (severity, what) = if credentials.iter().all(|c| c.placeholder) {
        (Severity::Info, "a placeholder password")
    } else if credentials.iter().all(|c| c.default_only) {
        (
            Severity::Warning,
            "a literal password as the default of a variable",
        )
    } else {
        (Severity::Warning, "a literal password")
    };
    let message = format!(
        "`{path}` has {what} in the user info of a URL; pass it through a variable or a secret"
    );
    let mut finding = ctx
        .finding(rule.id, Location::Node(path), message)
        .with_severity(severity);
    finding.redact = credentials.into_iter().map(|c| c.text).collect();
    Some(finding)
}

/// The URL passwords of `value` worth reporting.
fn credentials(value: &str, options: &Options) -> Vec<Credential> {
    let Some(Verdict::Secret { kind, parts }) = detect::url_credentials(value) else {
        return Vec::new();
    };
    parts
        .into_iter()
        .filter_map(|part| {
            let text = &value[part.clone()];
            let whole = &value[password_around(value, part)];
            if expanded_at_run_time(whole) || is_template_or_mask(text) {
                return None;
            }
            Some(Credential {
                text: text.to_string(),
                placeholder: options
                    .placeholders
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(text)),
                default_only: kind == SecretKind::InterpolationDefault,
            })
        })
        .collect()
}

/// The whole password a secret part belongs to (a default's `${VAR:-…}` included): from the
/// `:` after the user to the `@`.
fn password_around(value: &str, part: Range<usize>) -> Range<usize> {
    let start = value[..part.start]
        .rfind("://")
        .map(|scheme| scheme + 3)
        .and_then(|user| value[user..part.start].find(':').map(|c| user + c + 1))
        .unwrap_or(part.start);
    let end = value[part.end..]
        .find('@')
        .map_or(part.end, |at| part.end + at);
    start..end
}

/// Expanded by a shell in the container (`$$VAR`, `$${VAR}`, `$$(…)`).
fn expanded_at_run_time(password: &str) -> bool {
    password.match_indices("$$").any(|(i, _)| {
        password[i + 2..]
            .chars()
            .next()
            .is_some_and(|c| c == '{' || c == '(' || c == '_' || c.is_ascii_alphabetic())
    })
}

/// A template or mask, not the password as written (`<password>`, `{{ .Password }}`, `%s`,
/// `****`).
fn is_template_or_mask(password: &str) -> bool {
    password.contains(['<', '>', '{', '}', '%', '`'])
        || password.chars().all(|c| c == '*' || c == '.' || c == 'x')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            placeholders: vec!["password".into(), "changeme".into()],
        }
    }

    fn found(value: &str) -> Vec<(String, bool)> {
        credentials(value, &options())
            .into_iter()
            .map(|c| (c.text, c.placeholder))
            .collect()
    }

    #[test]
    fn literal_passwords_anywhere_in_a_value() {
        assert_eq!(
            found("celery -b amqp://app:s3cr3t@rabbitmq// worker"),
            [("s3cr3t".to_string(), false)]
        );
        assert_eq!(
            found("redis://:Passw0rd@cache:6379/0"),
            [("Passw0rd".to_string(), false)]
        );
        assert_eq!(
            found("postgres://u:changeme@db/x"),
            [("changeme".to_string(), true)]
        );
    }

    #[test]
    fn variables_runtime_expansions_and_templates_are_not_reported() {
        for value in [
            "postgres://u:${DB_PASSWORD}@db/x",
            "postgres://u:$DB_PASSWORD@db/x",
            "sh -c 'psql postgres://u:$$PGPASS@db/x'",
            "sh -c 'psql postgres://u:$${PGPASS}@db/x'",
            "postgres://u:<password>@db/x",
            "postgres://{{user}}:{{password}}@db/x",
            "postgres://%s:%s@db/x",
            "postgres://u:****@db/x",
            "redis://:@cache",
            "http://user@host:8080",
            "http://host:8080/a@b",
        ] {
            assert!(found(value).is_empty(), "{value}");
        }
    }

    #[test]
    fn literal_defaults_are_reported() {
        let c = credentials("postgres://u:${DB_PASSWORD:-hunter2}@db/x", &options());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, "hunter2");
        assert!(c[0].default_only);
    }
}
