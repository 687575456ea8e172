//! `git carto sync`: detect the release, update the mirror, make or continue
//! the sync branch and merge production into it.

use super::policy::Policy;
use super::provenance::Guard;
use super::*;
use crate::repo::git::Git;

pub(super) fn sync_branch_name(fork: &Fork, version: &semver::Version) -> Result<String> {
    let fmt = fork
        .config
        .get("sync.branchFormat")
        .unwrap_or("upstream-sync/v{version}");
    let t = Template::new(fmt, &["version"]).map_err(|e| e.context("reading sync.branchFormat"))?;
    Ok(t.format(&[("version", version)]))
}

pub(super) fn refuse_if_in_progress(fork: &Fork) -> Result<()> {
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
    let _lock = (!opts.dry_run).then(|| SyncLock::take(git)).transpose()?;
    refuse_if_in_progress(fork)?;
    // Configuration errors surface before anything moves.
    Rules::from_config(cfg)?;
    if opts.regenerate {
        super::regenerate::require(fork)?;
    }
    git.require_remote(cfg.upstream())?;
    if opts.push || opts.pr {
        git.require_remote(cfg.origin())?;
    }
    if git.head_id().is_none() {
        return Err(Error::refused("HEAD does not point at a commit yet"));
    }
    git.require_clean()?;
    if let Some(b) = &opts.base {
        git.commit_id(b)
            .map_err(|_| Error::usage(format!("--base `{b}` is not a commit")))?;
    }
    let at = match &opts.at {
        Some(_) if !opts.dry_run => return Err(Error::usage("--at needs --dry-run")),
        Some(rev) => Some(
            git.commit_id(rev)
                .map_err(|_| Error::usage(format!("--at `{rev}` is not a commit")))?,
        ),
        None => None,
    };

    // Without a commit-graph the walks below read most of a long fork's
    // history: helpers read it ahead from here, while git fetches.
    git.prefetch_headers();
    progress(&format!(
        "{} upstream tags from `{}`",
        match (opts.fetch, opts.dry_run) {
            (false, _) => "Reading the last fetched",
            (true, true) => "Listing",
            (true, false) => "Fetching",
        },
        cfg.upstream()
    ));
    if opts.fetch && !opts.dry_run {
        detect::fetch(fork)?;
    }
    let tags = detect::upstream_tags(fork, opts.fetch && opts.dry_run)?;
    if tags.stable.is_empty() {
        return Err(Error::refused(format!(
            "no stable tags on `{}` (patterns: {}): check the remote and upstream.stableTag",
            cfg.upstream(),
            cfg.get_all("upstream.stableTag").join(", ")
        )));
    }
    let production = match at {
        Some(at) => at,
        None => fork.production_tip()?,
    };
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
        base: None,
        forecast: None,
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
            production: opts
                .at
                .clone()
                .unwrap_or_else(|| cfg.production().to_string()),
            production_commit: production.to_string(),
            push: opts.push,
            pull_request: opts.pr,
        });
        // The forecast needs the release's commit; `--dry-run` never fetches.
        if let Some(c) = tag_commit.filter(|c| git.repo.find_commit(*c).is_ok()) {
            progress("Forecasting the production merge in memory");
            let step = mirror::prepare(fork, &target.name, c)?;
            let mirror_after =
                Oid::from_str(&step.after).map_err(|e| Error::refused(e.to_string()))?;
            let start_at =
                sync_branch_start(fork, &branch, c, mirror_after, local_sync, remote_sync)?;
            if !git.is_ancestor(production, start_at)? {
                let f = forecast::compute(fork, start_at, production, opts.base.as_deref())?;
                synced.base = Some(f.base.clone());
                synced.forecast = Some(f);
            }
        }
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
        base: None,
        regenerate: opts.regenerate,
        regenerated: None,
        committing: None,
    };
    state.sides.upstream_label = format!("{} via {}", target.name, cfg.mirror());
    state.sides.fork_label = cfg.production().to_string();
    state.save(git)?;

    let mut guard = None;
    let merged = (|| -> Result<Option<base::Base>> {
        let merging = !git.is_ancestor(production, start_at)?;
        // The base depends on history only: chosen before anything moves.
        let base = match merging {
            true => Some(base::choose(
                fork,
                start_at,
                production,
                opts.base.as_deref(),
            )?),
            false => None,
        };
        // The walks that read history are done; the merge's git processes
        // and provenance's reader want the cores now.
        git.stop_prefetch();
        if let (Some(mut base), None, Some(from)) = (base.clone(), local_sync, head) {
            if in_memory(git, &base, start_at, production) {
                // A new sync branch and a merge done in memory: the files go
                // from HEAD's straight to the merge result, one checkout
                // instead of `git switch` to upstream's files and a second
                // one to the result (a third of a 900-path sync).
                progress(&merging_line(fork, &branch, &base));
                let merged = merge_in_memory(git, &mut base, start_at, production)?;
                guard = read_ahead(fork, &base, start_at, production, &merged)?;
                create_and_enter(fork, &branch, start_at, current.as_deref(), from)?;
                mirror::update_local(fork, &step)?;
                let msg = format!("Merge branch '{}' into {branch}\n", cfg.production());
                merge::into_worktree_from(git, from, &merged, production, &msg)?;
                return Ok(Some(base));
            }
        }
        switch_to(fork, &branch, start_at, local_sync, current.as_deref())?;
        mirror::update_local(fork, &step)?;
        let Some(mut base) = base else {
            return Ok(None);
        };
        progress(&merging_line(fork, &branch, &base));
        if in_memory(git, &base, start_at, production) {
            let merged = merge_in_memory(git, &mut base, start_at, production)?;
            guard = read_ahead(fork, &base, start_at, production, &merged)?;
            let msg = format!("Merge branch '{}' into {branch}\n", cfg.production());
            merge::into_worktree(git, &merged, production, &msg)?;
            return Ok(Some(base));
        }
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
        Ok(Some(base))
    })();
    let merged = match merged {
        Ok(m) => m,
        Err(e) => return Err(rolled_back(fork, &state, e)),
    };
    let Some(base) = merged else {
        // Re-run after the merge was committed: push and refresh the PR.
        State::remove(git)?;
        progress(&format!("{branch} already contains {}", cfg.production()));
        return publish_existing(fork, &state, synced, progress);
    };
    synced.base = Some(base.clone());

    let setup = (|| -> Result<()> {
        state.sides = Sides {
            upstream_label: state.sides.upstream_label.clone(),
            fork_label: state.sides.fork_label.clone(),
            ..Sides::new(fork, start_at, production, true)
        };
        state.sides.base = Some(base.commit);
        state.base = Some(base);
        let rules = Rules::from_config(&fork.config)?;
        state.warnings = glob_warnings(fork, &rules, &state.sides)?;
        record_conflicts(fork, &rules, &mut state)?;
        apply_policies(fork, &mut state, guard.take())?;
        state.save(git)
    })();
    if let Err(e) = setup {
        return Err(rolled_back(fork, &state, e));
    }
    finish_run(fork, &mut state, false, synced, progress)
}

