//! The fork-side files a result does not have. A policy or a person can delete
//! a file the fork changed or added (upstream deleted it, a rename/rename taken
//! from upstream, a file put aside by a directory collision); until now only
//! the sync's own record knew. A file upstream moved elsewhere, with the
//! fork's changes following it there, is not lost.

use super::*;

/// `(path, message)` for each fork-side file, changed or added by the fork,
/// that the result lacks. `fork_changed` are the paths the fork's side changed
/// since the base; only those are the fork's own work.
pub(super) fn fork_files_deleted(
    repo: &Repository,
    trees: [Option<&Tree<'_>>; 2],
    ids: &Ids<'_>,
    fork_changed: &BTreeSet<String>,
    view: &ResultView<'_>,
) -> Result<Vec<(String, String)>> {
    let [base, up] = trees;
    let gone: Vec<&String> = fork_changed
        .iter()
        .filter(|p| {
            let f = ids.fork(p);
            f.is_some() && f != ids.base(p) && !view.has_file(p)
        })
        .collect();
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    // Upstream's renames, only when a lost path is gone from upstream too.
    let up_moves = if gone
        .iter()
        .any(|p| ids.up(p).is_none() && ids.base(p).is_some())
    {
        changed(repo, base, up, true)?.1
    } else {
        HashMap::new()
    };
    Ok(gone
        .into_iter()
        .filter(|p| !up_moves.get(*p).is_some_and(|to| view.has_file(to)))
        .map(|p| {
            let why = match (ids.base(p), ids.up(p)) {
                (None, None) => "the fork side added this file; the result does not have it",
                (Some(_), None) => {
                    "the fork side changed this file and upstream deleted it; the result \
                     deletes it"
                }
                _ => "the fork side has this file; the result does not",
            };
            (p.clone(), why.to_string())
        })
        .collect())
}
