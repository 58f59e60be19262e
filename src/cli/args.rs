//! The command line: the public contract (commands, options, exit codes).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Make Docker Compose files production-ready, keeping every byte you wrote.
///
/// shipshape validates compose files against the Compose Specification and rewrites them
/// under declarative policies (pinned images, healthchecks, resource limits, secrets out of
/// `environment:`, restart policies), editing only the nodes a rule changes.
///
/// Exit codes: 0 nothing found, 1 findings (or changes with `fix --check`), 2 shipshape
/// could not do its job (bad arguments, unreadable path, file that is not YAML).
#[derive(Debug, Parser)]
#[command(name = "shipshape", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  shipshape check                      # validate and lint every compose file under .\n  shipshape fix compose.yaml           # show the diff the policies ask for\n  shipshape fix --write --unsafe-fixes # apply every fix in place\n  shipshape rule healthcheck           # read a rule's documentation"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report validation errors and policy findings (exit 1 when there are any).
    Check(CheckArgs),
    /// Show the rewrites the policies ask for as a diff; `--write` applies them.
    Fix(FixArgs),
    /// Validate against the Compose Specification and semantic checks only.
    Validate(ValidateArgs),
    /// List every rule: id, pack, fix availability, one line.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Rule {
        /// Rule id, e.g. `healthcheck`.
        id: String,
    },
    /// Resolve image references against their registries and write `shipshape.lock`.
    Pin(PinArgs),
    /// Write a `shipshape.yaml` baseline that suppresses today's findings one by one.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of shipshape or of one command on standard output.
    Man {
        /// A command (`check`, `fix`, ...): its own page, `shipshape-<command>(1)`.
        command: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Sarif,
    Github,
    /// Reviewdog Diagnostic Format, with fixes as suggestions.
    Rdjson,
    /// GitLab Code Quality report.
    Gitlab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Options shared by the commands that read compose files.
#[derive(Debug, Clone, Args, Default)]
pub struct CommonArgs {
    /// Files or directories to process (`-` reads standard input). Default: `.`
    pub paths: Vec<PathBuf>,
    /// A built-in policy pack (`recommended`, `security`, `production`, `legacy`) or a policy file. Repeatable.
    #[arg(long = "policy", value_name = "NAME|FILE")]
    pub policies: Vec<String>,
    /// Only run these rules. Repeatable.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not run these rules. Repeatable.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Use this configuration file instead of the nearest `shipshape.yaml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    pub no_config: bool,
    /// When to use colors (`NO_COLOR` is honoured).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only findings and errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// The file name to report for standard input.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Print secret values instead of `<redacted>` (for local debugging only).
    #[arg(long)]
    pub show_secrets: bool,
    /// Validate the raw text instead of interpolating `${VAR}` first.
    ///
    /// As `docker compose config --no-interpolate` does, only the checks Compose makes while
    /// loading the model run (schema, secret/config sources, external resources, mount and
    /// volume syntax, include and extends): its consistency checks are off in this mode —
    /// undefined networks, volumes, secrets, configs and services, a missing image,
    /// dependency cycles, missing env files, short port syntax, resource limits that
    /// disagree.
    #[arg(long)]
    pub no_interpolate: bool,
    /// Read variables for interpolation from this file (default: the project's `.env`).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Set by `-f`: the paths are one project (not a flag of its own).
    #[arg(skip)]
    pub one_project: bool,
    /// Write the report to FILE instead of standard output (never colored).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

/// The lowest severity that fails `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOn {
    Error,
    #[default]
    Warning,
    Info,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Merge these files into one project, as `docker compose -f A -f B` does: rules see the
    /// services as Compose does, and a missing key is added once, in the file that defines the
    /// service. Repeatable.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Exit 0 even when there are findings (2 still means shipshape could not do its job).
    #[arg(long)]
    pub exit_zero: bool,
    /// The lowest severity that makes `check` exit 1.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Print how many findings each rule has instead of the findings (text or json).
    #[arg(long)]
    pub statistics: bool,
}

#[derive(Debug, Clone, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Merge these files into one project, as `docker compose -f A -f B` does: rules see the
    /// services as Compose does, and a missing key is added once, in the file that defines the
    /// service. Repeatable.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Apply the changes in place instead of printing a diff.
    #[arg(long)]
    pub write: bool,
    /// Exit 1 when there is anything to change (for pull-request checks).
    #[arg(long)]
    pub check: bool,
    /// Also apply fixes that change runtime behaviour or move data (e.g. secret extraction).
    #[arg(long)]
    pub unsafe_fixes: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Merge these files into one project, as `docker compose -f A -f B` does. Repeatable.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Output format (`text` or `json`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Files or directories whose findings to baseline. Default: `.`
    pub paths: Vec<PathBuf>,
    /// A built-in policy pack or a policy file to baseline against (kept in the config). Repeatable.
    #[arg(long = "policy", value_name = "NAME|FILE")]
    pub policies: Vec<String>,
    /// The config file to write.
    #[arg(long, value_name = "FILE", default_value = "shipshape.yaml")]
    pub config: PathBuf,
    /// Overwrite an existing config file.
    #[arg(long)]
    pub force: bool,
    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PinArgs {
    /// Files or directories whose images to resolve. Default: `.`
    pub paths: Vec<PathBuf>,
    /// Refresh entries already in the lock file.
    #[arg(long)]
    pub update: bool,
    /// The lock file to write (default: `shipshape.lock` in the current directory).
    #[arg(long, value_name = "FILE")]
    pub lock_file: Option<PathBuf>,
    /// Allow plain HTTP to this registry (HOST:PORT). Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
    pub insecure_registries: Vec<String>,
    /// Send Docker Hub lookups to this mirror.
    #[arg(long, value_name = "URL")]
    pub registry_mirror: Option<String>,
    /// Use this configuration file instead of the nearest `shipshape.yaml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    pub no_config: bool,
    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,
}
