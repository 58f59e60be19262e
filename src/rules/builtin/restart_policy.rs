use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location};
use crate::policy::selector::{glob, image_matches};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    policy: String,
    replace: Vec<String>,
    job_names: Vec<String>,
    job_commands: Vec<String>,
    job_images: Vec<String>,
    server_commands: Vec<String>,
    server_images: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Adds `restart: unless-stopped` (configurable) to services that have no restart
    /// policy, and optionally replaces policies you list (e.g. `always`).
    ///
    /// What it knows: a service is judged by what it runs.
    /// - The command (`entrypoint` + `command`, `sh -c` strings included) is a chain; the
    ///   last command of `a && b`, `a; b` decides (`a || b` is judged by `a`). It is a
    ///   one-shot job when it matches `job_commands` (migrations: `migrate`, `db:migrate`,
    ///   `alembic`, `liquibase`, `flyway`; builds: `npm run build`; test runners: `pytest`,
    ///   `npm test`; `… && exit 0`), and a long-running server when it matches
    ///   `server_commands` (`gunicorn`, `uvicorn`, `node server.js`, `java -jar`, `nginx`,
    ///   `php-fpm`, …). So `migrate && gunicorn app` is a server and `npm ci && npm run
    ///   build` a job.
    /// - Without a command (or with one that starts with a `--flag`), the image decides: `job_images`
    ///   (test runners, migration tools) or `server_images` (postgres, nginx, redis, …).
    /// - Also jobs: an explicit `restart: "no"`, a `deploy.restart_policy`, services another
    ///   service waits for with `condition: service_completed_successfully`, and service
    ///   names matching `job_names` (`*migrat*`, `*init*`, `*seed*`, …).
    ///
    /// Jobs are left alone. What it does not recognise gets a finding whose fix is unsafe:
    /// a restart policy on a one-shot job runs it again and again.
    ///
    /// ## Why
    /// Without a restart policy a crashed container stays down, and nothing brings the stack
    /// back after the Docker daemon restarts.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: nginx:1.27
    ///     restart: unless-stopped   # added (safe: a server image)
    ///   api:
    ///     build: .
    ///     command: sh -c "./manage.py migrate && gunicorn app.wsgi"
    ///     restart: unless-stopped   # added (safe: the chain ends in a server)
    ///   migrate:                    # skipped: a job
    ///     command: ["alembic", "upgrade", "head"]
    /// ```
    ///
    /// ## Fix safety
    /// Safe only for services recognised as long-running servers. Unsafe for services it
    /// does not recognise, and when replacing an existing policy.
    ///
    /// ## Options
    /// - `policy` (`unless-stopped`): the policy to add.
    /// - `replace` (`[]`): existing policies to replace, e.g. `[always]` (production pack).
    /// - `job_names`: service name globs of one-shot jobs.
    /// - `job_commands`, `server_commands`: command patterns, each a list of word globs that
    ///   must appear in that order in the last command of the chain (words are compared
    ///   lowercase, paths by their file name: `bin/rails` is `rails`).
    /// - `job_images`, `server_images`: image globs (`docker.io/` and `library/` ignored).
    /// - `match`: which services the rule applies to.
    id: "restart-policy",
    summary: "add a restart policy to long-running services",
    fixable: true,
    options: Options,
    check: check,
}

/// What a service runs, as far as the file shows.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Job,
    Server(String),
    Unknown(String),
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let jobs = completion_targets(ctx);
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if service.get_path(&["deploy", "restart_policy"]).is_some()
            || jobs.contains(&service.name)
            || ctx.elsewhere(service, "restart")
            || ctx.elsewhere(service, "deploy")
        {
            continue;
        }
        match merge::text(service.get("restart")) {
            None if service.get("restart").is_some() => {}
            None => {
                let (why, safe) = match classify(service, options) {
                    Kind::Job => continue,
                    Kind::Server(why) => (why, true),
                    Kind::Unknown(why) => (why, false),
                };
                let title = format!("add `restart: {}`", options.policy);
                let edits = vec![Edit::Set {
                    path: service.at("restart"),
                    value: Value::str(&options.policy),
                }];
                let fix = if safe {
                    Fix::safe(title, edits)
                } else {
                    Fix::unsafe_(title, edits)
                };
                let message = format!(
                    "service `{}` has no restart policy; a crashed container stays down ({why})",
                    service.name
                );
                findings.push(
                    ctx.finding(rule.id, Location::Key(service.path.clone()), message)
                        .with_fix(fix),
                );
            }
            Some(current)
                if current != options.policy && options.replace.iter().any(|r| r == current) =>
            {
                let message = format!(
                    "service `{}` uses `restart: {current}`; the policy asks for `{}`",
                    service.name, options.policy
                );
                let mut finding =
                    ctx.finding(rule.id, Location::Node(service.at("restart")), message);
                if !service.inherited("restart") {
                    let fix = Fix::unsafe_(
                        format!("replace `restart: {current}` with `{}`", options.policy),
                        vec![Edit::Replace {
                            path: service.at("restart"),
                            value: Value::str(&options.policy),
                        }],
                    );
                    finding = finding.with_fix(fix);
                }
                findings.push(finding);
            }
            Some(_) => {}
        }
    }
    findings
}

