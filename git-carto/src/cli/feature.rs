use git_carto::branch::feature;
use git_carto::error::Result;

use super::Global;

/// Create feature/<name> from an up-to-date production branch and switch to it.
#[derive(clap::Args)]
pub struct Args {
    /// Name of the feature (the branch is <featurePrefix><name>).
    name: String,
    /// Take uncommitted changes along instead of refusing.
    #[arg(long)]
    carry: bool,
    /// Do not fetch origin first.
    #[arg(long)]
    no_fetch: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let opts = feature::Options {
        carry: a.carry,
        no_fetch: a.no_fetch,
    };
    let branch = feature::feature(fork, &a.name, &opts)?;
    if !g.quiet {
        eprintln!(
            "Switched to a new branch '{branch}' from {}",
            fork.config.production()
        );
    }
    Ok(0)
}
