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

/// Remote-tracking refs older than this get an "as of the last fetch" note.
const STALE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

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
        let age = fork
            .git
            .last_fetch()
            .and_then(|t| t.elapsed().ok())
            .filter(|age| *age > STALE);
        if let Some(age) = age {
            git_carto::outln!(
                "\nAs of the last fetch, {} ago: `git carto status --fetch` fetches first.",
                ago(age)
            )?;
        }
    }
    Ok(0)
}

fn ago(age: std::time::Duration) -> String {
    let hours = age.as_secs() / 3600;
    match hours / 24 {
        0 => format!("{hours} hours"),
        1 => "1 day".to_string(),
        days => format!("{days} days"),
    }
}
