//! The next release tag (DESIGN 5). The upstream version is derived from
//! ancestry, not trusted: a user-given value and the configured version file
//! are checked against it, because the first user shipped wrong tags twice
//! from a drifting version file.

use git2::Oid;
use semver::Version;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::fork::Fork;
use crate::repo::tag::{ser_version, Bump, ReleaseTag};
use crate::repo::upstream_refs;

#[derive(Debug, Clone)]
pub struct Request {
    pub bump: Bump,
    pub upstream: Option<Version>,
    /// The commit being released (default HEAD).
    pub at: String,
    /// Allow an upstream version below one already released from this line.
    pub force: bool,
}

/// Why `auto` chose its bump: the commit that decided it.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub commit: String,
    pub subject: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextTag {
    pub tag: String,
    #[serde(serialize_with = "ser_version")]
    pub upstream: Version,
    #[serde(serialize_with = "ser_version")]
    pub fork_version: Version,
    pub previous: Option<String>,
    /// The concrete bump applied (`auto` resolved to patch/minor/major).
    pub bump: Bump,
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Decision>,
    /// Said on stderr by the front ends: the answer stands on the user's word
    /// rather than on the history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(skip)]
    pub commit: Option<Oid>,
}

/// Decides what `auto` means for a range of fork commits. Provided by the
/// commit-rules layer; `next_tag` only needs the answer.
pub type AutoBump<'a> = &'a dyn Fn(&Fork, &[Oid]) -> Result<(Bump, Option<Decision>)>;

/// Compute the next tag without changing anything.
pub fn next_tag(fork: &Fork, req: &Request, auto: Option<AutoBump<'_>>) -> Result<NextTag> {
    let at = fork.git.commit_id(&req.at)?;
    let (stable, _) = fork.stable_tags()?;
    let tips = fork.upstream_tips(&stable)?;
    upstream_refs::require_known(fork, &tips)?;
    let derived = fork.upstream_of(at, &stable)?;
    // No known release in the history (an imported snapshot) with the
    // user's --upstream: the whole history must hold no upstream merge the
    // refs cannot see either.
    let since = derived.as_ref().and_then(|t| fork.git.tag_commit(&t.name));
    if since.is_some() || req.upstream.is_some() {
        // All fork commits, not only mirror merges: a release merged by hand
        // (`git merge v1.78.5-stable`) has a tree of its own.
        upstream_refs::require_history_not_older(fork, at, since, &tips)?;
    }
    let (upstream, warning) = check_upstream(
        fork,
        at,
        req.upstream.as_ref(),
        derived.as_ref().map(|t| &t.version),
    )?;

    let releases = fork.release_tags()?.parsed;
    let policy = fork
        .config
        .get("release.policy")
        .unwrap_or("reset")
        .to_string();
    let line: Vec<&ReleaseTag> = match policy.as_str() {
        "cumulative" => releases.iter().collect(),
        _ => releases.iter().filter(|t| t.upstream == upstream).collect(),
    };
    let previous = line.iter().max_by(|a, b| a.fork.cmp(&b.fork)).copied();

    // Never backwards: an upstream version below one already released from
    // this line of history.
    if !req.force {
        if let Some(last) = fork.last_release_on(at, &releases)? {
            if upstream < last.upstream {
                return Err(Error::refused(format!(
                    "upstream {upstream} is below {} already released from this branch as {}; \
                     pass --force to release an older line on purpose",
                    last.upstream, last.name
                )));
            }
        }
    }

    let (bump, decided_by) = match req.bump {
        Bump::Auto => {
            let Some(auto) = auto else {
                return Err(Error::usage("`auto` is not available here"));
            };
            let since = match previous {
                Some(p) => fork.git.tag_commit(&p.name),
                None => None,
            };
            let commits = fork.fork_commits(at, since.as_slice(), &tips)?;
            auto(fork, &commits)?
        }
        b => (b, None),
    };

    let initial = Version::parse(fork.config.get("release.initialVersion").unwrap_or("0.1.0"))
        .map_err(|e| Error::usage(format!("release.initialVersion: {e}")))?;
    let fork_version = match previous {
        None => initial,
        Some(p) => bump.apply(&p.fork),
    };
    let tag = fork.release_format.format(&upstream, &fork_version);
    if fork.git.tag_commit(&tag).is_some() {
        return Err(Error::refused(format!("tag {tag} already exists")));
    }
    Ok(NextTag {
        tag,
        upstream,
        fork_version,
        previous: previous.map(|p| p.name.clone()),
        bump,
        policy,
        decided_by,
        warning,
        commit: Some(at),
    })
}

