//! Commits whose history already passed `upstream_refs::require_not_older`,
//! remembered in `<git common dir>/carto/checked` with the upstream refs they
//! were checked against, so the next `next-tag` checks only what is new.
//!
//! Why it is safe: a commit id names its whole history, so "no merge in this
//! history brings in upstream content the refs cannot see" stays true for as
//! long as the refs still reach everything they reached then. That holds
//! when every upstream tip of the check is still a tip, or is reachable from
//! today's tips (a branch that moved forward, the usual fetch). When a tip
//! was deleted or force-pushed away, nothing recorded is used. A missing,
//! unreadable or foreign file means "nothing checked yet", never an error;
//! a file that cannot be written (a read-only clone) costs only speed.
//!
//! Why it exists: without a commit-graph, proving that the ~2k fork commits
//! are not upstream's walks upstream's history down to the oldest of them
//! (190 ms on the real-fork shape, longer than `git tag --merged HEAD`);
//! the commits since the last check are usually a handful.

use std::collections::HashSet;
use std::path::PathBuf;

use git2::Oid;

use crate::error::Result;
use crate::repo::git::Git;

/// The first line: what wrote the file. A file from another version is
/// ignored (the check it remembers may have been a different one).
const HEADER: &str = concat!("git-carto checked v1 ", env!("CARGO_PKG_VERSION"));
/// Checked commits kept: production's last few tips and branches.
const KEEP: usize = 8;

#[derive(Debug, Default)]
pub struct Checked {
    /// The upstream tips the commits were checked against.
    tips: Vec<Oid>,
    /// Newest first.
    commits: Vec<Oid>,
}

impl Checked {
    fn path(git: &Git) -> PathBuf {
        git.repo.commondir().join("carto").join("checked")
    }

    /// What is recorded and still holds under today's upstream `tips`:
    /// every recorded commit when every recorded tip is still reached, else
    /// nothing.
    pub fn load(git: &Git, tips: &[Oid]) -> Result<Checked> {
        let mut recorded = Self::read(git);
        // A commit checked once and pruned since (a `--at` experiment that
        // `git gc` removed) cannot bound a walk.
        recorded
            .commits
            .retain(|c| git.repo.find_commit(*c).is_ok());
        if recorded.commits.is_empty() {
            return Ok(Checked::default());
        }
        let now: HashSet<Oid> = tips.iter().copied().collect();
        let gone: Vec<Oid> = recorded
            .tips
            .iter()
            .copied()
            .filter(|t| !now.contains(t))
            .collect();
        if !gone.is_empty() {
            let mut reach = git.reach(tips)?;
            for tip in gone {
                // A tip whose commit is gone from the repository was
                // rewritten away: its check proves nothing now.
                if git.repo.find_commit(tip).is_err() || !reach.contains(tip)? {
                    return Ok(Checked::default());
                }
            }
        }
        Ok(recorded)
    }

    /// Commits whose history passed the check.
    pub fn commits(&self) -> &[Oid] {
        &self.commits
    }

    fn read(git: &Git) -> Checked {
        let Ok(text) = std::fs::read_to_string(Self::path(git)) else {
            return Checked::default();
        };
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Checked::default();
        }
        let mut out = Checked::default();
        for line in lines {
            let parsed = match line.split_once(' ') {
                Some(("tip", id)) => Oid::from_str(id).map(|id| out.tips.push(id)),
                Some(("commit", id)) => Oid::from_str(id).map(|id| out.commits.push(id)),
                _ => return Checked::default(),
            };
            if parsed.is_err() {
                return Checked::default();
            }
        }
        out
    }

    /// Remember that `commit`'s history passed the check against `tips`,
    /// beside the commits [`Checked::load`] found still valid under them.
    /// Best effort: a failure to write is ignored.
    pub fn record(mut self, git: &Git, tips: &[Oid], commit: Oid) {
        self.tips = tips.to_vec();
        self.tips.sort();
        self.tips.dedup();
        self.commits.retain(|c| *c != commit);
        self.commits.insert(0, commit);
        self.commits.truncate(KEEP);
        let mut text = format!("{HEADER}\n");
        for t in &self.tips {
            text.push_str(&format!("tip {t}\n"));
        }
        for c in &self.commits {
            text.push_str(&format!("commit {c}\n"));
        }
        let path = Self::path(git);
        let _ = crate::repo::memo::write_atomically(&path, &text);
    }
}
