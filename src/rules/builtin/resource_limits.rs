use std::collections::BTreeMap;

use serde::Deserialize;

use crate::document::{Edit, Path, Value};
use crate::finding::{Finding, Fix, Location};
use crate::policy::selector::image_matches;
use crate::rules::registry::Configured;
use crate::rules::{Context, Service, declare_rule, merge};
use crate::schema::units::parse_bytes;

type Y = yaml_serde::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    memory: Y,
    cpus: Y,
    reservations: Option<Y>,
    pids_limit: Option<i64>,
    images: BTreeMap<String, Overrides>,
    /// A written limit is at least the largest visible heap × `heap_factor` + `heap_overhead`.
    heap_factor: f64,
    heap_overhead: Y,
    heap_settings: Vec<HeapSetting>,
    /// Documented minimum memory per image (`policies/memory-minimums.yaml`).
    image_minimums: BTreeMap<String, ImageMinimum>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Overrides {
    memory: Option<Y>,
    cpus: Option<Y>,
    reservations: Option<Y>,
    pids_limit: Option<i64>,
}

/// Where a heap or buffer size shows in a service: a word starting with `prefix`
/// (`-Xmx1G`), the word after `flag` (`--maxmemory 2gb`), or the whole value of one of the
/// `env` variables. A bare number counts in `unit`s (a size, `1` for bytes).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeapSetting {
    name: String,
    prefix: Option<String>,
    flag: Option<String>,
    #[serde(default)]
    env: Vec<String>,
    unit: Y,
}

/// A minimum an image's own documentation states; an entry without its source is refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageMinimum {
    images: Vec<String>,
    memory: Y,
    source: Citation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Citation {
    url: String,
    /// Required so every entry quotes what its source says; people read it, the rule does not.
    #[allow(dead_code)]
    note: String,
}

declare_rule! {
    /// ## What it does
    /// Adds `deploy.resources.limits` (`memory`, `cpus`) to services that have neither form of
    /// limit, from the policy's defaults or its per-image overrides; optionally
    /// `reservations` and `pids_limit`.
    ///
    /// What it knows and respects:
    /// - limits the file already sets: `mem_limit`/`cpus` (Compose's v2 keys),
    ///   `deploy.resources.limits`, through merge keys and through `extends` of a service of
    ///   the same file. A service that uses the v2 keys never gets a second copy of them under
    ///   `deploy:`; a missing one is reported, to add next to the other.
    /// - heaps and buffers the file shows (`heap_settings`): `-Xmx`/`-Xms` in any environment
    ///   value or the command (`JAVA_OPTS`, `ES_JAVA_OPTS`, …), `innodb_buffer_pool_size`,
    ///   `shared_buffers`, `--maxmemory`, `--max-old-space-size`, `MAX_HEAP_SIZE`, …. The
    ///   memory written is at least the largest of them × `heap_factor` + `heap_overhead`.
    /// - documented minimum memory of images (`policies/memory-minimums.yaml`, each entry
    ///   citing the image's documentation): the memory written is never below it.
    ///
    /// What it refuses (finding without fix): a service whose limits the file cannot show
    /// (it `extends` another service: the limits belong where that service is defined), a
    /// heap setting whose value it cannot read (`-Xmx${HEAP}`), and a service that sets only
    /// one of `mem_limit`/`cpus`.
    ///
    /// ## Why
    /// One leaking container can starve every other service on the host; limits make the
    /// failure local and visible (an OOM kill of that container). A limit below what the
    /// process is configured to use is worse than none: it is killed at its first busy hour.
    ///
    /// ## Example
    /// ```yaml
    /// api:
    ///   image: acme/api:1.4
    ///   environment:
    ///     JAVA_OPTS: -Xmx1G
    ///   deploy:                 # added
    ///     resources:
    ///       limits:
    ///         memory: 1536M     # 1G × 1.25 + 256M, above the default 512M
    ///         cpus: "1.0"
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe, always: a limit changes how the service runs (an OOM kill, CPU throttling)
    /// and no file shows what the service really needs. Review the values.
    ///
    /// ## Options
    /// - `memory` (`512M`), `cpus` (`"1.0"`): default limits.
    /// - `reservations` (none): e.g. `{memory: 128M, cpus: "0.25"}`.
    /// - `pids_limit` (none): e.g. `512`, written as `limits.pids` (an existing service
    ///   `pids_limit` is copied there, since Compose refuses the two when they differ).
    /// - `images`: image glob → overrides of the above (`postgres: {memory: 1G}`).
    /// - `heap_factor` (`1.25`), `heap_overhead` (`256M`): the floor over a visible heap.
    /// - `heap_settings`: where heaps show: `{name, prefix | flag | env, unit}`.
    /// - `image_minimums`: `name → {images, memory, source: {url, note}}`.
    /// - `match`: which services the rule applies to.
    id: "resource-limits",
    summary: "add memory and CPU limits",
    fixable: true,
    options: Options,
    check_service: check_service,
}

