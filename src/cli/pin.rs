//! `shipshape pin`: resolve every image the compose files use and record it in
//! `shipshape.lock`, so that `fix` can pin images offline and deterministically.
//!
//! Promised: services with `build:` and images with `${…}` are skipped with a note; entries
//! already in the lock are kept unless `--update`; an entry whose resolution did not change
//! keeps its `resolved_at` (no churn in reviews); entries for images no longer used are
//! kept (the paths given may not be the whole project). The lock is written atomically.
//! Floating tags are `latest`, no tag, and the tags the policy's `pin-image-tags` rule calls
//! floating (`floating_tags`: `stable`, `edge`, …), so that `fix` finds a pin for each image
//! it reports.
//! Exit codes: 0 every image resolved, 1 some failed (the lock still gets the others),
//! 2 bad arguments or unreadable inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::cli::args::PinArgs;
use crate::config::Config;
use crate::discover;
use crate::document::NodeRef;
use crate::lockfile::{LOCK_FILE_NAME, LockEntry, Lockfile};
use crate::policy::PolicySet;
use crate::registry::{
    Client, ClientOptions, DockerCredentials, ImageRef, RegistryError, Resolution, resolve_all,
};
use crate::source::SourceCache;
use crate::write::{PlannedWrite, Transaction};

/// Merge keys nest at most this deep (anchors cannot form cycles, but files can be hostile).
const MAX_MERGE_DEPTH: usize = 16;

/// Where an image reference is used.
#[derive(Debug, Clone)]
struct ImageUse {
    reference: String,
    file: PathBuf,
    line: usize,
    service: String,
    built: bool,
}

/// What happened to one reference.
enum Outcome {
    Resolved {
        entry: LockEntry,
        previous: Option<String>,
        note: Option<String>,
    },
    Unchanged {
        entry: LockEntry,
        why: &'static str,
    },
    Skipped(String),
    Failed(String),
}

