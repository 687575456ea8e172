//! `git carto sync` (DESIGN 6): bring an upstream stable release into the fork.
//!
//! Stage 1 merges the tag into the mirror branch ([`mirror`]); stage 2 makes the
//! sync branch from the mirror, merges production into it (so the pull request
//! shows every upstream commit), settles conflicts by path policy
//! ([`policy`], [`resolve`]), verifies ([`verify`]) and commits, or stops with
//! the repository in a recorded "sync in progress" state ([`state`]) that
//! `--resolve`, `--continue`, `--abort` and `--status` pick up. Every sync
//! writes an audit report ([`report`]).

pub mod base;
pub mod conflicts;
pub mod detect;
pub mod forecast;
pub mod lock;
pub mod merge;
pub mod mirror;
pub mod policy;
pub mod pr;
pub mod provenance;
pub mod regenerate;
pub mod render;
pub mod report;
pub mod resolve;
pub mod settle;
pub mod sides;
pub mod state;
pub mod verify;
pub mod walk;

mod abort;
mod commit;
mod proceed;
mod resume;
mod start;
mod status;

use abort::rolled_back;
pub use abort::{abort_cmd, Aborted};
use commit::*;
use lock::SyncLock;
pub use proceed::continue_cmd;
use resume::ensure_state;
pub use resume::{resolve_cmd, Resolved};
use start::glob_warnings;
pub use start::start;
pub use status::{status_cmd, PathStatus, SyncStatus};

use std::collections::HashSet;

use git2::Oid;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::fork::Fork;
use crate::repo::tag::Template;
use policy::Rules;
use sides::Sides;
use state::{Before, By, Committing, Record, Resolution, State};
use verify::{Check, Finding, Target, Verification};

/// Options of `git carto sync`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub tag: Option<String>,
    pub push: bool,
    /// Fetch upstream and origin first (`--no-fetch` turns it off).
    pub fetch: bool,
    pub dry_run: bool,
    pub pr: bool,
    pub supersede: bool,
    /// `--base <rev>`: the merge base of the production merge.
    pub base: Option<String>,
    /// `--regenerate`: run `resolve.regenerate` before committing the merge.
    pub regenerate: bool,
    /// `--at <rev>` (dry run only): the commit standing in for production.
    pub at: Option<String>,
}

/// Where progress lines go (stderr in the CLI; nowhere with `--quiet`).
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// What `git carto sync` did. `outcome`: `up_to_date`, `dry_run`,
/// `committed`, `stopped` (paths or findings left for a person).
#[derive(Debug, Serialize)]
pub struct Synced {
    pub outcome: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
    pub tag: Option<String>,
    pub sync_branch: Option<String>,
    pub skipped_tags: Vec<String>,
    pub plan: Option<Plan>,
    /// Unresolved paths, and findings that block the commit.
    pub left: Vec<String>,
    pub findings: Vec<Finding>,
    pub report: Option<String>,
    pub audit: Option<serde_json::Value>,
    pub pull_request: Option<PullRequestRef>,
    /// The merge base of the production merge, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<base::Base>,
    /// `--dry-run`: the production merge computed in memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<forecast::Forecast>,
}

/// A dry run's plan.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub mirror_branch: String,
    pub mirror_before: Option<String>,
    /// `unchanged`, `fast-forward`, `merge`, or `unknown` (tag not fetched yet).
    pub mirror: String,
    pub sync_branch: String,
    /// `create`, `continue` (exists locally), `adopt` (exists on origin only).
    pub sync_branch_action: String,
    pub production: String,
    pub production_commit: String,
    pub push: bool,
    pub pull_request: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PullRequestRef {
    pub number: u64,
    pub url: String,
    /// `created` or `updated`.
    pub action: String,
}

fn unmerged_paths(fork: &Fork) -> Result<HashSet<String>> {
    let mut index = fork.git.repo.index()?;
    index.read(true)?;
    Ok(index
        .iter()
        .filter(|e| (e.flags >> 12) & 0x3 != 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect())
}

/// Read the index's conflicts into the state, each with its policy.
fn record_conflicts(fork: &Fork, rules: &Rules, state: &mut State) -> Result<()> {
    let found = conflicts::collect(&fork.git, &state.sides)?;
    for c in found {
        if state.record(&c.path).is_some() {
            continue;
        }
        let d = rules.decide(c.match_paths());
        state.conflicts.push(Record {
            conflict: c,
            policy: d.policy,
            rule: d.glob,
            resolution: None,
            held: None,
        });
    }
    Ok(())
}

/// Paths a person settled outside carto (`git add`, `git rm`) are resolved,
/// each with the side they kept when the index holds one side's file, so the
/// commit records their choice as a `Carto-Resolved:` trailer. Read again on
/// every call: the person may change their mind until the commit.
fn refresh(fork: &Fork, state: &mut State, unmerged: &HashSet<String>) -> Result<()> {
    let outside = |r: &Record| r.resolution.as_ref().is_none_or(|x| x.by == By::Outside);
    if !state.conflicts.iter().any(outside) {
        return Ok(());
    }
    let mut index = fork.git.repo.index()?;
    index.read(true)?;
    for r in &mut state.conflicts {
        if !outside(r) {
            continue;
        }
        if r.conflict.paths.iter().any(|p| unmerged.contains(p)) {
            r.resolution = None;
            continue;
        }
        let choice = r.side_kept(&index);
        r.resolution = Some(Resolution {
            by: By::Outside,
            choice,
            result: match choice {
                Some(c) => format!("{} kept outside carto", c.side().label()),
                None => "edited outside carto".into(),
            },
        });
    }
    Ok(())
}

/// Apply every automatic policy to the unresolved paths, in one batch; paths
/// whose policy would drop protected fork lines are held for a person.
/// `guard`: provenance already reading, if the caller started it.
fn apply_policies(
    fork: &Fork,
    state: &mut State,
    guard: Option<provenance::Guard>,
) -> Result<usize> {
    let unmerged = unmerged_paths(fork)?;
    refresh(fork, state, &unmerged)?;
    let settled = settle::plan(fork, &state.sides, &state.conflicts, guard)?;
    let changes: Vec<&resolve::Change> = settled.planned.iter().map(|p| &p.change).collect();
    resolve::apply(&fork.git, &changes)?;
    let n = settled.planned.len();
    for h in settled.held {
        state.conflicts[h.index].held = Some(h.why);
    }
    for p in settled.planned {
        state.conflicts[p.index].resolution = Some(Resolution {
            by: By::Policy,
            choice: Some(p.choice),
            result: p.change.result,
        });
    }
    Ok(n)
}
