//! `git carto sync` (DESIGN 6): bring an upstream stable release into the fork.
//!
//! Stage 1 merges the tag into the mirror branch ([`mirror`]); stage 2 makes the
//! sync branch from the mirror, merges production into it (so the pull request
//! shows every upstream commit), settles conflicts by path policy
//! ([`policy`], [`resolve`]), verifies ([`verify`]) and commits, or stops with
//! the repository in a recorded "sync in progress" state ([`state`]) that
//! `--resolve`, `--continue`, `--abort` and `--status` pick up. Every sync
//! writes an audit report ([`report`]).

pub mod conflicts;
pub mod detect;
pub mod mirror;
pub mod policy;
pub mod pr;
pub mod render;
pub mod report;
pub mod resolve;
pub mod sides;
pub mod state;
pub mod verify;
pub mod walk;

use std::collections::HashSet;

use git2::Oid;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::fork::Fork;
use crate::tag::Template;
use policy::Rules;
use resolve::Choice;
use sides::Sides;
use state::{Before, By, Record, Resolution, State};
use verify::{Check, Finding, Target, Verification};

/// Options of `git carto sync`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub tag: Option<String>,
    pub push: bool,
    pub dry_run: bool,
    pub pr: bool,
    pub supersede: bool,
}

/// Where progress lines go (stderr in the CLI; nowhere with `--quiet`).
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// What `git carto sync` did. `outcome`: `up_to_date`, `dry_run`,
/// `committed`, `stopped` (paths or findings left for a person).
#[derive(Debug, Serialize)]
pub struct Synced {
    pub outcome: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
    pub tag: Option<String>,
    pub sync_branch: Option<String>,
    pub skipped_tags: Vec<String>,
    pub plan: Option<Plan>,
    /// Unresolved paths, and findings that block the commit.
    pub left: Vec<String>,
    pub findings: Vec<Finding>,
    pub report: Option<String>,
    pub audit: Option<serde_json::Value>,
    pub pull_request: Option<PullRequestRef>,
}

/// A dry run's plan.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub mirror_branch: String,
    pub mirror_before: Option<String>,
    /// `unchanged`, `fast-forward`, `merge`, or `unknown` (tag not fetched yet).
    pub mirror: String,
    pub sync_branch: String,
    /// `create`, `continue` (exists locally), `adopt` (exists on origin only).
    pub sync_branch_action: String,
    pub production: String,
    pub production_commit: String,
    pub push: bool,
    pub pull_request: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PullRequestRef {
    pub number: u64,
    pub url: String,
    /// `created` or `updated`.
    pub action: String,
}

fn sync_branch_name(fork: &Fork, version: &semver::Version) -> Result<String> {
    let fmt = fork
        .config
        .get("sync.branchFormat")
        .unwrap_or("upstream-sync/v{version}");
    let t = Template::new(fmt, &["version"]).map_err(|e| e.context("reading sync.branchFormat"))?;
    Ok(t.format(&[("version", version)]))
}

fn refuse_if_in_progress(fork: &Fork) -> Result<()> {
    if let Some(s) = State::load(&fork.git)? {
        return Err(Error::refused(format!(
            "a sync is already in progress ({}): see `git carto sync --status`, then \
             `--resolve`/`--continue` to finish it or `--abort` to undo it",
            s.describe()
        )));
    }
    if fork.git.merge_head().is_some() {
        return Err(Error::refused(
            "a merge is in progress: finish it (`git carto sync --continue`) or abort it first",
        ));
    }
    Ok(())
}

