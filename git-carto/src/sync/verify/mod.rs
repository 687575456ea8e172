//! `git carto verify` (DESIGN 6.4): the checks run before a sync commits, on
//! demand, and in CI on the sync pull request.
//!
//! Four checks, each finding naming a path and (where there is one) a line:
//! conflict markers left behind, fork-marker lines (`# CARTO:`) lost, upstream
//! changes silently dropped (the result equals the fork side although upstream
//! changed the file), and configured fork features that no longer match.
//! A path that was resolved on purpose (a policy, or a person choosing a side)
//! is reported as that decision's outcome instead of a finding: the audit says
//! what was dropped, CI does not fail on a decision someone made.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use git2::{Oid, Repository, Tree};
use regex::Regex;
use serde::Serialize;

use super::policy::{PathGlob, Rules, Side};
use super::sides::Sides;
use super::state::State;
use crate::error::{Error, Result};
use crate::repo::fork::Fork;
use crate::repo::tree_paths;

mod deleted;
mod intents;
pub use intents::*;
mod text;
pub use text::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    ConflictMarker,
    ForkMarkerLost,
    UpstreamDropped,
    FeatureMissing,
    ForkFileDeleted,
}

impl Check {
    pub fn name(self) -> &'static str {
        match self {
            Check::ConflictMarker => "conflict marker",
            Check::ForkMarkerLost => "fork marker lost",
            Check::UpstreamDropped => "upstream change dropped",
            Check::FeatureMissing => "fork feature missing",
            Check::ForkFileDeleted => "fork file deleted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: Check,
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A check that would have fired on a path resolved on purpose.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub check: Check,
    pub path: String,
    pub line: Option<usize>,
    /// Who decided: `policy fork`, `by hand`.
    pub decided_by: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub upstream: SideInfo,
    pub fork: SideInfo,
    pub base: Option<String>,
    /// `index` during a sync, else the commit verified.
    pub result: String,
    pub ok: bool,
    pub findings: Vec<Finding>,
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    pub label: String,
    pub commit: String,
}

/// What is verified: the index of a merge in progress, or a commit's tree.
pub enum Target {
    Index,
    Commit(Oid),
}

/// Trailer a sync writes into its merge commit for each side a person chose,
/// so CI can tell a decision from an accident without the local state.
pub const TRAILER: &str = "Carto-Resolved";

/// `git carto verify`: during a sync (a merge in progress) check the index and
/// working tree against HEAD and MERGE_HEAD; otherwise check HEAD against its
/// merge's parents (or `--base` and the newest stable tag it contains).
pub fn verify_command(fork: &Fork, base: Option<&str>) -> Result<Verification> {
    let git = &fork.git;
    let rules = Rules::from_config(&fork.config)?;
    if base.is_none() && git.merge_head().is_some() {
        let state = State::load(git)?;
        let sides = match &state {
            Some(s) => s.sides.clone(),
            // MERGE_HEAD without a HEAD commit (an unborn branch): nothing to merge into.
            None => Sides::of_merge_in_progress(fork)?.ok_or_else(|| {
                Error::refused(
                    "a MERGE_HEAD exists but HEAD does not point at a commit yet: nothing to \
                     verify (remove .git/MERGE_HEAD if no merge is meant to be in progress)",
                )
            })?,
        };
        let intents = intents_from(&rules, state.as_ref(), None);
        return verify(fork, &sides, Target::Index, &intents);
    }
    let head = git
        .head_id()
        .ok_or_else(|| Error::refused("HEAD does not point at a commit yet"))?;
    let sides = Sides::of_commit(fork, head, base)?;
    let message = first_merge_message(&git.repo, head);
    let intents = intents_from(&rules, None, message.as_deref());
    verify(fork, &sides, Target::Commit(head), &intents)
}

/// What the result holds at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Absent,
    Blob(Oid),
    /// Still unmerged in the index: the working tree file is the result.
    Unmerged,
}

struct ResultView<'r> {
    tree: Option<Tree<'r>>,
    index: Option<git2::Index>,
    unmerged: HashSet<String>,
    workdir: &'r Path,
}

