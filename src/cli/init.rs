//! `shipshape init`: runs `check` without any config and writes the baseline
//! ([`crate::baseline`]); refuses to overwrite a config unless `--force`.

use std::io::Write;

use super::args::{CommonArgs, InitArgs};
use super::check::{prepare, run_pipeline};
use super::{EXIT_CLEAN, EXIT_ERROR};

pub(super) fn run(args: &InitArgs) -> u8 {
    // Today's findings under the packs asked for, ignoring any config (it is being replaced).
    let common = CommonArgs {
        paths: args.paths.clone(),
        policies: args.policies.clone(),
        no_config: true,
        quiet: true,
        ..CommonArgs::default()
    };
    let prepared = match prepare(&common, true, true) {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let reports = run_pipeline(&prepared, true);
    let unreadable: Vec<_> = reports.iter().filter_map(|r| r.error.as_ref()).collect();
    for error in &unreadable {
        eprintln!("error: {error} (not baselined)");
    }
    let written = crate::baseline::baseline(&reports, &args.config, &args.policies);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        // Refused atomically: nothing is overwritten even if the file appears meanwhile.
        options.create_new(true);
    }
    let result = options
        .open(&args.config)
        .and_then(|mut file| file.write_all(written.text.as_bytes()));
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            eprintln!(
                "error: {} exists; `shipshape init --force` replaces it (its settings are lost)",
                args.config.display()
            );
        } else {
            eprintln!("error: {}: cannot write: {e}", args.config.display());
        }
        return EXIT_ERROR;
    }
    if !args.quiet {
        eprintln!(
            "wrote {}: {} ignores for {} findings in {} files; `shipshape check` now fails only on new findings",
            args.config.display(),
            written.entries,
            written.findings,
            reports.len()
        );
    }
    if prepared.fatal || !unreadable.is_empty() {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    }
}