/// `git carto sync`: detect, mirror, merge, resolve by policy, verify, commit
/// or stop; push, open the pull request and write the report.
pub fn start(fork: &Fork, opts: &Options, progress: Progress<'_>) -> Result<Synced> {
    let git = &fork.git;
    let cfg = &fork.config;
    refuse_if_in_progress(fork)?;
    // Configuration errors surface before anything moves.
    Rules::from_config(cfg)?;
    git.require_remote(cfg.upstream())?;
    if opts.push || opts.pr {
        git.require_remote(cfg.origin())?;
    }
    if git.head_id().is_none() {
        return Err(Error::refused("HEAD does not point at a commit yet"));
    }
    git.require_clean()?;

    progress(&format!(
        "{} upstream tags from `{}`",
        if opts.dry_run { "Listing" } else { "Fetching" },
        cfg.upstream()
    ));
    let tags = detect::upstream_tags(fork, opts.dry_run)?;
    if !opts.dry_run && git.repo.find_remote(cfg.origin()).is_ok() {
        git.run(&["fetch", "--quiet", cfg.origin()])
            .map_err(|e| e.context(format!("fetching `{}`", cfg.origin())))?;
    }
    if tags.stable.is_empty() {
        return Err(Error::refused(format!(
            "no stable tags on `{}` (patterns: {}): check the remote and upstream.stableTag",
            cfg.upstream(),
            cfg.get_all("upstream.stableTag").join(", ")
        )));
    }
    let production = fork.production_tip()?;
    let from = detect::production_version(fork, production)?;
    if from.is_none() && opts.tag.is_none() {
        return Err(Error::refused(format!(
            "production `{}` has no upstream stable tag in its history, so nothing tells what is \
             new: name the release with --tag <tag>",
            cfg.production()
        )));
    }
    let from_v = from.as_ref().map(|t| t.version.clone());
    let mut synced = Synced {
        outcome: "up_to_date",
        from: from_v.as_ref().map(|v| v.to_string()),
        to: None,
        tag: None,
        sync_branch: None,
        skipped_tags: tags.skipped.clone(),
        plan: None,
        left: Vec::new(),
        findings: Vec::new(),
        report: None,
        audit: None,
        pull_request: None,
    };
    let Some(target) = detect::choose(fork, &tags, from_v.as_ref(), opts.tag.as_deref())? else {
        synced.to = tags.stable.first().map(|t| t.version.to_string());
        return Ok(synced);
    };
    let branch = sync_branch_name(fork, &target.version)?;
    synced.to = Some(target.version.to_string());
    synced.tag = Some(target.name.clone());
    synced.sync_branch = Some(branch.clone());

    if opts.pr {
        pr::check_one_sync_at_a_time(fork, &branch, opts.supersede)?;
    }

    let tag_commit = target.commit.or_else(|| git.tag_commit(&target.name));
    let local_sync = git.local_branch(&branch);
    let remote_sync = git.remote_branch(cfg.origin(), &branch);
    if opts.dry_run {
        let (before, how) = match tag_commit.filter(|c| git.repo.find_commit(*c).is_ok()) {
            Some(c) => {
                let (b, h) = mirror::plan(fork, c)?;
                (
                    b,
                    serde_json::to_value(h)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string)),
                )
            }
            None => (mirror::current(fork)?, None),
        };
        synced.outcome = "dry_run";
        synced.plan = Some(Plan {
            mirror_branch: cfg.mirror().to_string(),
            mirror_before: before.map(|b| b.to_string()),
            mirror: how.unwrap_or_else(|| "unknown".into()),
            sync_branch: branch.clone(),
            sync_branch_action: match (local_sync, remote_sync) {
                (Some(_), _) => "continue",
                (None, Some(_)) => "adopt",
                (None, None) => "create",
            }
            .into(),
            production: cfg.production().to_string(),
            production_commit: production.to_string(),
            push: opts.push,
            pull_request: opts.pr,
        });
        return Ok(synced);
    }
    let tag_commit =
        tag_commit.ok_or_else(|| Error::refused(format!("tag {} was not fetched", target.name)))?;

    // Stage 1: the mirror commit (an object only until every check passed).
    progress(&format!(
        "Merging {} into the mirror `{}`",
        target.name,
        cfg.mirror()
    ));
    let mut step = mirror::prepare(fork, &target.name, tag_commit)?;
    let new_mirror = Oid::from_str(&step.after).map_err(|e| Error::refused(e.to_string()))?;

    // Stage 2: where the sync branch starts (may refuse); then push the mirror
    // before any local ref moves.
    let start_at = sync_branch_start(
        fork,
        &branch,
        tag_commit,
        new_mirror,
        local_sync,
        remote_sync,
    )?;
    if opts.push {
        mirror::push(fork, &mut step)?;
    }
    let head = git.head_id();
    let current = git.current_branch().ok();
    let mut state = State {
        started_by_carto: true,
        upstream_version: Some(target.version.to_string()),
        from_version: synced.from.clone(),
        tag: Some(target.name.clone()),
        sync_branch: Some(branch.clone()),
        production: cfg.production().to_string(),
        sides: Sides::new(fork, start_at, production, true),
        before: Before {
            branch: current.clone(),
            head: head.map(|h| h.to_string()),
            branches: vec![
                (
                    cfg.mirror().to_string(),
                    git.local_branch(cfg.mirror()).map(|o| o.to_string()),
                ),
                (branch.clone(), local_sync.map(|o| o.to_string())),
            ],
        },
        mirror: Some(step.clone()),
        push: opts.push,
        pr: opts.pr,
        supersede: opts.supersede,
        conflicts: Vec::new(),
        warnings: Vec::new(),
    };
    state.sides.upstream_label = format!("{} via {}", target.name, cfg.mirror());
    state.sides.fork_label = cfg.production().to_string();
    state.save(git)?;

    let merged = (|| -> Result<bool> {
        switch_to(fork, &branch, start_at, local_sync, current.as_deref())?;
        mirror::update_local(fork, &step)?;
        if git.is_ancestor(production, start_at)? {
            return Ok(false);
        }
        progress(&format!("Merging {} into {branch}", cfg.production()));
        let (_, out) = git.run_status(&[
            "merge",
            "--no-ff",
            "--no-commit",
            "--quiet",
            &production.to_string(),
        ])?;
        if git.merge_head().is_none() {
            return Err(Error::refused(format!(
                "git could not merge {} into {branch}: {}",
                cfg.production(),
                out.stderr.trim()
            )));
        }
        Ok(true)
    })();
    let merged = match merged {
        Ok(m) => m,
        Err(e) => {
            let _ = rollback(fork, &state);
            return Err(e);
        }
    };
    if !merged {
        // Re-run after the merge was committed: push and refresh the PR.
        State::remove(git)?;
        progress(&format!("{branch} already contains {}", cfg.production()));
        return publish_existing(fork, &state, synced, progress);
    }

    let setup = (|| -> Result<()> {
        state.sides = Sides {
            upstream_label: state.sides.upstream_label.clone(),
            fork_label: state.sides.fork_label.clone(),
            ..Sides::new(fork, start_at, production, true)
        };
        let rules = Rules::from_config(&fork.config)?;
        state.warnings = glob_warnings(fork, &rules, &state.sides)?;
        record_conflicts(fork, &rules, &mut state)?;
        apply_policies(fork, &mut state)?;
        state.save(git)
    })();
    if let Err(e) = setup {
        let _ = rollback(fork, &state);
        return Err(e);
    }
    finish_run(fork, &mut state, false, synced, progress)
}

