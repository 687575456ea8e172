//! The pre-push guard (DESIGN 8): the last point where a clone can stop a
//! fork commit reaching the mirror branch, a force-push or deletion of the
//! mirror or production branch, or commits that never met the commit-msg hook
//! (made with `--no-verify`, in another clone, by a tool).
//!
//! Only pushes to the fork's own remote are judged: the same branch names on a
//! personal remote or upstream mean nothing to this fork.

use git2::Oid;

use crate::error::{Error, Result};
use crate::guard::commit_msg::{self, Message, Rules};
use crate::guard::lint::{autosquash_problem, new_fork_commits, require_upstream_refs};
use crate::repo::fork::Fork;
use crate::term::output::short;

/// One line of git's pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    pub local_ref: String,
    pub local: Oid,
    pub remote_ref: String,
    pub remote: Oid,
}

/// Parse `<local ref> SP <local sha> SP <remote ref> SP <remote sha> LF` lines.
/// Anything else means the caller is not git (or a tool that mangled the
/// input): refuse rather than guess which refs are being pushed.
pub fn parse_updates(stdin: &[u8]) -> Result<Vec<Update>> {
    let text = String::from_utf8_lossy(stdin);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let bad = || {
            let shown: String = line.chars().take(120).collect();
            Error::usage(format!(
                "pre-push: line {} of the input is not `<local ref> <local sha> <remote ref> \
                 <remote sha>` as git sends it: `{shown}`",
                i + 1
            ))
        };
        let parts: Vec<&str> = line.split(' ').collect();
        let [local_ref, local, remote_ref, remote] = parts[..] else {
            return Err(bad());
        };
        let oid =
            |s: &str| (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !oid(local) || !oid(remote) || local_ref.is_empty() || remote_ref.is_empty() {
            return Err(bad());
        }
        out.push(Update {
            local_ref: local_ref.to_string(),
            local: Oid::from_str(local).map_err(|_| bad())?,
            remote_ref: remote_ref.to_string(),
            remote: Oid::from_str(remote).map_err(|_| bad())?,
        });
    }
    Ok(out)
}

/// The pre-commit framework does not pass git's input to pre-push hooks; it
/// runs them once per push with the first updated ref in `PRE_COMMIT_*`
/// variables. Returns `(remote, url, input line)` from those.
pub fn from_pre_commit_env() -> Option<(String, String, String)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let remote = var("PRE_COMMIT_REMOTE_NAME")?;
    let url = var("PRE_COMMIT_REMOTE_URL").unwrap_or_else(|| remote.clone());
    let to = var("PRE_COMMIT_TO_REF")?;
    let from = var("PRE_COMMIT_FROM_REF").unwrap_or_else(|| "0".repeat(40));
    let remote_branch = var("PRE_COMMIT_REMOTE_BRANCH")?;
    let local_branch = var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| remote_branch.clone());
    Some((
        remote,
        url,
        format!("{local_branch} {to} {remote_branch} {from}\n"),
    ))
}

/// A refused ref: why, and the commits at fault.
#[derive(Debug)]
pub struct Refusal {
    pub remote_ref: String,
    pub reason: String,
    pub commits: Vec<Offender>,
}

#[derive(Debug)]
pub struct Offender {
    pub id: Oid,
    pub subject: String,
    pub problem: Option<String>,
}

