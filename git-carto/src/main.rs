//! The `git-carto` binary: parse the global options and dispatch to the
//! command's file in `cli/`. git runs it as `git carto <command>`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cli;

#[derive(Parser)]
#[command(
    name = "git-carto",
    bin_name = "git carto",
    version,
    about = "Keep a long-running fork of an upstream project healthy"
)]
struct Cli {
    /// Run as if started in <path> (like `git -C`).
    #[arg(short = 'C', global = true, value_name = "path")]
    dir: Option<PathBuf>,
    /// Say more about what is done and skipped.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Print only errors and requested output.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Feature(cli::feature::Args),
    Status(cli::status::Args),
    Prune(cli::prune::Args),
    NextTag(cli::next_tag::Args),
    Sync(cli::sync::Args),
    Verify(cli::verify::Args),
    Hooks(cli::hooks::Args),
    Hook(cli::hook::Args),
    Lint(cli::lint::Args),
    Config(cli::config::Args),
    Init(cli::init::Args),
    Doctor(cli::doctor::Args),
    Protect(cli::protect::Args),
    Release(cli::release::Args),
    Completions(cli::completions::Args),
    Manpages(cli::manpages::Args),
}

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A commit-msg hook installed before `git-carto-commit-msg` existed (or
    // without it) is a link to this binary: see guard/hooks.rs.
    if argv.first().map(|a| std::path::Path::new(a).file_name())
        == Some(Some("commit-msg".as_ref()))
    {
        return ExitCode::from(git_carto::guard::hooks::run_linked_commit_msg(&argv[1..]));
    }
    match run(Cli::parse_from(argv)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => ExitCode::from(git_carto::term::output::report_error(&e)),
    }
}

fn run(cli: Cli) -> git_carto::error::Result<u8> {
    use git_carto::term::output::{set_verbosity, Verbosity};
    set_verbosity(if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    });
    let g = cli::Global {
        dir: cli.dir,
        verbose: cli.verbose,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Feature(a) => cli::feature::run(&g, a),
        Command::Status(a) => cli::status::run(&g, a),
        Command::Prune(a) => cli::prune::run(&g, a),
        Command::NextTag(a) => cli::next_tag::run(&g, a),
        Command::Sync(a) => cli::sync::run(&g, a),
        Command::Verify(a) => cli::verify::run(&g, a),
        Command::Hooks(a) => cli::hooks::run(&g, a),
        Command::Hook(a) => cli::hook::run(&g, a),
        Command::Lint(a) => cli::lint::run(&g, a),
        Command::Config(a) => cli::config::run(&g, a),
        Command::Init(a) => cli::init::run(&g, a),
        Command::Doctor(a) => cli::doctor::run(&g, a),
        Command::Protect(a) => cli::protect::run(&g, a),
        Command::Release(a) => cli::release::run(&g, a),
        Command::Completions(a) => cli::completions::run(a, Cli::command()),
        Command::Manpages(a) => cli::manpages::run(&g, a, Cli::command()),
    }
}
