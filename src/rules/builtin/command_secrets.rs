use serde::Deserialize;

use crate::document::NodeRef;
use crate::finding::{Finding, Location};
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};
use crate::secrets::detect::{self, SecretKind, Verdict};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    password_flags: Vec<String>,
    glued_password_commands: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports literal secrets in the arguments of `command`, `entrypoint` and
    /// `healthcheck.test` (list or string form, and the script of `sh -c "…"`):
    /// - `--password=hunter2`, `--api-token abc…`, `-password x`: a flag whose words name a
    ///   secret, judged as the secret detector judges an `environment:` entry (the same words:
    ///   PASS/PWD, KEY, SECRET, TOKEN, CREDENTIALS, AUTH, PRIVATE);
    /// - `PGPASSWORD=x psql …`, `export API_KEY=x`: assignments in a shell script;
    /// - flags of tools that take a password under another name (`password_flags`:
    ///   `--requirepass`, `--masterauth`, redis-cli's `-a`, curl's `-u user:password`), and the
    ///   glued `-p<password>` of the MySQL clients (`glued_password_commands`; `-p` alone
    ///   prompts and is fine).
    ///
    /// Not reported: values set by a variable (`$MYSQL_ROOT_PASSWORD`, `${TOKEN}`, the
    /// container's own `$$PASSWORD`), `$(cat /run/secrets/…)`, file paths, switches and the
    /// other shapes the detector refuses; passwords inside URLs, which `url-credentials`
    /// reports. The finding never shows the value (`<redacted>`).
    ///
    /// ## Why
    /// A command line is the least private place for a secret: it is in the compose file,
    /// in `docker inspect`, in `ps` output on the host for every user, and in the healthcheck
    /// log. OWASP Docker Security Cheat Sheet, rule 12 "Utilize Docker Secrets"; Docker docs,
    /// "Manage sensitive data with Docker secrets"; MySQL manual, "End-User Guidelines for
    /// Password Security" (a password on the command line is insecure).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   cache:
    ///     image: redis:7.4
    ///     command: redis-server --requirepass hunter2            # warning
    ///   db:
    ///     healthcheck:
    ///       test: ["CMD-SHELL", "mysqladmin ping -uroot -p$$MYSQL_ROOT_PASSWORD"]   # fine
    /// ```
    /// Read the secret from the environment at run time (`$$VAR` in a shell command, set from
    /// an env file) or from a Docker secret file (`--requirepass "$$(cat /run/secrets/redis)"`).
    ///
    /// ## Fix safety
    /// No fix: where the secret should come from depends on the program.
    ///
    /// ## Options
    /// - `password_flags`: flags (with their dashes) that take a password whatever their name;
    ///   `"<program> <flag>"` limits one to a program (`"redis-cli -a"`).
    /// - `glued_password_commands`: commands whose `-p<value>` is a password.
    /// - `match`: which services the rule applies to.
    id: "command-secrets",
    summary: "report secrets passed as command-line arguments",
    fixable: false,
    security_severity: "7.0",
    options: Options,
    check: check,
}

/// A word of a command and the list item it comes from.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    item: Option<usize>,
}

/// A secret argument: the name it was passed under and its value.
#[derive(Debug, PartialEq)]
struct Argument {
    name: String,
    value: String,
    item: Option<usize>,
}

const SEPARATORS: &[&str] = &[";", "&&", "||", "|", "&"];
/// Words after which the next word is the program (`CMD-SHELL`, `sh -c`, `exec`).
const LEADS_A_COMMAND: &[&str] = &[
    "CMD",
    "CMD-SHELL",
    "-c",
    "exec",
    "env",
    "sudo",
    "nice",
    "nohup",
    "time",
];

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        for key in ["command", "entrypoint", "healthcheck.test"] {
            let keys: Vec<&str> = key.split('.').collect();
            let Some(node) = service.get_path(&keys) else {
                continue;
            };
            for argument in secret_arguments(&words(node), &rule.options) {
                findings.push(finding(ctx, rule, service, key, node, argument));
            }
        }
    }
    findings
}

fn finding(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
    key: &str,
    node: NodeRef<'_>,
    argument: Argument,
) -> Finding {
    let message = format!(
        "service `{}` passes a literal secret as `{}` on the command line of `{key}`: it shows in `docker inspect` and `ps`; read it from the environment or a secret file at run time",
        service.name, argument.name
    );
    // At the flag's own list item: a value on a line of its own may not be hidden there.
    let at = match argument.item.and_then(|i| node.items().nth(i)) {
        Some(item) => item.path(),
        None => node.path(),
    };
    let mut finding = ctx.finding(rule.id, Location::Node(at), message);
    finding.redact = vec![argument.value];
    finding
}

/// The command's words: list items (an item with spaces, such as an `sh -c` script, split
/// again) or the string split as a shell does.
fn words(node: NodeRef<'_>) -> Vec<Word> {
    if node.is_sequence() {
        return node
            .items()
            .map(merge::resolve)
            .enumerate()
            .filter_map(|(i, item)| Some((i, item.as_str()?)))
            .flat_map(|(i, text)| {
                split(text).into_iter().map(move |text| Word {
                    text,
                    item: Some(i),
                })
            })
            .collect();
    }
    split(node.as_str().unwrap_or_default())
        .into_iter()
        .map(|text| Word { text, item: None })
        .collect()
}

/// Shell-like words, quoted scripts (`sh -c '…'`) split again.
fn split(text: &str) -> Vec<String> {
    split_once_level(text)
        .into_iter()
        .flat_map(|word| match word.contains(char::is_whitespace) {
            true => split(&word),
            false => vec![word],
        })
        .collect()
}

