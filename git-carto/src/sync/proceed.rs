//! `git carto sync --continue`: verify and commit once nothing is unmerged.

use super::*;

/// `git carto sync --continue`: verify and commit, then push, PR and report.
/// `regenerate`: run `resolve.regenerate` first (again, after a failure).
pub fn continue_cmd(
    fork: &Fork,
    accept_findings: bool,
    regenerate: bool,
    progress: Progress<'_>,
) -> Result<Synced> {
    let _lock = SyncLock::take(&fork.git)?;
    if regenerate {
        super::regenerate::require(fork)?;
    }
    let mut state = ensure_state(fork)?;
    if regenerate {
        state.regenerate = true;
    }
    if fork.git.merge_head().is_none() {
        if let Some(made) = state
            .committing
            .as_ref()
            .and_then(|c| c.made(&fork.git.repo))
        {
            return Err(Error::refused(format!(
                "the sync's merge commit {} was made but the commit step failed: run `git \
                 carto sync --abort` to undo the sync (that commit included), then sync again",
                crate::term::output::short(made)
            )));
        }
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
        base: state.base.clone(),
        forecast: None,
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
