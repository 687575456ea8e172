//! The version file: the process keeps upstream's version in
//! `pyproject.toml`, and `next-tag` checks it against the ancestry only when
//! `release.versionFile` names it. A fork that has the file but not the
//! setting ships tags without that check, so `init` turns it on and `doctor`
//! says when it is off.

use semver::Version;

use crate::repo::config::Config;
use crate::repo::git::Git;
use crate::repo::next_tag::version_in;

/// The file `init` proposes.
pub const CANDIDATE: &str = "pyproject.toml";

/// The candidate file in the working tree and its version, when it has one.
pub fn detect(git: &Git) -> Option<(&'static str, Version)> {
    let text = std::fs::read_to_string(git.workdir().join(CANDIDATE)).ok()?;
    Some((CANDIDATE, version_in(&text)?))
}

/// `release.versionFile` is set (to a non-empty path).
pub fn configured(config: &Config) -> bool {
    config
        .get("release.versionFile")
        .is_some_and(|p| !p.is_empty())
}