/// Shell-like words: whitespace outside quotes separates, quotes are removed, `;`, `&&`, `|`
/// end a command (as words of their own when written apart).
fn split_once_level(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            (None, ';') => {
                words.extend([std::mem::take(&mut current), ";".into()]);
            }
            (None, c) => current.push(c),
        }
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    words
}

fn secret_arguments(words: &[Word], options: &Options) -> Vec<Argument> {
    let mut found = Vec::new();
    let mut program = "";
    let mut expect_program = true;
    for (i, word) in words.iter().enumerate() {
        let text = word.text.as_str();
        if expect_program && !is_assignment(text) {
            program = text.rsplit('/').next().unwrap_or(text);
            expect_program = false;
        }
        if LEADS_A_COMMAND.contains(&text) || SEPARATORS.contains(&text) {
            expect_program = true;
        }
        let next = words.get(i + 1).map(|w| w.text.as_str());
        if let Some((name, value)) = argument(text, next, program, options)
            && is_secret(&name, &value)
        {
            found.push(Argument {
                name,
                value,
                item: word.item,
            });
        }
    }
    found
}

/// The (name, value) a word passes, if it passes a value under a secret name.
fn argument(
    word: &str,
    next: Option<&str>,
    program: &str,
    options: &Options,
) -> Option<(String, String)> {
    let takes_password = |flag: &str| {
        options
            .password_flags
            .iter()
            .any(|f| f == flag || *f == format!("{program} {flag}"))
    };
    if let Some((name, value)) = word.split_once('=') {
        let bare = name.trim_start_matches('-');
        let secret = (is_assignment(word) || name.starts_with('-'))
            && (detect::names_secret(bare) || takes_password(name));
        return secret.then(|| (name.to_string(), value.to_string()));
    }
    let glued = options.glued_password_commands.iter().any(|c| c == program);
    if glued && word.starts_with("-p") && word.len() > 2 {
        return Some(("-p".to_string(), word[2..].to_string()));
    }
    let value = next.filter(|n| !n.starts_with('-') && !SEPARATORS.contains(n))?;
    let bare = word.trim_start_matches('-');
    if !word.starts_with('-') || !(detect::names_secret(bare) || takes_password(word)) {
        return None;
    }
    // `curl -u user:password`: only the part after the colon is secret.
    let value = match value.split_once(':') {
        Some((_, password)) if matches!(word, "-u" | "--user") => password,
        _ => value,
    };
    Some((word.to_string(), value.to_string()))
}

/// `NAME=value` with a shell variable name.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
    })
}

/// A literal secret as the detector judges it under a password name; anything with `$` or a
/// backquote is expanded when the command runs.
fn is_secret(name: &str, value: &str) -> bool {
    if value.is_empty() || value.contains(['$', '`']) {
        return false;
    }
    let key = if detect::names_secret(name.trim_start_matches('-')) {
        name.trim_start_matches('-')
    } else {
        "PASSWORD"
    };
    match detect::classify(key, value) {
        Verdict::Secret { kind, .. } => kind != SecretKind::UrlPassword,
        Verdict::NotSecret(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            password_flags: [
                "--requirepass",
                "--masterauth",
                "redis-cli -a",
                "curl -u",
                "curl --user",
            ]
            .map(String::from)
            .to_vec(),
            glued_password_commands: ["mysql", "mysqladmin", "mariadb"]
                .map(String::from)
                .to_vec(),
        }
    }

    fn found(command: &str) -> Vec<(String, String)> {
        let words: Vec<Word> = split(command)
            .into_iter()
            .map(|text| Word { text, item: None })
            .collect();
        secret_arguments(&words, &options())
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect()
    }

    fn pair(name: &str, value: &str) -> Vec<(String, String)> {
        vec![(name.to_string(), value.to_string())]
    }

    #[test]
    fn secret_flags_assignments_and_tool_flags() {
        assert_eq!(
            found("app --password=hunter2"),
            pair("--password", "hunter2")
        );
        assert_eq!(
            found("app --api-token abc123xyz"),
            pair("--api-token", "abc123xyz")
        );
        assert_eq!(
            found("redis-server --requirepass s3cret"),
            pair("--requirepass", "s3cret")
        );
        assert_eq!(found("mysqladmin ping -uroot -proot"), pair("-p", "root"));
        assert_eq!(
            found("sh -c 'PGPASSWORD=pw1 psql -h db'"),
            pair("PGPASSWORD", "pw1")
        );
        assert_eq!(
            found("curl -u elastic:changeme http://es:9200"),
            pair("-u", "changeme")
        );
        assert_eq!(
            found("CMD redis-cli -a Passw0rd ping"),
            pair("-a", "Passw0rd")
        );
    }

    #[test]
    fn variables_prompts_and_other_flags_are_fine() {
        for command in [
            "mysqladmin ping -p$$MYSQL_ROOT_PASSWORD",
            "mysqladmin ping -p${MYSQL_ROOT_PASSWORD}",
            "mysql -p",
            "redis-server --requirepass \"$$(cat /run/secrets/redis)\"",
            "app --password-file /run/secrets/pw",
            "app --token-ttl 30m",
            "web -p 8080",
            "tar -a x.tgz",
            "CMD-SHELL mysql -h db -p mydb",
            "psql postgres://u:pw@db/x",
            "app --auth-method basic",
            "server --key /certs/key.pem",
        ] {
            assert!(found(command).is_empty(), "{command}: {:?}", found(command));
        }
    }

    #[test]
    fn odd_commands_never_panic() {
        let parts = [
            "'",
            "\"",
            " ",
            "-p",
            "=",
            "--password",
            "ü",
            ";",
            "-u",
            "a:b",
            "$$",
        ];
        for command in crate::secrets::joined_fragments(&parts, 3) {
            let _ = found(&format!("mysql {command}"));
        }
    }
}
