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

use crate::config::{Config, Source, FILE_NAME};
use crate::error::{Error, Result};
use crate::fork::Fork;
use crate::git::Git;
use crate::workflows;

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
    /// `production_branch`, `config`, `hooks`, `workflow`.
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

fn valid_branch(name: &str, flag: &str) -> Result<()> {
    if name.is_empty()
        || name.starts_with('-')
        || !git2::Reference::is_valid_name(&format!("refs/heads/{name}"))
    {
        return Err(Error::usage(format!(
            "{flag} `{name}` is not a valid branch name"
        )));
    }
    Ok(())
}

/// URLs that name the same repository (`x`, `x.git`, `x/`).
fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_string()
    };
    norm(a) == norm(b)
}

/// Phase one: read, fetch origin, decide. Changes nothing but origin's
/// remote-tracking refs.
fn decide(git: &Git, config: &Config, opts: &Options) -> Result<Plan> {
    let remotes: Vec<String> = git
        .repo
        .remotes()?
        .iter()
        .filter_map(|r| r.ok().flatten().map(str::to_string))
        .collect();
    if remotes.is_empty() {
        return Err(Error::usage(
            "this repository has no remote: clone your fork (`git clone <fork url>`) \
             or add it with `git remote add origin <fork url>`, then run init again",
        ));
    }
    let origin = config.origin().to_string();
    let Some(origin_url) = git.remote_url(&origin) else {
        return Err(Error::usage(format!(
            "no remote named `{origin}` (remotes: {}): rename the fork's remote with \
             `git remote rename <name> {origin}` or set `git config carto.remote.origin <name>`",
            remotes.join(", ")
        )));
    };
    if let Some(m) = &opts.mirror {
        valid_branch(m, "--mirror")?;
    }
    if let Some(p) = &opts.production {
        valid_branch(p, "--production")?;
    }

    // The upstream remote, decided before any network call.
    let upstream_name = config.upstream().to_string();
    let existing = git.remote_url(&upstream_name);
    let (remote, upstream_url) = match (existing, &opts.upstream) {
        (None, None) => {
            return Err(Error::usage(format!(
                "no `{upstream_name}` remote: pass --upstream <url of the project you forked>"
            )))
        }
        (None, Some(u)) => (Remote::Add(u.clone()), u.clone()),
        (Some(e), Some(u)) if !same_url(&e, u) => (
            Remote::SetUrl {
                old: e,
                new: u.clone(),
            },
            u.clone(),
        ),
        (Some(e), _) => (Remote::Keep, e),
    };
    if same_url(&upstream_url, &origin_url) {
        return Err(Error::usage(format!(
            "the upstream URL {upstream_url} is the fork's own (`{origin}`): give the URL of \
             the project you forked"
        )));
    }
    git.run_with_progress(&format!("fetching {origin}"), &["fetch", &origin])
        .map_err(|e| {
            Error::refused(format!(
                "cannot fetch `{origin}` ({origin_url}): {}",
                e.message()
            ))
        })?;

    // The mirror: as asked, as configured, or origin's default branch.
    let configured_mirror = config_source(config, "branch.mirror") != Source::Default;
    let mut mirror = opts
        .mirror
        .clone()
        .unwrap_or_else(|| config.mirror().to_string());
    let mut detected_mirror = false;
    if git.remote_branch(&origin, &mirror).is_none() {
        let default = (opts.mirror.is_none() && !configured_mirror)
            .then(|| origin_default_branch(git, &origin))
            .flatten();
        match default {
            Some(d) => {
                mirror = d;
                detected_mirror = true;
            }
            None => {
                return Err(Error::refused(format!(
                    "`{origin}` has no branch `{mirror}` to mirror upstream on: push it, or name \
                     the branch with --mirror <branch>"
                )))
            }
        }
    }
    let production = opts
        .production
        .clone()
        .unwrap_or_else(|| config.production().to_string());
    if production == mirror {
        return Err(Error::usage(format!(
            "the production branch and the mirror branch are both `{mirror}`: the mirror must \
             carry upstream only"
        )));
    }

    let fork = Fork::with(Git::discover(git.workdir())?, config.clone())?;
    let fetch_upstream = !matches!(remote, Remote::Keep) || fork.stable_tags()?.0.is_empty();

    // The production branch.
    let mut create_production = false;
    let mut production_note = None;
    if git.remote_branch(&origin, &production).is_none() {
        if git.local_branch(&production).is_some() {
            production_note = Some(format!(
                "`{production}` exists only in this clone: publish it with \
                 `git push -u {origin} {production}`"
            ));
        } else {
            create_production = true;
        }
    }

    // `.gitcarto`: only values that differ from the defaults.
    let file = git.workdir().join(FILE_NAME);
    let in_file = file_values(&file)?;
    let mut wanted: Vec<(&str, String)> = Vec::new();
    if opts.mirror.is_some() || detected_mirror {
        wanted.push(("branch.mirror", mirror.clone()));
    }
    if let Some(p) = &opts.production {
        wanted.push(("branch.production", p.clone()));
    }
    let mut config_writes = Vec::new();
    let mut config_unchanged = Vec::new();
    for (key, value) in wanted {
        let default = default_of(key);
        match in_file.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, v)) if *v == value => config_unchanged.push(key.to_string()),
            Some((_, v)) => config_writes.push((key.to_string(), Some(v.clone()), value)),
            None if default.as_deref() == Some(value.as_str()) => {}
            None => config_writes.push((key.to_string(), None, value)),
        }
    }

    // Workflows.
    let mut files = Vec::new();
    if opts.workflows {
        let mut params = workflows::Params::from_config(config, &upstream_url);
        params.mirror = mirror.clone();
        params.production = production.clone();
        for f in workflows::generate(&params) {
            let path = git.workdir().join(&f.path);
            let old = match std::fs::read(&path) {
                Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::refused(format!("cannot read {}: {e}", f.path))),
            };
            files.push((f, old));
        }
    }

    Ok(Plan {
        upstream_name,
        upstream_url,
        remote,
        fetch_upstream,
        create_production,
        production_note,
        config_writes,
        config_unchanged,
        workflows: files,
        origin,
        mirror,
        production,
    })
}