pub fn run(args: &PinArgs) -> u8 {
    let setup = match Setup::from_args(args) {
        Ok(setup) => setup,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let (uses, inputs_ok) = collect_images(&args.paths);
    if uses.is_empty() && inputs_ok && !args.quiet {
        eprintln!(
            "warning: no images found (looked for `image:` in the services of compose.yaml, docker-compose.yml and their variants)"
        );
    }
    let mut lock = setup.lock.clone();
    let outcomes = pin_images(&setup, &uses, &lock, args.update);
    let failed = outcomes
        .values()
        .filter(|o| matches!(o, Outcome::Failed(_)))
        .count();
    for (reference, outcome) in &outcomes {
        report(reference, outcome, &uses, args.quiet);
        if let Outcome::Resolved { entry, .. } | Outcome::Unchanged { entry, .. } = outcome {
            lock.images.insert(reference.clone(), entry.clone());
        }
    }
    let wrote = match write_lock(&setup.lock_path, &setup.lock, &lock) {
        Ok(wrote) => wrote,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    if !args.quiet {
        eprintln!("{}", summary(&outcomes, wrote.then_some(&setup.lock_path)));
    }
    if !inputs_ok {
        EXIT_ERROR
    } else if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Everything decided before any compose file is read; a problem here is exit 2.
struct Setup {
    lock_path: PathBuf,
    lock: Lockfile,
    options: ClientOptions,
    /// The policy's floating tags (resolved like `latest`).
    floating_tags: Vec<String>,
}

impl Setup {
    fn from_args(args: &PinArgs) -> Result<Setup, String> {
        let cwd = std::env::current_dir()
            .map_err(|e| format!("cannot read the working directory: {e}"))?;
        let config = Config::discover(args.config.as_deref(), args.no_config, &cwd)
            .map_err(|e| e.to_string())?;
        let lock_path = args
            .lock_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(LOCK_FILE_NAME));
        let lock = Lockfile::load(&lock_path).map_err(|e| e.to_string())?;
        let policy = PolicySet::load(&[], &config).map_err(|e| e.to_string())?;
        let floating_tags = crate::rules::floating_tags(&policy).unwrap_or_default();
        let mut insecure = Vec::new();
        for host in args
            .insecure_registries
            .iter()
            .chain(&config.insecure_registries)
        {
            insecure.push(validate_insecure(host)?);
        }
        let mirror = args
            .registry_mirror
            .clone()
            .or(config.registry_mirror.clone())
            .map(|m| validate_mirror(&m))
            .transpose()?;
        let options = ClientOptions {
            insecure,
            mirror,
            ..ClientOptions::default()
        }
        .with_env_overrides();
        Ok(Setup {
            lock_path,
            lock,
            options,
            floating_tags,
        })
    }
}

/// `HOST[:PORT]`, nothing else: a scheme or path here is a misunderstanding worth reporting.
fn validate_insecure(host: &str) -> Result<String, String> {
    let host = host.trim();
    let valid = !host.is_empty()
        && !host.contains("://")
        && !host.contains('/')
        && host
            .rsplit_once(':')
            .is_none_or(|(h, port)| !h.is_empty() && port.parse::<u16>().is_ok());
    if valid {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(format!(
            "--insecure-registry `{host}`: expected HOST:PORT (for example `localhost:5000`), without a scheme or path"
        ))
    }
}

fn validate_mirror(url: &str) -> Result<String, String> {
    let url = url.trim();
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => {
            Ok(url.trim_end_matches('/').to_string())
        }
        _ => Err(format!(
            "--registry-mirror `{url}`: expected a URL such as `https://mirror.example.com`"
        )),
    }
}

/// Every image reference of every compose file under `paths`; `false` when some input
/// could not be read (reported as it is found).
fn collect_images(paths: &[PathBuf]) -> (Vec<ImageUse>, bool) {
    let (files, errors) = discover::discover(paths);
    let mut ok = errors.is_empty();
    for error in &errors {
        eprintln!("error: {error}");
    }
    let sources = SourceCache::new();
    let mut uses = Vec::new();
    for file in files {
        match sources.load(&file) {
            Ok(source) => uses.extend(images_in(&source.document, &file)),
            Err(e) => {
                eprintln!("error: {e}");
                ok = false;
            }
        }
    }
    (uses, ok)
}

fn images_in(document: &crate::document::Document, file: &Path) -> Vec<ImageUse> {
    let Some(services) = document.root().and_then(|root| field(root, "services", 0)) else {
        return Vec::new();
    };
    services
        .entries()
        .filter_map(|(name, service)| {
            let image = field(service, "image", 0)?;
            Some(ImageUse {
                reference: image.as_str()?.trim().to_string(),
                file: file.to_path_buf(),
                line: image.location().0,
                service: name.as_str().unwrap_or_default().to_string(),
                built: field(service, "build", 0).is_some(),
            })
        })
        .collect()
}

/// `node[key]`, following aliases and `<<` merge keys as Compose does (own keys win).
fn field<'d>(node: NodeRef<'d>, key: &str, depth: usize) -> Option<NodeRef<'d>> {
    if depth > MAX_MERGE_DEPTH {
        return None;
    }
    let node = deref(node);
    if let Some(value) = node.get(key) {
        return Some(deref(value));
    }
    let merged = node.get("<<").map(deref)?;
    if merged.is_sequence() {
        merged.items().find_map(|item| field(item, key, depth + 1))
    } else {
        field(merged, key, depth + 1)
    }
}

