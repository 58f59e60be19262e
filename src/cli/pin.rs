//! `shipshape pin`: arguments in, progress and a summary out; the work is [`crate::pin`].
//!
//! Exit codes: 0 every image resolved, 1 some failed (the lock still gets the others),
//! 2 bad arguments or unreadable inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::cli::args::PinArgs;
use crate::config::Config;
use crate::lockfile::LOCK_FILE_NAME;
use crate::pin::{ImageUse, Outcome, Settings, collect_images, pin_images, updated_lock};

pub(super) fn run(args: &PinArgs) -> u8 {
    let settings = match settings(args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let collected = collect_images(&args.paths, &settings.policy);
    for error in &collected.errors {
        eprintln!("error: {error}");
    }
    let inputs_ok = collected.errors.is_empty();
    let uses = collected.uses;
    if uses.is_empty() && inputs_ok && !args.quiet {
        eprintln!(
            "warning: no images found (looked for `image:` in the services of compose.yaml, docker-compose.yml and their variants)"
        );
    }
    let outcomes = pin_images(&settings, &uses, &settings.lock, args.update);
    for (reference, outcome) in &outcomes {
        report(reference, outcome, &uses, args.quiet);
    }
    let lock = updated_lock(&settings.lock, &outcomes);
    let wrote = match lock.write_if_changed(&settings.lock_path, &settings.lock) {
        Ok(wrote) => wrote,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    if !args.quiet {
        eprintln!(
            "{}",
            summary(&outcomes, wrote.then_some(settings.lock_path.as_path()))
        );
    }
    let failed = outcomes.values().any(|o| matches!(o, Outcome::Failed(_)));
    if !inputs_ok {
        EXIT_ERROR
    } else if failed {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// The configuration found from the working directory, with the command line's options.
fn settings(args: &PinArgs) -> Result<Settings, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    let config = Config::discover(args.config.as_deref(), args.no_config, &cwd)
        .map_err(|e| e.to_string())?;
    let lock_path = args
        .lock_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(LOCK_FILE_NAME));
    Settings::load(
        &config,
        lock_path,
        &args.insecure_registries,
        args.registry_mirror.as_deref(),
    )
    .map_err(|e| e.to_string())
}

fn report(reference: &str, outcome: &Outcome, uses: &[ImageUse], quiet: bool) {
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
        // Failures are printed even when quiet: they decide the exit code.
        Outcome::Failed(reason) => {
            let place = uses
                .iter()
                .find(|u| u.reference == reference)
                .map(|u| format!("{}:{}", u.file.display(), u.line))
                .unwrap_or_default();
            eprintln!("failed    {reference} ({place}): {reason}");
            return;
        }
    };
    if !quiet {
        eprintln!("{line}");
    }
}

fn summary(outcomes: &BTreeMap<String, Outcome>, wrote: Option<&Path>) -> String {
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