fn config_source(config: &Config, key: &str) -> Source {
    config
        .entries()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.source.clone())
        .unwrap_or(Source::Default)
}

fn default_of(key: &str) -> Option<String> {
    crate::config::KEYS
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(key))
        .and_then(|k| k.defaults.first())
        .map(|s| s.to_string())
}

/// The branch `refs/remotes/<origin>/HEAD` points at, if git recorded it.
fn origin_default_branch(git: &Git, origin: &str) -> Option<String> {
    let r = git
        .repo
        .find_reference(&format!("refs/remotes/{origin}/HEAD"))
        .ok()?;
    let target = r.symbolic_target().ok().flatten()?;
    let name = target.strip_prefix(&format!("refs/remotes/{origin}/"))?;
    git.remote_branch(origin, name).map(|_| name.to_string())
}

/// `(key, value)` pairs set in a `.gitcarto`, as written.
fn file_values(file: &Path) -> Result<Vec<(String, String)>> {
    if !file.exists() {
        return Ok(Vec::new());
    }
    let parsed = git2::Config::open(file)
        .map_err(|e| Error::usage(format!("malformed {}: {}", file.display(), e.message())))?;
    let mut out = Vec::new();
    let mut entries = parsed.entries(None)?;
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if let (Ok(name), Ok(value)) = (entry.name(), entry.value()) {
            out.push((name.to_string(), value.to_string()));
        }
    }
    Ok(out)
}

/// A unified diff of an existing file against what init would write.
fn diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(&format!("{path} (now)"), &format!("{path} (generated)"))
        .to_string()
}

/// Ask about every change to something that is already there; a refusal
/// stops init before anything changed.
fn confirm(
    plan: &mut Plan,
    opts: &Options,
    ask: &mut dyn FnMut(&Question) -> Answer,
) -> Result<()> {
    let mut conflicts: Vec<Question> = Vec::new();
    if let Remote::SetUrl { old, new } = &plan.remote {
        conflicts.push(Question {
            text: format!(
                "remote `{}` points to {old}; point it to {new}?",
                plan.upstream_name
            ),
            diff: Some(format!("- {old}\n+ {new}\n")),
        });
    }
    for (key, old, value) in &plan.config_writes {
        if let Some(old) = old {
            conflicts.push(Question {
                text: format!("{FILE_NAME} sets {key} = {old}; change it to {value}?"),
                diff: Some(format!("- {key} = {old}\n+ {key} = {value}\n")),
            });
        }
    }
    for (f, old) in &plan.workflows {
        if let Some(old) = old.as_deref().filter(|o| *o != f.text) {
            conflicts.push(Question {
                text: format!(
                    "{} exists and differs from the generated workflow; replace it?",
                    f.path
                ),
                diff: Some(diff(&f.path, old, &f.text)),
            });
        }
    }
    let mut refused = Vec::new();
    for q in &conflicts {
        let answer = if opts.yes { Answer::Yes } else { ask(q) };
        if answer != Answer::Yes {
            refused.push((q, answer));
        }
    }
    if !refused.is_empty() {
        let mut msg = String::from("nothing was changed:");
        for (q, _) in &refused {
            msg.push_str(&format!("\n  {}", q.text));
            if let Some(d) = &q.diff {
                for line in d.lines() {
                    msg.push_str(&format!("\n      {line}"));
                }
            }
        }
        msg.push_str("\nre-run with --yes to accept these changes");
        return Err(Error::refused(msg));
    }
    if plan.create_production && !opts.yes {
        let q = Question {
            text: format!(
                "`{}` has no production branch `{}`: create it from `{}/{}` and push it?",
                plan.origin, plan.production, plan.origin, plan.mirror
            ),
            diff: None,
        };
        match ask(&q) {
            Answer::Yes => {}
            Answer::No => {
                plan.create_production = false;
                plan.production_note = Some(format!(
                    "not created (declined): run init again to create `{}`",
                    plan.production
                ));
            }
            Answer::CannotAsk => {
                return Err(Error::refused(format!(
                    "nothing was changed: {}\nre-run with --yes to create it",
                    q.text
                )))
            }
        }
    }
    Ok(())
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
                Undo::UninstallHooks => {
                    let _ = crate::hooks::uninstall(&git);
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
        git.run_with_progress(&format!("fetching {name}"), &["fetch", "--tags", name])
            .map_err(|e| {
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
    Ok(())
}

/// Install the commit-msg and pre-push hooks where git looks for them
/// (`hooks install`: existing hooks are chained, never replaced).
fn install_hooks(git: &Git, undo: &mut Vec<Undo>) -> Result<Step> {
    use crate::hooks::State;
    let before = crate::hooks::status(git)?;
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
    let after = crate::hooks::install(git)?;
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
pub fn render(report: &Report, style: crate::output::Style) -> String {
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
