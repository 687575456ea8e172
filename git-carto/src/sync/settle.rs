//! The automatic policies, planned in one batch without touching files: each
//! unresolved conflict's policy becomes a [`Change`], unless the `upstream`
//! policy would drop fork lines that provenance protects; then the path is
//! held for a person (DESIGN 6.3). Shared by the real sync and the forecast,
//! so the two cannot disagree.

use git2::{Oid, Repository};

use super::policy::{Policy, Side};
use super::provenance::{AtStake, Guard};
use super::resolve::{self, Change, Choice};
use super::sides::Sides;
use super::state::Record;
use super::verify::{dropped_lines, ranges};
use crate::error::{Error, Result};
use crate::repo::fork::Fork;

/// A policy's decision for one record.
pub struct Planned {
    /// Index into the records.
    pub index: usize,
    pub choice: Choice,
    pub change: Change,
}

/// A conflict the policy did not decide, and why.
pub struct Held {
    pub index: usize,
    /// Protected fork lines the policy would drop (1-based, fork side's file).
    pub lines: Vec<usize>,
    pub why: String,
}

pub struct Settled {
    pub planned: Vec<Planned>,
    pub held: Vec<Held>,
}

/// Plan every automatic policy for the unresolved `records`.
/// `guard` is one already reading upstream's versions ([`Guard::read_ahead`]);
/// without one it is made here when a policy needs it.
pub fn plan(
    fork: &Fork,
    sides: &Sides,
    records: &[Record],
    guard: Option<Guard>,
) -> Result<Settled> {
    let repo = &fork.git.repo;
    let mut planned = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.resolution.is_some() {
            continue;
        }
        let Some(side) = r.policy.side() else {
            continue;
        };
        if r.conflict.kind == super::conflicts::Kind::Submodule && !r.policy.whole_file() {
            return Err(Error::refused(format!(
                "{} is a submodule (gitlink) and policy `{}` merges hunks, which a submodule has \
                 not: give it a whole-file policy (`upstream-file` or `fork-file`) or `manual`",
                r.conflict.path,
                r.policy.name()
            )));
        }
        let choice = if r.policy.whole_file() {
            Choice::File(side)
        } else {
            Choice::Hunks(side)
        };
        planned.push(Planned {
            index: i,
            choice,
            change: resolve::plan(repo, &r.conflict, choice)?,
        });
    }
    // Only `upstream` (hunks) is bounded by provenance: `upstream-force` opts
    // out, and whole-file policies mean the whole file.
    let guarded: Vec<usize> = planned
        .iter()
        .enumerate()
        .filter(|(_, p)| records[p.index].policy == Policy::Upstream)
        .map(|(k, _)| k)
        .collect();
    if guarded.is_empty() {
        return Ok(Settled {
            planned,
            held: Vec::new(),
        });
    }
    let mut stakes = Vec::new();
    for &k in &guarded {
        let p = &planned[k];
        stakes.push(at_stake(repo, &records[p.index], &p.change));
    }
    let mut guard = match guard {
        Some(g) => g,
        None => Guard::new(fork, sides)?,
    };
    let protected = guard.protected(repo, &stakes)?;
    let mut held = Vec::new();
    let mut drop_k = Vec::new();
    for (j, lines) in protected.into_iter().enumerate() {
        if lines.is_empty() {
            continue;
        }
        let k = guarded[j];
        drop_k.push(k);
        held.push(Held {
            index: planned[k].index,
            why: format!(
                "the {} would drop {} fork line(s) that only fork commits wrote (fork side lines {}): needs a person, or an `upstream-force` rule",
                Side::Upstream.label(),
                lines.len(),
                ranges(&lines)
            ),
            lines,
        });
    }
    let mut k = 0;
    planned.retain(|_| {
        let keep = !drop_k.contains(&k);
        k += 1;
        keep
    });
    Ok(Settled { planned, held })
}

/// The fork-side lines a change leaves out (against the merge base).
pub fn at_stake<'a>(repo: &Repository, r: &'a Record, change: &Change) -> AtStake<'a> {
    let c = &r.conflict;
    let Some(fk) = c.fork.as_ref() else {
        return AtStake {
            path: &c.path,
            lines: Vec::new(),
        };
    };
    let text = |id: Oid| {
        repo.find_blob(id)
            .ok()
            .filter(|b| !b.is_binary())
            .map(|b| String::from_utf8_lossy(b.content()).into_owned())
    };
    let (Some(fork_text), base_text) = (text(fk.id), c.base.as_ref().and_then(|b| text(b.id)))
    else {
        return AtStake {
            path: &fk.path,
            lines: Vec::new(),
        };
    };
    let result = match (&change.content, &change.keep) {
        (Some(bytes), _) => Some(String::from_utf8_lossy(bytes).into_owned()),
        (None, Some((_, id, _))) => text(*id),
        (None, None) => Some(String::new()),
    };
    let Some(result) = result else {
        return AtStake {
            path: &fk.path,
            lines: Vec::new(),
        };
    };
    let fork_lines: Vec<&str> = fork_text.lines().collect();
    let lines = dropped_lines(base_text.as_deref().unwrap_or(""), &fork_text, &result)
        .into_iter()
        .filter_map(|n| fork_lines.get(n - 1).map(|l| (n, l.to_string())))
        .collect();
    AtStake {
        path: &fk.path,
        lines,
    }
}
