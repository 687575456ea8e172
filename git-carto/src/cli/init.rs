use git_carto::error::Result;
use git_carto::setup::init;
use git_carto::term::output::{print_json, Style};

use super::Global;

/// Turn a plain clone of a fork into a git-carto fork (running it again changes nothing).
#[derive(clap::Args)]
pub struct Args {
    /// URL of the upstream project (adds and fetches the upstream remote).
    #[arg(long, value_name = "url")]
    upstream: Option<String>,
    /// Also write CI workflows that run git carto: `github` (GitHub Actions).
    #[arg(long, value_name = "ci", value_parser = ["github"])]
    workflows: Option<String>,
    /// Accept every change without asking.
    #[arg(short, long)]
    yes: bool,
    /// The mirror branch, when it is not origin's `main`.
    #[arg(long, value_name = "branch")]
    mirror: Option<String>,
    /// The production branch, when it is not `carto/main`.
    #[arg(long, value_name = "branch")]
    production: Option<String>,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let dir = g.cwd()?;
    let opts = init::Options {
        upstream: a.upstream,
        workflows: a.workflows.is_some(),
        yes: a.yes,
        mirror: a.mirror,
        production: a.production,
    };
    let report = init::init(&dir, &opts, &mut ask)?;
    if a.json {
        print_json(&report)?;
    } else if !g.quiet {
        let repo = git2::Repository::discover(&dir).ok();
        git_carto::out!("{}", init::render(&report, Style::detect(repo.as_ref())))?;
    }
    Ok(0)
}

/// Ask a yes/no question on the terminal; without one there is nobody to ask.
fn ask(q: &init::Question) -> init::Answer {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return init::Answer::CannotAsk;
    }
    let mut err = std::io::stderr();
    if let Some(diff) = &q.diff {
        let _ = write!(err, "{diff}");
    }
    let _ = write!(err, "{} [y/N] ", q.text);
    let _ = err.flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return init::Answer::CannotAsk;
    }
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => init::Answer::Yes,
        _ => init::Answer::No,
    }
}
