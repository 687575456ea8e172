//! `git carto lint`: the commit rules over a range, for CI. Only fork commits
//! are judged (ancestry decides, never the message), and a range that cannot
//! be proven complete (a shallow clone, upstream never fetched) is an error
//! rather than a pass, because a green check over half a range is a lie.

use git2::Oid;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::guard::commit_msg::{self, Message, Problem, Rules};
use crate::repo::fork::Fork;
use crate::repo::tag::Bump;
use crate::term::output::short;

#[derive(Debug, Serialize)]
pub struct LintReport {
    pub range: String,
    pub base: String,
    pub tip: String,
    /// Fork commits checked.
    pub checked: usize,
    pub ok: bool,
    pub commits: Vec<LintedCommit>,
}

#[derive(Debug, Serialize)]
pub struct LintedCommit {
    pub id: String,
    pub subject: String,
    /// `conventional`, `merge`, `revert` or `autosquash`; absent when rejected.
    pub kind: Option<&'static str>,
    pub bump: Option<Bump>,
    pub problem: Option<Problem>,
}

/// Lint `range` (`A..B`, or one revision meaning its commits not on
/// production); default: HEAD's commits not on origin's production branch.
pub fn lint(fork: &Fork, range: Option<&str>) -> Result<LintReport> {
    let (base_rev, tip_rev) = match range {
        None => (None, "HEAD".to_string()),
        Some(r) if r.contains("...") => {
            return Err(Error::usage(format!(
                "`{r}`: symmetric ranges are not supported; use A..B"
            )))
        }
        Some(r) => match r.split_once("..") {
            Some((a, b)) => (
                Some(if a.is_empty() { "HEAD" } else { a }.to_string()),
                if b.is_empty() { "HEAD" } else { b }.to_string(),
            ),
            None => (None, r.to_string()),
        },
    };
    let tip = fork.git.commit_id(&tip_rev)?;
    let (base, base_name) = match &base_rev {
        Some(b) => (fork.git.commit_id(b)?, b.clone()),
        None => {
            let prod = fork.config.production();
            let origin = fork.config.origin();
            let name = if fork.git.remote_branch(origin, prod).is_some() {
                format!("{origin}/{prod}")
            } else {
                prod.to_string()
            };
            (fork.production_tip()?, name)
        }
    };
    let (stable, _) = fork.stable_tags()?;
    let tips = fork.upstream_tips(&stable)?;
    require_upstream_refs(fork, &tips)?;
    let commits = new_fork_commits(fork, tip, &[base], &tips)?;
    let rules = Rules::from_config(&fork.config)?;
    let prod = fork.config.production();

    let mut out = Vec::new();
    for id in commits {
        let commit = fork.git.repo.find_commit(id)?;
        let subject = String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default());
        let (kind, bump, problem) = match commit_msg::check_commit(&commit, &rules) {
            Ok(m @ Message::Autosquash { .. }) => (
                Some(m.kind_name()),
                None,
                Some(autosquash_problem(&m, &subject, prod)),
            ),
            Ok(m) => (Some(m.kind_name()), Some(m.bump()), None),
            Err(p) => (None, None, Some(p)),
        };
        out.push(LintedCommit {
            id: id.to_string(),
            subject: subject.into_owned(),
            kind,
            bump,
            problem,
        });
    }
    Ok(LintReport {
        range: format!("{base_name}..{tip_rev}"),
        base: base.to_string(),
        tip: tip.to_string(),
        checked: out.len(),
        ok: out.iter().all(|c| c.problem.is_none()),
        commits: out,
    })
}

pub(crate) fn autosquash_problem(m: &Message, subject: &str, production: &str) -> Problem {
    let marker = match m {
        Message::Autosquash { marker } => marker.as_str(),
        _ => "fixup!",
    };
    Problem {
        what: format!(
            "a `{marker}` commit must be squashed before it reaches {production}: \
             git rebase -i --autosquash <base>"
        ),
        line: 1,
        text: subject.to_string(),
        example: None,
    }
}

/// Refuse when no upstream ref is known: without them every upstream commit
/// would look like the fork's.
pub fn require_upstream_refs(fork: &Fork, tips: &[Oid]) -> Result<()> {
    crate::repo::upstream_refs::require_known(fork, tips)
}

/// Fork commits reachable from `tip` and not from `hide` nor upstream, with
/// the shallow-clone guard: if the walk reaches the shallow boundary, the
/// commits below it are unknown and the answer would be a guess.
pub fn new_fork_commits(
    fork: &Fork,
    tip: Oid,
    hide: &[Oid],
    upstream_tips: &[Oid],
) -> Result<Vec<Oid>> {
    let mut hidden: Vec<Oid> = upstream_tips.to_vec();
    hidden.extend_from_slice(hide);
    let commits = fork.fork_commits(tip, &[], &hidden)?;
    require_complete(fork, tip, &hidden)?;
    crate::repo::upstream_refs::require_not_older(fork, &commits)?;
    Ok(commits)
}

/// Refuse when the walk from `tip` (stopping at `hidden`) reaches the
/// boundary of a shallow clone: the commits below it are not here, so a list
/// of fork commits (lint, release notes) would be a guess.
pub fn require_complete(fork: &Fork, tip: Oid, hidden: &[Oid]) -> Result<()> {
    let shallow = fork.git.shallow_commits()?;
    if !shallow.is_empty() {
        let walked = fork.git.walk(tip, hidden)?;
        if let Some(edge) = walked.iter().find(|c| shallow.contains(c)) {
            return Err(Error::refused(format!(
                "this is a shallow clone and the range reaches its boundary at {}: the commits \
                 below it are not here, so the range cannot be proven complete; fetch the whole \
                 history with `git fetch --unshallow` (CI: `fetch-depth: 0`), or deepen it with \
                 `git fetch --deepen=<n>` until the range is complete",
                short(*edge)
            )));
        }
    }
    Ok(())
}

/// The text rendering.
pub fn render(r: &LintReport) -> String {
    let mut s = String::new();
    for c in &r.commits {
        if let Some(p) = &c.problem {
            s.push_str(&format!(
                "✗ {} {}\n    {}\n",
                &c.id[..7],
                crate::term::safe::printable(&c.subject),
                crate::term::safe::printable(&p.what)
            ));
            if let Some(e) = &p.example {
                s.push_str(&format!(
                    "    for example: {}\n",
                    e.lines().next().unwrap_or_default()
                ));
            }
        }
    }
    let bad = r.commits.iter().filter(|c| c.problem.is_some()).count();
    s.push_str(&format!(
        "{} fork commit(s) checked in {}: {}\n",
        r.checked,
        r.range,
        if bad == 0 {
            "all follow the commit rules".to_string()
        } else {
            format!("{bad} do not follow the commit rules")
        }
    ));
    s
}