/// Services that others wait for with `condition: service_completed_successfully`.
fn completion_targets<'a>(ctx: &Context<'a>) -> Vec<&'a str> {
    let mut targets = Vec::new();
    for service in &ctx.services {
        let Some(depends) = service
            .get("depends_on")
            .filter(crate::document::NodeRef::is_mapping)
        else {
            continue;
        };
        for (name, spec) in merge::entries(depends) {
            if merge::text(merge::get(spec, "condition")) == Some("service_completed_successfully")
                && let Some(target) = ctx.services.iter().find(|s| s.name == name)
            {
                targets.push(target.name);
            }
        }
    }
    targets
}

fn classify(service: &Service<'_>, options: &Options) -> Kind {
    let name = service.name.to_ascii_lowercase();
    if options.job_names.iter().any(|g| glob(g, &name)) {
        return Kind::Job;
    }
    let command = format!(
        "{} {}",
        service.command_text("entrypoint"),
        service.command_text("command")
    );
    let last = last_command(&command);
    // Nothing, or arguments starting with a flag: the image's own server takes them (the
    // official images' entrypoints prepend it to a command that starts with `-`).
    let image_runs = last.first().is_none_or(|w| w.starts_with('-'));
    if !image_runs {
        let shown = last.join(" ");
        if matches_any(&options.job_commands, &last) {
            return Kind::Job;
        }
        if matches_any(&options.server_commands, &last) {
            return Kind::Server(format!("`{shown}` is a server"));
        }
        return Kind::Unknown(format!(
            "`{shown}` is not recognised as a server; add the policy if it is one"
        ));
    }
    let Some(image) = service.image() else {
        return Kind::Unknown(
            "its build's command is not visible; add the policy if it is a server".into(),
        );
    };
    let image = docker_hub_name(image);
    if options.job_images.iter().any(|g| image_matches(g, image)) {
        return Kind::Job;
    }
    if options
        .server_images
        .iter()
        .any(|g| image_matches(g, image))
    {
        return Kind::Server(format!("image `{image}` is a server"));
    }
    Kind::Unknown(format!(
        "image `{image}` is not recognised as a server; add the policy if it is one"
    ))
}

/// The reference without `docker.io/` and `library/`, as the image lists write it.
fn docker_hub_name(image: &str) -> &str {
    let image = image
        .strip_prefix("docker.io/")
        .or_else(|| image.strip_prefix("index.docker.io/"))
        .unwrap_or(image);
    image.strip_prefix("library/").unwrap_or(image)
}

/// The words of the command that runs last in a shell chain: `a && b; c` → `c`; in
/// `a || b` the fallback `b` only runs on failure, so `a` decides. Words are lowercase,
/// unquoted, and paths are reduced to their file name.
fn last_command(command: &str) -> Vec<String> {
    let normal = command.split("||").next().unwrap_or(command);
    normal
        .split(['&', ';', '|', '\n'])
        .map(|segment| {
            segment
                .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')'))
                .filter(|w| !w.is_empty())
                .map(|w| {
                    let w = w.trim_end_matches('/');
                    w.rsplit('/').next().unwrap_or(w).to_ascii_lowercase()
                })
                .collect::<Vec<_>>()
        })
        .rfind(|words| !words.is_empty())
        .unwrap_or_default()
}

/// Whether some pattern's word globs appear, in order, among `words`.
fn matches_any(patterns: &[String], words: &[String]) -> bool {
    patterns.iter().any(|pattern| {
        let mut rest = words.iter();
        pattern
            .split_whitespace()
            .all(|p| rest.any(|w| glob(&p.to_ascii_lowercase(), w)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(command: &str) -> String {
        last_command(command).join(" ")
    }

    #[test]
    fn the_last_command_of_a_chain_decides() {
        assert_eq!(
            words("sh -c \"./manage.py migrate && gunicorn app\""),
            "gunicorn app"
        );
        assert_eq!(words("npm ci && npm run build && exit 0"), "exit 0");
        assert_eq!(words("gunicorn app || exit 1"), "gunicorn app");
        assert_eq!(words("bin/rails db:migrate"), "rails db:migrate");
        assert_eq!(
            words("/usr/local/bin/uvicorn main:app;"),
            "uvicorn main:app"
        );
        assert_eq!(words(""), "");
    }

    #[test]
    fn patterns_are_word_globs_in_order() {
        let w = last_command("java -Xmx1g -jar app.jar");
        assert!(matches_any(&["java -jar".into()], &w));
        assert!(!matches_any(&["-jar java".into()], &w));
        assert!(matches_any(
            &["*:migrate*".into()],
            &last_command("rake db:migrate")
        ));
    }
}
