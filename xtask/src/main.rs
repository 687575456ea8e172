//! `cargo xtask`: release automation for a git-carto fork. All logic lives in
//! the git-carto library; each command has its file here (arguments, the call
//! into the library, printing) and this file only dispatches.
//!
//! It acts on the git repository containing the current directory (found the
//! way git finds it) or the one named by `--repo`.
//!
//! The same file is two binaries: `xtask` in this workspace (`cargo xtask`
//! through `.cargo/config.toml`) and `cargo-carto`, installed with the
//! `git-carto` package. A fork's `.cargo/config.toml` (written by `git carto
//! init`) aliases `xtask = "carto"`, so `cargo xtask release ...` works in the
//! fork's own checkout with nothing compiled there.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use git_carto::error::{Error, Result};
use git_carto::Fork;

mod build;
mod images;
mod notes;
mod release;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Release automation for a git-carto fork"
)]
struct Cli {
    /// The repository to act on (default: the one containing the current directory).
    #[arg(long, global = true, value_name = "path")]
    repo: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Release(release::Args),
    Notes(notes::Args),
    Images(images::Args),
    Build(build::Args),
}

fn main() -> ExitCode {
    // cargo runs an external subcommand as `cargo-carto carto <args>`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "carto") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(git_carto::term::output::report_error(&e)),
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = match cli.repo {
        Some(d) => d,
        None => std::env::current_dir()
            .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
    };
    let fork = Fork::open_for_process(&dir)?;
    match cli.command {
        Command::Release(a) => release::run(fork, a),
        Command::Notes(a) => notes::run(fork, a),
        Command::Images(a) => images::run(fork, a),
        Command::Build(a) => build::run(fork, a),
    }
}
