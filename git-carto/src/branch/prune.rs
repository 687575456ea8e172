//! `git carto prune`: delete feature branches already merged into production.
//! Merged means "an ancestor of production" (origin's when fetched): a branch
//! that was squash-merged is not provably merged and is left alone.

use git2::Oid;
use serde::Serialize;

use crate::error::Result;
use crate::repo::fork::Fork;

#[derive(Debug, Serialize)]
pub struct Pruned {
    pub local: Vec<String>,
    pub remote: Vec<String>,
    pub dry_run: bool,
}

/// Local feature branches merged into production, except the current one.
pub fn merged_features(fork: &Fork) -> Result<Vec<(String, Oid)>> {
    let git = &fork.git;
    let Ok(prod) = fork.production_tip() else {
        return Ok(Vec::new());
    };
    let current = git
        .repo
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let mut out = Vec::new();
    for (name, tip) in git.local_branches(fork.config.feature_prefix())? {
        if Some(&name) != current.as_ref() && git.is_ancestor(tip, prod)? {
            out.push((name, tip));
        }
    }
    Ok(out)
}

pub fn prune(fork: &Fork, remote: bool, dry_run: bool) -> Result<Pruned> {
    let git = &fork.git;
    let local = merged_features(fork)?;
    let mut remote_names = Vec::new();
    if remote {
        let origin = fork.config.origin();
        let prod = fork.production_tip()?;
        let prefix = format!("refs/remotes/{origin}/{}", fork.config.feature_prefix());
        for r in git.repo.references_glob(&format!("{prefix}*"))? {
            let r = r?;
            if let (Some(name), Some(tip)) = (r.name().ok(), r.target()) {
                if git.is_ancestor(tip, prod)? {
                    remote_names.push(name[format!("refs/remotes/{origin}/").len()..].to_string());
                }
            }
        }
        if !dry_run && !remote_names.is_empty() {
            let mut args = vec!["push", "--quiet", origin, "--delete"];
            args.extend(remote_names.iter().map(String::as_str));
            git.run(&args)?;
        }
    }
    if !dry_run {
        for (name, tip) in &local {
            // Delete only if the branch still points where we checked it.
            git.run(&[
                "update-ref",
                "-d",
                &format!("refs/heads/{name}"),
                &tip.to_string(),
            ])?;
        }
    }
    Ok(Pruned {
        local: local.into_iter().map(|(n, _)| n).collect(),
        remote: remote_names,
        dry_run,
    })
}