/// Judge a push; an empty result lets it through.
pub fn check(fork: &Fork, remote: &str, url: &str, updates: &[Update]) -> Result<Vec<Refusal>> {
    if !targets_origin(fork, remote, url) {
        return Ok(Vec::new());
    }
    let git = &fork.git;
    let mirror = fork.config.mirror();
    let production = fork.config.production();
    let mut upstream_tips: Option<Vec<Oid>> = None;
    let mut tracking: Option<Vec<Oid>> = None;
    let mut rules: Option<Rules> = None;
    let mut refusals = Vec::new();

    for u in updates {
        let Some(branch) = u.remote_ref.strip_prefix("refs/heads/") else {
            // Tags, notes and other refs carry no branch rules.
            continue;
        };
        let role = if branch == mirror {
            Some("mirror")
        } else if branch == production {
            Some("production")
        } else {
            None
        };
        let refuse = |reason: String, commits: Vec<Offender>| Refusal {
            remote_ref: u.remote_ref.clone(),
            reason,
            commits,
        };
        if u.local.is_zero() {
            if let Some(role) = role {
                refusals.push(refuse(
                    format!("deleting the {role} branch `{branch}` on {remote} is refused"),
                    Vec::new(),
                ));
            }
            continue;
        }
        let remote_known = !u.remote.is_zero() && git.repo.find_commit(u.remote).is_ok();
        if let Some(role) = role {
            if !u.remote.is_zero() && !remote_known {
                refusals.push(refuse(
                    format!(
                        "{remote}'s `{branch}` is at {}, which this clone does not have, so the \
                         push cannot be shown to be a fast-forward: `git fetch {remote}` first",
                        short(u.remote)
                    ),
                    Vec::new(),
                ));
                continue;
            }
            if remote_known && !git.extends(u.local, u.remote)? {
                refusals.push(refuse(
                    format!(
                        "force-pushing the {role} branch `{branch}` is refused: {} is not a \
                         descendant of {remote}'s {} (history there would be lost)",
                        short(u.local),
                        short(u.remote)
                    ),
                    Vec::new(),
                ));
                continue;
            }
        }
        if u.local == u.remote {
            continue;
        }

        let tips = match &upstream_tips {
            Some(t) => t,
            None => {
                let (stable, _) = fork.stable_tags()?;
                let t = fork.upstream_tips(&stable)?;
                require_upstream_refs(fork, &t)?;
                upstream_tips.insert(t)
            }
        };
        let mut hide: Vec<Oid> = Vec::new();
        if remote_known {
            hide.push(u.remote);
        }
        if role == Some("mirror") {
            // Everything not upstream's is refused, even if it is already on
            // another branch of the remote (`git push origin carto/main:main`).
            let commits = new_fork_commits(fork, u.local, &hide, tips)?;
            if !commits.is_empty() {
                refusals.push(refuse(
                    format!(
                        "{} commit(s) are not upstream's: only upstream commits and mirror \
                         merges (a merge whose tree is exactly an upstream parent's) may go to \
                         the mirror branch `{branch}`",
                        commits.len()
                    ),
                    offenders(fork, &commits, |_| None)?,
                ));
            }
            continue;
        }

        // On other branches, commits the remote already has were checked
        // when they got there; production judges everything entering it,
        // since `fixup!` is fine on a feature branch but not there.
        if role.is_none() {
            let on_remote = match &tracking {
                Some(t) => t,
                None => tracking.insert(remote_tracking(fork, remote)?),
            };
            hide.extend_from_slice(on_remote);
        }
        let commits = new_fork_commits(fork, u.local, &hide, tips)?;
        if commits.is_empty() {
            continue;
        }
        let rules = match &rules {
            Some(r) => r,
            None => rules.insert(Rules::from_config(&fork.config)?),
        };
        let mut bad = Vec::new();
        for id in &commits {
            let commit = git.repo.find_commit(*id)?;
            let subject = String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default());
            let problem = match commit_msg::check_commit(&commit, rules) {
                Err(p) => Some(p.what),
                Ok(m @ Message::Autosquash { .. }) if role.is_some() => {
                    Some(autosquash_problem(&m, &subject, branch).what)
                }
                Ok(_) => None,
            };
            if problem.is_some() {
                bad.push(Offender {
                    id: *id,
                    subject: subject.into_owned(),
                    problem,
                });
            }
        }
        if !bad.is_empty() {
            refusals.push(refuse(
                format!(
                    "{} of {} new fork commit(s) break the commit rules",
                    bad.len(),
                    commits.len()
                ),
                bad,
            ));
        }
    }
    Ok(refusals)
}

