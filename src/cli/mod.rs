//! The `shipshape` binary's commands. Each command parses its options, calls the pipeline,
//! and prints through `report`; exit codes: 0 clean, 1 findings, 2 could not do the job.

pub mod args;
mod check;
mod fix;
mod init;
mod man;
mod output;
mod pin;
mod rules;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, ColorChoice, Command, CommonArgs};

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            return ExitCode::from(code);
        }
    };
    let code = match &cli.command {
        Command::Check(args) => check::run_check(args),
        Command::Validate(args) => check::run_validate(args),
        Command::Fix(args) => fix::run(args),
        Command::Rules(args) => rules::list(args),
        Command::Rule { id } => rules::show(id),
        Command::Pin(args) => pin::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions { shell } => man::completions(*shell),
        Command::Man { command } => man::man_page(command.as_deref()),
    };
    ExitCode::from(code)
}

/// Whether to color stdout: `--color`, then `NO_COLOR`, then whether stdout is a terminal.
pub fn use_color(common: &CommonArgs) -> bool {
    match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
