//! The "sync in progress" record, kept in the git directory
//! (`<git-dir>/carto/sync.json`) so it follows the worktree and never shows up
//! as a change. It remembers where every branch was before the sync (for
//! `--abort`), the options to finish with (`--continue` pushes and opens the
//! pull request as the first run was told to), and each conflict with the
//! policy that decided it: the index forgets conflicts once they are resolved,
//! the audit must not.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::conflicts::Conflict;
use super::policy::Policy;
use super::resolve::Choice;
use super::sides::Sides;
use crate::error::{Error, Result, ResultExt};
use crate::repo::git::Git;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// False when carto took over a merge a person started with `git merge`.
    pub started_by_carto: bool,
    pub upstream_version: Option<String>,
    pub from_version: Option<String>,
    pub tag: Option<String>,
    pub sync_branch: Option<String>,
    pub production: String,
    pub sides: Sides,
    pub before: Before,
    pub mirror: Option<super::mirror::MirrorStep>,
    pub push: bool,
    pub pr: bool,
    pub supersede: bool,
    pub conflicts: Vec<Record>,
    pub warnings: Vec<String>,
    /// The merge base used and why (DESIGN 6.2a).
    #[serde(default)]
    pub base: Option<super::base::Base>,
    /// `--regenerate` was asked: run `resolve.regenerate` before the commit.
    #[serde(default)]
    pub regenerate: bool,
    /// What that command did, once it ran.
    #[serde(default)]
    pub regenerated: Option<super::regenerate::Regenerated>,
    /// The sync's own `git commit`, recorded before it runs.
    #[serde(default)]
    pub committing: Option<Committing>,
}

/// The sync's `git commit`, written down before it runs: git can move the
/// branch and still fail (a hook, a kill, a disk full after the ref), and only
/// this record tells that commit from one a person made, so `--abort` takes
/// back exactly it and nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Committing {
    /// The ref `git commit` moves: `refs/heads/<branch>`, or `HEAD` when detached.
    pub refname: String,
    /// Its value before the commit.
    pub old: String,
    /// The merge commit this sync makes: its parents and tree.
    pub parents: Vec<String>,
    pub tree: String,
    /// The commit, once seen after git failed.
    #[serde(default)]
    pub new: Option<String>,
}

impl Committing {
    /// What `git commit` is about to do in `git`'s merge in progress.
    pub fn before(git: &Git) -> Result<Committing> {
        let head = git.repo.head()?;
        let refname = if head.is_branch() {
            head.name().unwrap_or("HEAD").to_string()
        } else {
            "HEAD".to_string()
        };
        let old = head
            .target()
            .ok_or_else(|| Error::refused("HEAD does not point at a commit"))?;
        let mut parents = vec![old.to_string()];
        parents.extend(git.merge_head().map(|m| m.to_string()));
        let tree = git.run(&["write-tree"])?.stdout.trim().to_string();
        Ok(Committing {
            refname,
            old: old.to_string(),
            parents,
            tree,
            new: None,
        })
    }

    /// The commit the ref points at now, when it is this sync's commit (the
    /// one seen, or one with exactly the recorded parents and tree).
    pub fn made(&self, repo: &git2::Repository) -> Option<git2::Oid> {
        let now = repo.refname_to_id(&self.refname).ok()?;
        if now.to_string() == self.old {
            return None;
        }
        if let Some(new) = &self.new {
            return (now.to_string() == *new).then_some(now);
        }
        let c = repo.find_commit(now).ok()?;
        let parents: Vec<String> = c.parent_ids().map(|p| p.to_string()).collect();
        (parents == self.parents && c.tree_id().to_string() == self.tree).then_some(now)
    }
}

/// Where things were before the sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Before {
    /// The checked-out branch, or `None` on a detached HEAD.
    pub branch: Option<String>,
    pub head: Option<String>,
    /// Local branches the sync changes, with their previous tips (`None`: did not exist).
    pub branches: Vec<(String, Option<String>)>,
}

/// One conflicted path and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    #[serde(flatten)]
    pub conflict: Conflict,
    pub policy: Policy,
    /// The glob that chose the policy; `None`: no rule matched.
    pub rule: Option<String>,
    pub resolution: Option<Resolution>,
    /// Why the automatic policy did not decide it (customization lines at stake).
    #[serde(default)]
    pub held: Option<String>,
}

impl Record {
    /// The side a person kept outside carto (`git checkout --theirs`, `git
    /// rm`, ... then `git add`), read from the index: that side's whole file
    /// (or its deletion) at every path of the conflict. `None`: edited.
    pub fn side_kept(&self, index: &git2::Index) -> Option<Choice> {
        let c = &self.conflict;
        [super::policy::Side::Upstream, super::policy::Side::Fork]
            .into_iter()
            .find(|&side| {
                let chosen = c.side(side);
                c.paths.iter().chain(chosen.map(|e| &e.path)).all(|p| {
                    let at = index.get_path(Path::new(p), 0).map(|e| e.id);
                    match chosen.filter(|e| e.path == *p) {
                        Some(e) => at == Some(e.id),
                        None => at.is_none(),
                    }
                })
            })
            .map(Choice::File)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resolution {
    pub by: By,
    /// The side taken; `None` when a person edited the file.
    pub choice: Option<Choice>,
    pub result: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// An automatic policy.
    Policy,
    /// A person, in the walk (`--resolve`) or in `$EDITOR`.
    Hand,
    /// A person, outside carto (`git add`, `git rm`).
    Outside,
}

impl State {
    pub fn path(git: &Git) -> PathBuf {
        git.git_dir().join("carto").join("sync.json")
    }

    pub fn load(git: &Git) -> Result<Option<State>> {
        let path = Self::path(git);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::refused(format!("reading {}: {e}", path.display()))),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::refused(format!(
                "{} is damaged ({e}): remove it to forget the sync in progress",
                path.display()
            ))
        })
    }

    /// Write atomically: a crash never leaves half a record.
    pub fn save(&self, git: &Git) -> Result<()> {
        let path = Self::path(git);
        write_atomic(&path, &serde_json::to_vec_pretty(self).unwrap_or_default())
            .context("saving the sync state")
    }

    pub fn remove(git: &Git) -> Result<()> {
        match std::fs::remove_file(Self::path(git)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// What is left for a person, as `--status` and the stop message both
    /// list it: each unresolved conflict by its path (a rename/rename once,
    /// by its base path), then any unmerged path no record knows.
    pub fn left(&self, unmerged: &std::collections::HashSet<String>) -> Vec<String> {
        let mut out: Vec<String> = self
            .conflicts
            .iter()
            .filter(|r| {
                r.resolution.is_none() && r.conflict.paths.iter().any(|p| unmerged.contains(p))
            })
            .map(|r| r.conflict.path.clone())
            .collect();
        let mut strays: Vec<String> = unmerged
            .iter()
            .filter(|p| !self.conflicts.iter().any(|r| r.conflict.paths.contains(p)))
            .cloned()
            .collect();
        strays.sort();
        out.extend(strays);
        out
    }

    pub fn record(&self, path: &str) -> Option<&Record> {
        self.conflicts.iter().find(|r| r.conflict.path == path)
    }

    /// A short description for messages: "upstream v1.78.5 on upstream-sync/v1.78.5".
    pub fn describe(&self) -> String {
        match (&self.upstream_version, &self.sync_branch) {
            (Some(v), Some(b)) => format!("upstream v{v} on {b}"),
            _ => format!(
                "merge of {} into {}",
                self.sides.fork_label, self.sides.upstream_label
            ),
        }
    }
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