const LIMITS: [&str; 3] = ["deploy", "resources", "limits"];

/// `extends` chains longer than this are not followed (Compose reports the cycle).
const MAX_EXTENDS: usize = 8;

/// What the file says about a service's limits, through merge keys and same-file `extends`.
#[derive(Default)]
struct Present {
    mem_limit: bool,
    cpus: bool,
    deploy_memory: bool,
    deploy_cpus: bool,
    /// The service `extends` another one (whose limits may be meant to apply).
    extends: Option<String>,
    /// An `extends` whose base the file does not show (`file:`, or a missing service).
    unseen_base: bool,
}

impl Present {
    fn read(ctx: &Context<'_>, service: &Service<'_>) -> Present {
        let mut present = Present::default();
        let mut current = service.clone();
        for _ in 0..MAX_EXTENDS {
            present.mem_limit |= current.get("mem_limit").is_some();
            present.cpus |= current.get("cpus").is_some();
            present.deploy_memory |= current
                .get_path(&[&LIMITS[..], &["memory"]].concat())
                .is_some();
            present.deploy_cpus |= current
                .get_path(&[&LIMITS[..], &["cpus"]].concat())
                .is_some();
            let Some(extends) = current.get("extends") else {
                return present;
            };
            let (base, file) = if extends.is_mapping() {
                (
                    merge::text(merge::get(extends, "service")),
                    merge::get(extends, "file"),
                )
            } else {
                (merge::text(Some(extends)), None)
            };
            present
                .extends
                .get_or_insert_with(|| base.unwrap_or("?").to_string());
            match (base.and_then(|b| ctx.service(b)), file) {
                (Some(next), None) => current = next.clone(),
                _ => {
                    present.unseen_base = true;
                    return present;
                }
            }
        }
        present.unseen_base = true;
        present
    }

    fn memory(&self) -> bool {
        self.mem_limit || self.deploy_memory
    }

    fn cpus(&self) -> bool {
        self.cpus || self.deploy_cpus
    }
}

