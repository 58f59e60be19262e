use serde::Deserialize;

use crate::document::NodeRef;
use crate::finding::{Finding, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule, merge};
use crate::secrets::detect;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    key_patterns: Vec<String>,
    allow_keys: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports `build.args` whose name looks like a secret (`NPM_TOKEN`, `GITHUB_TOKEN`,
    /// `DB_PASSWORD`, …), in the mapping and the `KEY=value` list forms, whatever the value:
    /// `${NPM_TOKEN}` from the environment leaks the same way. A name about a secret rather
    /// than the secret (`ENABLE_PASSWORD_LOGIN`, `PASSWORD_MIN_LENGTH`) is not one; a literal
    /// value shaped like a secret (a URL with a password, `ghp_…`) is one whatever its name.
    ///
    /// ## Why
    /// Build arguments are recorded in the image: `docker history` and the image config
    /// show them to anyone who can pull the image. BuildKit secrets (`build.secrets` in
    /// Compose, `RUN --mount=type=secret` in the Dockerfile) are mounted for one step and
    /// never stored. Docker docs, "Build secrets" and the `SecretsUsedInArgOrEnv` build
    /// check; OWASP Docker Security Cheat Sheet, rule 12 "Utilize Docker Secrets".
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     build:
    ///       context: .
    ///       args:
    ///         NPM_TOKEN: ${NPM_TOKEN}     # error → build.secrets: [npm_token]
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the Dockerfile has to read the secret from `/run/secrets/<id>` instead of the
    /// argument.
    ///
    /// ## Options
    /// - `key_patterns`: case-insensitive substrings of secret argument names.
    /// - `allow_keys`: names that match a pattern but are not secrets.
    /// - `match`: which services the rule applies to.
    id: "build-arg-secrets",
    summary: "report secrets passed as build arguments",
    fixable: false,
    security_severity: "7.5",
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for arg in args(service.get_path(&["build", "args"])) {
            if !is_secret(&rule.options, &arg.name, arg.value) {
                continue;
            }
            let message = format!(
                "service `{}` passes `{}` as a build argument; it is stored in the image history, use a BuildKit secret (`build.secrets`)",
                service.name, arg.name
            );
            let mut finding = ctx
                .finding(rule.id, arg.location, message)
                .with_severity(Severity::Error);
            // A literal value is the secret itself: reports must not print it.
            finding.redact = arg
                .value
                .filter(|v| !v.is_empty() && !v.contains('$'))
                .map(str::to_string)
                .into_iter()
                .collect();
            findings.push(finding);
        }
    }
    findings
}

/// One build argument as written.
struct BuildArg<'a> {
    name: String,
    location: Location,
    value: Option<&'a str>,
}

/// The arguments of the mapping or the `KEY=value` list form.
fn args(node: Option<NodeRef<'_>>) -> Vec<BuildArg<'_>> {
    let Some(node) = node else {
        return Vec::new();
    };
    if node.is_mapping() {
        return merge::entries(node)
            .into_iter()
            .map(|(name, value)| BuildArg {
                name,
                location: Location::Key(value.path()),
                value: merge::text(Some(value)),
            })
            .collect();
    }
    node.items()
        .map(merge::resolve)
        .filter_map(|item| {
            let text = item.as_str()?;
            let (name, value) = match text.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (text, None),
            };
            Some(BuildArg {
                name: name.trim().to_string(),
                location: Location::Node(item.path()),
                value,
            })
        })
        .collect()
}

fn is_secret(options: &Options, name: &str, value: Option<&str>) -> bool {
    if options
        .allow_keys
        .iter()
        .any(|k| k.eq_ignore_ascii_case(name))
    {
        return false;
    }
    if value.is_some_and(detect::has_secret_shape) {
        return true;
    }
    let upper = name.to_ascii_uppercase();
    options
        .key_patterns
        .iter()
        .any(|p| upper.contains(&p.to_ascii_uppercase()))
        && !detect::key_describes_a_secret(name)
}
