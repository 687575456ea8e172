//! Which commit is the upstream side and which the fork side of a merge.
//!
//! `git carto sync` merges production into a branch made from the mirror, so
//! there HEAD is the upstream side; a person who merged a stable tag into
//! production has it the other way round. Ancestry decides, never the order of
//! the parents.

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::repo::fork::Fork;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sides {
    #[serde(with = "oid_str")]
    pub upstream: Oid,
    #[serde(with = "oid_str")]
    pub fork: Oid,
    #[serde(with = "opt_oid_str")]
    pub base: Option<Oid>,
    /// Whether the upstream side is HEAD (stage 2 in the index) of a merge in progress.
    pub upstream_is_head: bool,
    /// How to name each side to a person ("v1.78.5-stable", "carto/main").
    pub upstream_label: String,
    pub fork_label: String,
}

impl Sides {
    pub fn new(fork: &Fork, upstream: Oid, fork_side: Oid, upstream_is_head: bool) -> Sides {
        let git = &fork.git;
        Sides {
            upstream,
            fork: fork_side,
            base: git.merge_base(upstream, fork_side),
            upstream_is_head,
            upstream_label: label(fork, upstream),
            fork_label: label(fork, fork_side),
        }
    }

    /// The sides of the merge in progress (HEAD and MERGE_HEAD), if any.
    pub fn of_merge_in_progress(fork: &Fork) -> Result<Option<Sides>> {
        let git = &fork.git;
        let (Some(head), Some(merge_head)) = (git.head_id(), git.merge_head()) else {
            return Ok(None);
        };
        let upstream_is_head = match (is_upstream(fork, head)?, is_upstream(fork, merge_head)?) {
            (true, false) => true,
            (false, true) => false,
            // Both or neither look like upstream: `git carto sync`'s direction.
            _ => true,
        };
        Ok(Some(if upstream_is_head {
            Sides::new(fork, head, merge_head, true)
        } else {
            Sides::new(fork, merge_head, head, false)
        }))
    }

    /// The sides of a committed merge: `commit` itself or the nearest merge on
    /// its first-parent line (resolution commits may follow the merge). With
    /// `base` (the fork side, e.g. the pull request's base branch) the upstream
    /// side is the newest stable tag `commit` contains.
    pub fn of_commit(fork: &Fork, commit: Oid, base: Option<&str>) -> Result<Sides> {
        let git = &fork.git;
        if let Some(base) = base {
            let fork_side = git.commit_id(base)?;
            let (stable, _) = fork.stable_tags()?;
            let tag = fork.upstream_of(commit, &stable)?.ok_or_else(|| {
                Error::refused(format!(
                    "no upstream stable tag in the history of {}: nothing to verify against \
                     (fetch tags with `git fetch {} --tags`)",
                    crate::term::output::short(commit),
                    fork.config.upstream()
                ))
            })?;
            let upstream = git.tag_commit(&tag.name).unwrap_or(commit);
            let mut s = Sides::new(fork, upstream, fork_side, true);
            s.upstream_label = tag.name;
            s.fork_label = base.to_string();
            return Ok(s);
        }
        let mut at = git.repo.find_commit(commit)?;
        for _ in 0..100 {
            if at.parent_count() >= 2 {
                let p1 = at.parent_id(0)?;
                let p2 = at.parent_id(1)?;
                return match (is_upstream(fork, p1)?, is_upstream(fork, p2)?) {
                    (true, false) => Ok(Sides::new(fork, p1, p2, true)),
                    (false, true) => Ok(Sides::new(fork, p2, p1, false)),
                    _ => Err(Error::usage(format!(
                        "merge {} does not bring upstream into the fork: name the fork side with --base <ref>",
                        crate::term::output::short(at.id())
                    ))),
                };
            }
            match at.parent(0) {
                Ok(p) => at = p,
                Err(_) => break,
            }
        }
        Err(Error::usage(format!(
            "no merge in the first-parent history of {}: name the fork side with --base <ref>",
            crate::term::output::short(commit)
        )))
    }
}

/// Whether a commit carries only upstream history: contained in the mirror, a
/// stable tag itself, or with no fork commits at all.
fn is_upstream(fork: &Fork, oid: Oid) -> Result<bool> {
    let git = &fork.git;
    let mirror = fork.config.mirror();
    for tip in [
        git.remote_branch(fork.config.origin(), mirror),
        git.local_branch(mirror),
    ]
    .into_iter()
    .flatten()
    {
        if git.is_ancestor(oid, tip)? {
            return Ok(true);
        }
    }
    let (stable, _) = fork.stable_tags()?;
    if stable.iter().any(|t| git.tag_commit(&t.name) == Some(oid)) {
        return Ok(true);
    }
    let tips = fork.upstream_tips(&stable)?;
    if tips.is_empty() {
        return Ok(false);
    }
    Ok(fork.fork_commits(oid, &[], &tips)?.is_empty())
}

/// A name for a commit: a stable tag or branch pointing at it, else its short id.
fn label(fork: &Fork, oid: Oid) -> String {
    let git = &fork.git;
    let cfg = &fork.config;
    for name in [cfg.production(), cfg.mirror()] {
        if git.local_branch(name) == Some(oid) || git.remote_branch(cfg.origin(), name) == Some(oid)
        {
            return name.to_string();
        }
    }
    if let Ok((stable, _)) = fork.stable_tags() {
        if let Some(t) = stable.iter().find(|t| git.tag_commit(&t.name) == Some(oid)) {
            return t.name.clone();
        }
    }
    crate::term::output::short(oid)
}

pub(crate) mod oid_str {
    use git2::Oid;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(oid: &Oid, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(oid)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Oid, D::Error> {
        let s = String::deserialize(d)?;
        Oid::from_str(&s).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod opt_oid_str {
    use git2::Oid;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(oid: &Option<Oid>, s: S) -> Result<S::Ok, S::Error> {
        match oid {
            Some(o) => s.collect_str(o),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| Oid::from_str(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
