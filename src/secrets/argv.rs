//! Where a known secret stands as a command-line argument, so that reports can hide it there
//! too: `--password=v`, `PGPASSWORD=v`, `--token v`, `"-a", "v"` (a flow list), `-pv` (the
//! MySQL clients' glued password) and `-u user:v` (curl).
//!
//! Promises: only text right after such a flag or assignment, and ending where an argument
//! ends, is an argument position; `NAME=v` counts only when the name names a secret (so a user
//! name equal to a password still shows in `DB_USER=postgres`). Limitation: a value after any
//! flag (`-U postgres`) is hidden when it equals a known secret.

use std::ops::Range;

use super::detect::names_secret;

/// Whether the known secret at `range` of `text` stands in an argument position.
pub(super) fn is_argument(text: &str, range: Range<usize>) -> bool {
    let before = &text[..range.start];
    ends_argument(&text[range.end..])
        && (after_assignment(before) || after_flag(before) || glued_to_p(before))
}

fn ends_argument(after: &str) -> bool {
    after
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || "\"',;&|)]".contains(c))
}

/// `--password=`, `PGPASSWORD=`.
fn after_assignment(before: &str) -> bool {
    let Some(name) = before.strip_suffix('=').map(last_word) else {
        return false;
    };
    let bare = name.trim_start_matches('-');
    !bare.is_empty() && (name.starts_with('-') || names_secret(bare))
}

/// `--token `, `"-a", "`, `-u user:`: the previous word is a flag.
fn after_flag(before: &str) -> bool {
    let mut rest = before.trim_end_matches(['"', '\'']);
    if let Some(user) = rest.strip_suffix(':') {
        // `-u user:` — the user name is a word of its own.
        rest = user.trim_end_matches(|c: char| !c.is_whitespace() && c != '"' && c != '\'');
        rest = rest.trim_end_matches(['"', '\'']);
    }
    if rest.len() == before.len() && !rest.ends_with(char::is_whitespace) {
        return false;
    }
    let flag = last_word(rest.trim_end_matches([' ', '\t', ',', '"', '\'']));
    flag.starts_with('-') && flag.len() >= 2 && !flag.starts_with("---")
}

/// `-p` glued to its value, as a word of its own.
fn glued_to_p(before: &str) -> bool {
    before.strip_suffix("-p").is_some_and(|b| {
        b.chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '"' || c == '\'')
    })
}

/// The word that ends `text` (after the last space, quote or bracket).
fn last_word(text: &str) -> &str {
    text.rsplit(|c: char| c.is_whitespace() || "\"'[,".contains(c))
        .next()
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, value: &str) -> bool {
        let start = text.rfind(value).unwrap();
        is_argument(text, start..start + value.len())
    }

    #[test]
    fn argument_positions() {
        assert!(at("app --password=root", "root"));
        assert!(at("PGPASSWORD=root psql", "root"));
        assert!(at("redis-server --requirepass root", "root"));
        assert!(at(
            r#"test: ["CMD", "redis-cli", "-a", "root", "ping"]"#,
            "root"
        ));
        assert!(at("mysqladmin ping -uroot -proot", "root"));
        assert!(at("curl -u elastic:root http://es", "root"));
    }

    #[test]
    fn other_positions_are_not() {
        assert!(!at("DB_USER=root", "root"));
        assert!(!at("image: root/app", "root"));
        assert!(!at("--password=rooted", "root"));
        assert!(!at("cmd root", "root"));
        assert!(!at("user: root", "root"));
    }

    #[test]
    fn odd_texts_never_panic() {
        let parts = ["'", "\"", " ", "-p", "=", ":", "é", ",", "-", "["];
        for around in super::super::joined_fragments(&parts, 2) {
            let text = format!("{around}vé{around}");
            let start = around.len();
            let _ = is_argument(&text, start..start + "vé".len());
        }
    }
}
