//! A fork: its repository, its configuration, and the questions about it that
//! every command asks (which tags are releases, which are upstream's stable
//! releases, which commits are the fork's own). Ancestry decides, never author
//! or message.

use std::collections::{BinaryHeap, HashSet};
use std::path::Path;

use git2::Oid;
use semver::Version;

use crate::error::{Error, Result};
use crate::repo::config::Config;
use crate::repo::git::Git;
use crate::repo::tag::{ReleaseFormat, ReleaseTag, StablePatterns};

pub struct Fork {
    pub git: Git,
    pub config: Config,
    /// The format new release tags are written in.
    pub release_format: ReleaseFormat,
    /// Formats the history used before (`release.tagFormat`'s earlier
    /// values): their tags are releases too, so the next tag never goes below
    /// one of them, but no tag is written in them.
    pub older_formats: Vec<ReleaseFormat>,
    pub stable: StablePatterns,
}

/// An upstream stable tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StableTag {
    pub name: String,
    pub version: Version,
}

/// Release tags split into those that parse and those that carry the fork's
/// prefix but do not (listed by `status`, never used).
#[derive(Debug, Default)]
pub struct ReleaseTags {
    pub parsed: Vec<ReleaseTag>,
    pub unparsed: Vec<String>,
}

impl Fork {
    pub fn open(dir: &Path) -> Result<Self> {
        let git = Git::discover(dir)?;
        let config = Config::load(&git.repo)?;
        Self::with(git, config)
    }

