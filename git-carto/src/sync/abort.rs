//! `git carto sync --abort` and the rollback of a failed run: put every branch
//! and the working tree back as the state record says they were.
//!
//! A rollback only undoes what this sync did: a branch is moved back only
//! while it still points where the sync put it (`update-ref <ref> <old>
//! <expected>`), so a commit a person made meanwhile is never lost, and the
//! index and tree are reset to the recorded commit first, so a merge that
//! died half-way (disk full) never blocks the way back.

use super::*;

/// What `--abort` restored.
#[derive(Debug, Serialize)]
pub struct Aborted {
    pub restored: Vec<String>,
    pub deleted: Vec<String>,
    /// Branches that moved since the sync set them (a person's commit):
    /// left alone, each with why.
    pub kept: Vec<String>,
    /// Branch (or commit) checked out again.
    pub head: Option<String>,
    /// Pushes cannot be undone (nothing is ever forced): listed here.
    pub pushed: Vec<String>,
    /// Commands that would remove what this sync left on origin.
    pub remove: Vec<String>,
}

/// `git carto sync --abort`: put every branch and the working tree back.
pub fn abort_cmd(fork: &Fork) -> Result<Aborted> {
    let git = &fork.git;
    let _lock = SyncLock::take(git)?;
    let Some(state) = State::load(git)? else {
        if git.merge_head().is_some() {
            git.run(&["merge", "--abort"])?;
            return Ok(Aborted {
                restored: Vec::new(),
                deleted: Vec::new(),
                kept: Vec::new(),
                head: git.current_branch().ok(),
                pushed: Vec::new(),
                remove: Vec::new(),
            });
        }
        return Err(Error::refused("no sync in progress: nothing to abort"));
    };
    rollback(fork, &state)
}

/// Roll back after `err` stopped a run; a rollback that fails too is said,
/// never swallowed: the record stays for `--abort`.
pub(super) fn rolled_back(fork: &Fork, state: &State, err: Error) -> Error {
    match rollback(fork, state) {
        Ok(_) => err,
        Err(r) => Error::refused(format!(
            "{err}\nundoing the sync failed too: {r}\nthe sync stays recorded: run `git carto \
             sync --abort` once the cause is fixed"
        )),
    }
}

pub(super) fn rollback(fork: &Fork, state: &State) -> Result<Aborted> {
    let git = &fork.git;
    let mut out = Aborted {
        restored: Vec::new(),
        deleted: Vec::new(),
        kept: Vec::new(),
        head: state
            .before
            .branch
            .clone()
            .or_else(|| state.before.head.clone()),
        pushed: Vec::new(),
        remove: Vec::new(),
    };
    if let Some(m) = &state.mirror {
        if m.pushed {
            out.pushed
                .push(format!("{}/{}", fork.config.origin(), m.branch));
        }
    }
    if let Some((pushed, remove)) = super::render::pushed_sync_branch(fork, state) {
        out.pushed.push(pushed);
        out.remove.push(remove);
    }
    let undone = undo_commit(fork, state)?;
    if !state.started_by_carto {
        if git.merge_head().is_some() {
            abort_merge(fork, state)?;
        } else if undone {
            git.run(&["reset", "--hard", "--quiet"])?;
        }
        State::remove(git)?;
        return Ok(out);
    }
    // The merge, whole or half-written: index and tree back to the commit
    // checked out (the sync branch's start). Only there: a person's edits on
    // another branch are theirs.
    let on_sync_branch = git.current_branch().ok().as_deref() == state.sync_branch.as_deref();
    if undone || on_sync_branch || git.merge_head().is_some() || !unmerged_paths(fork)?.is_empty() {
        git.run(&["reset", "--hard", "--quiet"])
            .map_err(|e| e.context("resetting the index and tree to the sync branch"))?;
    }
    // Detach where we are, so no branch to restore is checked out; move the
    // refs back; then check out what was checked out before.
    if git.head_id().is_some() {
        git.run(&["switch", "--quiet", "--detach"])?;
    }
    for (name, old) in &state.before.branches {
        let now = git.local_branch(name).map(|o| o.to_string());
        if &now == old {
            continue;
        }
        let refname = format!("refs/heads/{name}");
        let set = set_by_sync(state, name);
        let Some(now) = now.filter(|n| Some(n) == set.as_ref()) else {
            out.kept.push(format!(
                "{name} (it moved since this sync set it, to {}: a commit of yours is kept)",
                git.local_branch(name)
                    .map_or("nothing".into(), crate::term::output::short)
            ));
            continue;
        };
        match old {
            Some(o) => {
                git.run(&["update-ref", "-m", "carto sync --abort", &refname, o, &now])?;
                out.restored.push(name.clone());
            }
            None => {
                git.run(&["update-ref", "-d", &refname, &now])?;
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

/// `git merge --abort` of a merge carto took over. A resolution that died
/// between staging a path and writing its file leaves the file behind the
/// index, and git then refuses ("not uptodate"): the recorded conflict paths
/// get their staged content first, then the merge is aborted.
fn abort_merge(fork: &Fork, state: &State) -> Result<()> {
    let git = &fork.git;
    if git.run_status(&["merge", "--abort"])?.0 {
        return Ok(());
    }
    let mut index = git.repo.index()?;
    index.read(true)?;
    let mut paths = Vec::new();
    for p in state.conflicts.iter().flat_map(|r| &r.conflict.paths) {
        if index.get_path(std::path::Path::new(p), 0).is_some() {
            paths.extend_from_slice(p.as_bytes());
            paths.push(0);
        }
    }
    if !paths.is_empty() {
        git.run_input(&["checkout-index", "-f", "-u", "-z", "--stdin"], &paths)
            .map_err(|e| e.context("writing the staged files back before aborting the merge"))?;
    }
    git.run(&["merge", "--abort"])?;
    Ok(())
}

/// The sync's own merge commit, when `git commit` made it but the run did not
/// finish (a hook failed, the process was killed): the ref goes back to where
/// it was, only while it is still at that commit.
fn undo_commit(fork: &Fork, state: &State) -> Result<bool> {
    let git = &fork.git;
    let Some(c) = &state.committing else {
        return Ok(false);
    };
    let Some(made) = c.made(&git.repo) else {
        return Ok(false);
    };
    git.run(&[
        "update-ref",
        "-m",
        "carto sync --abort",
        &c.refname,
        &c.old,
        &made.to_string(),
    ])
    .map_err(|e| e.context("taking back the sync's merge commit"))?;
    Ok(true)
}

/// Where this sync put a branch it changes: the mirror at the new mirror
/// commit, the sync branch at its start (its own merge commit, if git made
/// one, is taken back first by [`undo_commit`]).
fn set_by_sync(state: &State, name: &str) -> Option<String> {
    if let Some(m) = state.mirror.as_ref().filter(|m| m.branch == name) {
        return Some(m.after.clone());
    }
    (state.sync_branch.as_deref() == Some(name)).then(|| state.sides.upstream.to_string())
}
