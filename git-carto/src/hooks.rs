//! Where git looks for hooks and whether ours are there.

use std::path::PathBuf;

use crate::error::Result;
use crate::git::Git;

/// The hooks git carto installs.
pub const HOOKS: &[&str] = &["commit-msg", "pre-push"];

/// The directory git runs hooks from, as `git rev-parse --git-path hooks`
/// reports it: honours `core.hooksPath` and linked worktrees.
pub fn hooks_dir(git: &Git) -> Result<PathBuf> {
    let out = git.run(&["rev-parse", "--git-path", "hooks"])?;
    let p = PathBuf::from(out.stdout.trim());
    Ok(if p.is_absolute() {
        p
    } else {
        git.workdir().join(p)
    })
}

/// Whether each of our hooks is installed (the file runs `git carto hook`).
pub fn installed(git: &Git) -> Result<Vec<(String, bool)>> {
    let dir = hooks_dir(git)?;
    Ok(HOOKS
        .iter()
        .map(|h| {
            let ours = std::fs::read_to_string(dir.join(h))
                .map(|t| t.contains("git carto hook") || t.contains("git-carto hook"))
                .unwrap_or(false);
            (h.to_string(), ours)
        })
        .collect())
}
