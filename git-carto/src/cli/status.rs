use git_carto::branch::status;
use git_carto::error::Result;
use git_carto::term::output::{print_json, Style};

use super::Global;

/// The fork at a glance.
#[derive(clap::Args)]
pub struct Args {
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let s = status::status(&fork)?;
    if a.json {
        print_json(&s)?;
    } else {
        git_carto::out!(
            "{}",
            status::render(&s, Style::detect(Some(&fork.git.repo)))
        )?;
    }
    Ok(0)
}
