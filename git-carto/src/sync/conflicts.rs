//! Unmerged paths and their kinds, read from the index in one pass.
//!
//! `--diff-filter=U` alone hides what kind of conflict a path is in, and the
//! kind decides what "take a side" means: a content conflict has hunks, a
//! modify/delete has a file or nothing, a rename/rename has two paths of which
//! one must go. Kinds are named upstream side first, fork side second.

use std::collections::{BTreeMap, HashSet};

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

use super::sides::Sides;
use crate::error::Result;
use crate::repo::git::Git;

/// The mode git gives a submodule's entry (a gitlink).
const GITLINK: u32 = 0o160000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Both sides changed the same file.
    #[serde(rename = "content")]
    Content,
    /// Both sides added a file at the same path.
    #[serde(rename = "add/add")]
    AddAdd,
    /// Upstream modified, the fork deleted.
    #[serde(rename = "modify/delete")]
    ModifyDelete,
    /// Upstream deleted, the fork modified.
    #[serde(rename = "delete/modify")]
    DeleteModify,
    /// Each side renamed the file to a different path.
    #[serde(rename = "rename/rename")]
    RenameRename,
    /// Upstream renamed, the fork deleted.
    #[serde(rename = "rename/delete")]
    RenameDelete,
    /// Upstream deleted, the fork renamed.
    #[serde(rename = "delete/rename")]
    DeleteRename,
    /// A submodule (gitlink) that each side points at a different commit:
    /// no text, no hunks, never edited; only a side's commit can be taken.
    #[serde(rename = "submodule")]
    Submodule,
    /// A path only one side has, left over from a type or rename collision.
    #[serde(rename = "other")]
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Content => "content",
            Kind::AddAdd => "add/add",
            Kind::ModifyDelete => "modify/delete",
            Kind::DeleteModify => "delete/modify",
            Kind::RenameRename => "rename/rename",
            Kind::RenameDelete => "rename/delete",
            Kind::DeleteRename => "delete/rename",
            Kind::Submodule => "submodule",
            Kind::Other => "other",
        }
    }

    /// Whether the conflict has hunks that a policy can decide one by one.
    pub fn has_hunks(self) -> bool {
        matches!(self, Kind::Content | Kind::AddAdd)
    }

    /// What the kind means, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Content => "changed on both sides",
            Kind::AddAdd => "added on both sides",
            Kind::ModifyDelete => "changed on the upstream side, deleted on the fork side",
            Kind::DeleteModify => "deleted on the upstream side, changed on the fork side",
            Kind::RenameRename => "renamed differently on each side",
            Kind::RenameDelete => "renamed on the upstream side, deleted on the fork side",
            Kind::DeleteRename => "deleted on the upstream side, renamed on the fork side",
            Kind::Submodule => "a submodule each side points at a different commit",
            Kind::Other => "present on one side only after a collision",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One version of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    #[serde(with = "super::sides::oid_str")]
    pub id: Oid,
    pub mode: u32,
}

/// One conflict. `paths` are every index path it occupies (a rename/rename has
/// three: the base path and each side's new path); resolving it settles all.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conflict {
    /// The path shown and matched against the policy (the base path of a
    /// rename/rename, whose new paths are in `upstream`/`fork`).
    pub path: String,
    pub kind: Kind,
    pub base: Option<Entry>,
    pub upstream: Option<Entry>,
    pub fork: Option<Entry>,
    pub paths: Vec<String>,
    /// Either side is a binary file: no diff, no hunks.
    pub binary: bool,
}

impl Conflict {
    pub fn side(&self, side: super::policy::Side) -> Option<&Entry> {
        match side {
            super::policy::Side::Upstream => self.upstream.as_ref(),
            super::policy::Side::Fork => self.fork.as_ref(),
        }
    }

    /// Every path a policy glob may match for this conflict.
    pub fn match_paths(&self) -> Vec<&str> {
        let mut out = vec![self.path.as_str()];
        for e in [&self.upstream, &self.fork].into_iter().flatten() {
            if !out.contains(&e.path.as_str()) {
                out.push(&e.path);
            }
        }
        out
    }
}

#[derive(Default)]
struct Stages {
    base: Option<Entry>,
    head: Option<Entry>,
    merge: Option<Entry>,
}

