//! The production merge against an explicit base (DESIGN 6.2a).
//!
//! `git merge` cannot be told which base to use, and after a squash-merged
//! sync git's own base is a release the fork left long ago. `git merge-tree
//! --write-tree --merge-base=<base>` runs the same merge machinery (ort) in
//! memory; [`into_worktree`] then lays its result into the index and working
//! tree exactly as `git merge --no-commit` would have (conflicts staged,
//! `MERGE_HEAD` written), so `git commit` still makes an ordinary merge commit
//! and `--resolve`/`--continue`/`--abort` work unchanged.

use std::collections::BTreeSet;
use std::path::Path;

use git2::Oid;

use crate::error::{Error, Result};
use crate::repo::git::Git;

/// One index stage of a conflicted path, as `git merge-tree` lists it.
#[derive(Debug, Clone)]
pub struct Stage {
    pub mode: u32,
    pub id: Oid,
    /// 1 base, 2 first side, 3 second side.
    pub stage: u16,
    pub path: String,
}

/// The result of a merge computed in memory.
#[derive(Debug, Clone)]
pub struct InMemory {
    /// The merged tree; conflicted files hold git's conflict markers.
    pub tree: Oid,
    pub stages: Vec<Stage>,
}

impl InMemory {
    /// The conflicted paths, each once.
    pub fn paths(&self) -> BTreeSet<&str> {
        self.stages.iter().map(|s| s.path.as_str()).collect()
    }
}

/// Merge `theirs` into `ours` in memory. With `base`, that commit is the merge
/// base; without, git chooses as `git merge` does. Writes objects, never refs,
/// the index or the working tree.
pub fn in_memory(git: &Git, base: Option<Oid>, ours: Oid, theirs: Oid) -> Result<InMemory> {
    in_memory_in(git.workdir(), base, ours, theirs)
}

/// [`in_memory`] against `base`, and the plain merge (git's own base) at the
/// same time on another thread: the plain one only tells how many paths a
/// `git merge` would have met (the report's comparison), and running it after
/// the real one cost a third of a sync's time on a 900-path merge.
pub fn with_plain(git: &Git, base: Oid, ours: Oid, theirs: Oid) -> Result<(InMemory, usize)> {
    let workdir = git.workdir();
    std::thread::scope(|s| {
        let plain = s.spawn(move || in_memory_in(workdir, None, ours, theirs));
        let merged = in_memory_in(workdir, Some(base), ours, theirs);
        let plain = plain
            .join()
            .map_err(|_| Error::refused("the plain merge for the comparison stopped"))??;
        Ok((merged?, plain.paths().len()))
    })
}

fn in_memory_in(workdir: &Path, base: Option<Oid>, ours: Oid, theirs: Oid) -> Result<InMemory> {
    let base_arg = base.map(|b| format!("--merge-base={b}"));
    let (o, t) = (ours.to_string(), theirs.to_string());
    let mut args = vec!["merge-tree", "--write-tree", "-z", "--no-messages"];
    if let Some(b) = &base_arg {
        args.push(b);
    }
    args.extend([o.as_str(), t.as_str()]);
    let (ok, out) = Git::run_status_in(workdir, &args)?;
    let mut parts = out.stdout.split('\0');
    let tree = parts
        .next()
        .and_then(|t| Oid::from_str(t.trim()).ok())
        .filter(|_| ok || !out.stdout.is_empty())
        .ok_or_else(|| {
            Error::refused(format!(
                "`git merge-tree` could not merge {}: {}",
                crate::term::output::short(theirs),
                out.stderr.trim()
            ))
        })?;
    let mut stages = Vec::new();
    for part in parts {
        if part.is_empty() {
            break;
        }
        let Some((head, path)) = part.split_once('\t') else {
            continue;
        };
        let mut f = head.split(' ');
        let (Some(mode), Some(id), Some(stage)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        stages.push(Stage {
            mode: u32::from_str_radix(mode, 8).unwrap_or(0o100644),
            id: Oid::from_str(id)?,
            stage: stage.parse().unwrap_or(0),
            path: path.to_string(),
        });
    }
    Ok(InMemory { tree, stages })
}

/// Lay an in-memory merge of `theirs` into HEAD's index and working tree as a
/// merge in progress: the merged tree checked out, conflicted paths staged
/// (1/2/3), `MERGE_HEAD`/`MERGE_MSG`/`MERGE_MODE` written. The working tree
/// must be clean (the caller checked).
pub fn into_worktree(git: &Git, merged: &InMemory, theirs: Oid, message: &str) -> Result<()> {
    into_worktree_at(git, "HEAD", merged, theirs, message)
}

/// [`into_worktree`] when the index and files are still those of `from`, not
/// of HEAD (HEAD was just moved to a new branch without a checkout).
pub fn into_worktree_from(
    git: &Git,
    from: Oid,
    merged: &InMemory,
    theirs: Oid,
    message: &str,
) -> Result<()> {
    into_worktree_at(git, &from.to_string(), merged, theirs, message)
}

fn into_worktree_at(
    git: &Git,
    from: &str,
    merged: &InMemory,
    theirs: Oid,
    message: &str,
) -> Result<()> {
    let tree = merged.tree.to_string();
    git.run(&["read-tree", "-u", "-m", from, &tree])
        .map_err(|e| e.context("checking out the merge result"))?;
    let staged = stage(git, merged, theirs, message);
    if staged.is_err() {
        // Leave the files as they were, for the rollback.
        let _ = git.run(&["read-tree", "-u", "--reset", from]);
    }
    staged
}

fn stage(git: &Git, merged: &InMemory, theirs: Oid, message: &str) -> Result<()> {
    if !merged.stages.is_empty() {
        let mut info = Vec::new();
        for p in merged.paths() {
            info.extend_from_slice(format!("0 {}\t{p}", Oid::ZERO_SHA1).as_bytes());
            info.push(0);
        }
        for s in &merged.stages {
            info.extend_from_slice(
                format!("{:o} {} {}\t{}", s.mode, s.id, s.stage, s.path).as_bytes(),
            );
            info.push(0);
        }
        git.run_input(&["update-index", "-z", "--index-info"], &info)
            .map_err(|e| e.context("staging the conflicts"))?;
    }
    let dir = git.git_dir();
    if let Some(head) = git.head_id() {
        git.run(&["update-ref", "ORIG_HEAD", &head.to_string()])?;
    }
    std::fs::write(dir.join("MERGE_HEAD"), format!("{theirs}\n"))?;
    std::fs::write(dir.join("MERGE_MODE"), "no-ff")?;
    std::fs::write(dir.join("MERGE_MSG"), message)?;
    if !merged.stages.is_empty() && rerere_enabled(git) {
        // What `git merge` does on conflicts: record them, and replay the
        // resolutions git remembers. Its failure is a warning there too.
        let _ = git.run_status(&["rerere"]);
    }
    Ok(())
}

/// git's rule: `rerere.enabled`, or when unset, an `rr-cache` directory.
fn rerere_enabled(git: &Git) -> bool {
    match git.repo.config().and_then(|c| c.get_bool("rerere.enabled")) {
        Ok(on) => on,
        Err(_) => git.repo.commondir().join("rr-cache").is_dir(),
    }
}
