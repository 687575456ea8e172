use git_carto::error::Result;
use git_carto::guard::auto_bump;
use git_carto::repo::next_tag;
use git_carto::repo::tag::{parse_upstream_arg, Bump};
use git_carto::term::output::print_json;

use super::Global;

/// Print the next release tag.
#[derive(clap::Args)]
pub struct Args {
    /// patch, minor, major or auto.
    #[arg(default_value = "patch", value_parser = ["patch", "minor", "major", "auto"])]
    bump: String,
    /// Upstream version X.Y.Z (checked against the ancestry and version file).
    #[arg(long)]
    upstream: Option<String>,
    /// The commit being released.
    #[arg(long, default_value = "HEAD")]
    at: String,
    /// Allow an upstream version below one already released from this branch.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let bump = Bump::parse(&a.bump)?;
    let upstream = a.upstream.as_deref().map(parse_upstream_arg).transpose()?;
    let fork = g.open()?;
    let req = next_tag::Request {
        bump,
        upstream,
        at: a.at,
        force: a.force,
    };
    let next = next_tag::next_tag(fork, &req, Some(&auto_bump::auto_bump))?;
    if let Some(w) = &next.warning {
        git_carto::term::output::write_stderr(&format!("warning: {w}\n"));
    }
    if a.json {
        print_json(&next)?;
    } else {
        git_carto::outln!("{}", next.tag)?;
    }
    Ok(0)
}