/// Every unmerged path of the index, grouped into conflicts with their kind.
pub fn collect(git: &Git, sides: &Sides) -> Result<Vec<Conflict>> {
    let mut index = git.repo.index()?;
    index.read(true)?;
    collect_in(git, &index, sides)
}

/// Like [`collect`], for any index (the forecast's, built in memory).
pub fn collect_in(git: &Git, index: &git2::Index, sides: &Sides) -> Result<Vec<Conflict>> {
    let repo = &git.repo;
    let mut by_path: BTreeMap<String, Stages> = BTreeMap::new();
    for entry in index.iter() {
        let stage = (entry.flags >> 12) & 0x3;
        if stage == 0 {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path).into_owned();
        let e = Entry {
            path: path.clone(),
            id: entry.id,
            mode: entry.mode,
        };
        let s = by_path.entry(path).or_default();
        match stage {
            1 => s.base = Some(e),
            2 => s.head = Some(e),
            _ => s.merge = Some(e),
        }
    }
    if by_path.is_empty() {
        return Ok(Vec::new());
    }
    let base_tree = match sides.base {
        Some(b) => Some(repo.find_commit(b)?.tree()?),
        None => None,
    };
    let in_base = |p: &str| {
        base_tree
            .as_ref()
            .is_some_and(|t| t.get_path(std::path::Path::new(p)).is_ok())
    };

    let mut out = Vec::new();
    // Paths with a single stage belong to rename/rename conflicts (or leftovers).
    let mut base_only = Vec::new();
    let mut up_only = Vec::new();
    let mut fork_only = Vec::new();
    for (path, s) in by_path {
        let (up, fk) = if sides.upstream_is_head {
            (s.head, s.merge)
        } else {
            (s.merge, s.head)
        };
        let kind = match (&s.base, &up, &fk) {
            (Some(_), Some(_), Some(_)) => Kind::Content,
            (None, Some(_), Some(_)) => Kind::AddAdd,
            (Some(_), Some(_), None) if in_base(&path) => Kind::ModifyDelete,
            (Some(_), Some(_), None) => Kind::RenameDelete,
            (Some(_), None, Some(_)) if in_base(&path) => Kind::DeleteModify,
            (Some(_), None, Some(_)) => Kind::DeleteRename,
            (Some(b), None, None) => {
                base_only.push(b.clone());
                continue;
            }
            (None, Some(u), None) => {
                up_only.push(u.clone());
                continue;
            }
            (None, None, Some(f)) => {
                fork_only.push(f.clone());
                continue;
            }
            (None, None, None) => continue,
        };
        let gitlink = [&s.base, &up, &fk]
            .into_iter()
            .flatten()
            .any(|e| e.mode == GITLINK);
        let kind = if gitlink { Kind::Submodule } else { kind };
        out.push(Conflict {
            path: path.clone(),
            kind,
            base: s.base,
            upstream: up,
            fork: fk,
            paths: vec![path],
            binary: false,
        });
    }
    let records = if up_only.is_empty() || fork_only.is_empty() {
        Vec::new()
    } else {
        rename_records(git, sides)
    };
    out.extend(pair_renames(
        repo, sides, &records, base_only, up_only, fork_only,
    )?);
    for c in &mut out {
        c.binary = [&c.upstream, &c.fork, &c.base]
            .into_iter()
            .flatten()
            .any(|e| is_binary(repo, e.id));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// git's own rename/rename records for the merge in progress, as (base,
/// upstream side's path, fork side's path): `git merge-tree` redoes the
/// merge in memory and lists each conflict with its paths. Single-stage paths
/// are also what type and file/directory collisions leave (`thing~<label>`),
/// so pairing by guesswork joined unrelated files; without a record (an old
/// git, no MERGE_HEAD) nothing is paired.
fn rename_records(git: &Git, sides: &Sides) -> Vec<(String, String, String)> {
    let (Some(head), Some(merge_head)) = (git.head_id(), git.merge_head()) else {
        return Vec::new();
    };
    let Ok((_, out)) = git.run_status(&[
        "merge-tree",
        "--write-tree",
        "--name-only",
        "-z",
        &head.to_string(),
        &merge_head.to_string(),
    ]) else {
        return Vec::new();
    };
    // <tree> NUL <conflicted paths> NUL NUL, then messages:
    // <count> NUL <path>... NUL <type> NUL <message> NUL
    let Some((_, messages)) = out.stdout.split_once("\0\0") else {
        return Vec::new();
    };
    let mut fields = messages.split('\0');
    let mut records = Vec::new();
    while let Some(count) = fields.next().and_then(|n| n.parse::<usize>().ok()) {
        let paths: Vec<&str> = fields.by_ref().take(count).collect();
        let kind = fields.next().unwrap_or_default();
        let _message = fields.next();
        if kind == "CONFLICT (rename/rename)" && paths.len() == 3 {
            let (base, on_head, on_merge) = (paths[0], paths[1], paths[2]);
            let (up, fk) = if sides.upstream_is_head {
                (on_head, on_merge)
            } else {
                (on_merge, on_head)
            };
            records.push((base.to_string(), up.to_string(), fk.to_string()));
        }
    }
    records
}

/// Group the single-stage paths of rename/rename conflicts by git's records;
/// every other single-stage path is a conflict of its own. Each side's own
/// file comes from its commit, not from the index (which holds the merged
/// text with markers).
fn pair_renames(
    repo: &Repository,
    sides: &Sides,
    records: &[(String, String, String)],
    mut base_only: Vec<Entry>,
    up_only: Vec<Entry>,
    mut fork_only: Vec<Entry>,
) -> Result<Vec<Conflict>> {
    let up_tree = repo.find_commit(sides.upstream)?.tree()?;
    let fork_tree = repo.find_commit(sides.fork)?.tree()?;
    let side_entry = |tree: &git2::Tree<'_>, e: &Entry| -> Entry {
        match tree.get_path(std::path::Path::new(&e.path)) {
            Ok(t) => Entry {
                path: e.path.clone(),
                id: t.id(),
                mode: t.filemode() as u32,
            },
            Err(_) => e.clone(),
        }
    };
    let mut out = Vec::new();
    let mut used_base: HashSet<usize> = HashSet::new();
    for u in up_only {
        let record = records.iter().find(|r| r.1 == u.path);
        let partner = record.and_then(|r| fork_only.iter().position(|f| f.path == r.2));
        let Some(fi) = partner else {
            out.push(single(u, Some(true)));
            continue;
        };
        let f = fork_only.remove(fi);
        let upstream = side_entry(&up_tree, &u);
        let fork = side_entry(&fork_tree, &f);
        let base_path = record.map(|r| r.0.as_str()).unwrap_or_default();
        let bi = (0..base_only.len())
            .find(|i| !used_base.contains(i) && base_only[*i].path == base_path);
        let mut paths = Vec::new();
        let base = bi.map(|i| {
            used_base.insert(i);
            base_only[i].clone()
        });
        if let Some(b) = &base {
            paths.push(b.path.clone());
        }
        paths.push(u.path.clone());
        paths.push(f.path.clone());
        out.push(Conflict {
            path: base.as_ref().map_or(u.path.clone(), |b| b.path.clone()),
            kind: Kind::RenameRename,
            base,
            upstream: Some(upstream),
            fork: Some(fork),
            paths,
            binary: false,
        });
    }
    for f in fork_only {
        out.push(single(f, Some(false)));
    }
    // Base paths no pair claimed: neither side kept the file, so it goes.
    let mut i = 0;
    base_only.retain(|_| {
        let keep = !used_base.contains(&i);
        i += 1;
        keep
    });
    for b in base_only {
        out.push(Conflict {
            path: b.path.clone(),
            kind: Kind::Other,
            paths: vec![b.path.clone()],
            base: Some(b),
            upstream: None,
            fork: None,
            binary: false,
        });
    }
    Ok(out)
}

fn single(e: Entry, upstream: Option<bool>) -> Conflict {
    let is_up = upstream == Some(true);
    Conflict {
        path: e.path.clone(),
        kind: Kind::Other,
        base: None,
        paths: vec![e.path.clone()],
        upstream: is_up.then(|| e.clone()),
        fork: (!is_up).then_some(e),
        binary: false,
    }
}

pub fn is_binary(repo: &Repository, id: Oid) -> bool {
    repo.find_blob(id).is_ok_and(|b| b.is_binary())
}
