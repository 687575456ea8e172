//! `git carto sync`: pick the step, decide whether to walk interactively, print.

use std::io::IsTerminal;

use git_carto::error::Result;
use git_carto::sync::{self, render, walk};
use git_carto::term::output::{print_json, Style};

use super::Global;

/// Bring the newest upstream stable release into the fork (mirror, sync branch, PR).
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("step").args(["resolve", "continue_", "abort", "status"])))]
pub struct Args {
    /// Sync this upstream stable tag instead of the newest.
    #[arg(long, value_name = "tag")]
    tag: Option<String>,
    /// Apply the automatic policies, then walk the manual paths on a terminal.
    #[arg(long)]
    resolve: bool,
    /// Verify and commit the sync once nothing is unmerged.
    #[arg(long = "continue")]
    continue_: bool,
    /// Put every branch and the working tree back as before the sync.
    #[arg(long)]
    abort: bool,
    /// Show what is resolved, by which policy, and what is left.
    #[arg(long)]
    status: bool,
    /// Keep everything local: push neither the mirror nor the sync branch.
    #[arg(long)]
    no_push: bool,
    /// Merge what the last fetch brought: fetch neither upstream nor origin
    /// first (and with --dry-run, read the fetched tags, not `ls-remote`).
    /// Pushes are still never forced, so a push origin moved under is refused.
    #[arg(long, conflicts_with_all = ["resolve", "continue_", "abort", "status"])]
    no_fetch: bool,
    /// Say what would be done and forecast the production merge in memory
    /// (base, conflicts, policies, what needs a person); change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Open (or update) the sync pull request into production.
    #[arg(long, conflicts_with = "no_push")]
    pr: bool,
    /// Close an open sync pull request for another release in favour of this one.
    #[arg(long, requires = "pr")]
    supersede: bool,
    /// With --continue: commit despite verification findings other than conflict markers.
    #[arg(long, requires = "continue_")]
    accept_findings: bool,
    /// Merge production against this upstream commit instead of the base carto
    /// chooses (the release production really contains; see the report).
    #[arg(long, value_name = "rev", conflicts_with_all = ["resolve", "continue_", "abort", "status"])]
    base: Option<String>,
    /// With --dry-run: forecast as if production were at this commit (a pull
    /// request's head: "this change will conflict with upstream in these paths").
    #[arg(long, value_name = "rev", requires = "dry_run")]
    at: Option<String>,
    /// Run `resolve.regenerate` (e.g. the UI build) before committing the
    /// merge and commit the artifact paths it rebuilt (also with --continue).
    #[arg(long, conflicts_with_all = ["resolve", "abort", "status", "dry_run"])]
    regenerate: bool,
    /// Walk manual paths even when stdin is not a terminal (scripted answers).
    #[arg(long, conflicts_with = "no_interactive")]
    interactive: bool,
    /// Never walk manual paths, even on a terminal.
    #[arg(long)]
    no_interactive: bool,
    /// Print the result as JSON (fields: docs/json.md).
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = &g.open()?;
    let (verbose, quiet) = (g.verbose, g.quiet);
    let style = Style::detect(Some(&fork.git.repo));
    let json = a.json;
    let mut progress = |m: &str| {
        if !quiet && !json {
            git_carto::term::output::write_stderr(&format!("{m}\n"));
        }
    };
    if a.status {
        let s = sync::status_cmd(fork)?;
        if json {
            print_json(&s)?;
        } else {
            git_carto::out!("{}", render::status(&s, style))?;
        }
        return Ok(0);
    }
    if a.abort {
        let out = sync::abort_cmd(fork)?;
        if json {
            print_json(&out)?;
        } else if !quiet {
            git_carto::out!("{}", render::aborted(&out))?;
        }
        return Ok(0);
    }
    if a.continue_ {
        let out = sync::continue_cmd(fork, a.accept_findings, a.regenerate, &mut progress)?;
        return finish(&out, json, quiet, verbose, style);
    }
    if a.resolve {
        let interactive = a.interactive
            || (!a.no_interactive
                && !json
                && std::io::stdin().is_terminal()
                && std::io::stdout().is_terminal());
        let out = if interactive {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut stdout = std::io::stdout();
            let mut w = walk::Walk {
                input: &mut input,
                out: &mut stdout,
                style,
            };
            sync::resolve_cmd(fork, Some(&mut w))?
        } else {
            sync::resolve_cmd(fork, None)?
        };
        if json {
            print_json(&out)?;
        } else if !quiet || !out.left.is_empty() {
            git_carto::out!("{}", render::resolved(&out, style))?;
        }
        return Ok(if out.left.is_empty() { 0 } else { 1 });
    }
    if a.no_fetch {
        if let Some(age) = super::stale_fetch(fork) {
            progress(&format!(
                "As of the last fetch, {age} ago: without --no-fetch the sync fetches first."
            ));
        }
    }
    let opts = sync::Options {
        tag: a.tag,
        push: !a.no_push,
        fetch: !a.no_fetch,
        dry_run: a.dry_run,
        pr: a.pr,
        supersede: a.supersede,
        base: a.base,
        regenerate: a.regenerate,
        at: a.at,
    };
    let out = sync::start(fork, &opts, &mut progress)?;
    finish(&out, json, quiet, verbose, style)
}

fn finish(out: &sync::Synced, json: bool, quiet: bool, verbose: bool, style: Style) -> Result<u8> {
    if json {
        print_json(out)?;
    } else if !quiet || out.outcome == "stopped" {
        git_carto::out!("{}", render::synced(out, style, verbose))?;
    }
    Ok(if out.outcome == "stopped" { 1 } else { 0 })
}
