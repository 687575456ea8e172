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
use crate::repo::history::{Id, Node};
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

    /// A fork that lives until the process exits, for the binaries: freeing
    /// libgit2's object cache after a long walk cost 7% of a first `next-tag`
    /// on the real-fork shape, and the OS takes the memory back at once.
    pub fn open_for_process(dir: &Path) -> Result<&'static Fork> {
        Ok(Box::leak(Box::new(Self::open(dir)?)))
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
        // A shorter prefix covers a longer one: list each tag once.
        prefixes.dedup_by(|cur, prev| cur.starts_with(*prev));
        let shares_upstream_prefix = prefixes.contains(&"v");
        for prefix in &prefixes {
            self.git.for_each_tag(prefix, |name| {
                match formats.iter().find_map(|f| f.parse(name)) {
                    Some(tag) => out.parsed.push(tag),
                    // A format like `v{upstream}-carto.{fork}` shares its prefix with
                    // upstream's tags: those are not malformed releases.
                    None if self.stable.parse(name).is_some() => {}
                    None if shares_upstream_prefix && !name.contains(self.fork_marker()) => {}
                    None => out.unparsed.push(name.to_string()),
                }
            })?;
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
            self.git
                .for_each_tag(&prefix, |name| match self.stable.parse(name) {
                    Some(version) => tags.push(StableTag {
                        name: name.to_string(),
                        version,
                    }),
                    // (A byte scan: str::contains sets up a searcher per name.)
                    None if name.as_bytes().windows(6).any(|w| w == b"stable") => {
                        skipped.push(name.to_string())
                    }
                    None => {}
                })?;
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
        let mut tips = self.git.remote_tips(self.config.upstream())?;
        for t in stable {
            if let Some(oid) = self.git.tag_commit(&t.name) {
                tips.push(oid);
            }
        }
        Ok(tips)
    }

    /// Commits reachable from `tip` but not from a `base` nor any upstream ref,
    /// newest first: the fork's own work. Mirror merges (a merge whose tree is
    /// exactly an upstream parent's tree) are upstream content and left out.
    ///
    /// Walks newest-first from `tip` and stops descending at anything proven
    /// upstream or below `base`; proofs use date-bounded [`crate::repo::git::Reach`]
    /// walks, and a mirror merge is recognised in O(1) when its upstream parent
    /// is a tag tip, so a mirror made of hundreds of merges costs hundreds of
    /// commits, not the whole history.
    pub fn fork_commits(&self, tip: Oid, base: &[Oid], upstream_tips: &[Oid]) -> Result<Vec<Oid>> {
        let git = &self.git;
        let tip_set: HashSet<Node> = upstream_tips.iter().map(|t| git.node(*t)).collect();
        let mut upstream = git.reach(upstream_tips)?;
        let mut below_base = match base {
            [] => None,
            b => Some(git.reach(b)?),
        };
        let mut is_upstream = |node: Node| -> Result<bool> {
            Ok(tip_set.contains(&node) || upstream.contains_node(node)?)
        };
        // Newest first; equal dates by id (git2's order), never by when a
        // commit was met.
        let mut heap: BinaryHeap<(i64, (bool, u32, Id), Node)> = BinaryHeap::new();
        let mut queued: HashSet<Node> = HashSet::new();
        let start = git.node(tip);
        queued.insert(start);
        heap.push((git.node_time(start)?, git.node_rank(start), start));
        let mut out = Vec::new();
        let mut parents = Vec::new();
        while let Some((_, _, node)) = heap.pop() {
            if let Some(b) = below_base.as_mut() {
                if b.contains_node(node)? {
                    continue;
                }
            }
            if tip_set.contains(&node) {
                continue;
            }
            parents.clear();
            git.node_parents(node, &mut parents)?;
            // A mirror merge over a tag tip is recognised without any walk; only
            // other commits need the upstream reachability proof.
            let tree = if parents.len() > 1 {
                Some(git.node_tree(node)?)
            } else {
                None
            };
            let tree_parent =
                |known: &mut dyn FnMut(Node) -> Result<bool>| -> Result<Option<Node>> {
                    let Some(tree) = tree else {
                        return Ok(None);
                    };
                    for &p in &parents {
                        if git.node_tree(p)? == tree && known(p)? {
                            return Ok(Some(p));
                        }
                    }
                    Ok(None)
                };
            let mut mirror_parent = tree_parent(&mut |p| Ok(tip_set.contains(&p)))?;
            if mirror_parent.is_none() {
                if is_upstream(node)? {
                    continue;
                }
                mirror_parent = tree_parent(&mut is_upstream)?;
            }
            if mirror_parent.is_none() {
                out.push(git.node_id(node));
            }
            for &p in &parents {
                if Some(p) != mirror_parent && queued.insert(p) {
                    heap.push((git.node_time(p)?, git.node_rank(p), p));
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
