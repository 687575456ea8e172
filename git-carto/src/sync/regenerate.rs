//! `git carto sync --regenerate`: rebuild generated files (`artifact` paths)
//! with the fork's `resolve.regenerate` command before the merge is committed.
//!
//! The `artifact` policy takes the upstream side's whole file, which is only a
//! stand-in: generated output (the first user's UI build) must be rebuilt from
//! the merged sources. Running the command here lets the merge commit carry the
//! rebuilt output instead of a "to rebuild" item on the pull request checklist.

use std::collections::HashSet;
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::policy::{Policy, Rules};
use crate::error::{Error, Result};
use crate::repo::fork::Fork;
use crate::repo::git::Git;

/// The config key naming the command.
pub const KEY: &str = "resolve.regenerate";

/// What the regeneration did (state record and report).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Regenerated {
    pub command: String,
    /// Whether the command ran (and succeeded) in this sync.
    pub ran: bool,
    /// Artifact paths it changed, staged into the merge.
    pub changed: Vec<String>,
    /// Paths it changed outside the artifact paths: left unstaged for a person.
    pub outside: Vec<String>,
}

/// The configured command, if any.
pub fn command(fork: &Fork) -> Option<String> {
    fork.config
        .get(KEY)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// Refuse `--regenerate` without a command before anything moves.
pub fn require(fork: &Fork) -> Result<String> {
    command(fork).ok_or_else(|| {
        Error::usage(format!(
            "--regenerate needs a command: set `{KEY}` (in .gitcarto: `[resolve]` with \
             `regenerate = <command>`, run from the repository root)"
        ))
    })
}

/// Run the command from the repository root, then stage what it changed under
/// the artifact paths in one `git add`. On failure its changes are undone (the
/// index is untouched) and the error says how to go on.
pub fn run(fork: &Fork, command: &str) -> Result<Regenerated> {
    let git = &fork.git;
    let rules = Rules::from_config(&fork.config)?;
    let before: HashSet<String> = dirty(git)?.into_iter().map(|(p, _)| p).collect();
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(git.workdir())
        .output()
        .map_err(|e| Error::refused(format!("cannot run `{command}` ({KEY}): {e}")))?;
    let after: Vec<(String, bool)> = dirty(git)?
        .into_iter()
        .filter(|(p, _)| !before.contains(p))
        .collect();
    if !out.status.success() {
        undo(git, &after)?;
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::refused(format!(
            "the regenerate command `{command}` ({KEY}) failed ({}){}\nits changes were undone; \
             the sync is still in progress: fix it and run `git carto sync --continue \
             --regenerate`, commit without it (`git carto sync --continue`; the report keeps \
             \"to rebuild\"), or `git carto sync --abort`",
            out.status,
            if tail.is_empty() {
                String::new()
            } else {
                format!(":\n  {}", tail.join("\n  "))
            }
        )));
    }
    let (changed, outside): (Vec<String>, Vec<String>) = after
        .into_iter()
        .map(|(p, _)| p)
        .partition(|p| rules.decide([p.as_str()]).policy == Policy::Artifact);
    if !changed.is_empty() {
        let mut input = Vec::new();
        for p in &changed {
            input.extend_from_slice(p.as_bytes());
            input.push(0);
        }
        git.run_input(
            &["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"],
            &input,
        )
        .map_err(|e| e.context("staging the regenerated artifacts"))?;
    }
    Ok(Regenerated {
        command: command.to_string(),
        ran: true,
        changed,
        outside,
    })
}

/// Working-tree changes against the index: (path, untracked).
fn dirty(git: &Git) -> Result<Vec<(String, bool)>> {
    let out = git.run(&["status", "--porcelain", "-z", "--untracked-files=all"])?;
    let mut entries = out.stdout.split('\0');
    let mut paths = Vec::new();
    while let Some(e) = entries.next() {
        if e.len() < 4 {
            continue;
        }
        let (xy, path) = e.split_at(3);
        let (x, y) = (xy.as_bytes()[0], xy.as_bytes()[1]);
        if matches!(x, b'R' | b'C') {
            entries.next(); // the rename's source
        }
        if xy.starts_with("??") {
            paths.push((path.to_string(), true));
        } else if y != b' ' {
            paths.push((path.to_string(), false));
        }
    }
    Ok(paths)
}

/// Put the paths a failed command touched back as the index has them.
fn undo(git: &Git, touched: &[(String, bool)]) -> Result<()> {
    let mut input = Vec::new();
    for (p, untracked) in touched {
        if *untracked {
            let _ = std::fs::remove_file(git.workdir().join(p));
        } else {
            input.extend_from_slice(p.as_bytes());
            input.push(0);
        }
    }
    if !input.is_empty() {
        git.run_input(
            &["checkout", "--pathspec-from-file=-", "--pathspec-file-nul"],
            &input,
        )
        .map_err(|e| e.context("undoing the failed regenerate command's changes"))?;
    }
    Ok(())
}
