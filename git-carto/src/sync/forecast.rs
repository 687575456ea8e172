//! `git carto sync --dry-run`: the whole production merge computed in memory
//! (DESIGN 6.2a). `git merge-tree --write-tree` against the base the real sync
//! would choose, then the same conflict reading and the same policy planning
//! ([`super::settle`]) as the real sync, so the forecast names exactly the
//! conflicts the sync will meet. Objects may be written (git's merge writes
//! its trees); refs, the index and the working tree are never touched.

use git2::{Index, IndexEntry, IndexTime, Oid};
use serde::Serialize;

use super::base::{self, Base};
use super::conflicts;
use super::merge;
use super::policy::Rules;
use super::settle;
use super::sides::Sides;
use super::state::Record;
use crate::error::Result;
use crate::repo::fork::Fork;

#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    pub base: Base,
    pub conflicts: Vec<Predicted>,
    /// Conflicted paths no automatic policy would settle.
    pub needs_person: Vec<String>,
    /// Conflict hunks in those paths.
    pub hunks_for_a_person: usize,
    /// Fork lines only fork commits wrote that a policy would have dropped
    /// (held for a person instead).
    pub customization_lines: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Predicted {
    pub path: String,
    pub kind: String,
    pub paths: Vec<String>,
    pub policy: String,
    pub rule: Option<String>,
    /// `policy` or `person`.
    pub settled_by: String,
    /// What the policy would make of it; why it needs a person.
    pub result: String,
    /// Conflict hunks git left in the file (0 for structural conflicts).
    pub hunks: usize,
}

/// Forecast merging `production` into `upstream` (the sync branch's start).
pub fn compute(
    fork: &Fork,
    upstream: Oid,
    production: Oid,
    asked_base: Option<&str>,
) -> Result<Forecast> {
    let git = &fork.git;
    let repo = &git.repo;
    let mut base = base::choose(fork, upstream, production, asked_base)?;
    let merged = if base.is_explicit() {
        let (merged, plain) = merge::with_plain(git, base.commit, upstream, production)?;
        base.plain_merge_conflicts = Some(plain);
        merged
    } else {
        merge::in_memory(git, None, upstream, production)?
    };
    let mut sides = Sides::new(fork, upstream, production, true);
    sides.base = Some(base.commit);
    let mut index = Index::new()?;
    for s in &merged.stages {
        index.add(&IndexEntry {
            ctime: IndexTime::new(0, 0),
            mtime: IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: s.mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: s.id,
            flags: (s.stage << 12) | (s.path.len().min(0xfff) as u16),
            flags_extended: 0,
            path: s.path.clone().into_bytes(),
        })?;
    }
    let rules = Rules::from_config(&fork.config)?;
    let records: Vec<Record> = conflicts::collect_in(&fork.git, &index, &sides)?
        .into_iter()
        .map(|c| {
            let d = rules.decide(c.match_paths());
            Record {
                conflict: c,
                policy: d.policy,
                rule: d.glob,
                resolution: None,
                held: None,
            }
        })
        .collect();
    let settled = settle::plan(fork, &sides, &records, None)?;
    let tree = repo.find_tree(merged.tree)?;
    let hunks = |path: &str| -> usize {
        tree.get_path(std::path::Path::new(path))
            .ok()
            .and_then(|e| repo.find_blob(e.id()).ok())
            .map(|b| {
                b.content()
                    .split(|c| *c == b'\n')
                    .filter(|l| l.starts_with(b"<<<<<<< "))
                    .count()
            })
            .unwrap_or(0)
    };
    let mut out = Forecast {
        base,
        conflicts: Vec::new(),
        needs_person: Vec::new(),
        hunks_for_a_person: 0,
        customization_lines: settled.held.iter().map(|h| h.lines.len()).sum(),
    };
    for (i, r) in records.iter().enumerate() {
        let c = &r.conflict;
        let planned = settled.planned.iter().find(|p| p.index == i);
        let held = settled.held.iter().find(|h| h.index == i);
        let n = c.paths.iter().map(|p| hunks(p)).sum();
        let (by, result) = match (planned, held) {
            (Some(p), _) => ("policy", p.change.result.clone()),
            (None, Some(h)) => ("person", h.why.clone()),
            (None, None) => ("person", "no automatic policy: needs a person".into()),
        };
        if by == "person" {
            out.needs_person.push(c.path.clone());
            out.hunks_for_a_person += n;
        }
        out.conflicts.push(Predicted {
            path: c.path.clone(),
            kind: c.kind.name().to_string(),
            paths: c.paths.clone(),
            policy: r.policy.name().to_string(),
            rule: r.rule.clone(),
            settled_by: by.into(),
            result,
            hunks: n,
        });
    }
    Ok(out)
}
