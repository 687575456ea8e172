//! The release command as both front ends run it: `cargo xtask release`
//! (the `xtask`/`cargo-carto` binary) and `git carto release` share these
//! flags and this printing, so the two can never drift apart.

use crate::error::Result;
use crate::repo::fork::Fork;
use crate::repo::tag::{parse_upstream_arg, Bump};
use crate::term::output::{print_json, Style};

/// Tag, notes, GitHub release and images for one release.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// patch, minor, major (auto: with the commit rules).
    #[arg(value_parser = ["patch", "minor", "major", "auto"])]
    pub bump: String,
    /// Upstream version X.Y.Z (checked against the ancestry and version file).
    #[arg(long)]
    pub upstream: Option<String>,
    /// Release this revision instead of the checked-out production branch.
    #[arg(long = "ref", value_name = "rev")]
    pub reference: Option<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Allow an upstream version below one already released from this branch.
    #[arg(long)]
    pub force: bool,
    /// Build the release image from the tag instead of promoting CI's image.
    #[arg(long, conflicts_with = "no_images")]
    pub rebuild: bool,
    /// Leave images alone.
    #[arg(long)]
    pub no_images: bool,
    /// Print the plan (and, after a run, each step's result) as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Plan, print, and (unless `--dry-run`) run one release.
pub fn run(fork: &Fork, a: Args) -> Result<()> {
    let style = Style::detect(Some(&fork.git.repo));
    let opts = super::Options {
        bump: Bump::parse(&a.bump)?,
        upstream: a.upstream.as_deref().map(parse_upstream_arg).transpose()?,
        reference: a.reference,
        force: a.force,
        rebuild: a.rebuild,
        no_images: a.no_images,
    };
    let json = a.json;
    let mut plan = super::plan(fork, &opts)?;
    if let Some(w) = &plan.warning {
        crate::term::output::write_stderr(&format!("warning: {w}\n"));
    }
    if a.dry_run {
        if json {
            print_json(&plan)?;
        } else {
            crate::out!("{}", super::render(&plan, style))?;
            crate::outln!("\nDry run: nothing was changed.")?;
        }
        return Ok(());
    }
    if !json {
        crate::out!("{}", super::render(&plan, style))?;
        crate::outln!("\nRunning:")?;
    }
    let result = super::run(fork, &mut plan, &mut |step| {
        if !json {
            // A progress line that cannot be written does not stop the release.
            let _ = crate::outln!(
                "  {} {:<15} {}",
                super::mark(step.state, style),
                step.name,
                step.result.as_deref().unwrap_or(&step.detail)
            );
        }
    });
    if json {
        print_json(&plan)?;
    }
    result?;
    if !json {
        crate::outln!("\nReleased {}.", plan.tag)?;
    }
    Ok(())
}
