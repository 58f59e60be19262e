//! A service's `volumes:` as Compose reads them, short syntax (`SRC:DST:MODE`) and long
//! syntax (`type`, `source`, `target`, `read_only`, `bind.propagation`) alike, for the rules
//! that judge what a container sees of the host.
//!
//! Promises: one reader of the volume syntaxes for the security rules; host paths come back
//! normalised (`~`, `$HOME` and `${HOME}` as `~`, repeated and trailing slashes dropped) so
//! rules compare them as text. Refuses: interpolation of other variables (a source that
//! starts with another `$…` is [`MountKind::Unknown`]), Windows drive paths, and reading the
//! disk (a relative source is "the project directory", never resolved).

use super::{Service, merge};
use crate::document::NodeRef;

/// What a volume entry mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A host path (absolute, relative to the project, or under the home directory).
    Bind,
    /// A named or anonymous volume.
    Volume,
    Tmpfs,
    /// A source set by a variable, or a type we do not judge (`npipe`, `image`, `cluster`).
    Unknown,
}

/// One entry of a service's `volumes:`.
#[derive(Debug, Clone)]
pub struct Mount<'a> {
    /// The entry's node (where findings point; it may sit in a merged anchor).
    pub node: NodeRef<'a>,
    /// Position in the effective `volumes:` sequence.
    pub index: usize,
    pub kind: MountKind,
    /// The source as written (empty for an anonymous volume or a tmpfs).
    pub source: &'a str,
    /// For a bind mount, the normalised host path (see the module docs).
    pub host_path: Option<String>,
    pub target: &'a str,
    pub read_only: bool,
    /// `shared`, `rslave`, … from the short syntax mode or `bind.propagation`.
    pub propagation: Option<&'a str>,
    /// The short syntax's third field as written (`ro,z`); empty for the long syntax.
    pub mode: &'a str,
}

impl<'a> Mount<'a> {
    /// Where a finding about the entry's `keys` field points: that field of a long-syntax
    /// entry (`source:`, `bind.propagation:`), or the whole short-syntax entry.
    pub fn field(&self, keys: &[&str]) -> NodeRef<'a> {
        merge::field_or_entry(self.node, keys)
    }
}

/// Every entry of the service's effective `volumes:` (through merge keys).
pub fn of<'a>(service: &Service<'a>) -> Vec<Mount<'a>> {
    service.get("volumes").map(in_sequence).unwrap_or_default()
}

/// Every entry of a `volumes:` sequence (empty when `volumes` is not a sequence).
pub fn in_sequence(volumes: NodeRef<'_>) -> Vec<Mount<'_>> {
    if !volumes.is_sequence() {
        return Vec::new();
    }
    volumes
        .items()
        .map(merge::resolve)
        .enumerate()
        .filter_map(|(index, item)| match item.as_str() {
            Some(short) => Some(parse_short(index, item, short)),
            None if item.is_mapping() => parse_long(index, item),
            None => None,
        })
        .collect()
}

const PROPAGATION: &[&str] = &[
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

fn parse_short<'a>(index: usize, node: NodeRef<'a>, text: &'a str) -> Mount<'a> {
    let parts = split_fields(text);
    let (source, target, mode) = match parts[..] {
        [target] => ("", target, ""),
        [source, target] => (source, target, ""),
        [source, target, mode] => (source, target, mode),
        _ => ("", text, ""),
    };
    let flags: Vec<&str> = mode.split(',').collect();
    let kind = kind_of_source(source);
    Mount {
        node,
        index,
        kind,
        source,
        host_path: (kind == MountKind::Bind).then(|| normalise(source)),
        target,
        read_only: flags.contains(&"ro"),
        propagation: flags.into_iter().find(|f| PROPAGATION.contains(f)),
        mode,
    }
}

/// `text` split at the colons outside `${…}` (a default like `${DIR:-./data}` has one).
fn split_fields(text: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => {
                fields.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&text[start..]);
    fields
}

fn parse_long(index: usize, node: NodeRef<'_>) -> Option<Mount<'_>> {
    let field = |key| merge::text(merge::get(node, key));
    let source = field("source").unwrap_or_default();
    let kind = match field("type")? {
        "bind" => match kind_of_source(source) {
            MountKind::Unknown => MountKind::Unknown,
            _ => MountKind::Bind,
        },
        "volume" => MountKind::Volume,
        "tmpfs" => MountKind::Tmpfs,
        _ => MountKind::Unknown,
    };
    Some(Mount {
        node,
        index,
        kind,
        source,
        host_path: (kind == MountKind::Bind).then(|| normalise(source)),
        target: field("target").unwrap_or_default(),
        read_only: field("read_only") == Some("true"),
        propagation: merge::text(merge::get_path(node, &["bind", "propagation"])),
        mode: "",
    })
}

fn kind_of_source(source: &str) -> MountKind {
    if source.is_empty() {
        MountKind::Volume
    } else if source.starts_with(['/', '.', '~']) || is_home_variable(source) {
        MountKind::Bind
    } else if source.starts_with('$') {
        MountKind::Unknown
    } else {
        MountKind::Volume
    }
}

const HOME_VARIABLES: &[&str] = &["${HOME}", "$HOME"];

fn is_home_variable(source: &str) -> bool {
    HOME_VARIABLES.iter().any(|v| {
        source
            .strip_prefix(v)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// `~`, `$HOME` and `${HOME}` written as `~`; `//` and a trailing `/` dropped.
fn normalise(source: &str) -> String {
    let home = HOME_VARIABLES
        .iter()
        .find_map(|variable| source.strip_prefix(variable))
        .map(|rest| format!("~{rest}"));
    lexical(home.as_deref().unwrap_or(source))
}

/// `path` without empty and `.` components, `..` applied (lexically; nothing is read), so
/// `/srv/../etc//` compares as `/etc`.
pub fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths_drop_dots_and_repeats() {
        assert_eq!(lexical("/etc//./ssl/../shadow"), "/etc/shadow");
        assert_eq!(lexical("./conf/nginx.conf"), "conf/nginx.conf");
        assert_eq!(lexical("/../etc/passwd"), "/etc/passwd");
    }

    #[test]
    fn home_forms_normalise_to_tilde() {
        assert_eq!(normalise("${HOME}/.ssh/"), "~/.ssh");
        assert_eq!(normalise("$HOME"), "~");
        assert_eq!(normalise("//var//run/"), "/var/run");
        assert_eq!(normalise("/"), "/");
        assert_eq!(normalise("/srv/../etc/"), "/etc");
        assert_eq!(kind_of_source("${HOMEDIR}/x"), MountKind::Unknown);
        assert_eq!(kind_of_source("data"), MountKind::Volume);
        assert_eq!(split_fields("${D:-./x}:/x:ro"), ["${D:-./x}", "/x", "ro"]);
    }
}
