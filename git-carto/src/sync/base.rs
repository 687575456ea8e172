//! Which merge base the production merge uses (DESIGN 6.2a).
//!
//! git's merge base is the newest upstream commit that production's *history*
//! contains. After a squash-merged sync, production's *content* is a newer
//! release than that, and merging against the old base makes every line that
//! release changed look changed on both sides: the first user's v1.81.0 sync
//! had 891 conflicted paths where 22 were real. So the base is the newest
//! upstream state production really contains: the release its last sync
//! recorded (a `Carto-Upstream:` line, which survives GitHub's squash message),
//! else the mirror commit or stable tag whose tree is closest to production's,
//! when that is strictly closer than git's own base. Ties keep git's base: a
//! base that is too new would make production look as if it had reverted
//! upstream changes it never had.

use std::collections::HashSet;

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::repo::fork::Fork;
use crate::term::output::short;

/// The trailer of a sync merge that names the upstream release it brought in.
pub const UPSTREAM_TRAILER: &str = "Carto-Upstream";

/// The base chosen, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Base {
    #[serde(with = "super::sides::oid_str")]
    pub commit: Oid,
    /// A stable tag or mirror name for the commit, else its short id.
    pub label: String,
    /// `git` (git's merge base), `recorded` (a `Carto-Upstream:` trailer),
    /// `closest-tree` (the upstream state closest to production), `asked` (`--base`).
    pub reason: String,
    /// git's own merge base.
    #[serde(with = "super::sides::opt_oid_str")]
    pub git_merge_base: Option<Oid>,
    /// Paths a plain `git merge` (git's base) conflicts on; `None` when the
    /// base is git's (the same number as the sync's).
    pub plain_merge_conflicts: Option<usize>,
}

impl Base {
    /// Whether the merge must run against an explicit base.
    pub fn is_explicit(&self) -> bool {
        self.git_merge_base != Some(self.commit)
    }

    /// One line for people: "v2.0.0-stable (abc1234): recorded by an earlier sync".
    pub fn describe(&self) -> String {
        let why = match self.reason.as_str() {
            "recorded" => "recorded by an earlier sync (Carto-Upstream)".to_string(),
            "closest-tree" => "the upstream state closest to production's files".to_string(),
            "asked" => "asked for with --base".to_string(),
            _ => "git's merge base".to_string(),
        };
        let mut s = format!("{} ({}): {why}", self.label, short(self.commit));
        if let (Some(n), Some(g)) = (self.plain_merge_conflicts, self.git_merge_base) {
            s.push_str(&format!(
                "; a plain `git merge` (base {}) would conflict on {n} path(s)",
                short(g)
            ));
        }
        s
    }
}

/// Choose the base for merging `production` into `upstream` (the sync
/// branch). `asked` is `--base <rev>`.
pub fn choose(fork: &Fork, upstream: Oid, production: Oid, asked: Option<&str>) -> Result<Base> {
    let git = &fork.git;
    let gm = git.merge_base(upstream, production);
    let (commit, reason) = if let Some(rev) = asked {
        let c = git
            .commit_id(rev)
            .map_err(|_| Error::usage(format!("--base `{rev}` is not a commit")))?;
        (c, "asked")
    } else if let Some(c) = recorded(fork, production, gm)? {
        (c, "recorded")
    } else if let Some(c) = closest_tree(fork, upstream, production, gm)? {
        (c, "closest-tree")
    } else if let Some(g) = gm {
        (g, "git")
    } else {
        return Err(Error::refused(
            "production and the upstream release share no history: name a base with --base <rev>",
        ));
    };
    let mut base = Base {
        commit,
        label: label(fork, commit),
        reason: reason.into(),
        git_merge_base: gm,
        plain_merge_conflicts: None,
    };
    // A chosen base's comparison with a plain merge (`plain_merge_conflicts`)
    // is counted by the caller's merge (`merge::with_plain`), concurrently.
    if !base.is_explicit() && base.reason != "asked" {
        base.reason = "git".into();
    }
    Ok(base)
}

/// The newest upstream commit a `Carto-Upstream:` line in production's history
/// names, when it is newer than git's base.
fn recorded(fork: &Fork, production: Oid, gm: Option<Oid>) -> Result<Option<Oid>> {
    let git = &fork.git;
    let repo = &git.repo;
    let prefix = format!("{UPSTREAM_TRAILER}:");
    first_in_messages(fork, production, gm, &prefix, |msg| {
        for line in msg.lines() {
            let Some(rest) = line.trim().trim_start_matches("* ").strip_prefix(&prefix) else {
                continue;
            };
            let Some(sha) = rest.split_whitespace().find_map(|w| Oid::from_str(w).ok()) else {
                continue;
            };
            let Ok(named) = repo.find_commit(sha) else {
                continue;
            };
            let named = named.id();
            let newer = match gm {
                Some(g) => named != g && git.is_ancestor(g, named)?,
                None => true,
            };
            if newer {
                return Ok(Some(named));
            }
        }
        Ok(None)
    })
}

