use git_carto::error::Result;
use git_carto::release::{self, notes};
use git_carto::term::output::print_json;
use git_carto::Fork;

/// Release notes of a range: A..B, A.., a release tag, or (default) since the last release.
#[derive(clap::Args)]
pub struct Args {
    range: Option<String>,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(fork: &Fork, a: Args) -> Result<()> {
    let range = notes::resolve_range(fork, a.range.as_deref())?;
    let n = notes::notes(fork, &range, &release::links(fork))?;
    if a.json {
        print_json(&n)?;
    } else {
        git_carto::out!("{}", n.markdown)?;
    }
    Ok(())
}