fn deref(node: NodeRef<'_>) -> NodeRef<'_> {
    node.resolve_alias().unwrap_or(node)
}

/// Decides and performs the work for each distinct reference, keyed by reference.
fn pin_images(
    setup: &Setup,
    uses: &[ImageUse],
    lock: &Lockfile,
    update: bool,
) -> BTreeMap<String, Outcome> {
    let mut outcomes = BTreeMap::new();
    let mut to_resolve: Vec<(String, ImageRef)> = Vec::new();
    for image in uses {
        if outcomes.contains_key(&image.reference)
            || to_resolve.iter().any(|(r, _)| *r == image.reference)
        {
            continue;
        }
        match classify(image, lock, update) {
            Ok(parsed) => to_resolve.push((image.reference.clone(), parsed)),
            Err(outcome) => {
                outcomes.insert(image.reference.clone(), *outcome);
            }
        }
    }
    if to_resolve.is_empty() {
        return outcomes;
    }
    let client = Client::new(setup.options.clone(), DockerCredentials::load());
    let images: Vec<ImageRef> = to_resolve.iter().map(|(_, image)| image.clone()).collect();
    let now = rfc3339_utc(SystemTime::now());
    for ((reference, image), result) in
        to_resolve
            .into_iter()
            .zip(resolve_all(&client, &images, &setup.floating_tags))
    {
        let outcome = outcome_of(&image, result, lock.get(&reference), &now);
        outcomes.insert(reference, outcome);
    }
    outcomes
}

/// A reference to resolve, or why it is not resolved.
fn classify(image: &ImageUse, lock: &Lockfile, update: bool) -> Result<ImageRef, Box<Outcome>> {
    if image.built {
        return Err(Box::new(Outcome::Skipped(format!(
            "service `{}` is built locally (`build:`)",
            image.service
        ))));
    }
    if image.reference.contains('$') {
        return Err(Box::new(Outcome::Skipped(
            "contains a variable; pin the value it takes instead".into(),
        )));
    }
    let parsed =
        ImageRef::parse(&image.reference).map_err(|e| Box::new(Outcome::Failed(e.to_string())))?;
    if parsed.digest.is_some() {
        return Err(Box::new(Outcome::Skipped(
            "already pinned to a digest".into(),
        )));
    }
    match lock.get(&image.reference) {
        Some(entry) if !update => Err(Box::new(Outcome::Unchanged {
            entry: entry.clone(),
            why: "already in the lock; `--update` refreshes it",
        })),
        _ => Ok(parsed),
    }
}

fn outcome_of(
    image: &ImageRef,
    result: Result<Resolution, RegistryError>,
    previous: Option<&LockEntry>,
    now: &str,
) -> Outcome {
    let resolution = match result {
        Ok(resolution) => resolution,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let entry = LockEntry {
        resolved: image.pinned(Some(&resolution.tag), &resolution.digest),
        tag: Some(resolution.tag),
        digest: resolution.digest,
        registry: resolution.registry,
        repository: resolution.repository,
        resolved_at: now.to_string(),
    };
    match previous {
        // Same answer as before: keep the old entry so the lock does not change.
        Some(old)
            if LockEntry {
                resolved_at: old.resolved_at.clone(),
                ..entry.clone()
            } == *old =>
        {
            Outcome::Unchanged {
                entry: old.clone(),
                why: "the registry still serves the same digest",
            }
        }
        _ => Outcome::Resolved {
            entry,
            previous: previous.map(|p| p.resolved.clone()),
            note: resolution.note,
        },
    }
}

fn report(reference: &str, outcome: &Outcome, uses: &[ImageUse], quiet: bool) {
    let place = uses
        .iter()
        .find(|u| u.reference == reference)
        .map(|u| format!("{}:{}", u.file.display(), u.line))
        .unwrap_or_default();
    let line = match outcome {
        Outcome::Resolved {
            entry,
            previous,
            note,
        } => {
            let was = previous
                .as_ref()
                .map(|p| format!(" (was {p})"))
                .unwrap_or_default();
            let note = note
                .as_ref()
                .map(|n| format!("; note: {n}"))
                .unwrap_or_default();
            format!("resolved  {reference} -> {}{was}{note}", entry.resolved)
        }
        Outcome::Unchanged { entry, why } => {
            format!("unchanged {reference} -> {} ({why})", entry.resolved)
        }
        Outcome::Skipped(note) => format!("skipped   {reference}: {note}"),
        Outcome::Failed(reason) => {
            eprintln!("failed    {reference} ({place}): {reason}");
            return;
        }
    };
    if !quiet {
        eprintln!("{line}");
    }
}

fn summary(outcomes: &BTreeMap<String, Outcome>, wrote: Option<&PathBuf>) -> String {
    let count = |f: fn(&Outcome) -> bool| outcomes.values().filter(|o| f(o)).count();
    let resolved = count(|o| matches!(o, Outcome::Resolved { .. }));
    let unchanged = count(|o| matches!(o, Outcome::Unchanged { .. }));
    let skipped = count(|o| matches!(o, Outcome::Skipped(_)));
    let failed = count(|o| matches!(o, Outcome::Failed(_)));
    let written = match wrote {
        Some(path) => format!("; wrote {}", path.display()),
        None => "; lock file unchanged".to_string(),
    };
    format!(
        "{} images: {resolved} resolved, {unchanged} unchanged, {skipped} skipped, {failed} failed{written}",
        outcomes.len()
    )
}

/// Writes the lock (temp file + rename) when its content changed; whether it wrote.
fn write_lock(path: &Path, before: &Lockfile, after: &Lockfile) -> Result<bool, String> {
    if before == after && (path.exists() || after.images.is_empty()) {
        return Ok(false);
    }
    let mut transaction = Transaction::new();
    transaction.write(PlannedWrite {
        path: path.to_path_buf(),
        contents: after.render(),
        mode: Some(0o644),
        expect_modified: None,
    });
    transaction
        .commit()
        .map(|_| true)
        .map_err(|e| format!("cannot write the lock file: {e}"))
}

/// `2026-11-22T21:00:00Z`: the time in UTC, to the second (RFC 3339).
fn rfc3339_utc(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(1_795_381_200)),
            "2026-11-22T21:00:00Z"
        );
    }

    #[test]
    fn validates_registry_options() {
        assert_eq!(
            validate_insecure("LocalHost:5000").as_deref(),
            Ok("localhost:5000")
        );
        assert_eq!(
            validate_insecure("registry.local").as_deref(),
            Ok("registry.local")
        );
        assert!(validate_insecure("http://localhost:5000").is_err());
        assert!(validate_insecure("localhost:port").is_err());
        assert!(validate_insecure("").is_err());
        assert_eq!(
            validate_mirror("https://mirror.gcr.io/").as_deref(),
            Ok("https://mirror.gcr.io")
        );
        assert!(validate_mirror("mirror.gcr.io").is_err());
    }

    #[test]
    fn reads_images_through_merge_keys() {
        let text = "x-base: &base\n  image: postgres:16\nx-built: &built\n  build: .\nservices:\n  db:\n    <<: *base\n  app:\n    <<: [*built]\n    image: app:dev\n  web:\n    <<: *base\n    image: nginx\n  none:\n    command: x\n";
        let document = crate::document::Document::parse(text).unwrap();
        let uses = images_in(&document, Path::new("compose.yaml"));
        let found: Vec<(&str, &str, bool)> = uses
            .iter()
            .map(|u| (u.service.as_str(), u.reference.as_str(), u.built))
            .collect();
        assert_eq!(
            found,
            [
                ("db", "postgres:16", false),
                ("app", "app:dev", true),
                ("web", "nginx", false)
            ]
        );
        assert_eq!(uses[2].line, 13);
    }

    #[test]
    fn unchanged_resolution_keeps_the_old_entry() {
        let image = ImageRef::parse("postgres:16.4").unwrap();
        let resolution = || Resolution {
            tag: "16.4".into(),
            digest: "sha256:aa".into(),
            registry: "registry-1.docker.io".into(),
            repository: "library/postgres".into(),
            note: None,
        };
        let old = LockEntry {
            resolved: "postgres:16.4@sha256:aa".into(),
            tag: Some("16.4".into()),
            digest: "sha256:aa".into(),
            registry: "registry-1.docker.io".into(),
            repository: "library/postgres".into(),
            resolved_at: "2020-01-01T00:00:00Z".into(),
        };
        assert!(
            matches!(outcome_of(&image, Ok(resolution()), Some(&old), "now"), Outcome::Unchanged { entry, .. } if entry == old)
        );
        let moved = LockEntry {
            digest: "sha256:bb".into(),
            ..old.clone()
        };
        assert!(
            matches!(outcome_of(&image, Ok(resolution()), Some(&moved), "now"), Outcome::Resolved { entry, .. } if entry.resolved_at == "now" && entry.digest == "sha256:aa")
        );
    }
}
