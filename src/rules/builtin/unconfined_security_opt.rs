use serde::Deserialize;

use crate::document::Edit;
use crate::finding::{Finding, Fix, Location, Severity};
use crate::rules::registry::Configured;
use crate::rules::{Context, declare_rule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {}

declare_rule! {
    /// ## What it does
    /// Reports `security_opt` entries that switch off a confinement layer:
    /// `seccomp:unconfined`, `apparmor:unconfined`, `label:disable` (SELinux) and
    /// `systempaths=unconfined`, in the `:` and `=` forms.
    ///
    /// ## Why
    /// Docker's default seccomp profile blocks about 44 dangerous syscalls (`mount`,
    /// `kexec_load`, `bpf`, …) and its AppArmor and SELinux profiles keep the container off
    /// host files; `systempaths=unconfined` unmasks `/proc` and `/sys` paths. Turning them
    /// off removes the layers that stop most container escapes. Docker docs, "Seccomp
    /// security profiles for Docker" and "AppArmor security profiles for Docker"; CIS
    /// Docker Benchmark 5.1, 5.2 and 5.21.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     security_opt:
    ///       - seccomp:unconfined      # removed
    ///       - no-new-privileges:true  # kept
    /// ```
    ///
    /// ## Fix safety
    /// Safe: removing the entry brings the default profile back, which is exactly what the
    /// rule names; a program that really needs a blocked syscall then fails with `EPERM`
    /// (give it a custom profile, `seccomp:./profile.json`, rather than none, and suppress
    /// the finding). No fix when `security_opt` comes through
    /// a merge key, or when a comment on the entry's line would be lost with it.
    ///
    /// ## Options
    /// - `match`: which services the rule applies to.
    id: "unconfined-security-opt",
    summary: "report seccomp, AppArmor or SELinux confinement switched off",
    fixable: true,
    security_severity: "7.5",
    options: Options,
    check: check,
}

/// (option, value that switches it off, what is lost).
const UNCONFINED: &[(&str, &str, &str)] = &[
    (
        "seccomp",
        "unconfined",
        "the default seccomp syscall filter",
    ),
    ("apparmor", "unconfined", "the AppArmor profile"),
    ("label", "disable", "SELinux labelling"),
    (
        "systempaths",
        "unconfined",
        "the masking of /proc and /sys paths",
    ),
];

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        let local = !service.inherited("security_opt");
        let options = service.security_opts();
        // Removing the only entry removes the key rather than leave `security_opt: []`.
        let only_entry = options.len() == 1;
        for (node, name, value) in options {
            let Some((_, _, lost)) = UNCONFINED
                .iter()
                .find(|(o, v, _)| *o == name && value.eq_ignore_ascii_case(v))
            else {
                continue;
            };
            let written = node.as_str().unwrap_or_default();
            let message = format!(
                "service `{}` sets `{written}`, which switches off {lost}",
                service.name
            );
            let mut finding = ctx
                .finding(rule.id, Location::Node(node.path()), message)
                .with_severity(Severity::Error);
            // A comment on the entry's line would be lost with it.
            if local && !ctx.comment_on_line(node) {
                let fix = Fix::safe(
                    format!("remove `{written}`"),
                    vec![Edit::Remove {
                        path: if only_entry {
                            service.at("security_opt")
                        } else {
                            node.path()
                        },
                    }],
                );
                finding = finding.with_fix(fix);
            }
            findings.push(finding);
        }
    }
    findings
}
