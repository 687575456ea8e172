//! Line provenance (DESIGN 6.3): which fork-side lines an automatic policy may
//! replace.
//!
//! A fork-side line that upstream itself once had (an older release, a
//! backport of an upstream commit, an earlier sync) is upstream's to replace.
//! A line only fork commits ever wrote is a customization: the first user's
//! team lost hundreds of them to the `upstream` policy and restored them by
//! hand. Marker lines (`resolve.marker`) and lines a `feature` probe matches
//! are protected the same way.
//!
//! "Upstream once had it" is read from the files at every upstream tip (stable
//! tags, upstream's branches, the mirror, the merge base) and the upstream
//! commits since the base: each distinct tree and blob read once, only for the
//! paths a policy would drop lines of; no per-path `git log`.
//!
//! Reading those trees is most of the work (a thousand versions of a large
//! directory), and it needs only the paths, not the lines: a sync starts it
//! on another thread ([`Guard::read_ahead`]) as soon as the merge names its
//! conflicts, while git's processes check the result out and this core would
//! wait.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::thread::JoinHandle;

use git2::{Oid, Repository};
use regex::Regex;

use super::sides::Sides;
use crate::error::Result;
use crate::repo::fork::Fork;
use crate::repo::glob::PathGlob;
use crate::repo::tree_paths::Paths;

/// Upstream commits between the base and the release read for provenance;
/// beyond this only tips are read (each costs a tree lookup per path).
const MAX_COMMITS: usize = 2_000;

/// What protects fork lines from an automatic policy.
pub struct Guard {
    markers: Vec<String>,
    features: Vec<(Vec<PathGlob>, Vec<Regex>)>,
    /// Root trees of upstream's versions, each once.
    trees: Vec<Oid>,
    /// The versions of some paths, being read on another thread.
    ahead: Option<Ahead>,
}

/// [`versions`] of `paths`, read by another thread with its own repository
/// handle.
struct Ahead {
    paths: HashSet<String>,
    reading: JoinHandle<Result<HashMap<Oid, Vec<String>>>>,
}

/// The fork lines a resolution would drop, for one path.
pub struct AtStake<'a> {
    /// The path whose upstream versions tell provenance.
    pub path: &'a str,
    /// Dropped fork-side lines: (1-based line number, text).
    pub lines: Vec<(usize, String)>,
}

impl Guard {
    pub fn new(fork: &Fork, sides: &Sides) -> Result<Guard> {
        let git = &fork.git;
        let (stable, _) = fork.stable_tags()?;
        let mut tips = fork.upstream_tips(&stable)?;
        let mirror = fork.config.mirror();
        tips.extend(
            [
                git.local_branch(mirror),
                git.remote_branch(fork.config.origin(), mirror),
                sides.base,
                Some(sides.upstream),
            ]
            .into_iter()
            .flatten(),
        );
        // Versions between the base and the release too (a backported fix
        // upstream rewrote before tagging); bounded, tips always count.
        if let Some(b) = sides.base {
            let between = git.walk(sides.upstream, &[b])?;
            if between.len() <= MAX_COMMITS {
                tips.extend(between);
            }
        }
        let mut seen = HashSet::new();
        let mut trees = Vec::new();
        // Trees from the commit-graph or the commit headers the walks read,
        // not 1,300 commits parsed again by libgit2.
        for t in tips {
            if let Ok(tree) = git.node_tree(git.node(t)) {
                if seen.insert(tree) {
                    trees.push(tree);
                }
            }
        }
        let features = super::verify::features(fork)?
            .into_iter()
            .map(|(_, globs, res)| (globs, res))
            .collect();
        Ok(Guard {
            markers: fork.config.get_all("resolve.marker").to_vec(),
            features,
            trees,
            ahead: None,
        })
    }

    /// Start reading upstream's versions of `paths` on another thread; what
    /// [`Guard::protected`] later asks of them is then read from its result.
    /// Any failure there only means reading them here, as without it.
    pub fn read_ahead(&mut self, git_dir: &Path, paths: Vec<String>) {
        if paths.is_empty() {
            return;
        }
        let (dir, trees) = (git_dir.to_path_buf(), self.trees.clone());
        let set = paths.iter().cloned().collect();
        let reading = std::thread::spawn(move || {
            let repo = Repository::open(&dir)?;
            let found = versions(&repo, &trees, paths.iter().map(String::as_str))?;
            Ok(found
                .into_iter()
                .map(|(id, ps)| (id, ps.into_iter().map(str::to_string).collect()))
                .collect())
        });
        self.ahead = Some(Ahead {
            paths: set,
            reading,
        });
    }

