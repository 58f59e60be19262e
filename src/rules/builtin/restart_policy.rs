use serde::Deserialize;

use crate::document::{Edit, Value};
use crate::finding::{Finding, Fix, Location};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    policy: String,
    replace: Vec<String>,
    job_names: Vec<String>,
    job_commands: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Adds `restart: unless-stopped` (configurable) to long-running services that have no
    /// restart policy, and optionally replaces policies you list (e.g. `always`).
    ///
    /// One-shot services are skipped: an explicit `restart: "no"`, a `deploy.restart_policy`,
    /// services another service waits for with `condition: service_completed_successfully`,
    /// and jobs recognised by name (`migrate`, `init`, `seed`, …) or command.
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
    ///     restart: unless-stopped   # added
    ///   migrate:                    # skipped: a job
    ///     command: ["./manage.py", "migrate"]
    /// ```
    ///
    /// ## Fix safety
    /// Adding a policy is safe (it is what the policy asks for and keeps everything else).
    /// Replacing an existing policy is unsafe.
    ///
    /// ## Options
    /// - `policy` (`unless-stopped`): the policy to add.
    /// - `replace` (`[]`): existing policies to replace, e.g. `[always]` (production pack).
    /// - `job_names`: service name globs of one-shot jobs.
    /// - `job_commands`: words that mark a one-shot `command`/`entrypoint`.
    /// - `match`: which services the rule applies to.
    id: "restart-policy",
    summary: "add a restart policy to long-running services",
    fixable: true,
    options: Options,
    check: check,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let options = &rule.options;
    let jobs = completion_targets(ctx);
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if service.get_path(&["deploy", "restart_policy"]).is_some()
            || jobs.contains(&service.name)
            || is_job(service, options)
        {
            continue;
        }
        match merge::text(service.get("restart")) {
            None if service.get("restart").is_some() => {}
            None => {
                let fix = Fix::safe(
                    format!("add `restart: {}`", options.policy),
                    vec![Edit::Set {
                        path: service.at("restart"),
                        value: Value::str(&options.policy),
                    }],
                );
                let message = format!(
                    "service `{}` has no restart policy; a crashed container stays down",
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
        let Some(depends) = service.get("depends_on").filter(|d| d.is_mapping()) else {
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

fn is_job(service: &Service<'_>, options: &Options) -> bool {
    if options
        .job_names
        .iter()
        .any(|g| glob(g, &service.name.to_ascii_lowercase()))
    {
        return true;
    }
    let command = format!(
        "{} {}",
        service.command_text("entrypoint"),
        service.command_text("command")
    )
    .to_ascii_lowercase();
    command
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '&' | '|' | '/' | '(' | ')')
        })
        .any(|word| {
            options
                .job_commands
                .iter()
                .any(|job| word == job.to_ascii_lowercase())
        })
}
