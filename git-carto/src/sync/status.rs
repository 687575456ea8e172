//! `git carto sync --status`: what is resolved, by what, and what is left.

use super::*;

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
    refresh(fork, &mut state, &unmerged)?;
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
    let left = state.left(&unmerged);
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
