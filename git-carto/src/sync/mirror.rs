//! Stage 1 (DESIGN 6.2): bring a stable tag into the mirror branch.
//!
//! Upstream cuts stable tags on release branches, so they are not ancestors of
//! each other and the mirror cannot simply fast-forward: it gets a merge whose
//! parents are (old mirror, tag) and whose tree is exactly the tag's tree, so
//! the mirror always equals a release byte for byte and never carries fork
//! changes. A fast-forward is used when possible; nothing is ever forced.

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::repo::fork::Fork;
use crate::term::output::short;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// The mirror already contains the tag.
    Unchanged,
    FastForward,
    Merge,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MirrorStep {
    pub branch: String,
    pub before: Option<String>,
    pub after: String,
    pub how: How,
    pub pushed: bool,
}

/// Where the mirror starts: origin's when fetched (unless the local branch is
/// ahead of it), refusing when the two diverged.
pub fn current(fork: &Fork) -> Result<Option<Oid>> {
    let git = &fork.git;
    let name = fork.config.mirror();
    let local = git.local_branch(name);
    let remote = git.remote_branch(fork.config.origin(), name);
    match (local, remote) {
        (Some(l), Some(r)) if l == r => Ok(Some(l)),
        (Some(l), Some(r)) => {
            if git.is_ancestor(l, r)? {
                Ok(Some(r))
            } else if git.is_ancestor(r, l)? {
                Ok(Some(l))
            } else {
                Err(Error::refused(format!(
                    "the mirror branch `{name}` and `{}/{name}` have diverged: reconcile them first",
                    fork.config.origin()
                )))
            }
        }
        (l, r) => Ok(l.or(r)),
    }
}

/// What stage 1 will do, without doing it.
pub fn plan(fork: &Fork, tag_commit: Oid) -> Result<(Option<Oid>, How)> {
    let git = &fork.git;
    let before = current(fork)?;
    // One merge-base walk answers both questions; two ancestry checks cost
    // two walks of a long history without a commit-graph.
    let how = match before {
        Some(m) => match git.merge_base(tag_commit, m) {
            Some(b) if b == tag_commit => How::Unchanged,
            Some(b) if b == m => How::FastForward,
            _ => How::Merge,
        },
        None => How::FastForward,
    };
    Ok((before, how))
}

/// Make the new mirror commit: an object only, no ref moves, so a refusal
/// after this point leaves nothing behind. [`push`] and [`update_local`] move
/// the refs; the local one only once the caller has left the mirror branch,
/// so a checked-out mirror never looks dirty.
pub fn prepare(fork: &Fork, tag: &str, tag_commit: Oid) -> Result<MirrorStep> {
    let git = &fork.git;
    let branch = fork.config.mirror().to_string();
    let (before, how) = plan(fork, tag_commit)?;
    let after = match (how, before) {
        (How::Unchanged, Some(m)) => m,
        (How::Merge, Some(m)) => {
            let tree = format!("{tag_commit}^{{tree}}");
            let msg = format!(
                "Merge tag '{tag}' into {branch}\n\nMirror merge: the tree is exactly {tag}'s; \
                 the first parent is the previous mirror ({}).\n",
                short(m)
            );
            let out = git.run_input(
                &[
                    "commit-tree",
                    &tree,
                    "-p",
                    &m.to_string(),
                    "-p",
                    &tag_commit.to_string(),
                    "-F",
                    "-",
                ],
                msg.as_bytes(),
            )?;
            Oid::from_str(out.stdout.trim())
                .map_err(|_| Error::refused("git commit-tree printed no commit id"))?
        }
        _ => tag_commit,
    };
    Ok(MirrorStep {
        branch,
        before: before.map(|b| b.to_string()),
        after: after.to_string(),
        how,
        pushed: false,
    })
}

/// Push the new mirror to origin (a fast-forward of origin's; never forced).
pub fn push(fork: &Fork, step: &mut MirrorStep) -> Result<()> {
    let git = &fork.git;
    let remote_tip = git.remote_branch(fork.config.origin(), &step.branch);
    if remote_tip.map(|r| r.to_string()).as_deref() == Some(step.after.as_str()) {
        return Ok(());
    }
    git.run(&[
        "push",
        "--quiet",
        fork.config.origin(),
        &format!("{}:refs/heads/{}", step.after, step.branch),
    ])
    .map_err(|e| e.context(format!("pushing the mirror branch `{}`", step.branch)))?;
    step.pushed = true;
    Ok(())
}

/// Point the local mirror branch at the new mirror commit.
pub fn update_local(fork: &Fork, step: &MirrorStep) -> Result<()> {
    let git = &fork.git;
    let refname = format!("refs/heads/{}", step.branch);
    let old = git
        .local_branch(&step.branch)
        .map(|o| o.to_string())
        .unwrap_or_else(|| Oid::ZERO_SHA1.to_string());
    if old == step.after {
        return Ok(());
    }
    git.run(&[
        "update-ref",
        "-m",
        "carto sync: mirror",
        &refname,
        &step.after,
        &old,
    ])?;
    Ok(())
}
