//! `cargo xtask`: release automation for a git-carto fork. All logic lives in
//! the git-carto library; this binary parses arguments and prints.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Release automation for a git-carto fork"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// (planned) Tag, notes, GitHub release and images for one release.
    Release,
    /// (planned) Release notes for a range.
    Notes,
    /// (planned) The image tag plan of a release tag.
    Images,
    /// (planned) Build the image of HEAD with docker buildx.
    Build,
}

fn main() {
    let cli = Cli::parse();
    let name = match cli.command {
        Command::Release => "release",
        Command::Notes => "notes",
        Command::Images => "images",
        Command::Build => "build",
    };
    eprintln!("error: `cargo xtask {name}` is not built yet");
    std::process::exit(2);
}
