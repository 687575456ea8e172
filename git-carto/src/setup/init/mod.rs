//! `git carto init`: turn a plain clone of a fork into a git-carto fork.
//!
//! Two phases, so a refusal or a failed network step never leaves a
//! half-changed repository: first everything is read and decided (origin
//! fetched, names resolved, every difference from what is there collected
//! and, where needed, confirmed); then the changes are made, network first,
//! each with an undo that runs if a later step fails. A second run finds
//! everything in place and changes nothing.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::config::{Config, Source, FILE_NAME};
use crate::repo::fork::Fork;
use crate::repo::git::Git;
use crate::setup::workflows;

mod cargo_alias;
mod decide;
use decide::*;

pub struct Options {
    /// URL of the upstream project, for the upstream remote.
    pub upstream: Option<String>,
    /// Write the GitHub Actions workflows.
    pub workflows: bool,
    /// Accept every change without asking.
    pub yes: bool,
    pub mirror: Option<String>,
    pub production: Option<String>,
}

/// A question init needs answered before it changes anything.
#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub text: String,
    /// What would change, as a unified diff or `key: old -> new` lines.
    pub diff: Option<String>,
}

/// How the front end answered a [`Question`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// There is nobody to ask (not a terminal): treated as a refusal that
    /// names `--yes`.
    CannotAsk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Done,
    Unchanged,
    Skipped,
}

#[derive(Debug, Serialize)]
pub struct Step {
    /// Stable identifier: `upstream_remote`, `upstream_tags`,
    /// `production_branch`, `config`, `hooks`, `cargo_alias`, `workflow`,
    /// `default_branch`.
    pub step: &'static str,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub steps: Vec<Step>,
    /// Files init wrote that belong in the repository.
    pub to_commit: Vec<String>,
    /// Whether anything changed.
    pub changed: bool,
    /// The production branch, where what init wrote should land.
    pub production: String,
}

/// What phase one decided to do.
enum Remote {
    Keep,
    Add(String),
    SetUrl { old: String, new: String },
}

struct Plan {
    upstream_name: String,
    upstream_url: String,
    remote: Remote,
    fetch_upstream: bool,
    create_production: bool,
    production_note: Option<String>,
    /// (key, value in `.gitcarto` now, value to write).
    config_writes: Vec<(String, Option<String>, String)>,
    config_unchanged: Vec<String>,
    workflows: Vec<(workflows::File, Option<String>)>,
    /// origin's default branch (`refs/remotes/<origin>/HEAD`), where GitHub
    /// runs scheduled and manually started workflows from.
    default_branch: Option<String>,
    /// `.cargo/config.toml` now, and what init does to it.
    cargo_alias: (Option<String>, cargo_alias::Change),
    origin: String,
    mirror: String,
    production: String,
}

/// Undo actions for what phase two did, run in reverse on failure.
enum Undo {
    RemoveRemote(String),
    SetUrl(String, String),
    DeleteBranch(String),
    Restore(PathBuf, Option<Vec<u8>>),
    RemoveEmptyDir(PathBuf),
    UninstallHooks,
}

pub fn init(
    dir: &Path,
    opts: &Options,
    ask: &mut dyn FnMut(&Question) -> Answer,
) -> Result<Report> {
    let git = Git::discover(dir)?;
    if git.repo.is_bare() {
        return Err(Error::usage(
            "init needs a working tree: run it in a clone of the fork, not a bare repository",
        ));
    }
    let config = Config::load(&git.repo)?;
    let mut plan = decide(&git, &config, opts)?;
    confirm(&mut plan, opts, ask)?;
    execute(git, config, plan)
}

fn step(step: &'static str, status: Status, detail: impl Into<String>) -> Step {
    Step {
        step,
        status,
        detail: detail.into(),
    }
}

/// Phase two: make the changes, undoing them all if one fails.
fn execute(git: Git, config: Config, plan: Plan) -> Result<Report> {
    let production = plan.production.clone();
    let mut done = Done::default();
    if let Err(e) = apply(&git, &config, &plan, &mut done) {
        for undo in done.undo.into_iter().rev() {
            match undo {
                Undo::RemoveRemote(name) => {
                    let _ = git.run(&["remote", "remove", &name]);
                }
                Undo::SetUrl(name, url) => {
                    let _ = git.run(&["remote", "set-url", &name, &url]);
                }
                Undo::DeleteBranch(name) => {
                    let _ = git.run(&["branch", "-D", &name]);
                }
                Undo::Restore(path, None) => {
                    let _ = std::fs::remove_file(&path);
                }
                Undo::Restore(path, Some(bytes)) => {
                    let _ = std::fs::write(&path, bytes);
                }
                Undo::RemoveEmptyDir(path) => {
                    let _ = std::fs::remove_dir(&path);
                }
                Undo::UninstallHooks => {
                    let _ = crate::guard::hooks::uninstall(&git);
                }
            }
        }
        return Err(e);
    }
    let changed = done.steps.iter().any(|s| s.status == Status::Done);
    Ok(Report {
        steps: done.steps,
        to_commit: done.to_commit,
        changed,
        production,
    })
}