impl ResultView<'_> {
    fn at(&self, path: &str) -> At {
        if let Some(t) = &self.tree {
            return match t.get_path(Path::new(path)) {
                Ok(e) => At::Blob(e.id()),
                Err(_) => At::Absent,
            };
        }
        if self.unmerged.contains(path) {
            return At::Unmerged;
        }
        match self
            .index
            .as_ref()
            .and_then(|i| i.get_path(Path::new(path), 0))
        {
            Some(e) => At::Blob(e.id),
            None => At::Absent,
        }
    }

    /// Whether the result has a file (not a directory) at `path`.
    fn has_file(&self, path: &str) -> bool {
        if let Some(t) = &self.tree {
            return t
                .get_path(Path::new(path))
                .is_ok_and(|e| e.kind() != Some(git2::ObjectType::Tree));
        }
        self.at(path) != At::Absent
    }

    fn text(&self, repo: &Repository, path: &str) -> Option<String> {
        match self.at(path) {
            At::Absent => None,
            At::Blob(id) => blob_text(repo, Some(id)),
            At::Unmerged => std::fs::read(self.workdir.join(path))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
        }
    }

    /// Every path of the result (for feature probes).
    fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.tree {
            let _ = t.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
                if e.kind() == Some(git2::ObjectType::Blob) {
                    if let Ok(name) = e.name() {
                        out.push(format!("{dir}{name}"));
                    }
                }
                git2::TreeWalkResult::Ok
            });
        } else if let Some(i) = &self.index {
            let mut seen = HashSet::new();
            for e in i.iter() {
                let p = String::from_utf8_lossy(&e.path).into_owned();
                if seen.insert(p.clone()) {
                    out.push(p);
                }
            }
        }
        out
    }
}

fn blob_text(repo: &Repository, id: Option<Oid>) -> Option<String> {
    let blob = repo.find_blob(id?).ok()?;
    if blob.is_binary() {
        return None;
    }
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

fn entry_id(tree: Option<&Tree<'_>>, path: &str) -> Option<Oid> {
    tree?.get_path(Path::new(path)).ok().map(|e| e.id())
}

/// The three sides' entries for the candidate paths (see `tree_paths`).
struct Ids<'p> {
    base: HashMap<&'p str, Oid>,
    up: HashMap<&'p str, Oid>,
    fork: HashMap<&'p str, Oid>,
}

impl Ids<'_> {
    fn base(&self, path: &str) -> Option<Oid> {
        self.base.get(path).copied()
    }
    fn up(&self, path: &str) -> Option<Oid> {
        self.up.get(path).copied()
    }
    fn fork(&self, path: &str) -> Option<Oid> {
        self.fork.get(path).copied()
    }
}

/// Paths a diff touches (old and new names), and the renames it finds when asked.
fn changed(
    repo: &Repository,
    from: Option<&Tree<'_>>,
    to: Option<&Tree<'_>>,
    renames: bool,
) -> Result<(BTreeSet<String>, HashMap<String, String>)> {
    let mut diff = repo.diff_tree_to_tree(from, to, None)?;
    let mut moved = HashMap::new();
    if renames {
        let mut opts = git2::DiffFindOptions::new();
        opts.renames(true);
        diff.find_similar(Some(&mut opts))?;
    }
    let mut paths = BTreeSet::new();
    for d in diff.deltas() {
        let old = d
            .old_file()
            .path()
            .map(|p| p.to_string_lossy().into_owned());
        let new = d
            .new_file()
            .path()
            .map(|p| p.to_string_lossy().into_owned());
        if d.status() == git2::Delta::Renamed {
            if let (Some(o), Some(n)) = (&old, &new) {
                moved.insert(o.clone(), n.clone());
            }
        }
        paths.extend(old);
        paths.extend(new);
    }
    Ok((paths, moved))
}