/// Reconcile the three sources of the upstream version: the user's value, the
/// newest stable tag in the ancestry, and the configured version file. A
/// history with no upstream release in it (a fork imported as a snapshot)
/// takes the user's `--upstream`, with a warning saying so.
fn check_upstream(
    fork: &Fork,
    at: Oid,
    given: Option<&Version>,
    derived: Option<&Version>,
) -> Result<(Version, Option<String>)> {
    let file = version_from_file(fork, at)?;
    let show = |v: Option<&Version>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
    let describe = || {
        let mut s = format!(
            "--upstream: {}, newest stable tag in the ancestry: {}",
            show(given),
            show(derived)
        );
        if let Some((path, v)) = &file {
            s.push_str(&format!(", {path}: {}", show(v.as_ref())));
        }
        s
    };
    let Some(derived) = derived else {
        if let Some(given) = given {
            let agrees = match &file {
                None => true,
                Some((_, v)) => v.as_ref().is_none_or(|v| v == given),
            };
            if agrees {
                return Ok((
                    given.clone(),
                    Some(format!(
                        "no upstream stable tag is an ancestor of the commit being released: \
                         trusting --upstream {given} (the history holds no upstream release; \
                         `git fetch {} --tags` if it should)",
                        fork.config.upstream()
                    )),
                ));
            }
        }
        return Err(Error::refused(format!(
            "no upstream stable tag is an ancestor of the commit being released ({}); \
             fetch upstream's tags with `git fetch {} --tags`",
            describe(),
            fork.config.upstream()
        )));
    };
    if let Some(given) = given {
        if given != derived {
            return Err(Error::refused(format!(
                "the upstream version does not match the ancestry ({})",
                describe()
            )));
        }
    }
    if let Some((_, file_version)) = &file {
        if file_version.as_ref() != Some(derived) {
            // A newer version in the file than in the ancestry is what a clone
            // whose upstream tags are older than the commit sees.
            let hint = match file_version {
                Some(v) if v > derived => format!(
                    "; if upstream's tags here are older than the commit, fetch them with \
                     `git fetch {} --tags`",
                    fork.config.upstream()
                ),
                _ => String::new(),
            };
            return Err(Error::refused(format!(
                "the version file disagrees with the ancestry ({}){hint}",
                describe()
            )));
        }
    }
    Ok((derived.clone(), None))
}

/// `(path, version)` from the configured version file at a commit: the first
/// `version = "X.Y.Z"` line (pyproject.toml, Cargo.toml and the like).
fn version_from_file(fork: &Fork, at: Oid) -> Result<Option<(String, Option<Version>)>> {
    let Some(path) = fork
        .config
        .get("release.versionFile")
        .filter(|p| !p.is_empty())
    else {
        return Ok(None);
    };
    let text = fork.git.file_at(at, path)?;
    Ok(Some((
        path.to_string(),
        text.as_deref().and_then(version_in),
    )))
}

/// The first `version = "X.Y.Z"` line of a version file (pyproject.toml,
/// Cargo.toml and the like).
pub fn version_in(text: &str) -> Option<Version> {
    text.lines().find_map(|line| {
        let rest = line
            .trim_start()
            .strip_prefix("version")?
            .trim_start()
            .strip_prefix('=')?;
        let quoted = rest.trim().trim_matches(|c| c == '"' || c == '\'');
        crate::repo::tag::parse_upstream_arg(quoted).ok()
    })
}

/// Version files are whatever a commit holds: no panic.
#[cfg(test)]
mod outside_input {
    use super::version_in;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text(text in "(version ?= ?[\"']?[0-9.a-z+-]{0,20}[\"']?\n|.{0,40}\n){0,6}") {
            let _ = version_in(&text);
        }
    }
}
