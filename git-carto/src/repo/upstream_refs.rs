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
//! - a merge of upstream made by hand (plain `git merge` of a newer release
//!   into production, no mirror merge): its second parent is unknown here and
//!   its history reaches known upstream commits without ever touching the
//!   branch's own first-parent line (where a fork branch starts, even on the
//!   upstream commit a fork was created at, and which a sync merge merged
//!   in). A fork branch started on an upstream commit the fork's line never
//!   stood on looks the same; carto's `feature` always starts on production.

use std::collections::HashSet;

use git2::{Commit, Oid};

use crate::repo::checked::Checked;
use crate::repo::history::Reach;

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

/// Refuse when `commits` (fork commits, as [`Fork::fork_commits`] lists them,
/// newest first) hold a mirror merge whose upstream parent no upstream ref
/// reaches, or a hand-made merge of upstream history newer than every
/// upstream ref: the clone's upstream refs are older than what the commits
/// contain. `fork_commits` leaves out mirror merges over known upstream
/// commits, so any mirror merge still listed is over an unknown one. Costs
/// one ancestry check per merge that has a parent's tree (rare), and for the
/// hand-made merges one walk over at most the listed commits, each visited
/// once (see [`HandMerges`]).
pub fn require_not_older(fork: &Fork, commits: &[Oid]) -> Result<()> {
    let repo = &fork.git.repo;
    let mut hand = HandMerges::new(fork, commits);
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
        if let Some(p) = hand.upstream_parent(&commit)? {
            let up = fork.config.upstream();
            return Err(Error::refused(format!(
                "this clone's upstream refs are older than the history: merge {} brings in \
                 commit {}, whose history reaches upstream's but that no `{up}` ref or stable \
                 tag here reaches (an upstream release merged by hand), so the upstream version \
                 would be computed from an older release; fetch upstream's tags with `git \
                 fetch {up} --tags`",
                short(id),
                short(p)
            )));
        }
    }
    Ok(())
}

/// [`require_not_older`] over every fork commit of `at` not reachable from
/// `since`, skipping the histories an earlier run already checked against
/// refs that today's `tips` still reach ([`Checked`]), and remembering `at`'s
/// when it passes.
pub fn require_history_not_older(
    fork: &Fork,
    at: Oid,
    since: Option<Oid>,
    tips: &[Oid],
) -> Result<()> {
    let checked = Checked::load(&fork.git, tips)?;
    if checked.commits().contains(&at) {
        return Ok(());
    }
    let mut bases = checked.commits().to_vec();
    bases.extend(since);
    require_not_older(fork, &fork.fork_commits(at, &bases, tips)?)?;
    checked.record(&fork.git, tips, at);
    Ok(())
}

/// Finds merges whose second parent is upstream history this clone has not
/// fetched: a listed parent whose whole listed history never touches the
/// branch's own first-parent line (a fork branch starts there, even where the
/// line is an upstream commit; a sync merge merged production in) and leaves
/// the listed commits only at known upstream commits. Histories found upstream-only are remembered and a walk stops at
/// the first line commit, so all merges together cost about one walk over
/// the list `fork_commits` already walked.
struct HandMerges<'f> {
    fork: &'f Fork,
    listed: HashSet<Oid>,
    newest: Option<Oid>,
    /// The first-parent line from the newest listed commit: its listed part,
    /// then followed further only as far as a question needs.
    line: HashSet<Oid>,
    line_built: bool,
    /// The next commit of the line not followed yet.
    line_next: Option<Oid>,
    /// Commits whose history is known to be upstream's only.
    upstream_only: HashSet<Oid>,
    /// Reachability from upstream's refs, built on first need.
    upstream: Option<Reach<'f>>,
}

impl<'f> HandMerges<'f> {
    fn new(fork: &'f Fork, commits: &[Oid]) -> Self {
        HandMerges {
            fork,
            listed: commits.iter().copied().collect(),
            newest: commits.first().copied(),
            line: HashSet::new(),
            line_built: false,
            line_next: None,
            upstream_only: HashSet::new(),
            upstream: None,
        }
    }

    /// The first parent after the first that is unknown upstream history.
    fn upstream_parent(&mut self, merge: &Commit<'_>) -> Result<Option<Oid>> {
        for p in merge.parent_ids().skip(1) {
            if self.listed.contains(&p) && self.upstream_history(p)? {
                return Ok(Some(p));
            }
        }
        Ok(None)
    }

    fn upstream_history(&mut self, start: Oid) -> Result<bool> {
        self.build_line()?;
        let repo = &self.fork.git.repo;
        let mut seen = HashSet::new();
        let mut stack = vec![start];
        let mut exits = 0;
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if self.upstream_only.contains(&id) {
                exits += 1;
                continue;
            }
            if self.line.contains(&id) {
                return Ok(false);
            }
            if !self.listed.contains(&id) {
                // An upstream commit the branch itself stands on (a fork
                // created there, a feature started before the first fork
                // commit) is where a fork branch starts, not upstream news.
                if !self.is_upstream(id)? || self.on_line_below(id)? {
                    return Ok(false);
                }
                exits += 1;
                continue;
            }
            stack.extend(repo.find_commit(id)?.parent_ids());
        }
        if exits == 0 {
            return Ok(false);
        }
        self.upstream_only.extend(seen);
        Ok(true)
    }

    /// The listed part of the first-parent line, once.
    fn build_line(&mut self) -> Result<()> {
        if self.line_built {
            return Ok(());
        }
        self.line_built = true;
        let repo = &self.fork.git.repo;
        let mut at = self.newest;
        while let Some(id) = at.filter(|id| self.listed.contains(id)) {
            if !self.line.insert(id) {
                return Ok(());
            }
            at = repo.find_commit(id)?.parent_id(0).ok();
        }
        self.line_next = at;
        Ok(())
    }

    /// Whether `id` (not listed) is on the first-parent line below the listed
    /// part, down to the first upstream commit the line stands on (where the
    /// fork was created; what lies below it is upstream's own history). The
    /// line is followed only down to a day before `id`'s date, and what was
    /// followed is kept for the next question.
    fn on_line_below(&mut self, id: Oid) -> Result<bool> {
        let fork = self.fork;
        let repo = &fork.git.repo;
        let floor = repo.find_commit(id)?.time().seconds() - 86_400;
        while let Some(next) = self.line_next {
            if self.line.contains(&id) {
                break;
            }
            let c = repo.find_commit(next)?;
            if c.time().seconds() < floor {
                break;
            }
            self.line.insert(next);
            self.line_next = if self.is_upstream(next)? {
                None
            } else {
                c.parent_id(0).ok()
            };
        }
        Ok(self.line.contains(&id))
    }

    fn is_upstream(&mut self, id: Oid) -> Result<bool> {
        if self.upstream.is_none() {
            let (stable, _) = self.fork.stable_tags()?;
            let tips = self.fork.upstream_tips(&stable)?;
            self.upstream = Some(self.fork.git.reach(&tips)?);
        }
        match self.upstream.as_mut() {
            Some(reach) => reach.contains(id),
            None => Ok(false),
        }
    }
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