/// Whether the merge is done in memory against `base`: always for a base
/// carto chose, and for git's own merge base when it is the only one. Then
/// `git merge` would only walk the history again to find the base this
/// already has (a third of a sync on a 32k-commit fork without a
/// commit-graph). After criss-cross merges git merges its several bases
/// into one first, which `git merge` itself does best.
fn in_memory(git: &Git, base: &base::Base, upstream: Oid, production: Oid) -> bool {
    base.is_explicit() || git.merge_bases(upstream, production).len() == 1
}

/// Provenance for the conflicts an `upstream` policy will settle, read on
/// another thread while git's processes check the merge out (see
/// `provenance`); `None` when no policy needs it.
fn read_ahead(
    fork: &Fork,
    base: &base::Base,
    upstream: Oid,
    production: Oid,
    merged: &merge::InMemory,
) -> Result<Option<Guard>> {
    let rules = Rules::from_config(&fork.config)?;
    let paths: Vec<String> = merged
        .paths()
        .into_iter()
        .filter(|p| rules.decide([*p]).policy == Policy::Upstream)
        .map(str::to_string)
        .collect();
    if paths.is_empty() {
        return Ok(None);
    }
    let sides = Sides {
        base: Some(base.commit),
        ..Sides::new(fork, upstream, production, true)
    };
    let mut guard = Guard::new(fork, &sides)?;
    guard.read_ahead(fork.git.git_dir(), paths);
    Ok(Some(guard))
}

/// The merge against `base`, and beside a base carto chose, for the report,
/// how many paths a plain `git merge` would conflict on.
fn merge_in_memory(
    git: &Git,
    base: &mut base::Base,
    upstream: Oid,
    production: Oid,
) -> Result<merge::InMemory> {
    if base.is_explicit() {
        let (merged, plain) = merge::with_plain(git, base.commit, upstream, production)?;
        base.plain_merge_conflicts = Some(plain);
        return Ok(merged);
    }
    merge::in_memory(git, Some(base.commit), upstream, production)
}

/// The sync branch's starting point; refuses when origin's branch has work
/// that is not ours to build on or overwrite.
pub(super) fn sync_branch_start(
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

fn merging_line(fork: &Fork, branch: &str, base: &base::Base) -> String {
    format!(
        "Merging {} into {branch} (base {})",
        fork.config.production(),
        base.describe()
    )
}

/// `git switch -c <branch> <start>` without touching the files: the branch
/// is created (never overwritten) and HEAD moved to it, with the reflog lines
/// `git switch` writes, so `git switch -` still comes back. The caller lays
/// the files from HEAD's old commit (`from`) straight to the next state.
fn create_and_enter(
    fork: &Fork,
    branch: &str,
    start: Oid,
    current: Option<&str>,
    from: Oid,
) -> Result<()> {
    let git = &fork.git;
    let s = start.to_string();
    let refname = format!("refs/heads/{branch}");
    let created = format!("branch: Created from {s}");
    git.run(&[
        "update-ref",
        "-m",
        &created,
        &refname,
        &s,
        &Oid::ZERO_SHA1.to_string(),
    ])?;
    let from_name = current
        .map(str::to_string)
        .unwrap_or_else(|| from.to_string());
    let moved = format!("checkout: moving from {from_name} to {branch}");
    git.run(&["symbolic-ref", "-m", &moved, "HEAD", &refname])?;
    Ok(())
}

pub(super) fn switch_to(
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
pub(super) fn glob_warnings(fork: &Fork, rules: &Rules, sides: &Sides) -> Result<Vec<String>> {
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
