use git_carto::error::Result;
use git_carto::remote::github::GitHub;
use git_carto::setup::protect;
use git_carto::term::output::{print_json, Style};

use super::Global;

/// Compare GitHub's branch protection and merge settings with what the process asks for,
/// and check that GitHub will run the generated workflows (default branch, Actions settings).
#[derive(clap::Args)]
pub struct Args {
    /// Exit 1 when GitHub differs or the workflows cannot work (for a scheduled CI job).
    #[arg(long)]
    check: bool,
    /// Set what differs through the GitHub API (needs admin rights).
    #[arg(long, conflicts_with = "check")]
    apply: bool,
    /// Print the settings, their drift and the Actions checks as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let gh = GitHub::from_env()?;
    let mode = if a.apply {
        protect::Mode::Apply
    } else if a.check {
        protect::Mode::Check
    } else {
        protect::Mode::Show
    };
    let report = protect::protect(fork, &gh, mode)?;
    if a.json {
        print_json(&report)?;
    } else if !g.quiet || report.drift || !report.ci_ready {
        git_carto::out!(
            "{}",
            protect::render(&report, Style::detect(Some(&fork.git.repo)))
        )?;
    }
    let problems = report.drift || !report.ci_ready;
    Ok(u8::from(problems && mode != protect::Mode::Show))
}