fn check_service(
    ctx: &Context<'_>,
    rule: &Configured<Options>,
    service: &Service<'_>,
) -> Option<Finding> {
    let options = &rule.options;
    // Limits another file of the project sets (an override, `extends`) count as present;
    // when only one of the two is set there, the finding below says where to add the other.
    let elsewhere = |key: &str| ctx.elsewhere(service, key);
    if (elsewhere("mem_limit") || elsewhere("deploy")) && (elsewhere("cpus") || elsewhere("deploy"))
    {
        return None;
    }
    let present = Present::read(ctx, service);
    if present.memory() && present.cpus() {
        return None;
    }
    let mut missing = Vec::new();
    if !present.memory() {
        missing.push("memory");
    }
    if !present.cpus() {
        missing.push("cpus");
    }
    let location = Location::Key(service.path.clone());
    let report = |why: String| {
        let message = format!(
            "service `{}` has no {} limit; {why}",
            service.name,
            missing.join(" or ")
        );
        Some(ctx.finding(rule.id, location.clone(), message))
    };
    if present.mem_limit || present.cpus {
        let (set, add) = if present.mem_limit {
            ("mem_limit", "cpus")
        } else {
            ("cpus", "mem_limit")
        };
        return report(format!(
            "it sets `{set}`: add `{add}` next to it (a `deploy.resources` copy would say the same thing twice)"
        ));
    }
    if let Some(base) = &present.extends {
        let where_ = if present.unseen_base {
            "in a file or service this file does not show"
        } else {
            "in this file"
        };
        return report(format!(
            "it extends `{base}` ({where_}): set the limits where the service is defined"
        ));
    }
    let overrides = service
        .image()
        .and_then(|image| {
            options
                .images
                .iter()
                .find(|(glob, _)| image_matches(glob, image))
                .map(|(_, o)| o)
        })
        .unwrap_or(
            const {
                &Overrides {
                    memory: None,
                    cpus: None,
                    reservations: None,
                    pids_limit: None,
                }
            },
        );
    let mut wanted: Vec<(Vec<&str>, Value)> = Vec::new();
    let mut reasons = Vec::new();
    if !present.memory() {
        let configured = overrides.memory.as_ref().unwrap_or(&options.memory);
        let floor = match memory_floor(service, options) {
            Ok(floor) => floor,
            Err(unreadable) => {
                return report(format!(
                    "{unreadable} cannot be read, so no limit can be shown to fit it"
                ));
            }
        };
        let memory = match floor {
            Some((bytes, why)) if size_of(configured, 1).is_none_or(|c| c < bytes) => {
                reasons.push(why);
                Value::str(format_size(bytes))
            }
            _ => Value::from_yaml(configured),
        };
        wanted.push((vec!["deploy", "resources", "limits", "memory"], memory));
    }
    if !present.cpus() {
        let cpus = overrides.cpus.as_ref().unwrap_or(&options.cpus);
        wanted.push((
            vec!["deploy", "resources", "limits", "cpus"],
            Value::from_yaml(cpus),
        ));
    }
    let reservations = overrides
        .reservations
        .as_ref()
        .or(options.reservations.as_ref());
    if let Some(reservations) = reservations.filter(|r| !r.is_null())
        && service
            .get_path(&["deploy", "resources", "reservations"])
            .is_none()
        && service.get("mem_reservation").is_none()
    {
        wanted.push((
            vec!["deploy", "resources", "reservations"],
            Value::from_yaml(reservations),
        ));
    }
    // Compose refuses a `pids_limit` that differs from `limits.pids` (absent counts as 0), so
    // the limit goes into `limits.pids`, with the service's own value when it has one.
    let pids = service
        .get("pids_limit")
        .and_then(merge::to_value)
        .or(overrides.pids_limit.or(options.pids_limit).map(Value::Int));
    if let Some(pids) = pids
        && service
            .get_path(&["deploy", "resources", "limits", "pids"])
            .is_none()
    {
        wanted.push((vec!["deploy", "resources", "limits", "pids"], pids));
    }
    let mut message = format!(
        "service `{}` has no resource limits ({})",
        service.name,
        missing.join(", ")
    );
    for reason in &reasons {
        message.push_str("; ");
        message.push_str(reason);
    }
    let finding = ctx.finding(rule.id, location, message);
    if service.is_alias || wanted.iter().any(|(keys, _)| crosses_merge(service, keys)) {
        return Some(finding);
    }
    let edits = wanted
        .into_iter()
        .map(|(keys, value)| Edit::Set {
            path: keys
                .iter()
                .fold(service.path.clone(), |p: Path, k| p.key(*k)),
            value,
        })
        .collect();
    Some(finding.with_fix(Fix::unsafe_("add resource limits", edits)))
}

/// The least memory a limit may give the service, with the reason; an error names a heap
/// setting whose value cannot be read.
fn memory_floor(service: &Service<'_>, options: &Options) -> Result<Option<(u64, String)>, String> {
    let mut floor: Option<(u64, String)> = None;
    let mut raise = |bytes: u64, why: String| {
        if floor.as_ref().is_none_or(|(b, _)| *b < bytes) {
            floor = Some((bytes, why));
        }
    };
    if let Some((bytes, shown)) = largest_heap(service, &options.heap_settings)? {
        let overhead = size_of(&options.heap_overhead, 1).unwrap_or(0);
        let needed = (bytes as f64 * options.heap_factor).ceil() as u64 + overhead;
        raise(
            needed,
            format!(
                "memory {} covers {shown} (× {} + {})",
                format_size(needed),
                options.heap_factor,
                format_size(overhead)
            ),
        );
    }
    if let Some(image) = service.image() {
        for (name, minimum) in &options.image_minimums {
            if minimum.images.iter().any(|g| image_matches(g, image))
                && let Some(bytes) = size_of(&minimum.memory, 1)
            {
                raise(
                    bytes,
                    format!(
                        "memory {} is {name}'s documented minimum ({})",
                        format_size(bytes),
                        minimum.source.url
                    ),
                );
            }
        }
    }
    Ok(floor)
}

