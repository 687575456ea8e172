//! `git carto sync` and `git carto verify` front end: pick the step, decide
//! whether to walk interactively, print.

use std::io::IsTerminal;

use git_carto::error::Result;
use git_carto::output::{print_json, Style};
use git_carto::sync::{self, render, walk};
use git_carto::Fork;

use crate::SyncArgs;

pub fn run(fork: &Fork, a: SyncArgs, verbose: bool, quiet: bool) -> Result<u8> {
    let style = Style::detect(Some(&fork.git.repo));
    let json = a.json;
    let mut progress = |m: &str| {
        if !quiet && !json {
            eprintln!("{m}");
        }
    };
    if a.status {
        let s = sync::status_cmd(fork)?;
        if json {
            print_json(&s);
        } else {
            print!("{}", render::status(&s, style));
        }
        return Ok(0);
    }
    if a.abort {
        let out = sync::abort_cmd(fork)?;
        if json {
            print_json(&out);
        } else if !quiet {
            print!("{}", render::aborted(&out));
        }
        return Ok(0);
    }
    if a.continue_ {
        let out = sync::continue_cmd(fork, a.accept_findings, &mut progress)?;
        return Ok(finish(&out, json, quiet, verbose, style));
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
            print_json(&out);
        } else if !quiet || !out.left.is_empty() {
            print!("{}", render::resolved(&out, style));
        }
        return Ok(if out.left.is_empty() { 0 } else { 1 });
    }
    let opts = sync::Options {
        tag: a.tag,
        push: !a.no_push,
        dry_run: a.dry_run,
        pr: a.pr,
        supersede: a.supersede,
    };
    let out = sync::start(fork, &opts, &mut progress)?;
    Ok(finish(&out, json, quiet, verbose, style))
}

fn finish(out: &sync::Synced, json: bool, quiet: bool, verbose: bool, style: Style) -> u8 {
    if json {
        print_json(out);
    } else if !quiet || out.outcome == "stopped" {
        print!("{}", render::synced(out, style, verbose));
    }
    if out.outcome == "stopped" {
        1
    } else {
        0
    }
}

pub fn render_verification(v: &sync::verify::Verification, style: Style) -> String {
    render::verification(v, style)
}
