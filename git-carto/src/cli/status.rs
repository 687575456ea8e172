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
    /// Fetch origin and upstream (with tags) first, so the answer is about
    /// the remotes as they are now, not as of the last fetch.
    #[arg(long)]
    fetch: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    if a.fetch {
        use git_carto::error::ResultExt;
        let origin = fork.config.origin();
        fork.git
            .fetch(origin, false)
            .context(format!("fetching {origin}"))?;
        let upstream = fork.config.upstream();
        if fork.git.remote_url(upstream).is_some() {
            fork.git
                .fetch(upstream, true)
                .context(format!("fetching {upstream}"))?;
        }
    }
    let s = status::status(fork)?;
    if a.json {
        print_json(&s)?;
    } else {
        git_carto::out!(
            "{}",
            status::render(&s, Style::detect(Some(&fork.git.repo)))
        )?;
        if let Some(age) = super::stale_fetch(fork) {
            git_carto::outln!(
                "\nAs of the last fetch, {age} ago: `git carto status --fetch` fetches first."
            )?;
        }
    }
    Ok(0)
}