#[derive(Default)]
struct Done {
    steps: Vec<Step>,
    undo: Vec<Undo>,
    to_commit: Vec<String>,
}

fn apply(git: &Git, config: &Config, plan: &Plan, done: &mut Done) -> Result<()> {
    let name = plan.upstream_name.as_str();
    let url = plan.upstream_url.as_str();
    match &plan.remote {
        Remote::Keep => done.steps.push(step(
            "upstream_remote",
            Status::Unchanged,
            format!("`{name}` is {url}"),
        )),
        Remote::Add(u) => {
            git.run(&["remote", "add", name, u])?;
            done.undo.push(Undo::RemoveRemote(name.to_string()));
            done.steps.push(step(
                "upstream_remote",
                Status::Done,
                format!("added remote `{name}` for {u}"),
            ));
        }
        Remote::SetUrl { old, new } => {
            git.run(&["remote", "set-url", name, new])?;
            done.undo.push(Undo::SetUrl(name.to_string(), old.clone()));
            done.steps.push(step(
                "upstream_remote",
                Status::Done,
                format!("pointed `{name}` to {new} (was {old})"),
            ));
        }
    }

    if plan.fetch_upstream {
        git.fetch(name, true).map_err(|e| {
            Error::refused(format!(
                "cannot fetch the upstream project from {url}: {}\nnothing was changed",
                e.message()
            ))
        })?;
    }
    let fork = Fork::with(Git::discover(git.workdir())?, config.clone())?;
    let (stable, _) = fork.stable_tags()?;
    let tags = match stable.first() {
        Some(newest) => format!("{} stable releases, newest {}", stable.len(), newest.name),
        None => format!(
            "no tag matches upstream.stableTag ({}): check the patterns against upstream's tags",
            config.get_all("upstream.stableTag").join(", ")
        ),
    };
    done.steps.push(step(
        "upstream_tags",
        if plan.fetch_upstream {
            Status::Done
        } else {
            Status::Unchanged
        },
        if plan.fetch_upstream {
            format!("fetched `{name}`: {tags}")
        } else {
            tags
        },
    ));

    let (origin, mirror, production) = (&plan.origin, &plan.mirror, &plan.production);
    if plan.create_production {
        git.run(&[
            "branch",
            "--no-track",
            production,
            &format!("{origin}/{mirror}"),
        ])?;
        done.undo.push(Undo::DeleteBranch(production.clone()));
        git.run_with_progress(
            &format!("pushing {production}"),
            &["push", "-u", origin, production],
        )
        .map_err(|e| {
            Error::refused(format!(
                "cannot push `{production}` to `{origin}`: {}\nnothing was changed",
                e.message()
            ))
        })?;
        // Published: from here on the branch and the remote it came with stay.
        done.undo.clear();
        done.steps.push(step(
            "production_branch",
            Status::Done,
            format!("created `{production}` from `{origin}/{mirror}` and pushed it to `{origin}`"),
        ));
    } else if let Some(note) = &plan.production_note {
        done.steps
            .push(step("production_branch", Status::Skipped, note.clone()));
    } else {
        done.steps.push(step(
            "production_branch",
            Status::Unchanged,
            format!("`{origin}` has `{production}`"),
        ));
    }

    let file = git.workdir().join(FILE_NAME);
    if plan.config_writes.is_empty() {
        done.steps.push(step(
            "config",
            Status::Unchanged,
            if plan.config_unchanged.is_empty() {
                format!("{FILE_NAME}: nothing differs from the defaults")
            } else {
                format!(
                    "{FILE_NAME} already sets {}",
                    plan.config_unchanged.join(", ")
                )
            },
        ));
    } else {
        done.undo
            .push(Undo::Restore(file.clone(), std::fs::read(&file).ok()));
        let path = file.display().to_string();
        let mut written = Vec::new();
        for (key, _, value) in &plan.config_writes {
            git.run(&["config", "--file", &path, key, value])?;
            written.push(format!("{key} = {value}"));
        }
        Config::load(&git.repo).map_err(|e| e.context(format!("checking the new {FILE_NAME}")))?;
        done.steps.push(step(
            "config",
            Status::Done,
            format!("wrote {FILE_NAME}: {}", written.join(", ")),
        ));
        done.to_commit.push(FILE_NAME.to_string());
    }

    let hooks = install_hooks(git, &mut done.undo)?;
    done.steps.push(hooks);
    write_cargo_alias(git, &plan.cargo_alias, done)?;

    for (f, old) in &plan.workflows {
        if old.as_deref() == Some(f.text.as_str()) {
            done.steps.push(step(
                "workflow",
                Status::Unchanged,
                format!("{} is up to date", f.path),
            ));
            continue;
        }
        let path = git.workdir().join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        done.undo.push(Undo::Restore(
            path.clone(),
            old.as_ref().map(|o| o.clone().into_bytes()),
        ));
        std::fs::write(&path, &f.text)
            .map_err(|e| Error::refused(format!("cannot write {}: {e}", f.path)))?;
        done.steps.push(step(
            "workflow",
            Status::Done,
            format!(
                "{} {}",
                if old.is_some() { "replaced" } else { "wrote" },
                f.path
            ),
        ));
        done.to_commit.push(f.path.clone());
    }
    if let Some(default) = plan
        .default_branch
        .as_ref()
        .filter(|d| !plan.workflows.is_empty() && **d != plan.production)
    {
        done.steps.push(step(
            "default_branch",
            Status::Skipped,
            format!(
                "GitHub runs the scheduled sync and the release button only from the default \
                 branch, `{default}` here: make `{p}` the default (Settings → General → Default \
                 branch, or `gh repo edit --default-branch {p}`) once the workflows are merged",
                p = plan.production
            ),
        ));
    }
    Ok(())
}

