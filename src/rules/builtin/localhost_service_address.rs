use std::ops::Range;

use serde::Deserialize;

use crate::document::{Edit, NodeRef, Value};
use crate::finding::{Finding, Fix, Location};
use crate::policy::selector::glob;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    ignore_key_words: Vec<String>,
}

declare_rule! {
    /// ## What it does
    /// Reports an `environment:` value that addresses a data store at `localhost`,
    /// `127.0.0.1` or `::1` (`DATABASE_URL=postgres://localhost:5432/app`,
    /// `REDIS_HOST=localhost`, `MONGO_URL=mongodb://127.0.0.1`) while the file has a service of
    /// that kind (postgres, mysql/mariadb, redis/valkey, mongo, rabbitmq, memcached,
    /// elasticsearch/opensearch, kafka), and names that service. The kind comes from the URL
    /// scheme, else the port, else the key's words (`REDIS_*`, `PG*`, `DB_*`/`DATABASE_*` for
    /// any database); a service is of a kind by its image or its name.
    ///
    /// Quiet when localhost is shared: the service runs with `network_mode: host`,
    /// `service:…` or `container:…`, or the data store joins this service's network namespace
    /// (`network_mode: service:<this>`). Quiet on values that are not addresses of another
    /// service: keys with words such as `ALLOWED`, `BIND`, `LISTEN`, `CORS`, `ORIGINS`,
    /// `NO_PROXY` (`ignore_key_words`), the data store's own settings (a redis service's
    /// `REDIS_HOST`), values set by a variable, and web URLs without a data-store port
    /// (`API_URL=http://localhost:8000` is often meant for the browser).
    ///
    /// ## Why
    /// In a container, `localhost` is the container itself, not the host and not the other
    /// services: the connection is refused and the service fails at startup or, worse, at
    /// its first request. Services on a Compose network reach each other by service name.
    /// Docker docs, "Networking in Compose" ("each container can look up the service name
    /// … and get the appropriate container's IP address").
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     environment:
    ///       DATABASE_URL: postgres://app@localhost:5432/app   # warning, unsafe fix → @db:5432
    ///       ALLOWED_HOSTS: localhost                          # fine
    ///   db:
    ///     image: postgres:17
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: replaces the host by the service name when exactly one service can be meant,
    /// the port (if written) is the data store's usual one (a host-published port such as
    /// `localhost:5433` may not be the container's), and the entry is written in the service
    /// itself (not merged from an anchor). It changes where the service connects, and the
    /// value may also be read by tools run on the host. Otherwise the message names the
    /// candidates and there is no fix.
    ///
    /// ## Options
    /// - `ignore_key_words`: words of keys whose values are not addresses of another service.
    /// - `match`: which services' environments are checked.
    id: "localhost-service-address",
    summary: "report localhost addresses of data stores that another service provides",
    fixable: true,
    security_severity: "2.0",
    options: Options,
    check: check,
}

/// A kind of data store: how a service, an address and a variable name point at it.
struct Kind {
    name: &'static str,
    /// Image names (last path segment, no tag) and service names of this kind.
    images: &'static [&'static str],
    schemes: &'static [&'static str],
    port: u16,
    /// Key words that name this kind (`REDIS_HOST`).
    words: &'static [&'static str],
    database: bool,
}

const KINDS: &[Kind] = &[
    Kind {
        name: "postgres",
        images: &[
            "postgres",
            "postgresql",
            "postgis*",
            "timescaledb*",
            "pgvector",
        ],
        schemes: &["postgres", "postgresql", "pgsql"],
        port: 5432,
        words: &["POSTGRES", "POSTGRESQL", "PG", "PGHOST", "PSQL"],
        database: true,
    },
    Kind {
        name: "mysql",
        images: &["mysql", "mariadb", "percona*", "mysql-server"],
        schemes: &["mysql", "mariadb", "mysql2", "mysqlx"],
        port: 3306,
        words: &["MYSQL", "MARIADB"],
        database: true,
    },
    Kind {
        name: "mongo",
        images: &["mongo", "mongodb"],
        schemes: &["mongodb", "mongodb+srv", "mongo"],
        port: 27017,
        words: &["MONGO", "MONGODB"],
        database: true,
    },
    Kind {
        name: "redis",
        images: &["redis", "redis-stack*", "valkey", "keydb", "dragonfly"],
        schemes: &["redis", "rediss", "valkey"],
        port: 6379,
        words: &["REDIS", "VALKEY"],
        database: false,
    },
    Kind {
        name: "rabbitmq",
        images: &["rabbitmq"],
        schemes: &["amqp", "amqps"],
        port: 5672,
        words: &["RABBIT", "RABBITMQ", "AMQP"],
        database: false,
    },
    Kind {
        name: "memcached",
        images: &["memcached"],
        schemes: &["memcached", "memcache"],
        port: 11211,
        words: &["MEMCACHED", "MEMCACHE"],
        database: false,
    },
    Kind {
        name: "elasticsearch",
        images: &["elasticsearch", "opensearch"],
        schemes: &[],
        port: 9200,
        words: &["ELASTICSEARCH", "ELASTIC", "OPENSEARCH"],
        database: false,
    },
    Kind {
        name: "kafka",
        images: &["kafka", "cp-kafka"],
        schemes: &["kafka"],
        port: 9092,
        words: &["KAFKA"],
        database: false,
    },
];

