//! The bump implied by fork commits (DESIGN 5): `!` or a `BREAKING CHANGE:`
//! footer → major, `feat` → minor, anything else → patch; one bump per
//! release, the highest, never one per commit. Merges never count: a sync
//! merge brings upstream's work, whose messages are not ours to read.
//! Used by `next-tag auto`, `status` and (later) the release xtask.

use git2::Oid;

use crate::error::{Error, Result};
use crate::guard::commit_msg::{self, Origin, Rules};
use crate::repo::fork::Fork;
use crate::repo::next_tag::Decision;
use crate::repo::tag::Bump;

/// The highest bump over `commits` and the first commit (in the given order)
/// that implies it; `None` when no non-merge commit is given.
pub fn implied(fork: &Fork, commits: &[Oid]) -> Result<Option<(Bump, Decision)>> {
    let rules = Rules::from_config(&fork.config)?;
    let mut best: Option<(Bump, Decision)> = None;
    for id in commits {
        let commit = fork.git.repo.find_commit(*id)?;
        if commit.parent_count() > 1 {
            continue;
        }
        // A message that breaks the rules still ships: it counts as a patch.
        let bump = commit_msg::check(commit.message_bytes(), &rules, Origin::Commit)
            .map(|m| m.bump())
            .unwrap_or(Bump::Patch);
        if best.as_ref().is_none_or(|(b, _)| rank(bump) > rank(*b)) {
            best = Some((
                bump,
                Decision {
                    commit: id.to_string(),
                    subject: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                        .into_owned(),
                },
            ));
            if bump == Bump::Major {
                break;
            }
        }
    }
    Ok(best)
}

fn rank(b: Bump) -> u8 {
    match b {
        Bump::Patch | Bump::Auto => 0,
        Bump::Minor => 1,
        Bump::Major => 2,
    }
}

/// The [`crate::repo::next_tag::AutoBump`] callback: refuses when there is nothing
/// to release, since `auto` would then invent a version for no change.
pub fn auto_bump(fork: &Fork, commits: &[Oid]) -> Result<(Bump, Option<Decision>)> {
    match implied(fork, commits)? {
        Some((bump, decision)) => Ok((bump, Some(decision))),
        None => Err(Error::refused(
            "no fork commits since the previous release on this line, so `auto` has nothing \
             to decide from: pass patch, minor or major to release anyway",
        )),
    }
}
