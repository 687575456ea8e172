use git_carto::branch::prune;
use git_carto::error::Result;
use git_carto::term::output::print_json;

use super::Global;

/// Delete feature branches already merged into production.
#[derive(clap::Args)]
pub struct Args {
    /// List what would be deleted, delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also delete merged feature branches on origin.
    #[arg(long)]
    remote: bool,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let p = prune::prune(fork, a.remote, a.dry_run)?;
    if a.json {
        print_json(&p)?;
    } else if !g.quiet {
        let verb = if a.dry_run { "Would delete" } else { "Deleted" };
        if p.local.is_empty() && p.remote.is_empty() {
            git_carto::outln!("No merged feature branches.")?;
        }
        for b in &p.local {
            git_carto::outln!("{verb} branch {b}")?;
        }
        for b in &p.remote {
            git_carto::outln!("{verb} remote branch {}/{b}", fork.config.origin())?;
        }
    }
    Ok(0)
}