/// Service names that mean "the database" whatever its engine.
const DATABASE_NAMES: &[&str] = &["db", "database"];
const DATABASE_WORDS: &[&str] = &["DB", "DATABASE"];

/// A localhost address found in a value: the URL scheme and the port, when written.
#[derive(Debug, PartialEq)]
struct Address<'v> {
    scheme: Option<&'v str>,
    port: Option<u16>,
    /// Where the host is written in the value.
    host: Range<usize>,
}

fn check(ctx: &Context<'_>, rule: &Configured<Options>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in ctx.selected(&rule.selector) {
        if service.get("network_mode").is_some() {
            continue;
        }
        for (key, value, node) in service.environment() {
            let words = key_words(&key);
            if words
                .iter()
                .any(|w| rule.options.ignore_key_words.contains(w))
            {
                continue;
            }
            let Some(address) = localhost_address(value) else {
                continue;
            };
            let Some(kind) = kind_of(&address, &words) else {
                continue;
            };
            let targets = targets(ctx, service, kind, &words);
            if targets.is_empty() {
                continue;
            }
            let message = format!(
                "service `{}`: `{key}` addresses localhost, which in a container is the container itself; {}",
                service.name,
                reach(&targets)
            );
            let finding = ctx.finding(rule.id, Location::Node(node.path()), message);
            findings.push(
                match fix(service, node, &key, value, &address, kind, &targets) {
                    Some(fix) => finding.with_fix(fix),
                    None => finding,
                },
            );
        }
    }
    findings
}

/// Unsafe: the host replaced by the one service it can mean, when the port (if written) is
/// the store's own and the entry is written in this service (not in an anchor).
fn fix(
    service: &Service<'_>,
    node: NodeRef<'_>,
    key: &str,
    value: &str,
    address: &Address<'_>,
    kind: Option<&Kind>,
    targets: &[&str],
) -> Option<Fix> {
    let [target] = targets else {
        return None;
    };
    let port_ok = address
        .port
        .is_none_or(|p| kind.is_some_and(|k| k.port == p));
    if !port_ok || service.is_alias || !node.path().starts_with(&service.path) {
        return None;
    }
    let fixed = format!(
        "{}{target}{}",
        &value[..address.host.start],
        &value[address.host.end..]
    );
    let fixed = match node.as_str() == Some(value) {
        true => fixed,
        false => format!("{key}={fixed}"),
    };
    let edit = Edit::Replace {
        path: node.path(),
        value: Value::str(fixed),
    };
    Some(Fix::unsafe_(
        format!("address `{target}` instead of localhost"),
        vec![edit],
    ))
}