/// The sync branch's starting point; refuses when origin's branch has work
/// that is not ours to build on or overwrite.
fn sync_branch_start(
    fork: &Fork,
    branch: &str,
    tag_commit: Oid,
    mirror: Oid,
    local: Option<Oid>,
    remote: Option<Oid>,
) -> Result<Oid> {
    let git = &fork.git;
    let origin = fork.config.origin();
    let not_a_sync = |which: &str| {
        Error::refused(format!(
            "{which} `{branch}` exists but does not contain the upstream release (someone \
             else's branch?): rename or delete it, then re-run"
        ))
    };
    match (local, remote) {
        (None, None) => Ok(mirror),
        (None, Some(r)) => {
            if !git.is_ancestor(tag_commit, r)? {
                return Err(not_a_sync(&format!("{origin}'s branch")));
            }
            Ok(r)
        }
        (Some(l), r) => {
            if !git.is_ancestor(tag_commit, l)? {
                return Err(not_a_sync("the local branch"));
            }
            match r {
                None => Ok(l),
                Some(r) if git.is_ancestor(r, l)? => Ok(l),
                Some(r) if git.is_ancestor(l, r)? => Ok(r),
                Some(r) => {
                    let mut walk = git.repo.revwalk()?;
                    walk.push(r)?;
                    walk.hide(l)?;
                    let mut authors = Vec::new();
                    let mut n = 0;
                    for oid in walk {
                        n += 1;
                        let c = git.repo.find_commit(oid?)?;
                        let who = c.author().name().unwrap_or("?").to_string();
                        if !authors.contains(&who) {
                            authors.push(who);
                        }
                    }
                    Err(Error::refused(format!(
                        "`{origin}/{branch}` has {n} commit(s) your `{branch}` does not (by {}): \
                         someone else is working on this sync. Reconcile first (e.g. `git switch \
                         {branch} && git pull`), then re-run; nothing was changed locally",
                        authors.join(", ")
                    )))
                }
            }
        }
    }
}

fn switch_to(
    fork: &Fork,
    branch: &str,
    start: Oid,
    local: Option<Oid>,
    current: Option<&str>,
) -> Result<()> {
    let git = &fork.git;
    let s = start.to_string();
    match local {
        None => {
            git.run(&["switch", "--quiet", "--no-track", "-c", branch, &s])?;
        }
        Some(l) if current == Some(branch) => {
            if l != start {
                git.run(&["merge", "--quiet", "--ff-only", &s])?;
            }
        }
        Some(l) => {
            if l != start {
                git.run(&[
                    "update-ref",
                    &format!("refs/heads/{branch}"),
                    &s,
                    &l.to_string(),
                ])?;
            }
            git.run(&["switch", "--quiet", branch])?;
        }
    }
    Ok(())
}