/// Run every check.
pub fn verify(
    fork: &Fork,
    sides: &Sides,
    target: Target,
    intent: &dyn Fn(&str) -> Option<Intent>,
) -> Result<Verification> {
    let git = &fork.git;
    let repo = &git.repo;
    let up_tree = repo.find_commit(sides.upstream)?.tree()?;
    let fork_tree = repo.find_commit(sides.fork)?.tree()?;
    let base_tree = match sides.base {
        Some(b) => Some(repo.find_commit(b)?.tree()?),
        None => None,
    };
    let (view, result_name) = match target {
        Target::Commit(c) => (
            ResultView {
                tree: Some(repo.find_commit(c)?.tree()?),
                index: None,
                unmerged: HashSet::new(),
                workdir: git.workdir(),
            },
            c.to_string(),
        ),
        Target::Index => {
            let mut index = repo.index()?;
            // git (not libgit2) changed it since the repository was opened.
            index.read(true)?;
            let unmerged = index
                .iter()
                .filter(|e| (e.flags >> 12) & 0x3 != 0)
                .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                .collect();
            (
                ResultView {
                    tree: None,
                    index: Some(index),
                    unmerged,
                    workdir: git.workdir(),
                },
                "index".to_string(),
            )
        }
    };

    let (up_changed, _) = changed(repo, base_tree.as_ref(), Some(&up_tree), false)?;
    let (fork_changed, _) = changed(repo, base_tree.as_ref(), Some(&fork_tree), false)?;
    let mut candidates: BTreeSet<String> = up_changed.union(&fork_changed).cloned().collect();
    candidates.extend(view.unmerged.iter().cloned());
    // Each side's entry for every candidate, read once.
    let wanted = || candidates.iter().map(String::as_str);
    let odb = repo.odb()?;
    let ids = Ids {
        base: tree_paths::ids(&odb, base_tree.as_ref().map(|t| t.id()), wanted())?,
        up: tree_paths::ids(&odb, Some(up_tree.id()), wanted())?,
        fork: tree_paths::ids(&odb, Some(fork_tree.id()), wanted())?,
    };

    let markers: Vec<String> = fork
        .config
        .get_all("resolve.marker")
        .iter()
        .filter(|m| !m.trim().is_empty())
        .cloned()
        .collect();
    let mut findings = Vec::new();
    let mut outcomes = Vec::new();
    let mut push =
        |check: Check, path: &str, line: Option<usize>, message: String| match intent(path) {
            Some(i)
                if (i.edited
                    && matches!(
                        check,
                        Check::ForkMarkerLost | Check::UpstreamDropped | Check::ForkFileDeleted
                    ))
                    || deliberate(check, i.side) =>
            {
                outcomes.push(Outcome {
                    check,
                    path: path.to_string(),
                    line,
                    decided_by: i.by,
                    message,
                })
            }
            _ => findings.push(Finding {
                check,
                path: path.to_string(),
                line,
                message,
            }),
        };

    // Fork renames, so an upstream change to a file the fork moved is looked for
    // at the fork's name. Only computed when some upstream-changed path is gone
    // from the fork side.
    let needs_renames = up_changed
        .iter()
        .any(|p| ids.fork(p).is_none() && ids.base(p).is_some());
    let fork_moves = if needs_renames {
        changed(repo, base_tree.as_ref(), Some(&fork_tree), true)?.1
    } else {
        HashMap::new()
    };

    for path in &candidates {
        let u = ids.up(path);
        let f = ids.fork(path);
        let b = ids.base(path);
        let r = view.at(path);

        // 1. Conflict markers, in results that are neither side as it was.
        let differs = match r {
            At::Unmerged => true,
            At::Blob(id) => Some(id) != u && Some(id) != f,
            At::Absent => false,
        };
        if differs {
            if let Some(text) = view.text(repo, path) {
                let sides_text = [blob_text(repo, u), blob_text(repo, f)];
                for (line, marker) in conflict_markers(&text, &sides_text) {
                    push(
                        Check::ConflictMarker,
                        path,
                        Some(line),
                        format!("conflict marker `{marker}` left in the file"),
                    );
                }
            }
        }

        // 2. Fork-marker lines of the fork side that the result lost.
        if !markers.is_empty() && r != At::Blob(f.unwrap_or(Oid::ZERO_SHA1)) {
            if let Some(fork_text) = blob_text(repo, f) {
                let marked: Vec<(usize, &str)> = fork_text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| markers.iter().any(|m| l.contains(m.as_str())))
                    .map(|(i, l)| (i + 1, l))
                    .collect();
                if !marked.is_empty() {
                    let result_text = view.text(repo, path).unwrap_or_default();
                    let present: HashSet<&str> = result_text.lines().map(str::trim_end).collect();
                    for (line, text) in marked {
                        if !present.contains(text.trim_end()) {
                            push(
                                Check::ForkMarkerLost,
                                path,
                                Some(line),
                                format!(
                                    "fork-marker line `{}` of the fork side is gone",
                                    text.trim()
                                ),
                            );
                        }
                    }
                }
            }
        }

        // 3. Upstream changed the path; the result is the fork side regardless.
        if up_changed.contains(path) && u != b {
            let (fpath, f_at) = match (f, fork_moves.get(path)) {
                (None, Some(moved)) => (moved.as_str(), entry_id(Some(&fork_tree), moved)),
                _ => (path.as_str(), f),
            };
            let r_at = if fpath == path { r } else { view.at(fpath) };
            let same_as_fork = match (r_at, f_at) {
                (At::Blob(r), Some(f)) => r == f,
                (At::Absent, None) => true,
                _ => false,
            };
            let fork_differs = if fpath == path {
                u != f_at
            } else {
                // Moved by the fork: compare contents.
                u != f_at
            };
            if same_as_fork && fork_differs && r_at != At::Unmerged {
                let what = match (b, u) {
                    (_, None) => "upstream deleted it; the result keeps the fork side".to_string(),
                    (None, Some(_)) if f_at.is_none() => {
                        "upstream added it; the result does not have it (as on the fork side)"
                            .to_string()
                    }
                    _ if f_at.is_none() => {
                        "upstream changed it; the result deletes it (as on the fork side)"
                            .to_string()
                    }
                    _ => "upstream changed it; the result is the fork side unchanged".to_string(),
                };
                let line = first_changed_line(repo, b, u);
                push(Check::UpstreamDropped, fpath, line, what);
            }
        }
    }

    // 4. Fork-side files the result lacks.
    let trees = [base_tree.as_ref(), Some(&up_tree)];
    for (path, message) in deleted::fork_files_deleted(repo, trees, &ids, &fork_changed, &view)? {
        push(Check::ForkFileDeleted, &path, None, message);
    }

    // 5. Fork features.
    for (name, globs, patterns) in features(fork)? {
        let files: Vec<String> = view
            .paths()
            .into_iter()
            .filter(|p| globs.iter().any(|g| g.is_match(p)))
            .collect();
        for re in &patterns {
            let hit = files.iter().any(|p| {
                view.text(repo, p)
                    .is_some_and(|t| t.lines().any(|l| re.is_match(l)))
            });
            if hit {
                continue;
            }
            let on_fork = find_in_tree(repo, &fork_tree, &globs, re);
            let where_ = globs
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let (path, line, msg) = match on_fork {
                Some((p, l)) => (
                    p.clone(),
                    Some(l),
                    format!(
                        "feature `{name}`: `{}` no longer matches in {where_} (on the fork side: {p}:{l})",
                        re.as_str()
                    ),
                ),
                None => (
                    where_.clone(),
                    None,
                    format!(
                        "feature `{name}`: `{}` matches no line of {where_} (nor on the fork side)",
                        re.as_str()
                    ),
                ),
            };
            push(Check::FeatureMissing, &path, line, msg);
        }
    }

    Ok(Verification {
        upstream: SideInfo {
            label: sides.upstream_label.clone(),
            commit: sides.upstream.to_string(),
        },
        fork: SideInfo {
            label: sides.fork_label.clone(),
            commit: sides.fork.to_string(),
        },
        base: sides.base.map(|b| b.to_string()),
        result: result_name,
        ok: findings.is_empty(),
        findings,
        outcomes,
    })
}

