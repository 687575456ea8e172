//! `cargo xtask`: release automation for a git-carto fork. All logic lives in
//! the git-carto library; each command has its file here (arguments, the call
//! into the library, printing) and this file only dispatches.
//!
//! It acts on the git repository containing the current directory (found the
//! way git finds it) or the one named by `--repo`, so a fork can vendor this
//! workspace in a subfolder, or CI can check the tool out beside the fork.

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
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", git_carto::term::redact::redact(&e.to_string()));
            ExitCode::from(e.code.exit_code() as u8)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = match cli.repo {
        Some(d) => d,
        None => std::env::current_dir()
            .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
    };
    let fork = Fork::open(&dir)?;
    match cli.command {
        Command::Release(a) => release::run(&fork, a),
        Command::Notes(a) => notes::run(&fork, a),
        Command::Images(a) => images::run(&fork, a),
        Command::Build(a) => build::run(&fork, a),
    }
}
