//! Which upstream release to sync (DESIGN 6.1): stable tags come from the
//! upstream remote by git (no release API with a page limit), versions compare
//! as semver, odd names are skipped (and listed with `--verbose`), and "new"
//! means newer than the upstream version production is built on.

use git2::Oid;
use semver::Version;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::fork::{Fork, StableTag};
use crate::repo::tag::ser_version;

/// A stable tag on the upstream remote.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub name: String,
    #[serde(serialize_with = "ser_version")]
    pub version: Version,
    /// The commit it points at, when known locally.
    #[serde(skip)]
    pub commit: Option<Oid>,
}

pub struct Tags {
    /// Newest version first.
    pub stable: Vec<Candidate>,
    pub skipped: Vec<String>,
}

/// Upstream's stable tags: once [`fetch`] ran, the clone's; for a dry run
/// (`ask_remote`), the remote's (`git ls-remote`), changing nothing.
pub fn upstream_tags(fork: &Fork, ask_remote: bool) -> Result<Tags> {
    let git = &fork.git;
    let remote = fork.config.upstream();
    git.require_remote(remote)?;
    if !ask_remote {
        let (tags, skipped) = fork.stable_tags()?;
        return Ok(Tags {
            stable: tags
                .into_iter()
                .map(|t| Candidate {
                    commit: git.tag_commit(&t.name),
                    name: t.name,
                    version: t.version,
                })
                .collect(),
            skipped,
        });
    }
    let out = git
        .run(&["ls-remote", "--tags", remote])
        .map_err(|e| e.context(format!("listing tags of `{remote}`")))?;
    let globs: Vec<String> = fork
        .stable
        .globs()
        .into_iter()
        .map(|g| g.trim_end_matches('*').to_string())
        .collect();
    let mut stable: Vec<Candidate> = Vec::new();
    let mut skipped = Vec::new();
    for line in out.stdout.lines() {
        let Some((oid, name)) = line.split_once('\t') else {
            continue;
        };
        let Some(name) = name.strip_prefix("refs/tags/") else {
            continue;
        };
        let (name, peeled) = match name.strip_suffix("^{}") {
            Some(n) => (n, true),
            None => (name, false),
        };
        let oid = Oid::from_str(oid).ok();
        if !globs.iter().any(|g| name.starts_with(g.as_str())) {
            continue;
        }
        match fork.stable.parse(name) {
            Some(version) => {
                if let Some(c) = stable.iter_mut().find(|c| c.name == name) {
                    if peeled {
                        c.commit = oid;
                    }
                } else {
                    stable.push(Candidate {
                        name: name.to_string(),
                        version,
                        commit: oid,
                    });
                }
            }
            None if name.contains("stable") && !peeled => skipped.push(name.to_string()),
            None => {}
        }
    }
    stable.sort_by(|a, b| b.version.cmp(&a.version).then_with(|| a.name.cmp(&b.name)));
    Ok(Tags { stable, skipped })
}

/// Fetch upstream's tags, then origin (when the clone has it). Without a
/// commit-graph the helpers [`crate::sync::start`] started read the commits
/// the sync walks next meanwhile: commits never change, so what they read
/// stays true whatever the fetches bring.
pub fn fetch(fork: &Fork) -> Result<()> {
    let git = &fork.git;
    let cfg = &fork.config;
    let (upstream, origin) = (cfg.upstream(), cfg.origin());
    git.run(&["fetch", "--quiet", "--tags", upstream])
        .map_err(|e| e.context(format!("fetching tags from `{upstream}`")))?;
    if git.repo.find_remote(origin).is_ok() {
        git.run(&["fetch", "--quiet", origin])
            .map_err(|e| e.context(format!("fetching `{origin}`")))?;
    }
    Ok(())
}

/// The upstream version production is built on.
pub fn production_version(fork: &Fork, production: Oid) -> Result<Option<StableTag>> {
    let (local, _) = fork.stable_tags()?;
    fork.upstream_of(production, &local)
}

/// The tag to sync: the one asked for (checked), or the newest newer than
/// `from`. `None`: nothing new.
pub fn choose(
    fork: &Fork,
    tags: &Tags,
    from: Option<&Version>,
    asked: Option<&str>,
) -> Result<Option<Candidate>> {
    if let Some(name) = asked {
        let Some(found) = tags.stable.iter().find(|c| c.name == name) else {
            if fork.stable.parse(name).is_none() {
                return Err(Error::usage(format!(
                    "`{name}` is not a stable tag (patterns: {})",
                    fork.config.get_all("upstream.stableTag").join(", ")
                )));
            }
            return Err(Error::usage(format!(
                "no tag `{name}` on `{}`",
                fork.config.upstream()
            )));
        };
        if let Some(from) = from {
            if found.version <= *from {
                return Err(Error::refused(format!(
                    "production is already on upstream v{from}: {name} is not newer"
                )));
            }
        }
        return Ok(Some(found.clone()));
    }
    let Some(newest) = tags.stable.first() else {
        return Err(Error::refused(format!(
            "no stable tags on `{}` (patterns: {}): check the remote and upstream.stableTag",
            fork.config.upstream(),
            fork.config.get_all("upstream.stableTag").join(", ")
        )));
    };
    if from.is_some_and(|f| newest.version <= *f) {
        return Ok(None);
    }
    // Several names for one version (`v1.80.0-stable`, `v1.80.0`): prefer the
    // first configured pattern's.
    let preferred = fork.stable.format(&newest.version);
    Ok(Some(
        tags.stable
            .iter()
            .find(|c| c.name == preferred)
            .unwrap_or(newest)
            .clone(),
    ))
}