/// Whether keeping `side` explains a check firing: keeping the fork side drops
/// upstream changes; taking upstream loses fork-marker lines.
fn deliberate(check: Check, side: Side) -> bool {
    matches!(
        (check, side),
        (Check::UpstreamDropped, Side::Fork)
            | (
                Check::ForkMarkerLost | Check::ForkFileDeleted,
                Side::Upstream
            )
    )
}

/// The configured features: name, path globs, patterns.
pub(crate) type Feature = (String, Vec<PathGlob>, Vec<Regex>);

pub(crate) fn features(fork: &Fork) -> Result<Vec<Feature>> {
    let cfg = &fork.config;
    let mut out = Vec::new();
    for name in cfg.subsections("feature") {
        let globs: Vec<PathGlob> = cfg
            .get_all(&format!("feature.{name}.path"))
            .iter()
            .filter_map(|g| PathGlob::new(g).ok())
            .filter(|g| !g.is_empty())
            .collect();
        let patterns = cfg
            .get_all(&format!("feature.{name}.pattern"))
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|e| {
                    Error::usage(format!("feature.{name}.pattern `{p}` is not a regex: {e}"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if globs.is_empty() {
            return Err(Error::usage(format!(
                "feature `{name}` has no feature.{name}.path: say which files its patterns must match in"
            )));
        }
        if patterns.is_empty() {
            return Err(Error::usage(format!(
                "feature `{name}` has no feature.{name}.pattern: say what must still match"
            )));
        }
        out.push((name, globs, patterns));
    }
    Ok(out)
}

fn find_in_tree(
    repo: &Repository,
    tree: &Tree<'_>,
    globs: &[PathGlob],
    re: &Regex,
) -> Option<(String, usize)> {
    let mut hit = None;
    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
        if e.kind() != Some(git2::ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        let path = format!("{dir}{}", e.name().unwrap_or_default());
        if globs.iter().any(|g| g.is_match(&path)) {
            if let Some(text) = blob_text(repo, Some(e.id())) {
                if let Some(i) = text.lines().position(|l| re.is_match(l)) {
                    hit = Some((path, i + 1));
                    return git2::TreeWalkResult::Abort;
                }
            }
        }
        git2::TreeWalkResult::Ok
    });
    hit
}

/// First line (1-based, in `to`) of the first change from `from` to `to`.
fn first_changed_line(repo: &Repository, from: Option<Oid>, to: Option<Oid>) -> Option<usize> {
    let a = blob_text(repo, from).unwrap_or_default();
    let b = blob_text(repo, to)?;
    let diff = similar::TextDiff::from_lines(&a, &b);
    diff.ops()
        .iter()
        .find(|op| op.tag() != similar::DiffTag::Equal)
        .map(|op| op.new_range().start + 1)
}
