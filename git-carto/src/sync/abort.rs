//! `git carto sync --abort` and the rollback of a failed run: put every branch
//! and the working tree back as the state record says they were.

use super::*;

/// What `--abort` restored.
#[derive(Debug, Serialize)]
pub struct Aborted {
    pub restored: Vec<String>,
    pub deleted: Vec<String>,
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
    let Some(state) = State::load(git)? else {
        if git.merge_head().is_some() {
            git.run(&["merge", "--abort"])?;
            return Ok(Aborted {
                restored: Vec::new(),
                deleted: Vec::new(),
                head: git.current_branch().ok(),
                pushed: Vec::new(),
                remove: Vec::new(),
            });
        }
        return Err(Error::refused("no sync in progress: nothing to abort"));
    };
    rollback(fork, &state)
}

pub(super) fn rollback(fork: &Fork, state: &State) -> Result<Aborted> {
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
