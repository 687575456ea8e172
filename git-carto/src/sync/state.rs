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