/// Globs of the path policy that match no file on either side.
fn glob_warnings(fork: &Fork, rules: &Rules, sides: &Sides) -> Result<Vec<String>> {
    let repo = &fork.git.repo;
    let mut paths: HashSet<String> = HashSet::new();
    for c in [sides.upstream, sides.fork] {
        let tree = repo.find_commit(c)?.tree()?;
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() != Some(git2::ObjectType::Tree) {
                if let Ok(name) = e.name() {
                    paths.insert(format!("{dir}{name}"));
                }
            }
            git2::TreeWalkResult::Ok
        })?;
    }
    Ok(rules.unmatched_globs(paths.iter().map(String::as_str)))
}

fn unmerged_paths(fork: &Fork) -> Result<HashSet<String>> {
    let mut index = fork.git.repo.index()?;
    index.read(true)?;
    Ok(index
        .iter()
        .filter(|e| (e.flags >> 12) & 0x3 != 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect())
}

/// Read the index's conflicts into the state, each with its policy.
fn record_conflicts(fork: &Fork, rules: &Rules, state: &mut State) -> Result<()> {
    let found = conflicts::collect(&fork.git.repo, &state.sides)?;
    for c in found {
        if state.record(&c.path).is_some() {
            continue;
        }
        let d = rules.decide(c.match_paths());
        state.conflicts.push(Record {
            conflict: c,
            policy: d.policy,
            rule: d.glob,
            resolution: None,
        });
    }
    Ok(())
}

/// Paths a person settled outside carto (`git add`, `git rm`) are resolved.
fn refresh(state: &mut State, unmerged: &HashSet<String>) {
    for r in &mut state.conflicts {
        if r.resolution.is_none() && !r.conflict.paths.iter().any(|p| unmerged.contains(p)) {
            r.resolution = Some(Resolution {
                by: By::Outside,
                choice: None,
                result: "resolved outside carto".into(),
            });
        }
    }
}

/// Apply every automatic policy to the unresolved paths, in one batch.
fn apply_policies(fork: &Fork, state: &mut State) -> Result<usize> {
    let unmerged = unmerged_paths(fork)?;
    refresh(state, &unmerged);
    let mut planned = Vec::new();
    for (i, r) in state.conflicts.iter().enumerate() {
        if r.resolution.is_some() {
            continue;
        }
        let Some(side) = r.policy.side() else {
            continue;
        };
        let choice = if r.policy.whole_file() {
            Choice::File(side)
        } else {
            Choice::Hunks(side)
        };
        planned.push((
            i,
            choice,
            resolve::plan(&fork.git.repo, &r.conflict, choice)?,
        ));
    }
    let changes: Vec<&resolve::Change> = planned.iter().map(|(_, _, c)| c).collect();
    resolve::apply(&fork.git, &changes)?;
    let n = planned.len();
    for (i, choice, change) in planned {
        state.conflicts[i].resolution = Some(Resolution {
            by: By::Policy,
            choice: Some(choice),
            result: change.result,
        });
    }
    Ok(n)
}

/// Why a sync cannot commit yet.
struct Blocked {
    unmerged: Vec<String>,
    findings: Vec<Finding>,
}

/// Verify and commit the merge in progress, or say what blocks it.
fn try_commit(
    fork: &Fork,
    state: &mut State,
    accept_findings: bool,
) -> Result<std::result::Result<(Oid, Verification), Blocked>> {
    let git = &fork.git;
    let unmerged = unmerged_paths(fork)?;
    refresh(state, &unmerged);
    if !unmerged.is_empty() {
        let mut left: Vec<String> = unmerged.into_iter().collect();
        left.sort();
        return Ok(Err(Blocked {
            unmerged: left,
            findings: Vec::new(),
        }));
    }
    let rules = Rules::from_config(&fork.config)?;
    let intents = verify::intents_from(&rules, Some(state), None);
    let v = verify::verify(fork, &state.sides, Target::Index, &intents)?;
    let blocking: Vec<Finding> = v
        .findings
        .iter()
        .filter(|f| !accept_findings || f.check == Check::ConflictMarker)
        .cloned()
        .collect();
    if !blocking.is_empty() {
        return Ok(Err(Blocked {
            unmerged: Vec::new(),
            findings: blocking,
        }));
    }
    let message = commit_message(fork, state);
    git.run_input(&["commit", "--quiet", "-F", "-"], message.as_bytes())
        .map_err(|e| e.context("committing the sync merge"))?;
    let commit = git
        .head_id()
        .ok_or_else(|| Error::refused("no commit after git commit"))?;
    Ok(Ok((commit, v)))
}

fn commit_message(fork: &Fork, state: &State) -> String {
    let mut msg = if state.started_by_carto {
        let mut m = format!(
            "Merge branch '{}' into {}\n\nUpstream sync: {} → v{} ({}).\n",
            state.production,
            state.sync_branch.as_deref().unwrap_or("HEAD"),
            state
                .from_version
                .as_deref()
                .map(|v| format!("v{v}"))
                .unwrap_or_else(|| "?".into()),
            state.upstream_version.as_deref().unwrap_or("?"),
            state.tag.as_deref().unwrap_or("?")
        );
        if !state.conflicts.is_empty() {
            let by_policy = state
                .conflicts
                .iter()
                .filter(|r| r.resolution.as_ref().is_some_and(|r| r.by == By::Policy))
                .count();
            m.push_str(&format!(
                "Conflicted paths: {} ({by_policy} by policy, {} by hand).\n",
                state.conflicts.len(),
                state.conflicts.len() - by_policy
            ));
        }
        m
    } else {
        let raw = std::fs::read_to_string(fork.git.git_dir().join("MERGE_MSG")).unwrap_or_default();
        let kept: Vec<&str> = raw.lines().filter(|l| !l.starts_with('#')).collect();
        let mut m = kept.join("\n").trim_end().to_string();
        if m.is_empty() {
            m = format!(
                "Merge branch '{}' into {}",
                state.sides.fork_label, state.sides.upstream_label
            );
        }
        m.push('\n');
        m
    };
    let trailers: Vec<String> = state
        .conflicts
        .iter()
        .filter_map(|r| {
            let res = r.resolution.as_ref()?;
            if res.by == By::Policy {
                return None;
            }
            let side = res.choice?.side();
            Some(format!(
                "{}: {} {}",
                verify::TRAILER,
                match side {
                    policy::Side::Upstream => "upstream",
                    policy::Side::Fork => "fork",
                },
                r.conflict.path
            ))
        })
        .collect();
    if !trailers.is_empty() {
        msg.push('\n');
        msg.push_str(&trailers.join("\n"));
        msg.push('\n');
    }
    msg
}

/// After resolution: commit (or stop), report, push, pull request.
fn finish_run(
    fork: &Fork,
    state: &mut State,
    accept_findings: bool,
    mut synced: Synced,
    progress: Progress<'_>,
) -> Result<Synced> {
    let git = &fork.git;
    match try_commit(fork, state, accept_findings)? {
        Ok((commit, v)) => {
            State::remove(git)?;
            let audit = report::build(fork, state, Some(commit), &v, compare_url(fork, state))?;
            let path = report::write(fork, &audit)?;
            progress(&format!(
                "Committed the sync merge {} on {}",
                crate::output::short(commit),
                state.sync_branch.as_deref().unwrap_or("HEAD")
            ));
            synced.outcome = "committed";
            synced.report = Some(path.display().to_string());
            publish(fork, state, &audit, &mut synced, progress)?;
            synced.audit = serde_json::to_value(&audit).ok();
        }
        Err(blocked) => {
            state.save(git)?;
            let rules = Rules::from_config(&fork.config)?;
            let intents = verify::intents_from(&rules, Some(state), None);
            let v = verify::verify(fork, &state.sides, Target::Index, &intents)?;
            let audit = report::build(fork, state, None, &v, compare_url(fork, state))?;
            let path = report::write(fork, &audit)?;
            synced.outcome = "stopped";
            synced.left = blocked.unmerged;
            synced.findings = blocked.findings;
            synced.report = Some(path.display().to_string());
            publish(fork, state, &audit, &mut synced, progress)?;
            synced.audit = serde_json::to_value(&audit).ok();
        }
    }
    Ok(synced)
}

/// Push the sync branch and open or update the pull request, as the run was told.
fn publish(
    fork: &Fork,
    state: &State,
    audit: &report::Audit,
    synced: &mut Synced,
    progress: Progress<'_>,
) -> Result<()> {
    let Some(branch) = state.sync_branch.as_deref() else {
        return Ok(());
    };
    if !state.push {
        return Ok(());
    }
    push_branch(fork, branch, progress)?;
    if state.pr {
        let body = report::markdown(audit);
        let clean =
            audit.counts.conflicted == 0 || audit.counts.by_hand + audit.counts.unresolved == 0;
        synced.pull_request = Some(pr::open_or_update(
            fork,
            branch,
            audit.upstream.to.as_deref().unwrap_or("?"),
            &body,
            clean,
            state.supersede,
        )?);
    }
    Ok(())
}

fn push_branch(fork: &Fork, branch: &str, progress: Progress<'_>) -> Result<()> {
    let git = &fork.git;
    let origin = fork.config.origin();
    let local = git.local_branch(branch);
    if local.is_some() && local == git.remote_branch(origin, branch) {
        return Ok(());
    }
    progress(&format!("Pushing {branch} to `{origin}`"));
    git.run(&[
        "push",
        "--quiet",
        "-u",
        origin,
        &format!("refs/heads/{branch}"),
    ])
    .map_err(|e| {
        e.context(format!(
            "pushing {branch} (never forced): fetch, reconcile and re-run `git carto sync`"
        ))
    })?;
    Ok(())
}

/// A re-run whose merge is already committed: push and refresh the PR with
/// the report written when the merge was made.
fn publish_existing(
    fork: &Fork,
    state: &State,
    mut synced: Synced,
    progress: Progress<'_>,
) -> Result<Synced> {
    let branch = state.sync_branch.clone().unwrap_or_default();
    let dir = fork.git.git_dir().join("carto").join("reports");
    let stem = branch.replace('/', "-");
    let md = dir.join(format!("{stem}.md"));
    let json = std::fs::read_to_string(dir.join(format!("{stem}.json"))).ok();
    synced.outcome = "committed";
    synced.audit = json.and_then(|j| serde_json::from_str(&j).ok());
    synced.report = md.exists().then(|| md.display().to_string());
    if state.push {
        push_branch(fork, &branch, progress)?;
        if state.pr {
            let body = std::fs::read_to_string(&md).unwrap_or_else(|_| {
                format!(
                    "# Upstream sync: v{}\n\n> [!WARNING]\n> {}\n",
                    state.upstream_version.as_deref().unwrap_or("?"),
                    report::MERGE_WARNING
                )
            });
            let clean = synced
                .audit
                .as_ref()
                .map(|a| {
                    a["counts"]["by_hand"].as_u64().unwrap_or(0)
                        + a["counts"]["unresolved"].as_u64().unwrap_or(0)
                        == 0
                })
                .unwrap_or(true);
            synced.pull_request = Some(pr::open_or_update(
                fork,
                &branch,
                state.upstream_version.as_deref().unwrap_or("?"),
                &body,
                clean,
                state.supersede,
            )?);
        }
    }
    Ok(synced)
}

/// Compare link between the two upstream versions, when upstream is on GitHub.
fn compare_url(fork: &Fork, state: &State) -> Option<String> {
    let (from, to) = (state.from_version.as_ref()?, state.tag.as_ref()?);
    let slug = crate::github::upstream_slug(fork).ok()?;
    let from_v = semver::Version::parse(from).ok()?;
    let (stable, _) = fork.stable_tags().ok()?;
    let from_tag = stable
        .iter()
        .find(|t| t.version == from_v && t.name == fork.stable.format(&from_v))
        .or_else(|| stable.iter().find(|t| t.version == from_v))
        .map(|t| t.name.clone())?;
    let web = std::env::var("GITHUB_SERVER_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "https://github.com".into());
    Some(format!(
        "{}/{slug}/compare/{from_tag}...{to}",
        web.trim_end_matches('/')
    ))
}

/// The state of the sync (or plain merge) in progress, taking over a merge a
/// person started with `git merge` when there is no carto state.
fn ensure_state(fork: &Fork) -> Result<State> {
    let git = &fork.git;
    if let Some(s) = State::load(git)? {
        return Ok(s);
    }
    let Some(sides) = Sides::of_merge_in_progress(fork)? else {
        return Err(Error::refused(
            "no sync in progress (start one with `git carto sync`)",
        ));
    };
    let rules = Rules::from_config(&fork.config)?;
    let mut state = State {
        started_by_carto: false,
        upstream_version: None,
        from_version: None,
        tag: None,
        sync_branch: None,
        production: fork.config.production().to_string(),
        before: Before {
            branch: git.current_branch().ok(),
            head: git.head_id().map(|h| h.to_string()),
            branches: Vec::new(),
        },
        warnings: glob_warnings(fork, &rules, &sides)?,
        sides,
        mirror: None,
        push: false,
        pr: false,
        supersede: false,
        conflicts: Vec::new(),
    };
    record_conflicts(fork, &rules, &mut state)?;
    Ok(state)
}

/// What `--resolve` did.
#[derive(Debug, Serialize)]
pub struct Resolved {
    pub by_policy: Vec<String>,
    pub by_hand: Vec<String>,
    pub skipped: Vec<String>,
    /// Unresolved paths left for a person.
    pub left: Vec<String>,
}

/// `git carto sync --resolve`: apply the automatic policies, then (with a
/// walk) ask about each manual path.
pub fn resolve_cmd(fork: &Fork, walk: Option<&mut walk::Walk<'_>>) -> Result<Resolved> {
    let git = &fork.git;
    let mut state = ensure_state(fork)?;
    let before: HashSet<String> = state
        .conflicts
        .iter()
        .filter(|r| r.resolution.is_some())
        .map(|r| r.conflict.path.clone())
        .collect();
    apply_policies(fork, &mut state)?;
    state.save(git)?;
    let by_policy: Vec<String> = state
        .conflicts
        .iter()
        .filter(|r| {
            !before.contains(&r.conflict.path)
                && r.resolution.as_ref().is_some_and(|x| x.by == By::Policy)
        })
        .map(|r| r.conflict.path.clone())
        .collect();
    let mut out = Resolved {
        by_policy,
        by_hand: Vec::new(),
        skipped: Vec::new(),
        left: Vec::new(),
    };
    if let Some(w) = walk {
        let unmerged = unmerged_paths(fork)?;
        let summary = walk::run(fork, &mut state, &unmerged, w)?;
        out.by_hand = summary.resolved;
        out.skipped = summary.skipped;
    }
    let unmerged = unmerged_paths(fork)?;
    out.left = state
        .conflicts
        .iter()
        .filter(|r| r.resolution.is_none() && r.conflict.paths.iter().any(|p| unmerged.contains(p)))
        .map(|r| r.conflict.path.clone())
        .collect();
    state.save(git)?;
    Ok(out)
}

/// `git carto sync --continue`: verify and commit, then push, PR and report.
pub fn continue_cmd(fork: &Fork, accept_findings: bool, progress: Progress<'_>) -> Result<Synced> {
    let mut state = ensure_state(fork)?;
    if fork.git.merge_head().is_none() {
        return Err(Error::refused(
            "the sync's merge is no longer in progress (committed or aborted by hand): run \
             `git carto sync --abort` to forget it",
        ));
    }
    let synced = Synced {
        outcome: "committed",
        from: state.from_version.clone(),
        to: state.upstream_version.clone(),
        tag: state.tag.clone(),
        sync_branch: state.sync_branch.clone(),
        skipped_tags: Vec::new(),
        plan: None,
        left: Vec::new(),
        findings: Vec::new(),
        report: None,
        audit: None,
        pull_request: None,
    };
    // Refuse (exit 1) rather than stop: the person asked to finish.
    let unmerged = unmerged_paths(fork)?;
    if !unmerged.is_empty() {
        let mut left: Vec<String> = unmerged.into_iter().collect();
        left.sort();
        return Err(Error::refused(format!(
            "unresolved paths: {}: resolve them (`git carto sync --resolve`, or edit and `git add`) first",
            left.join(", ")
        )));
    }
    let result = finish_run(fork, &mut state, accept_findings, synced, progress)?;
    if result.outcome == "stopped" {
        let lines: Vec<String> = result
            .findings
            .iter()
            .map(|f| {
                format!(
                    "  {}{}: {}: {}",
                    f.path,
                    f.line.map(|l| format!(":{l}")).unwrap_or_default(),
                    f.check.name(),
                    f.message
                )
            })
            .collect();
        let markers = result
            .findings
            .iter()
            .any(|f| f.check == Check::ConflictMarker);
        return Err(Error::refused(format!(
            "not committed: verification found problems:\n{}\n{}",
            lines.join("\n"),
            if markers {
                "remove the conflict markers, `git add` the files, and run --continue again"
            } else {
                "fix them, or commit anyway with `git carto sync --continue --accept-findings` \
                 (they stay in the report)"
            }
        )));
    }
    Ok(result)
}

/// What `--abort` restored.
#[derive(Debug, Serialize)]
pub struct Aborted {
    pub restored: Vec<String>,
    pub deleted: Vec<String>,
    /// Branch (or commit) checked out again.
    pub head: Option<String>,
    /// Pushes cannot be undone (nothing is ever forced): listed here.
    pub pushed: Vec<String>,
}

/// `git carto sync --abort`: put every branch and the working tree back.
pub fn abort_cmd(fork: &Fork) -> Result<Aborted> {
    let git = &fork.git;
    let Some(state) = State::load(git)? else {
        if git.merge_head().is_some() {
            git.run(&["merge", "--abort"])?;
            return Ok(Aborted {
                restored: Vec::new(),
                deleted: Vec::new(),
                head: git.current_branch().ok(),
                pushed: Vec::new(),
            });
        }
        return Err(Error::refused("no sync in progress: nothing to abort"));
    };
    rollback(fork, &state)
}

fn rollback(fork: &Fork, state: &State) -> Result<Aborted> {
    let git = &fork.git;
    let mut out = Aborted {
        restored: Vec::new(),
        deleted: Vec::new(),
        head: state
            .before
            .branch
            .clone()
            .or_else(|| state.before.head.clone()),
        pushed: Vec::new(),
    };
    if let Some(m) = &state.mirror {
        if m.pushed {
            out.pushed
                .push(format!("{}/{}", fork.config.origin(), m.branch));
        }
    }
    if git.merge_head().is_some() {
        git.run(&["merge", "--abort"])?;
    }
    if !state.started_by_carto {
        State::remove(git)?;
        return Ok(out);
    }
    // Detach where we are, so no branch to restore is checked out; move the
    // refs back; then check out what was checked out before.
    git.run(&["switch", "--quiet", "--detach"])?;
    for (name, old) in &state.before.branches {
        let now = git.local_branch(name).map(|o| o.to_string());
        if &now == old {
            continue;
        }
        let refname = format!("refs/heads/{name}");
        match old {
            Some(o) => {
                git.run(&["update-ref", "-m", "carto sync --abort", &refname, o])?;
                out.restored.push(name.clone());
            }
            None => {
                git.run(&["update-ref", "-d", &refname])?;
                out.deleted.push(name.clone());
            }
        }
    }
    match (&state.before.branch, &state.before.head) {
        (Some(b), _) => git.run(&["switch", "--quiet", b])?,
        (None, Some(h)) => git.run(&["switch", "--quiet", "--detach", h])?,
        (None, None) => return Err(Error::refused("nothing was checked out before the sync")),
    };
    State::remove(git)?;
    Ok(out)
}

/// One path of `--status`.
#[derive(Debug, Serialize)]
pub struct PathStatus {
    pub path: String,
    pub kind: String,
    pub policy: String,
    pub rule: Option<String>,
    pub resolved: bool,
    pub by: Option<String>,
    pub result: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SyncStatus {
    pub in_progress: bool,
    pub started_by_carto: bool,
    pub description: Option<String>,
    pub upstream_version: Option<String>,
    pub sync_branch: Option<String>,
    pub upstream_side: Option<String>,
    pub fork_side: Option<String>,
    pub paths: Vec<PathStatus>,
    pub left: Vec<String>,
    pub warnings: Vec<String>,
}

/// `git carto sync --status`: resolved paths and by what, and what is left.
pub fn status_cmd(fork: &Fork) -> Result<SyncStatus> {
    let git = &fork.git;
    let state = match State::load(git)? {
        Some(s) => Some(s),
        None if git.merge_head().is_some() => Some(ensure_state(fork)?),
        None => None,
    };
    let Some(mut state) = state else {
        return Ok(SyncStatus {
            in_progress: false,
            started_by_carto: false,
            description: None,
            upstream_version: None,
            sync_branch: None,
            upstream_side: None,
            fork_side: None,
            paths: Vec::new(),
            left: Vec::new(),
            warnings: Vec::new(),
        });
    };
    let unmerged = unmerged_paths(fork)?;
    refresh(&mut state, &unmerged);
    let paths: Vec<PathStatus> = state
        .conflicts
        .iter()
        .map(|r| PathStatus {
            path: r.conflict.path.clone(),
            kind: r.conflict.kind.name().into(),
            policy: r.policy.name().into(),
            rule: r.rule.clone(),
            resolved: r.resolution.is_some(),
            by: r.resolution.as_ref().map(|x| {
                match x.by {
                    By::Policy => "policy",
                    By::Hand => "hand",
                    By::Outside => "outside",
                }
                .to_string()
            }),
            result: r.resolution.as_ref().map(|x| x.result.clone()),
        })
        .collect();
    let left = paths
        .iter()
        .filter(|p| !p.resolved)
        .map(|p| p.path.clone())
        .collect();
    Ok(SyncStatus {
        in_progress: true,
        started_by_carto: state.started_by_carto,
        description: Some(state.describe()),
        upstream_version: state.upstream_version.clone(),
        sync_branch: state.sync_branch.clone(),
        upstream_side: Some(state.sides.upstream_label.clone()),
        fork_side: Some(state.sides.fork_label.clone()),
        paths,
        left,
        warnings: state.warnings.clone(),
    })
}
