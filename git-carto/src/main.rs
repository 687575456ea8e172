//! The `git-carto` binary: parse arguments, call the library, print.
//! git runs it as `git carto <command>`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use git_carto::config::{Config, KEYS};
use git_carto::error::{Error, Result};
use git_carto::output::{print_json, Style};
use git_carto::tag::{parse_upstream_arg, Bump};
use git_carto::{auto_bump, feature, hooks, lint, next_tag, pre_push, prune, status, Fork};
use git_carto::{completions, doctor, init, manpages, protect};

mod cli_sync;

#[derive(Parser)]
#[command(
    name = "git-carto",
    bin_name = "git carto",
    version,
    about = "Keep a long-running fork of an upstream project healthy"
)]
struct Cli {
    /// Run as if started in <path> (like `git -C`).
    #[arg(short = 'C', global = true, value_name = "path")]
    dir: Option<PathBuf>,
    /// Say more about what is done and skipped.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Print only errors and requested output.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create feature/<name> from an up-to-date production branch and switch to it.
    Feature {
        /// Name of the feature (the branch is <featurePrefix><name>).
        name: String,
        /// Take uncommitted changes along instead of refusing.
        #[arg(long)]
        carry: bool,
        /// Do not fetch origin first.
        #[arg(long)]
        no_fetch: bool,
    },
    /// The fork at a glance.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Delete feature branches already merged into production.
    Prune {
        /// List what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also delete merged feature branches on origin.
        #[arg(long)]
        remote: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print the next release tag.
    NextTag {
        /// patch, minor, major or auto.
        #[arg(default_value = "patch", value_parser = ["patch", "minor", "major", "auto"])]
        bump: String,
        /// Upstream version X.Y.Z (checked against the ancestry and version file).
        #[arg(long)]
        upstream: Option<String>,
        /// The commit being released.
        #[arg(long, default_value = "HEAD")]
        at: String,
        /// Allow an upstream version below one already released from this branch.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Bring the newest upstream stable release into the fork (mirror, sync branch, PR).
    #[command(group(clap::ArgGroup::new("step").args(["resolve", "continue_", "abort", "status"])))]
    Sync(SyncArgs),
    /// Check a sync's result: conflict markers, fork markers, dropped upstream changes, features.
    Verify {
        /// The fork side to compare with (e.g. the pull request's base branch).
        #[arg(long, value_name = "ref")]
        base: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Install, remove or show the commit-msg and pre-push hooks.
    Hooks {
        #[command(subcommand)]
        action: HooksAction,
    },
    /// Run one hook's checks (what the installed hooks call).
    Hook {
        #[command(subcommand)]
        hook: HookName,
    },
    /// Check the commit messages of fork commits over a range (for CI).
    Lint {
        /// A..B, or one revision (its commits not on production).
        /// Default: HEAD's commits not on origin's production branch.
        range: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the effective configuration and where each value comes from.
    #[command(after_help = keys_help())]
    Config {
        #[arg(long)]
        json: bool,
    },
    /// Turn a plain clone of a fork into a git-carto fork (running it again changes nothing).
    Init {
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
        #[arg(long)]
        json: bool,
    },
    /// Check this clone's setup (git, remotes, tags, hooks, config, token) and say how to fix it.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Compare GitHub's branch protection and merge settings with what the process asks for.
    Protect {
        /// Exit 1 when GitHub differs (for a scheduled CI job).
        #[arg(long)]
        check: bool,
        /// Set what differs through the GitHub API (needs admin rights).
        #[arg(long, conflicts_with = "check")]
        apply: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print the completion script for a shell (`git carto <TAB>` completes).
    #[command(after_help = completions::INSTALL_HELP)]
    Completions {
        /// bash, zsh, fish or powershell.
        #[arg(value_parser = completions::SHELLS.to_vec())]
        shell: String,
    },
    /// Write man pages (git-carto.1 and one per command) into a directory.
    #[command(
        after_help = "Then `git help carto` and `man git-carto` work when <dir> is a man1 directory \
                      on the manual path, e.g. ~/.local/share/man/man1."
    )]
    Manpages {
        /// Directory to write the pages into (created if missing).
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct SyncArgs {
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
    /// Say what would be done; change nothing.
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
    /// Walk manual paths even when stdin is not a terminal (scripted answers).
    #[arg(long, conflicts_with = "no_interactive")]
    interactive: bool,
    /// Never walk manual paths, even on a terminal.
    #[arg(long)]
    no_interactive: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum HooksAction {
    /// Write the hooks where git looks for them, keeping any hook already there.
    Install {
        #[arg(long)]
        json: bool,
    },
    /// Remove our hooks and put back what was there before.
    Uninstall {
        #[arg(long)]
        json: bool,
    },
    /// Say which hooks are installed where.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum HookName {
    /// Check a commit message file (Conventional Commits, commit.* config).
    CommitMsg {
        /// The file git passes (.git/COMMIT_EDITMSG).
        file: PathBuf,
    },
    /// Check a push; git's ref lines come on standard input.
    PrePush {
        /// Remote name (or URL when pushing to a URL).
        remote: Option<String>,
        /// Remote URL.
        url: Option<String>,
    },
}

fn keys_help() -> String {
    let mut s = String::from("Keys (in .gitcarto, or `git config carto.<key>`):\n");
    for k in KEYS {
        s.push_str(&format!("  {:<26} {}\n", k.name, k.doc));
    }
    s
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code.exit_code() as u8)
        }
    }
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

fn open(dir: &Option<PathBuf>) -> Result<Fork> {
    let dir = match dir {
        Some(d) => d.clone(),
        None => std::env::current_dir()
            .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
    };
    Fork::open(&dir)
}

fn run(cli: Cli) -> Result<u8> {
    git_carto::output::set_verbosity(if cli.quiet {
        git_carto::output::Verbosity::Quiet
    } else if cli.verbose {
        git_carto::output::Verbosity::Verbose
    } else {
        git_carto::output::Verbosity::Normal
    });
    match cli.command {
        Command::Feature {
            name,
            carry,
            no_fetch,
        } => {
            let fork = open(&cli.dir)?;
            let branch = feature::feature(&fork, &name, &feature::Options { carry, no_fetch })?;
            if !cli.quiet {
                eprintln!(
                    "Switched to a new branch '{branch}' from {}",
                    fork.config.production()
                );
            }
            Ok(0)
        }
        Command::Status { json } => {
            let fork = open(&cli.dir)?;
            let s = status::status(&fork)?;
            if json {
                print_json(&s);
            } else {
                print!(
                    "{}",
                    status::render(&s, Style::detect(Some(&fork.git.repo)))
                );
            }
            Ok(0)
        }
        Command::Prune {
            dry_run,
            remote,
            json,
        } => {
            let fork = open(&cli.dir)?;
            let p = prune::prune(&fork, remote, dry_run)?;
            if json {
                print_json(&p);
            } else if !cli.quiet {
                let verb = if dry_run { "Would delete" } else { "Deleted" };
                if p.local.is_empty() && p.remote.is_empty() {
                    println!("No merged feature branches.");
                }
                for b in &p.local {
                    println!("{verb} branch {b}");
                }
                for b in &p.remote {
                    println!("{verb} remote branch {}/{b}", fork.config.origin());
                }
            }
            Ok(0)
        }
        Command::NextTag {
            bump,
            upstream,
            at,
            force,
            json,
        } => {
            let bump = Bump::parse(&bump)?;
            let upstream = upstream.as_deref().map(parse_upstream_arg).transpose()?;
            let fork = open(&cli.dir)?;
            let req = next_tag::Request {
                bump,
                upstream,
                at,
                force,
            };
            let next = next_tag::next_tag(&fork, &req, Some(&auto_bump::auto_bump))?;
            if json {
                print_json(&next);
            } else {
                println!("{}", next.tag);
            }
            Ok(0)
        }
        Command::Sync(args) => {
            let fork = open(&cli.dir)?;
            cli_sync::run(&fork, args, cli.verbose, cli.quiet)
        }
        Command::Verify { base, json } => {
            let fork = open(&cli.dir)?;
            let v = git_carto::sync::verify::verify_command(&fork, base.as_deref())?;
            if json {
                print_json(&v);
            } else {
                print!(
                    "{}",
                    cli_sync::render_verification(&v, Style::detect(Some(&fork.git.repo)))
                );
            }
            Ok(if v.ok { 0 } else { 1 })
        }
        Command::Hooks { action } => {
            let fork = open(&cli.dir)?;
            let (report, json) = match action {
                HooksAction::Install { json } => (hooks::install(&fork.git)?, json),
                HooksAction::Uninstall { json } => (hooks::uninstall(&fork.git)?, json),
                HooksAction::Status { json } => (hooks::status(&fork.git)?, json),
            };
            if json {
                print_json(&report);
            } else if !cli.quiet {
                print!("{}", render_hooks(&report));
            }
            Ok(0)
        }
        Command::Hook { hook } => {
            let dir = match &cli.dir {
                Some(d) => d.clone(),
                None => std::env::current_dir()
                    .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
            };
            let outcome = match hook {
                HookName::CommitMsg { file } => hooks::commit_msg(&dir, &file)?,
                HookName::PrePush { remote, url } => {
                    let (remote, url, input) = match (remote, pre_push::from_pre_commit_env()) {
                        (None, Some(env)) => env,
                        (Some(remote), _) => {
                            let mut input = String::new();
                            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                                .map_err(|e| Error::usage(format!("cannot read the ref lines: {e}")))?;
                            let url = url.unwrap_or_else(|| remote.clone());
                            (remote, url, input)
                        }
                        (None, None) => {
                            return Err(Error::usage(
                                "usage: git carto hook pre-push <remote> <url> (ref lines on standard input)",
                            ))
                        }
                    };
                    hooks::pre_push(&dir, &remote, &url, input.as_bytes())?
                }
            };
            if let Some(m) = outcome.message {
                eprint!("{m}{}", if m.ends_with('\n') { "" } else { "\n" });
            }
            Ok(outcome.code)
        }
        Command::Lint { range, json } => {
            let fork = open(&cli.dir)?;
            let report = lint::lint(&fork, range.as_deref())?;
            if json {
                print_json(&report);
            } else if !cli.quiet || !report.ok {
                print!("{}", lint::render(&report));
            }
            Ok(if report.ok { 0 } else { 1 })
        }
        Command::Config { json } => {
            let fork = open(&cli.dir);
            let config = match fork {
                Ok(f) => f.config,
                // Outside a repository the defaults still tell the user something.
                Err(e)
                    if e.code == git_carto::error::Code::Usage
                        && e.message().starts_with("not a git repository") =>
                {
                    Config::defaults()
                }
                Err(e) => return Err(e),
            };
            if json {
                let map: serde_json::Map<String, serde_json::Value> = config
                    .entries()
                    .map(|(k, v)| (k.to_string(), serde_json::to_value(v).unwrap_or_default()))
                    .collect();
                print_json(&map);
            } else {
                for (k, v) in config.entries() {
                    println!("{k} = {}    ({})", v.values.join(", "), v.source);
                }
            }
            Ok(0)
        }
        Command::Init {
            upstream,
            workflows,
            yes,
            mirror,
            production,
            json,
        } => {
            let dir = match &cli.dir {
                Some(d) => d.clone(),
                None => std::env::current_dir()
                    .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
            };
            let opts = init::Options {
                upstream,
                workflows: workflows.is_some(),
                yes,
                mirror,
                production,
            };
            let report = init::init(&dir, &opts, &mut ask)?;
            if json {
                print_json(&report);
            } else if !cli.quiet {
                let repo = git2::Repository::discover(&dir).ok();
                print!("{}", init::render(&report, Style::detect(repo.as_ref())));
            }
            Ok(0)
        }
        Command::Doctor { json } => {
            let dir = match &cli.dir {
                Some(d) => d.clone(),
                None => std::env::current_dir()
                    .map_err(|e| Error::usage(format!("no current directory: {e}")))?,
            };
            let report = doctor::doctor(&dir);
            if json {
                print_json(&report);
            } else {
                let repo = git2::Repository::discover(&dir).ok();
                print!(
                    "{}",
                    doctor::render(&report, Style::detect(repo.as_ref()), cli.quiet)
                );
            }
            Ok(u8::from(!report.ok))
        }
        Command::Protect { check, apply, json } => {
            let fork = open(&cli.dir)?;
            let gh = git_carto::github::GitHub::from_env()?;
            let mode = if apply {
                protect::Mode::Apply
            } else if check {
                protect::Mode::Check
            } else {
                protect::Mode::Show
            };
            let report = protect::protect(&fork, &gh, mode)?;
            if json {
                print_json(&report);
            } else if !cli.quiet || report.drift {
                print!(
                    "{}",
                    protect::render(&report, Style::detect(Some(&fork.git.repo)))
                );
            }
            Ok(u8::from(report.drift && mode != protect::Mode::Show))
        }
        Command::Completions { shell } => {
            print!("{}", completions::script(Cli::command(), &shell)?);
            Ok(0)
        }
        Command::Manpages { dir } => {
            let dir = match &cli.dir {
                Some(base) if dir.is_relative() => base.join(dir),
                _ => dir,
            };
            for page in manpages::write(Cli::command(), &dir)? {
                if !cli.quiet {
                    println!("{}", page.display());
                }
            }
            Ok(0)
        }
    }
}

fn render_hooks(r: &hooks::HooksReport) -> String {
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