    pub fn with(git: Git, config: Config) -> Result<Self> {
        let formats = config
            .get_all("release.tagFormat")
            .iter()
            .map(|t| ReleaseFormat::new(t))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| e.context("reading release.tagFormat"))?;
        let (release_format, older_formats) = match formats.split_last() {
            Some((last, older)) => (last.clone(), older.to_vec()),
            None => return Err(Error::usage("release.tagFormat has no value")),
        };
        let stable = StablePatterns::new(config.get_all("upstream.stableTag"))
            .map_err(|e| e.context("reading upstream.stableTag"))?;
        Ok(Fork {
            git,
            config,
            release_format,
            older_formats,
            stable,
        })
    }

    /// Every tag that looks like a release of this fork.
    pub fn release_tags(&self) -> Result<ReleaseTags> {
        let mut out = ReleaseTags::default();
        let formats: Vec<&ReleaseFormat> = std::iter::once(&self.release_format)
            .chain(&self.older_formats)
            .collect();
        let mut prefixes: Vec<&str> = formats.iter().map(|f| f.prefix()).collect();
        prefixes.sort();
        prefixes.dedup();
        let mut names: Vec<String> = Vec::new();
        for prefix in &prefixes {
            names.extend(self.git.tag_names(prefix)?);
        }
        names.sort();
        names.dedup();
        for name in names {
            match formats.iter().find_map(|f| f.parse(&name)) {
                Some(tag) => out.parsed.push(tag),
                // A format like `v{upstream}-carto.{fork}` shares its prefix with
                // upstream's tags: those are not malformed releases.
                None if self.stable.parse(&name).is_some() => {}
                None if prefixes.contains(&"v") && !name.contains(self.fork_marker()) => {}
                None => out.unparsed.push(name),
            }
        }
        Ok(out)
    }

    /// The text that marks a name as the fork's (the fork name).
    fn fork_marker(&self) -> &str {
        self.config.get("fork.name").unwrap_or("carto")
    }

    /// Upstream stable tags, newest version first, and the names that looked
    /// like stable tags but did not parse (reported with `--verbose`).
    pub fn stable_tags(&self) -> Result<(Vec<StableTag>, Vec<String>)> {
        let mut tags = Vec::new();
        let mut skipped = Vec::new();
        for prefix in self.stable.prefixes() {
            for name in self.git.tag_names(&prefix)? {
                match self.stable.parse(&name) {
                    Some(version) => tags.push(StableTag { name, version }),
                    None if name.contains("stable") => skipped.push(name),
                    None => {}
                }
            }
        }
        tags.sort_by(|a, b| b.version.cmp(&a.version).then_with(|| a.name.cmp(&b.name)));
        tags.dedup_by(|a, b| a.name == b.name);
        Ok((tags, skipped))
    }

    /// The upstream version of a commit: the newest stable tag that is an
    /// ancestor of it.
    pub fn upstream_of(&self, commit: Oid, stable: &[StableTag]) -> Result<Option<StableTag>> {
        let mut reach = self.git.reach(&[commit])?;
        for tag in stable {
            let Some(target) = self.git.tag_commit(&tag.name) else {
                continue;
            };
            if reach.contains(target)? {
                return Ok(Some(tag.clone()));
            }
        }
        Ok(None)
    }

    /// The highest release (by upstream, then fork version) whose commit is an
    /// ancestor of `commit`.
    pub fn last_release_on(
        &self,
        commit: Oid,
        releases: &[ReleaseTag],
    ) -> Result<Option<ReleaseTag>> {
        let mut sorted: Vec<&ReleaseTag> = releases.iter().collect();
        sorted.sort_by(|a, b| (&b.upstream, &b.fork).cmp(&(&a.upstream, &a.fork)));
        let mut reach = self.git.reach(&[commit])?;
        for tag in sorted {
            let Some(target) = self.git.tag_commit(&tag.name) else {
                continue;
            };
            if reach.contains(target)? {
                return Ok(Some(tag.clone()));
            }
        }
        Ok(None)
    }

    /// Commit ids of every upstream ref: the upstream remote's branches and the
    /// stable tags. A commit reachable from one of these is upstream's.
    pub fn upstream_tips(&self, stable: &[StableTag]) -> Result<Vec<Oid>> {
        let mut tips = Vec::new();
        let prefix = format!("refs/remotes/{}/", self.config.upstream());
        for r in self.git.repo.references_glob(&format!("{prefix}*"))? {
            if let Ok(c) = r?.peel_to_commit() {
                tips.push(c.id());
            }
        }
        for t in stable {
            if let Some(oid) = self.git.tag_commit(&t.name) {
                tips.push(oid);
            }
        }
        Ok(tips)
    }

    /// Commits reachable from `tip` but not from `base` nor any upstream ref,
    /// newest first: the fork's own work. Mirror merges (a merge whose tree is
    /// exactly an upstream parent's tree) are upstream content and left out.
    ///
    /// Walks newest-first from `tip` and stops descending at anything proven
    /// upstream or below `base`; proofs use date-bounded [`crate::repo::git::Reach`]
    /// walks, and a mirror merge is recognised in O(1) when its upstream parent
    /// is a tag tip, so a mirror made of hundreds of merges costs hundreds of
    /// commits, not the whole history.
    pub fn fork_commits(
        &self,
        tip: Oid,
        base: Option<Oid>,
        upstream_tips: &[Oid],
    ) -> Result<Vec<Oid>> {
        let repo = &self.git.repo;
        let tip_set: HashSet<Oid> = upstream_tips.iter().copied().collect();
        let mut upstream = self.git.reach(upstream_tips)?;
        let mut below_base = match base {
            Some(b) => Some(self.git.reach(&[b])?),
            None => None,
        };
        let mut is_upstream =
            |oid: Oid| -> Result<bool> { Ok(tip_set.contains(&oid) || upstream.contains(oid)?) };
        let mut heap: BinaryHeap<(i64, Oid)> = BinaryHeap::new();
        let mut queued: HashSet<Oid> = HashSet::new();
        queued.insert(tip);
        heap.push((self.git.commit_time(tip)?, tip));
        let mut out = Vec::new();
        while let Some((_, oid)) = heap.pop() {
            if let Some(b) = below_base.as_mut() {
                if b.contains(oid)? {
                    continue;
                }
            }
            if tip_set.contains(&oid) {
                continue;
            }
            let commit = repo.find_commit(oid)?;
            // A mirror merge over a tag tip is recognised without any walk; only
            // other commits need the upstream reachability proof.
            let tree_parent = |known: &mut dyn FnMut(Oid) -> Result<bool>| -> Result<Option<Oid>> {
                if commit.parent_count() < 2 {
                    return Ok(None);
                }
                for p in commit.parents() {
                    if p.tree_id() == commit.tree_id() && known(p.id())? {
                        return Ok(Some(p.id()));
                    }
                }
                Ok(None)
            };
            let mut mirror_parent = tree_parent(&mut |p| Ok(tip_set.contains(&p)))?;
            if mirror_parent.is_none() {
                if is_upstream(oid)? {
                    continue;
                }
                mirror_parent = tree_parent(&mut is_upstream)?;
            }
            if mirror_parent.is_none() {
                out.push(oid);
            }
            for p in commit.parents() {
                if Some(p.id()) != mirror_parent && queued.insert(p.id()) {
                    heap.push((p.time().seconds(), p.id()));
                }
            }
        }
        Ok(out)
    }

    /// Refuse unless both remotes the fork needs exist.
    pub fn require_remotes(&self) -> Result<()> {
        self.git.require_remote(self.config.origin())?;
        self.git.require_remote(self.config.upstream())
    }

    /// The production branch tip to compare against: origin's if fetched,
    /// else the local branch.
    pub fn production_tip(&self) -> Result<Oid> {
        let prod = self.config.production();
        self.git
            .remote_branch(self.config.origin(), prod)
            .or_else(|| self.git.local_branch(prod))
            .ok_or_else(|| {
                Error::refused(format!(
                    "no production branch `{prod}` locally or on `{}`: run `git fetch {}`",
                    self.config.origin(),
                    self.config.origin()
                ))
            })
    }
}
