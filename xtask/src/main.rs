//! `cargo xtask`: release automation for a git-carto fork. All logic lives in
//! the git-carto library; this binary parses arguments and prints.
//!
//! It acts on the git repository containing the current directory (found the
//! way git finds it) or the one named by `--repo`, so a fork can vendor this
//! workspace in a subfolder, or CI can check the tool out beside the fork.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use git_carto::error::{Error, Result};
use git_carto::output::{print_json, Style};
use git_carto::release::{self, build, images, notes};
use git_carto::tag::{parse_upstream_arg, Bump};
use git_carto::Fork;

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
    /// Tag, notes, GitHub release and images for one release.
    Release {
        /// patch, minor, major (auto: with the commit rules).
        #[arg(value_parser = ["patch", "minor", "major", "auto"])]
        bump: String,
        /// Upstream version X.Y.Z (checked against the ancestry and version file).
        #[arg(long)]
        upstream: Option<String>,
        /// Release this revision instead of the checked-out production branch.
        #[arg(long = "ref", value_name = "rev")]
        reference: Option<String>,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow an upstream version below one already released from this branch.
        #[arg(long)]
        force: bool,
        /// Build the release image from the tag instead of promoting CI's image.
        #[arg(long, conflicts_with = "no_images")]
        rebuild: bool,
        /// Leave images alone.
        #[arg(long)]
        no_images: bool,
        #[arg(long)]
        json: bool,
    },
    /// Release notes of a range: A..B, A.., a release tag, or (default) since the last release.
    Notes {
        range: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The image tag plan of a release tag.
    Images {
        tag: String,
        #[arg(long)]
        json: bool,
    },
    /// Build the image of HEAD with docker buildx and the CI tags.
    Build {
        /// Push to the registry (refused with uncommitted changes).
        #[arg(long)]
        push: bool,
        /// Platforms, e.g. linux/amd64,linux/arm64 (default: image.platforms).
        #[arg(long, value_name = "platform")]
        platform: Vec<String>,
        /// Print the exact command and run nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code.exit_code() as u8)
        }
    }
}

fn open(repo: &Option<PathBuf>) -> Result<Fork> {
    let dir = match repo {
        Some(d) => d.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
    };
    Fork::open(&dir)
}

fn run(cli: Cli) -> Result<()> {
    let fork = open(&cli.repo)?;
    let style = Style::detect(Some(&fork.git.repo));
    match cli.command {
        Command::Release {
            bump,
            upstream,
            reference,
            dry_run,
            force,
            rebuild,
            no_images,
            json,
        } => {
            let opts = release::Options {
                bump: Bump::parse(&bump)?,
                upstream: upstream.as_deref().map(parse_upstream_arg).transpose()?,
                reference,
                force,
                rebuild,
                no_images,
            };
            let mut plan = release::plan(&fork, &opts)?;
            if dry_run {
                if json {
                    print_json(&plan);
                } else {
                    print!("{}", release::render(&plan, style));
                    println!("\nDry run: nothing was changed.");
                }
                return Ok(());
            }
            if !json {
                print!("{}", release::render(&plan, style));
                println!("\nRunning:");
            }
            let result = release::run(&fork, &mut plan, &mut |step| {
                if !json {
                    println!(
                        "  {} {:<15} {}",
                        release::mark(step.state, style),
                        step.name,
                        step.result.as_deref().unwrap_or(&step.detail)
                    );
                }
            });
            if json {
                print_json(&plan);
            }
            result?;
            if !json {
                println!("\nReleased {}.", plan.tag);
            }
            Ok(())
        }
        Command::Notes { range, json } => {
            let range = notes::resolve_range(&fork, range.as_deref())?;
            let n = notes::notes(&fork, &range, &release::links(&fork))?;
            if json {
                print_json(&n);
            } else {
                print!("{}", n.markdown);
            }
            Ok(())
        }
        Command::Images { tag, json } => {
            let plan = images::plan_for(&fork, &tag)?;
            if json {
                print_json(&plan);
            } else {
                print!("{}", images::render(&plan));
            }
            Ok(())
        }
        Command::Build {
            push,
            platform,
            dry_run,
            json,
        } => {
            let plan = build::plan(
                &fork,
                &build::Request {
                    push,
                    platforms: platform,
                },
            )?;
            if json {
                print_json(&plan);
            } else {
                println!("{}", plan.latest);
                println!("{}", shell_words(&plan.argv));
            }
            if dry_run {
                return Ok(());
            }
            build::run(&plan)
        }
    }
}

/// The argv as a shell line a user can copy.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
