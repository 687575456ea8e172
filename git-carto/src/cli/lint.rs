use git_carto::error::Result;
use git_carto::guard::lint;
use git_carto::term::output::print_json;

use super::Global;

/// Check the commit messages of fork commits over a range (for CI).
#[derive(clap::Args)]
pub struct Args {
    /// A..B, or one revision (its commits not on production).
    /// Default: HEAD's commits not on origin's production branch.
    range: Option<String>,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let report = lint::lint(fork, a.range.as_deref())?;
    if a.json {
        print_json(&report)?;
    } else if !g.quiet || !report.ok {
        git_carto::out!("{}", lint::render(&report))?;
    }
    Ok(if report.ok { 0 } else { 1 })
}