/// `cargo xtask` in the fork's checkout: the alias to the installed
/// `cargo-carto`, merged into `.cargo/config.toml`.
fn write_cargo_alias(
    git: &Git,
    (old, change): &(Option<String>, cargo_alias::Change),
    done: &mut Done,
) -> Result<()> {
    use cargo_alias::{Change, PATH};
    let new = match change {
        Change::Unchanged => {
            done.steps.push(step(
                "cargo_alias",
                Status::Unchanged,
                format!("{PATH}: `cargo xtask` runs the installed cargo-carto"),
            ));
            return Ok(());
        }
        Change::Foreign(value) => {
            done.steps.push(step(
                "cargo_alias",
                Status::Skipped,
                format!(
                    "{PATH} keeps its own xtask alias ({value}): release with                      `cargo carto release` or `git carto release`"
                ),
            ));
            return Ok(());
        }
        Change::Write(new) => new,
    };
    let path = git.workdir().join(PATH);
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        std::fs::create_dir_all(dir)?;
        done.undo.push(Undo::RemoveEmptyDir(dir.to_path_buf()));
    }
    done.undo.push(Undo::Restore(
        path.clone(),
        old.as_ref().map(|o| o.clone().into_bytes()),
    ));
    std::fs::write(&path, new).map_err(|e| Error::refused(format!("cannot write {PATH}: {e}")))?;
    done.steps.push(step(
        "cargo_alias",
        Status::Done,
        format!(
            "{} {PATH}: `cargo xtask release ...` runs the installed cargo-carto",
            if old.is_some() {
                "added the xtask alias to"
            } else {
                "wrote"
            }
        ),
    ));
    done.to_commit.push(PATH.to_string());
    Ok(())
}

/// Install the commit-msg and pre-push hooks where git looks for them
/// (`hooks install`: existing hooks are chained, never replaced).
fn install_hooks(git: &Git, undo: &mut Vec<Undo>) -> Result<Step> {
    use crate::guard::hooks::State;
    let before = crate::guard::hooks::status(git)?;
    let names: Vec<&str> = before.hooks.iter().map(|h| h.name.as_str()).collect();
    if before.hooks.iter().all(|h| h.state == State::Installed) {
        return Ok(step(
            "hooks",
            Status::Unchanged,
            format!("{} installed in {}", names.join(", "), before.dir),
        ));
    }
    let none_were_ours = before
        .hooks
        .iter()
        .all(|h| matches!(h.state, State::Missing | State::Foreign));
    let after = crate::guard::hooks::install(git)?;
    if none_were_ours {
        undo.push(Undo::UninstallHooks);
    }
    let actions: Vec<String> = after
        .hooks
        .iter()
        .map(|h| format!("{}: {}", h.name, h.action.as_deref().unwrap_or("installed")))
        .collect();
    Ok(step(
        "hooks",
        Status::Done,
        format!("hooks in {}: {}", after.dir, actions.join("; ")),
    ))
}

/// The report for a person: one line per step, then what to commit.
pub fn render(report: &Report, style: crate::term::output::Style) -> String {
    let mut out = String::new();
    for s in &report.steps {
        let tag = match s.status {
            Status::Done => style.ok("done     "),
            Status::Unchanged => style.dim("unchanged"),
            Status::Skipped => style.warn("skipped  "),
        };
        out.push_str(&format!("{tag} {}\n", s.detail));
    }
    if !report.changed {
        out.push_str("Nothing to do: this clone is already set up as a git-carto fork.\n");
    } else if !report.to_commit.is_empty() {
        out.push_str(&format!(
            "\nCommit what init wrote, through a pull request into {}:\n  \
             git carto feature git-carto-setup --carry\n  \
             git add {}\n  \
             git commit -m \"ci: set up git-carto\"\n",
            report.production,
            report.to_commit.join(" ")
        ));
    }
    out
}