/// The largest heap or buffer the service shows, as bytes and how it was written.
fn largest_heap(
    service: &Service<'_>,
    settings: &[HeapSetting],
) -> Result<Option<(u64, String)>, String> {
    let environment = environment(service);
    let mut texts: Vec<&str> = environment.iter().map(|(_, v)| v.as_str()).collect();
    let command = format!(
        "{} {}",
        service.command_text("entrypoint"),
        service.command_text("command")
    );
    texts.push(&command);
    let words: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',')))
        .filter(|w| !w.is_empty())
        .collect();
    let mut largest: Option<(u64, String)> = None;
    for setting in settings {
        let unit = size_of(&setting.unit, 1).unwrap_or(1);
        let mut found: Vec<(String, &str)> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if let Some(prefix) = &setting.prefix
                && let Some(value) = word.strip_prefix(prefix.as_str())
            {
                found.push((word.to_string(), value));
            }
            if setting.flag.as_deref() == Some(*word)
                && let Some(value) = words.get(i + 1)
            {
                found.push((format!("{word} {value}"), value));
            }
        }
        for (key, value) in &environment {
            if setting.env.iter().any(|e| e == key) {
                found.push((format!("{key}={value}"), value));
            }
        }
        for (shown, value) in found {
            let bytes =
                parse_size(value, unit).ok_or_else(|| format!("the {} `{shown}`", setting.name))?;
            if largest.as_ref().is_none_or(|(b, _)| *b < bytes) {
                largest = Some((bytes, format!("the {} `{shown}`", setting.name)));
            }
        }
    }
    Ok(largest)
}

/// The service's environment as (key, value), from the mapping or the `KEY=value` list.
fn environment(service: &Service<'_>) -> Vec<(String, String)> {
    let Some(env) = service.get("environment") else {
        return Vec::new();
    };
    if env.is_mapping() {
        return merge::entries(env)
            .into_iter()
            .filter_map(|(k, v)| Some((k, merge::text(Some(v))?.to_string())))
            .collect();
    }
    merge::strings(Some(env))
        .into_iter()
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Bytes in a size as heap settings write it: `1G`, `512m`, `2GB`, `1024k` (binary
/// multiples), or a bare number of `unit` bytes.
fn parse_size(text: &str, unit: u64) -> Option<u64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u64>().ok()?.checked_mul(unit);
    }
    parse_bytes(text).ok().and_then(|b| u64::try_from(b).ok())
}

/// A size from the policy: a string like `512M` or a number of `unit` bytes.
fn size_of(value: &Y, unit: u64) -> Option<u64> {
    match value {
        Y::Number(n) => n.as_u64()?.checked_mul(unit),
        Y::String(s) => parse_size(s, unit),
        _ => None,
    }
}

/// Bytes as Compose reads them: whole gigabytes as `G`, else megabytes rounded up.
fn format_size(bytes: u64) -> String {
    const M: u64 = 1024 * 1024;
    const G: u64 = 1024 * M;
    if bytes.is_multiple_of(G) {
        format!("{}G", bytes / G)
    } else {
        format!("{}M", bytes.div_ceil(M))
    }
}

/// Whether writing at `keys` locally would hide a mapping the service inherits through a
/// merge key (a local `deploy:` replaces a merged one whole).
fn crosses_merge(service: &Service<'_>, keys: &[&str]) -> bool {
    let mut local = Some(service.node);
    for key in keys {
        let Some(node) = local else { return false };
        match node.get(key) {
            Some(child) => local = Some(merge::resolve(child)),
            None => return merge::get(node, key).is_some(),
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_heap_settings_write_them() {
        assert_eq!(parse_size("1G", 1), Some(1 << 30));
        assert_eq!(parse_size("2GB", 1), Some(2 << 30));
        assert_eq!(parse_size("512m", 1), Some(512 << 20));
        assert_eq!(parse_size("4096", 1 << 20), Some(4 << 30));
        assert_eq!(parse_size("${HEAP}", 1), None);
        assert_eq!(format_size(1536 << 20), "1536M");
        assert_eq!(format_size(2 << 30), "2G");
        assert_eq!(format_size((1 << 30) + 1), "1025M");
    }
}