/// Whether the push goes to the fork's own remote: by name, or by a URL that
/// is that remote's (fetch or push) URL.
fn targets_origin(fork: &Fork, remote: &str, url: &str) -> bool {
    let origin = fork.config.origin();
    if remote == origin {
        return true;
    }
    let Ok(r) = fork.git.repo.find_remote(origin) else {
        return false;
    };
    let urls: Vec<String> = [r.url().ok(), r.pushurl().ok().flatten()]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    urls.iter().any(|u| u == url || u == remote)
}

/// What this clone last saw on the remote being pushed to.
fn remote_tracking(fork: &Fork, remote: &str) -> Result<Vec<Oid>> {
    let name = if fork.git.repo.find_remote(remote).is_ok() {
        remote
    } else {
        fork.config.origin()
    };
    fork.git.remote_tips(name)
}

fn offenders(
    fork: &Fork,
    ids: &[Oid],
    problem: impl Fn(Oid) -> Option<String>,
) -> Result<Vec<Offender>> {
    ids.iter()
        .map(|id| {
            let c = fork.git.repo.find_commit(*id)?;
            Ok(Offender {
                id: *id,
                subject: String::from_utf8_lossy(c.summary_bytes().unwrap_or_default())
                    .into_owned(),
                problem: problem(*id),
            })
        })
        .collect()
}

/// The refusal as a person reads it.
pub fn render(remote: &str, refusals: &[Refusal]) -> String {
    let mut s = format!("git carto: push to {remote} refused\n");
    for r in refusals {
        let name = r
            .remote_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&r.remote_ref);
        s.push_str(&format!("  {name}: {}\n", r.reason));
        for c in r.commits.iter().take(50) {
            s.push_str(&format!("    {} {}\n", short(c.id), c.subject));
            if let Some(p) = &c.problem {
                s.push_str(&format!("        {p}\n"));
            }
        }
        if r.commits.len() > 50 {
            s.push_str(&format!("    ... and {} more\n", r.commits.len() - 50));
        }
    }
    s.push_str(
        "Reword or drop the commits (git rebase -i), or skip the checks with \
         git push --no-verify (or CARTO_SKIP_HOOKS=1)\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_input_and_refuses_garbage() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let input =
            format!("refs/heads/x {a} refs/heads/x {z}\r\n\n(delete) {z} refs/heads/y {a}\n");
        let u = parse_updates(input.as_bytes()).unwrap();
        assert_eq!(u.len(), 2);
        assert!(u[0].remote.is_zero() && u[1].local.is_zero());
        assert!(parse_updates(b"").unwrap().is_empty());
        for bad in [
            "hello".to_string(),
            format!("refs/heads/x {a} refs/heads/x"),
            format!("refs/heads/x {a} refs/heads/x {z} extra"),
            format!("refs/heads/x nothex{} refs/heads/x {z}", &a[6..]),
            format!("refs/heads/x  {a} refs/heads/x {z}"),
        ] {
            let e = parse_updates(bad.as_bytes()).unwrap_err();
            assert!(e.message().contains("line 1"), "{bad}: {e}");
            assert_eq!(e.code, crate::error::Code::Usage);
        }
        assert!(parse_updates(b"\xff\xfe garbage").is_err());
    }
}

/// git's ref lines (or anything on stdin): no panic, bounded time.
#[cfg(test)]
mod outside_input {
    use super::parse_updates;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = parse_updates(&raw);
        }

        #[test]
        fn near_ref_lines(lines in proptest::collection::vec(
            "(refs/heads/[a-z/]{0,12}|\\(delete\\)|) [0-9a-f]{0,64} (refs/[a-z/]{0,12}|) [0-9a-fA-F]{38,66}\r?",
            0..6,
        )) {
            let _ = parse_updates(lines.join("\n").as_bytes());
        }
    }
}
