//! `git carto sync --resolve`: pick up the sync (or plain merge) in progress,
//! apply the automatic policies, then walk the manual paths.

use super::*;

/// The state of the sync (or plain merge) in progress, taking over a merge a
/// person started with `git merge` when there is no carto state.
pub(super) fn ensure_state(fork: &Fork) -> Result<State> {
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
        base: None,
        regenerate: false,
        regenerated: None,
        committing: None,
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
    let _lock = SyncLock::take(git)?;
    let mut state = ensure_state(fork)?;
    // Recorded before any file changes: a failure part-way is then a sync
    // that `--abort` knows how to undo.
    state.save(git)?;
    let before: HashSet<String> = state
        .conflicts
        .iter()
        .filter(|r| r.resolution.is_some())
        .map(|r| r.conflict.path.clone())
        .collect();
    apply_policies(fork, &mut state, None)?;
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
    out.left = state.left(&unmerged);
    state.save(git)?;
    Ok(out)
}
