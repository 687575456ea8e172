//! `git carto feature <name>`: start work from an up-to-date production branch.

use crate::error::{Error, Result, ResultExt};
use crate::repo::fork::Fork;

pub struct Options {
    /// Carry uncommitted changes onto the new branch instead of refusing.
    pub carry: bool,
    /// Skip `git fetch` (offline use).
    pub no_fetch: bool,
}

/// Check a feature name as git would (`git check-ref-format --branch`), plus
/// the things git allows but that are surely mistakes (leading `-`, spaces).
pub fn validate_name(prefix: &str, name: &str) -> Result<String> {
    let full = format!("{prefix}{name}");
    let bad = name.is_empty()
        || name.starts_with('-')
        || name.chars().any(char::is_whitespace)
        || !git2::Reference::is_valid_name(&format!("refs/heads/{full}"));
    if bad {
        return Err(Error::usage(format!(
            "`{name}` is not a valid branch name: see `git help check-ref-format` \
             (no spaces, `..`, leading `-` or `.`, `~^:?*[\\`)"
        )));
    }
    Ok(full)
}

/// Returns the name of the branch created and switched to.
pub fn feature(fork: &Fork, name: &str, opts: &Options) -> Result<String> {
    let git = &fork.git;
    let cfg = &fork.config;
    let branch = validate_name(cfg.feature_prefix(), name)?;
    let origin = cfg.origin();
    let prod = cfg.production();
    git.require_remote(origin)?;
    if git.local_branch(&branch).is_some() {
        return Err(Error::refused(format!(
            "branch `{branch}` already exists: switch to it with `git switch {branch}`"
        )));
    }
    if !opts.carry {
        git.require_clean().map_err(|e| {
            Error::refused(format!(
                "{} (or pass --carry to take them along)",
                e.message()
            ))
        })?;
    }
    if !opts.no_fetch {
        git.fetch(origin, false)
            .context(format!("fetching {origin}"))?;
    }
    let remote_tip = git.remote_branch(origin, prod).ok_or_else(|| {
        Error::refused(format!(
            "`{origin}` has no branch `{prod}`: is this a git-carto fork?"
        ))
    })?;
    if let Ok(head) = git.repo.head() {
        if !head.is_branch() {
            let at = head.target().unwrap_or(remote_tip);
            if !git.is_ancestor(at, remote_tip)?
                && git
                    .local_branches("")?
                    .iter()
                    .all(|(_, o)| !git.is_ancestor(at, *o).unwrap_or(false))
            {
                return Err(Error::refused(
                    "HEAD is detached on commits that no branch contains: create a branch to keep them first",
                ));
            }
        }
    }
    let current = git
        .repo
        .head()
        .ok()
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    match git.local_branch(prod) {
        None => {
            git.run(&["branch", "--no-track", prod, &format!("{origin}/{prod}")])?;
        }
        Some(local) if local == remote_tip => {}
        Some(local) => {
            let (ahead, behind) = git.ahead_behind(local, remote_tip)?;
            if ahead > 0 {
                return Err(Error::refused(format!(
                    "local `{prod}` has {ahead} commit(s) that `{origin}/{prod}` does not{}: \
                     production changes land through pull requests; move them to a feature branch, \
                     then `git branch -f {prod} {origin}/{prod}`",
                    if behind > 0 {
                        format!(" and is {behind} behind (diverged)")
                    } else {
                        String::new()
                    }
                )));
            }
            if current.as_deref() == Some(prod) {
                git.run(&["merge", "--ff-only", "--quiet", &format!("{origin}/{prod}")])?;
            } else {
                // Atomic: only moves if the branch is still where we saw it.
                git.run(&[
                    "update-ref",
                    "-m",
                    "git carto feature: fast-forward",
                    &format!("refs/heads/{prod}"),
                    &remote_tip.to_string(),
                    &local.to_string(),
                ])?;
            }
        }
    }
    git.run(&["switch", "--quiet", "--no-track", "-c", &branch, prod])
        .context(format!("creating {branch}"))?;
    Ok(branch)
}
