use git_carto::error::Result;
use git_carto::setup::doctor;
use git_carto::term::output::{print_json, Style};

use super::Global;

/// Check this clone's setup (git, remotes, tags, hooks, config, token) and say how to fix it.
#[derive(clap::Args)]
pub struct Args {
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let dir = g.cwd()?;
    let report = doctor::doctor(&dir);
    if a.json {
        print_json(&report)?;
    } else {
        let repo = git2::Repository::discover(&dir).ok();
        git_carto::out!(
            "{}",
            doctor::render(&report, Style::detect(repo.as_ref()), g.quiet)
        )?;
    }
    Ok(u8::from(!report.ok))
}
