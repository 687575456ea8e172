//! Whether this clone knows upstream well enough to answer a question that
//! depends on upstream's refs (the upstream version of a commit, which commits
//! are the fork's). Without them the answers are wrong, not empty: a fresh
//! clone that only has the tags origin happens to carry computed a release tag
//! on an upstream version two releases old, with exit 0.
//!
//! Three signals, all from structure, never from commit wording:
//! - the upstream remote is not configured, or nothing of it was fetched;
//! - a mirror merge (the merge `sync` makes on the mirror branch: its tree is
//!   exactly its upstream parent's tree) whose upstream parent no upstream ref
//!   reaches: the commit contains an upstream release this clone has not
//!   fetched, so the "newest stable tag in the ancestry" is an older one;
//! - the configured version file names a newer version than the ancestry
//!   shows (checked in `next_tag`, with the same advice).
//!
//! A merge of upstream made by hand (no mirror merge) in a clone whose
//! upstream refs are old cannot be told from a fork merge by structure; the
//! version file covers that case.

use git2::Oid;

use crate::error::{Error, Result};
use crate::repo::fork::Fork;

/// Refuse when the upstream remote is missing or nothing of upstream is known.
pub fn require_known(fork: &Fork, tips: &[Oid]) -> Result<()> {
    let up = fork.config.upstream();
    if fork.git.repo.find_remote(up).is_err() {
        return Err(Error::refused(format!(
            "the `{up}` remote is not configured in this clone, so upstream's releases and \
             commits are not known here (tags origin happens to carry are not enough): {}",
            add_and_fetch(fork)
        )));
    }
    if tips.is_empty() {
        return Err(Error::refused(format!(
            "no upstream refs in this clone (no `{up}/*` branches, no stable tags), so fork \
             commits cannot be told from upstream's: fetch them with `git fetch {up} --tags`"
        )));
    }
    Ok(())
}

/// Refuse when `commits` (fork commits, as [`Fork::fork_commits`] lists them)
/// hold a mirror merge whose upstream parent no upstream ref reaches: the
/// clone's upstream refs are older than what the commits contain.
/// `fork_commits` leaves out mirror merges over known upstream commits, so
/// any mirror merge still listed is over an unknown one. Costs one ancestry
/// check per merge that has a parent's tree (rare), nothing per commit else.
pub fn require_not_older(fork: &Fork, commits: &[Oid]) -> Result<()> {
    let repo = &fork.git.repo;
    for &id in commits {
        let commit = repo.find_commit(id)?;
        if commit.parent_count() < 2 {
            continue;
        }
        // A mirror merge takes its upstream parent's tree, and exists only
        // because the previous mirror is not an ancestor of it (else `sync`
        // fast-forwards). A `--no-ff` feature merge on an unmoved branch also
        // has its second parent's tree, but its first parent is an ancestor.
        let tree = commit.tree_id();
        let first = commit.parent_id(0)?;
        let mirror_parent = commit.parents().skip(1).find(|p| {
            p.tree_id() == tree && !repo.graph_descendant_of(p.id(), first).unwrap_or(true)
        });
        if let Some(p) = mirror_parent {
            let up = fork.config.upstream();
            return Err(Error::refused(format!(
                "this clone's upstream refs are older than the history: mirror merge {} brings \
                 in upstream commit {} that no `{up}` ref or stable tag here reaches, so the \
                 upstream version would be computed from an older release; fetch upstream's \
                 tags with `git fetch {up} --tags`",
                short(id),
                short(p.id())
            )));
        }
    }
    Ok(())
}

/// The advice for a clone without the upstream remote, with the URL when
/// the configuration names upstream's GitHub repository.
fn add_and_fetch(fork: &Fork) -> String {
    let up = fork.config.upstream();
    let url = fork
        .config
        .get("github.upstreamRepo")
        .filter(|r| !r.is_empty())
        .map(|r| format!("https://github.com/{r}.git"))
        .unwrap_or_else(|| "<url>".to_string());
    format!("add the upstream remote and fetch it: `git remote add {up} {url} && git fetch {up} --tags`")
}

fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}
