use git_carto::error::Result;
use git_carto::guard::hooks;
use git_carto::term::output::print_json;

use super::Global;

/// Install, remove or show the commit-msg and pre-push hooks.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Write the hooks where git looks for them, keeping any hook already there.
    Install {
        /// Print the result as JSON (fields: docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Remove our hooks and put back what was there before.
    Uninstall {
        /// Print the result as JSON (fields: docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Say which hooks are installed where.
    Status {
        /// Print the result as JSON (fields: docs/json.md).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let fork = g.open()?;
    let (report, json) = match a.action {
        Action::Install { json } => (hooks::install(&fork.git)?, json),
        Action::Uninstall { json } => (hooks::uninstall(&fork.git)?, json),
        Action::Status { json } => (hooks::status(&fork.git)?, json),
    };
    if json {
        print_json(&report)?;
    } else if !g.quiet {
        git_carto::out!("{}", render(&report))?;
    }
    Ok(0)
}

fn render(r: &hooks::HooksReport) -> String {
    let mut s = format!("Hooks directory: {}", r.dir);
    if let Some(p) = &r.hooks_path {
        s.push_str(&format!(" (core.hooksPath = {p})"));
    }
    s.push('\n');
    if r.shared {
        s.push_str("note: this directory is outside the repository: its hooks apply to every repository that uses it\n");
    }
    for h in &r.hooks {
        let state = match h.state {
            hooks::State::Installed => "installed",
            hooks::State::Outdated => "installed (outdated: run `git carto hooks install`)",
            hooks::State::Foreign => "another hook (not git carto's)",
            hooks::State::Missing => "not installed",
        };
        s.push_str(&format!(
            "  {:<11} {}",
            h.name,
            h.action.as_deref().unwrap_or(state)
        ));
        if let Some(c) = &h.chained {
            if h.action.is_none() {
                s.push_str(&format!("; runs {c} first"));
            }
        }
        s.push('\n');
    }
    s
}