    /// For each item, the lines that must not be dropped without a person:
    /// customizations (upstream never had the text), marker lines and
    /// feature-probe matches. One pass over upstream's versions for all items.
    pub fn protected(
        &mut self,
        repo: &Repository,
        items: &[AtStake<'_>],
    ) -> Result<Vec<Vec<usize>>> {
        let mut sought: HashMap<&str, HashSet<&str>> = HashMap::new();
        for item in items {
            for (_, text) in &item.lines {
                let t = text.trim();
                if !t.is_empty() {
                    sought.entry(item.path).or_default().insert(t);
                }
            }
        }
        let known = self.upstream_had(repo, &sought)?;
        let empty = HashSet::new();
        Ok(items
            .iter()
            .map(|item| {
                let had = known.get(item.path).unwrap_or(&empty);
                item.lines
                    .iter()
                    .filter(|(_, text)| {
                        let t = text.trim();
                        !t.is_empty()
                            && (!had.contains(t)
                                || self.markers.iter().any(|m| text.contains(m.as_str()))
                                || self.features.iter().any(|(globs, res)| {
                                    globs.iter().any(|g| g.is_match(item.path))
                                        && res.iter().any(|r| r.is_match(text))
                                }))
                    })
                    .map(|(n, _)| *n)
                    .collect()
            })
            .collect())
    }

    /// Which of the `sought` line texts (trimmed, by path) each path has in
    /// any upstream version. Only those texts are looked for, and a blob is
    /// read only while one of its paths has some not found yet: collecting
    /// every line of every version was most of a sync's own time with a
    /// commit-graph (1,300 versions of 42 paths).
    fn upstream_had<'a>(
        &mut self,
        repo: &Repository,
        sought: &HashMap<&'a str, HashSet<&'a str>>,
    ) -> Result<HashMap<&'a str, HashSet<&'a str>>> {
        let mut found: HashMap<&'a str, HashSet<&'a str>> = HashMap::new();
        let ahead = self.ahead.take();
        if sought.is_empty() {
            return Ok(found);
        }
        let read_ahead = ahead.and_then(|a| Some((a.paths, a.reading.join().ok()?.ok()?)));
        let (covered, mut blobs) = match read_ahead {
            Some((paths, got)) => {
                let mut blobs: HashMap<Oid, Vec<&'a str>> = HashMap::new();
                for (id, ps) in got {
                    for p in ps {
                        if let Some((&key, _)) = sought.get_key_value(p.as_str()) {
                            blobs.entry(id).or_default().push(key);
                        }
                    }
                }
                (paths, blobs)
            }
            None => (HashSet::new(), HashMap::new()),
        };
        let rest = sought.keys().copied().filter(|p| !covered.contains(*p));
        for (id, ps) in versions(repo, &self.trees, rest)? {
            let v = blobs.entry(id).or_default();
            for p in ps {
                if !v.contains(&p) {
                    v.push(p);
                }
            }
        }
        let done = |found: &HashMap<&str, HashSet<&str>>, p: &str| {
            found.get(p).map_or(0, HashSet::len) == sought.get(p).map_or(0, HashSet::len)
        };
        for (id, ps) in blobs {
            if ps.iter().all(|p| done(&found, p)) {
                continue;
            }
            let Ok(blob) = repo.find_blob(id) else {
                continue;
            };
            if blob.is_binary() {
                continue;
            }
            let text = String::from_utf8_lossy(blob.content());
            for line in text.lines() {
                let t = line.trim();
                for p in &ps {
                    if let Some(&s) = sought.get(p).and_then(|set| set.get(t)) {
                        found.entry(p).or_default().insert(s);
                    }
                }
            }
        }
        Ok(found)
    }
}

/// Each blob `trees` hold at `paths`, with the paths it is at.
fn versions<'a>(
    repo: &Repository,
    trees: &[Oid],
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<Oid, Vec<&'a str>>> {
    let mut blobs: HashMap<Oid, Vec<&'a str>> = HashMap::new();
    let wanted = Paths::of(paths);
    // A subtree met again at the same place (most directories are the
    // same in most upstream versions) holds the same blobs: read once.
    let mut seen: HashSet<(*const Paths<'_>, Oid)> = HashSet::new();
    let odb = repo.odb()?;
    for t in trees {
        wanted.visit(
            &odb,
            *t,
            &mut |dir, id| seen.insert((dir, id)),
            &mut |p, id, kind| {
                if kind == Some(git2::ObjectType::Blob) {
                    let v = blobs.entry(id).or_default();
                    if !v.contains(&p) {
                        v.push(p);
                    }
                }
            },
        )?;
    }
    Ok(blobs)
}
