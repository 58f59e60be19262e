//! `shipshape completions <shell>` and `shipshape man`: generated from the argument
//! definitions (clap_complete, clap_mangen), so they never drift from the real options.

use clap::CommandFactory;

use super::args::Cli;
use super::{EXIT_CLEAN, EXIT_ERROR};

pub(super) fn completions(shell: clap_complete::Shell) -> u8 {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "shipshape", &mut std::io::stdout());
    EXIT_CLEAN
}

/// The man page of `shipshape`, or of one of its commands (`shipshape-check(1)`, ...).
pub(super) fn man_page(command: Option<&str>) -> u8 {
    let root = Cli::command();
    let page = match command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            // The page is rendered once and the process ends: leaking its name is free.
            Some(sub) => {
                let full: &'static str = format!("shipshape-{name}").leak();
                sub.clone().name(full).bin_name(format!("shipshape {name}"))
            }
            None => {
                eprintln!("error: no command `{name}`; `shipshape --help` lists them");
                return EXIT_ERROR;
            }
        },
    };
    let mut out = Vec::new();
    match clap_mangen::Man::new(page).render(&mut out) {
        Ok(()) => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(&out);
            EXIT_CLEAN
        }
        Err(e) => {
            eprintln!("error: cannot render the man page: {e}");
            EXIT_ERROR
        }
    }
}