/// The first answer `find` gives for the messages of production's commits
/// above git's base that hold `prefix`, children before parents and
/// otherwise newest first (git's `--date-order`). The walk reads the headers
/// and graph the merge-base walk already read; only commits whose raw
/// object holds `prefix` are decoded.
fn first_in_messages(
    fork: &Fork,
    production: Oid,
    gm: Option<Oid>,
    prefix: &str,
    mut find: impl FnMut(&str) -> Result<Option<Oid>>,
) -> Result<Option<Oid>> {
    let git = &fork.git;
    let hide: Vec<Oid> = gm.into_iter().collect();
    let odb = git.repo.odb()?;
    let needle = memchr::memmem::Finder::new(prefix.as_bytes());
    for oid in git.walk(production, &hide)? {
        let raw = odb.read(oid)?;
        if needle.find(raw.data()).is_none() {
            continue;
        }
        let message = git.repo.find_commit(oid)?;
        let msg = String::from_utf8_lossy(message.message_bytes());
        if msg.contains(prefix) {
            if let Some(found) = find(&msg)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// The stable tag or mirror commit newer than git's base whose tree differs from production's in the fewest paths,
/// when strictly fewer than git's base does.
fn closest_tree(
    fork: &Fork,
    upstream: Oid,
    production: Oid,
    gm: Option<Oid>,
) -> Result<Option<Oid>> {
    let git = &fork.git;
    let repo = &git.repo;
    let Some(gm) = gm else {
        return Ok(None);
    };
    let newer: HashSet<Oid> = git.walk(upstream, &[gm])?.into_iter().collect();
    if newer.is_empty() {
        return Ok(None);
    }
    let mut candidates: Vec<Oid> = Vec::new();
    // Stable tags sit on release branches: a tag production squashed in need
    // not be an ancestor of the release being synced, only newer than git's base.
    let (stable, _) = fork.stable_tags()?;
    let gm_time = repo.find_commit(gm)?.time().seconds();
    for t in &stable {
        let Some(c) = git.tag_commit(&t.name) else {
            continue;
        };
        let recent = repo
            .find_commit(c)
            .is_ok_and(|c| c.committer().when().seconds() >= gm_time);
        if newer.contains(&c) || (recent && c != gm && git.is_ancestor(gm, c)?) {
            candidates.push(c);
        }
    }
    // The mirror's first-parent line: each commit is a release's tree.
    let mirror = fork.config.mirror();
    for tip in [
        git.local_branch(mirror),
        git.remote_branch(fork.config.origin(), mirror),
        Some(upstream),
    ]
    .into_iter()
    .flatten()
    {
        let mut at = Some(tip);
        while let Some(c) = at.filter(|c| newer.contains(c)) {
            candidates.push(c);
            at = repo.find_commit(c)?.parent_id(0).ok();
        }
    }
    // The release being synced is never a base: against itself, every
    // upstream change would look like something production reverted.
    let target_tree = repo.find_commit(upstream)?.tree_id();
    candidates.retain(|c| {
        repo.find_commit(*c)
            .is_ok_and(|c| c.tree_id() != target_tree)
    });
    let prod_tree = repo.find_commit(production)?.tree()?;
    let distance = |c: Oid| -> Result<usize> {
        let tree = repo.find_commit(c)?.tree()?;
        if tree.id() == prod_tree.id() {
            return Ok(0);
        }
        Ok(repo
            .diff_tree_to_tree(Some(&tree), Some(&prod_tree), None)?
            .deltas()
            .len())
    };
    let mut best = (distance(gm)?, None);
    let mut seen_trees = HashSet::new();
    // Oldest first, so that among equally close states the older one wins.
    candidates.sort_by_key(|c| {
        repo.find_commit(*c)
            .map(|c| c.time().seconds())
            .unwrap_or(0)
    });
    for c in candidates {
        let tree = repo.find_commit(c)?.tree_id();
        if !seen_trees.insert(tree) {
            continue;
        }
        let d = distance(c)?;
        if d < best.0 {
            best = (d, Some(c));
        }
    }
    Ok(best.1)
}

/// A stable tag pointing at `oid`, else the mirror's name when it contains it,
/// else the short id.
fn label(fork: &Fork, oid: Oid) -> String {
    let git = &fork.git;
    if let Ok((stable, _)) = fork.stable_tags() {
        if let Some(t) = stable.iter().find(|t| git.tag_commit(&t.name) == Some(oid)) {
            return t.name.clone();
        }
    }
    let repo = &git.repo;
    if let Ok(c) = repo.find_commit(oid) {
        let tree = c.tree_id();
        if let Ok((stable, _)) = fork.stable_tags() {
            for t in &stable {
                let same = git
                    .tag_commit(&t.name)
                    .and_then(|tc| repo.find_commit(tc).ok())
                    .is_some_and(|tc| tc.tree_id() == tree);
                if same {
                    return format!("{} (mirror {})", t.name, short(oid));
                }
            }
        }
    }
    short(oid)
}
