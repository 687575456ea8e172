use git_carto::error::Result;
use git_carto::sync::{render, verify};
use git_carto::term::output::{print_json, Style};

use super::Global;

/// Check a sync's result: conflict markers, fork markers, dropped upstream changes, features.
#[derive(clap::Args)]
pub struct Args {
    /// The fork side to compare with (e.g. the pull request's base branch).
    #[arg(long, value_name = "ref")]
    base: Option<String>,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let v = verify::verify_command(fork, a.base.as_deref())?;
    if a.json {
        print_json(&v)?;
    } else {
        git_carto::out!(
            "{}",
            render::verification(&v, Style::detect(Some(&fork.git.repo)))
        )?;
    }
    Ok(if v.ok { 0 } else { 1 })
}