fn reach(targets: &[&str]) -> String {
    match targets {
        [one] => format!("use the service name `{one}` as the host"),
        many => format!(
            "use the name of the service it means as the host ({})",
            many.iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The other services this address most likely means.
fn targets<'c>(
    ctx: &'c Context<'_>,
    service: &Service<'_>,
    kind: Option<&Kind>,
    words: &[String],
) -> Vec<&'c str> {
    // The service's own settings (a redis service's `REDIS_HOST`) address itself.
    if is_kind(service, kind, words) {
        return Vec::new();
    }
    let of_kind: Vec<&Service<'_>> = ctx
        .services
        .iter()
        .filter(|t| t.name != service.name && is_kind(t, kind, words))
        .collect();
    // A store in this service's network namespace is what localhost reaches.
    if of_kind
        .iter()
        .any(|t| shares_namespace_with(t, service.name))
    {
        return Vec::new();
    }
    // A service with its own `network_mode` has no name on the project's networks.
    of_kind
        .into_iter()
        .filter(|t| t.get("network_mode").is_none())
        .map(|t| t.name)
        .collect()
}

/// Whether `service` is of `kind` (`None`: any database), by image or by name.
fn is_kind(service: &Service<'_>, kind: Option<&Kind>, words: &[String]) -> bool {
    let name = service.name.to_ascii_lowercase();
    let image = service.image_base_name().unwrap_or_default();
    let of = |k: &Kind| k.images.iter().any(|g| glob(g, image) || glob(g, &name)) || name == k.name;
    match kind {
        Some(kind) => of(kind),
        None => {
            let generic = words.iter().any(|w| DATABASE_WORDS.contains(&w.as_str()));
            generic
                && (DATABASE_NAMES.contains(&name.as_str())
                    || KINDS.iter().filter(|k| k.database).any(of))
        }
    }
}

fn shares_namespace_with(target: &Service<'_>, name: &str) -> bool {
    merge::text(target.get("network_mode"))
        .and_then(|mode| {
            mode.strip_prefix("service:")
                .or_else(|| mode.strip_prefix("container:"))
        })
        .is_some_and(|other| other == name)
}

/// The kind the address means: by scheme, else by port, else by the key's words.
/// `Some(None)`: any database (`DB_HOST`); `None`: not a data store.
fn kind_of(address: &Address<'_>, words: &[String]) -> Option<Option<&'static Kind>> {
    if let Some(scheme) = address.scheme {
        let scheme = scheme
            .rsplit(':')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        if let Some(kind) = KINDS.iter().find(|k| k.schemes.contains(&scheme.as_str())) {
            return Some(Some(kind));
        }
    }
    if let Some(kind) = address
        .port
        .and_then(|p| KINDS.iter().find(|k| k.port == p))
    {
        return Some(Some(kind));
    }
    // A web URL (`http://localhost:8000`) names no data store, whatever its key says.
    if address.scheme.is_some() {
        return None;
    }
    if let Some(kind) = KINDS
        .iter()
        .find(|k| words.iter().any(|w| k.words.contains(&w.as_str())))
    {
        return Some(Some(kind));
    }
    words
        .iter()
        .any(|w| DATABASE_WORDS.contains(&w.as_str()))
        .then_some(None)
}

/// The key's words, upper case (`redis.host` → `REDIS`, `HOST`).
fn key_words(key: &str) -> Vec<String> {
    key.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The localhost address in a value: a URL whose host is localhost, or a bare
/// `localhost[:port]`. Values with a variable are not judged.
fn localhost_address(value: &str) -> Option<Address<'_>> {
    if value.contains('$') {
        return None;
    }
    let start = value.len() - value.trim_start_matches([' ', '"', '\'']).len();
    let value = value.trim_end_matches([' ', '"', '\'']);
    // Quotes and spaces only (`"`, `''`).
    if start >= value.len() {
        return None;
    }
    let (scheme, authority_start) = match value.find("://") {
        Some(at) => (Some(&value[start..at]), at + 3),
        None => (None, start),
    };
    let rest = &value[authority_start..];
    let authority = &rest[..rest.find(['/', '?', '#', ',', ' ']).unwrap_or(rest.len())];
    let host_start = authority_start + authority.rfind('@').map_or(0, |at| at + 1);
    let (host, port) = split_host_port(&value[host_start..authority_start + authority.len()])?;
    if !matches!(host, "localhost" | "127.0.0.1" | "::1") {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    // `[::1]`: the brackets go with the host.
    let host_start = host_start + usize::from(value[host_start..].starts_with('['));
    Some(Address {
        scheme,
        port,
        host: host_start..host_start + host.len(),
    })
}

fn split_host_port(text: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return Some((host, after.strip_prefix(':')));
    }
    if text == "::1" {
        return Some((text, None));
    }
    Some(match text.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_addresses_are_found_in_urls_and_bare_values() {
        let at = |v| localhost_address(v);
        let url = at("postgres://app:pw@localhost:5432/app").unwrap();
        assert_eq!(
            (url.scheme, url.port, url.host),
            (Some("postgres"), Some(5432), 18..27)
        );
        let bare = at("'localhost'").unwrap();
        assert_eq!((bare.scheme, bare.port, bare.host), (None, None, 1..10));
        assert_eq!(at("redis://[::1]:6379").unwrap().host, 9..12);
        assert_eq!(at("127.0.0.1:6379").unwrap().port, Some(6379));
        assert_eq!(at("redis://[::1]:6379").unwrap().port, Some(6379));
        for quiet in [
            "'",
            "\"\"",
            " ",
            "db:5432",
            "${DB_HOST:-localhost}",
            "localhost.example.com",
            "0.0.0.0",
        ] {
            assert_eq!(at(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn the_kind_comes_from_scheme_port_then_key() {
        let words = |k| key_words(k);
        let kind =
            |v, k| kind_of(&localhost_address(v).unwrap(), &words(k)).map(|k| k.map(|k| k.name));
        assert_eq!(
            kind("jdbc:postgresql://localhost/x", "URL"),
            Some(Some("postgres"))
        );
        assert_eq!(kind("localhost:6379", "CACHE"), Some(Some("redis")));
        assert_eq!(kind("localhost", "REDIS_HOST"), Some(Some("redis")));
        assert_eq!(kind("localhost", "DB_HOST"), Some(None));
        assert_eq!(kind("http://localhost:8000", "DB_API_URL"), None);
        assert_eq!(kind("localhost", "ALLOWED_HOSTS"), None);
    }

    #[test]
    fn odd_values_never_panic() {
        let parts = [
            "'",
            "\"",
            " ",
            "://",
            "@",
            ":",
            "[",
            "]",
            "localhost",
            "é",
            "/",
            "5432",
        ];
        for value in crate::secrets::joined_fragments(&parts, 3) {
            let _ = localhost_address(&value);
        }
    }
}
