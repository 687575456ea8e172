//! The audit report of a sync (DESIGN 6.5), in Markdown (the pull request
//! body) and JSON (`--json`), written to `<git-dir>/carto/reports/`.
//!
//! Nothing is discarded silently: for each path an automatic policy or a
//! person settled by taking a side, the report names the other side's lines
//! that did not make it into the result and the commits that made them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use serde::Serialize;

use super::policy::Side;
use super::state::{By, State};
use super::verify::{dropped_lines, ranges, Finding, Outcome, Verification};
use crate::error::Result;
use crate::repo::fork::Fork;
use crate::term::output::short;

/// Shown at the top of every sync pull request: a squash merge once cost the
/// first user 4,200 upstream commits of history.
pub const MERGE_WARNING: &str =
    "Merge this pull request with a **merge commit**, never squash or rebase: \
     squashing drops every upstream commit from production's history and the next sync \
     conflicts on all of them again.";

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub upstream: UpstreamInfo,
    pub production: String,
    pub sync_branch: Option<String>,
    pub mirror: Option<super::mirror::MirrorStep>,
    /// `committed`, or `in_progress` while paths are left for a person.
    pub state: String,
    pub merge_commit: Option<String>,
    pub counts: Counts,
    pub conflicts: Vec<ConflictReport>,
    /// Conflicted paths still unresolved.
    pub manual: Vec<String>,
    pub findings: Vec<Finding>,
    pub outcomes: Vec<Outcome>,
    pub warnings: Vec<String>,
    pub checklist: Vec<String>,
    /// The merge base of the production merge and why (DESIGN 6.2a).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<super::base::Base>,
    /// `resolve.regenerate`: the command, whether it ran, what it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regenerate: Option<super::regenerate::Regenerated>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamInfo {
    pub from: Option<String>,
    pub to: Option<String>,
    pub tag: Option<String>,
    pub compare_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub upstream_commits: usize,
    pub fork_commits: usize,
    pub files_changed: usize,
    pub conflicted: usize,
    pub by_policy: usize,
    pub by_hand: usize,
    pub unresolved: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConflictReport {
    pub path: String,
    pub kind: String,
    pub paths: Vec<String>,
    pub policy: String,
    pub rule: Option<String>,
    /// `policy`, `hand`, `outside`; `None` while unresolved.
    pub by: Option<String>,
    pub result: Option<String>,
    pub dropped: Vec<Dropped>,
    /// Why the automatic policy left the path to a person (fork lines at stake).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
}

/// The other side's changes a resolution left out.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub side: Side,
    pub path: String,
    /// Line ranges in that side's file (`None`: the whole file).
    pub lines: Option<String>,
    pub commits: Vec<CommitRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitRef {
    pub id: String,
    pub subject: String,
}

/// Build the audit of a sync from its state, the result (`merge_commit`, or
/// the index while in progress) and the verification.
pub fn build(
    fork: &Fork,
    state: &State,
    merge_commit: Option<Oid>,
    verification: &Verification,
    compare_url: Option<String>,
) -> Result<Audit> {
    let repo = &fork.git.repo;
    let sides = &state.sides;
    // Both counts from one walk (two revwalks walked the history twice).
    let (fork_commits, upstream_commits) = fork.git.ahead_behind(sides.fork, sides.upstream)?;
    let result_tree = match merge_commit {
        Some(c) => Some(repo.find_commit(c)?.tree()?),
        None => None,
    };
    let fork_tree = repo.find_commit(sides.fork)?.tree()?;
    let files_changed = match &result_tree {
        Some(t) => repo
            .diff_tree_to_tree(Some(&fork_tree), Some(t), None)?
            .deltas()
            .len(),
        None => {
            let mut index = repo.index()?;
            index.read(true)?;
            repo.diff_tree_to_index(Some(&fork_tree), Some(&index), None)?
                .deltas()
                .len()
        }
    };
    let mut counts = Counts {
        upstream_commits,
        fork_commits,
        files_changed,
        conflicted: state.conflicts.len(),
        ..Counts::default()
    };

    let index = match merge_commit {
        None => {
            let mut index = repo.index()?;
            index.read(true)?;
            Some(index)
        }
        Some(_) => None,
    };
    let result_blob = |path: &str| -> Option<Oid> {
        match (&result_tree, &index) {
            (Some(t), _) => t.get_path(Path::new(path)).ok().map(|e| e.id()),
            (None, Some(i)) => i.get_path(Path::new(path), 0).map(|e| e.id),
            _ => None,
        }
    };

    let mut conflicts = Vec::new();
    let mut manual = Vec::new();
    let mut wanted: HashMap<(Side, String), usize> = HashMap::new();
    for r in &state.conflicts {
        let c = &r.conflict;
        let mut dropped = Vec::new();
        match &r.resolution {
            None => {
                counts.unresolved += 1;
                manual.push(c.path.clone());
            }
            Some(res) => {
                match res.by {
                    By::Policy => counts.by_policy += 1,
                    By::Hand | By::Outside => counts.by_hand += 1,
                }
                if let Some(choice) = res.choice {
                    let other = choice.side().other();
                    if let Some(o) = c.side(other) {
                        let kept = c.side(choice.side());
                        let result_id = kept.and_then(|k| result_blob(&k.path));
                        if result_id != Some(o.id) {
                            let text = |id: Option<Oid>| {
                                id.and_then(|id| repo.find_blob(id).ok())
                                    .filter(|b| !b.is_binary())
                                    .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                            };
                            let lines = match (
                                text(c.base.as_ref().map(|b| b.id)).or(Some(String::new())),
                                text(Some(o.id)),
                                text(result_id),
                            ) {
                                (Some(b), Some(ot), Some(rt)) => {
                                    let l = dropped_lines(&b, &ot, &rt);
                                    (!l.is_empty()).then(|| ranges(&l))
                                }
                                _ => None,
                            };
                            let whole = result_id.is_none() || lines.is_none();
                            let changed_by_other = c.base.as_ref().map(|b| b.id) != Some(o.id);
                            if changed_by_other && (whole || lines.is_some()) {
                                wanted.insert((other, o.path.clone()), conflicts.len());
                                dropped.push(Dropped {
                                    side: other,
                                    path: o.path.clone(),
                                    lines,
                                    commits: Vec::new(),
                                });
                            }
                        }
                    }
                }
            }
        }
        conflicts.push(ConflictReport {
            path: c.path.clone(),
            kind: c.kind.name().to_string(),
            paths: c.paths.clone(),
            policy: r.policy.name().to_string(),
            rule: r.rule.clone(),
            by: r.resolution.as_ref().map(|res| {
                match res.by {
                    By::Policy => "policy",
                    By::Hand => "hand",
                    By::Outside => "outside",
                }
                .to_string()
            }),
            result: r.resolution.as_ref().map(|res| res.result.clone()),
            dropped,
            held: r.held.clone().filter(|_| r.resolution.is_none()),
        });
    }
    // The commits behind each dropped change: one walk per side over the
    // commits the merge brings in, diffing each against its first parent.
    if let Some(base) = sides.base {
        for side in [Side::Upstream, Side::Fork] {
            let paths: HashSet<&str> = wanted
                .keys()
                .filter(|(s, _)| *s == side)
                .map(|(_, p)| p.as_str())
                .collect();
            if paths.is_empty() {
                continue;
            }
            let tip = match side {
                Side::Upstream => sides.upstream,
                Side::Fork => sides.fork,
            };
            for (path, commit) in commits_touching(repo, tip, base, &paths)? {
                if let Some(&i) = wanted.get(&(side, path.clone())) {
                    for d in conflicts[i].dropped.iter_mut().filter(|d| d.path == path) {
                        if d.commits.len() < 10 {
                            d.commits.push(commit.clone());
                        }
                    }
                }
            }
        }
    }

    Ok(Audit {
        upstream: UpstreamInfo {
            from: state.from_version.clone(),
            to: state.upstream_version.clone(),
            tag: state.tag.clone(),
            compare_url,
        },
        production: state.production.clone(),
        sync_branch: state.sync_branch.clone(),
        mirror: state.mirror.clone(),
        state: if merge_commit.is_some() {
            "committed".into()
        } else {
            "in_progress".into()
        },
        merge_commit: merge_commit.map(|c| c.to_string()),
        counts,
        conflicts,
        manual,
        findings: verification.findings.clone(),
        outcomes: verification.outcomes.clone(),
        warnings: state.warnings.clone(),
        checklist: fork.config.get_all("sync.checklist").to_vec(),
        base: state.base.clone(),
        regenerate: state.regenerated.clone().or_else(|| {
            super::regenerate::command(fork).map(|command| super::regenerate::Regenerated {
                command,
                ..Default::default()
            })
        }),
    })
}

/// (path, commit) for each commit in `base..tip` that changed one of `paths`,
/// newest first.
fn commits_touching(
    repo: &Repository,
    tip: Oid,
    base: Oid,
    paths: &HashSet<&str>,
) -> Result<Vec<(String, CommitRef)>> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL)?;
    walk.push(tip)?;
    walk.hide(base)?;
    let mut out = Vec::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        if commit.parent_count() > 1 {
            continue;
        }
        let parent_tree = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&commit.tree()?), None)?;
        for d in diff.deltas() {
            for f in [d.old_file(), d.new_file()] {
                if let Some(p) = f.path().and_then(|p| p.to_str()) {
                    if paths.contains(p) {
                        out.push((
                            p.to_string(),
                            CommitRef {
                                id: short(commit.id()),
                                subject: commit.summary().ok().flatten().unwrap_or("").to_string(),
                            },
                        ));
                        break;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The report as Markdown: the pull request body.
pub fn markdown(a: &Audit) -> String {
    let mut s = String::new();
    let to = a.upstream.to.as_deref().unwrap_or("?");
    s.push_str(&format!("# Upstream sync: v{to}\n\n"));
    s.push_str(&format!("> [!WARNING]\n> {MERGE_WARNING}\n\n"));
    s.push_str(&format!(
        "- Upstream: {} → **v{to}**{}\n",
        a.upstream
            .from
            .as_deref()
            .map(|f| format!("v{f}"))
            .unwrap_or_else(|| "(unknown)".into()),
        a.upstream
            .tag
            .as_deref()
            .map(|t| format!(" (`{t}`)"))
            .unwrap_or_default()
    ));
    if let Some(url) = &a.upstream.compare_url {
        s.push_str(&format!("- Upstream changes: {url}\n"));
    }
    if let Some(m) = &a.mirror {
        s.push_str(&format!(
            "- Mirror `{}`: {} ({} → {})\n",
            m.branch,
            match m.how {
                super::mirror::How::Unchanged => "already had the release",
                super::mirror::How::FastForward => "fast-forwarded",
                super::mirror::How::Merge => "mirror merge (tree = the tag's tree)",
            },
            m.before.as_deref().map(|b| &b[..7]).unwrap_or("none"),
            &m.after[..7.min(m.after.len())]
        ));
    }
    if let Some(b) = &a.base {
        s.push_str(&format!("- Merge base: {}\n", b.describe()));
    }
    if let Some(b) = &a.sync_branch {
        s.push_str(&format!("- Sync branch: `{b}` into `{}`\n", a.production));
    }
    s.push_str(&format!(
        "- {} upstream commits, {} fork commits, {} files changed against `{}`\n",
        a.counts.upstream_commits, a.counts.fork_commits, a.counts.files_changed, a.production
    ));
    s.push_str(&format!(
        "- Conflicted paths: {} ({} by policy, {} by hand, {} left)\n",
        a.counts.conflicted, a.counts.by_policy, a.counts.by_hand, a.counts.unresolved
    ));
    s.push_str(&format!(
        "- State: {}\n\n",
        if a.state == "committed" {
            "merged and committed"
        } else {
            "in progress: paths are left for a person"
        }
    ));

    if !a.conflicts.is_empty() {
        s.push_str("## Conflicts\n\n| path | kind | policy | result |\n|---|---|---|---|\n");
        for c in &a.conflicts {
            s.push_str(&format!(
                "| `{}` | {} | {}{} | {} |\n",
                c.path,
                c.kind,
                c.policy,
                c.rule
                    .as_deref()
                    .map(|r| format!(" (`{r}`)"))
                    .unwrap_or_default(),
                match (&c.result, &c.by) {
                    (Some(r), Some(by)) if by != "policy" => format!("{r} (by {by})"),
                    (Some(r), _) => r.clone(),
                    (None, _) => "**unresolved**".into(),
                }
            ));
        }
        s.push('\n');
        let dropped: Vec<_> = a
            .conflicts
            .iter()
            .flat_map(|c| c.dropped.iter().map(move |d| (c, d)))
            .collect();
        if !dropped.is_empty() {
            s.push_str("## Changes left out by a resolution\n\n");
            for (c, d) in dropped {
                s.push_str(&format!(
                    "- `{}`: {} of the {} ({}) not in the result",
                    c.path,
                    d.lines
                        .as_deref()
                        .map(|l| format!("lines {l}"))
                        .unwrap_or_else(|| "the whole file".into()),
                    d.side.label(),
                    d.path
                ));
                if !d.commits.is_empty() {
                    let list: Vec<String> = d
                        .commits
                        .iter()
                        .map(|c| format!("{} {}", c.id, c.subject))
                        .collect();
                    s.push_str(&format!("; from {}", list.join("; ")));
                }
                s.push('\n');
            }
            s.push('\n');
        }
    }
    if !a.manual.is_empty() {
        s.push_str("## Needs a person\n\n");
        for p in &a.manual {
            s.push_str(&format!("- [ ] `{p}`\n"));
            if let Some(h) = a
                .conflicts
                .iter()
                .find(|c| &c.path == p)
                .and_then(|c| c.held.as_deref())
            {
                s.push_str(&format!("  - {h}\n"));
            }
        }
        s.push_str(
            "\nResolve with `git carto sync --resolve`, then `git carto sync --continue`.\n\n",
        );
    }
    s.push_str("## Verification\n\n");
    if a.findings.is_empty() {
        s.push_str("No findings.\n");
    }
    for f in &a.findings {
        s.push_str(&format!(
            "- **{}** `{}{}`: {}\n",
            f.check.name(),
            f.path,
            f.line.map(|l| format!(":{l}")).unwrap_or_default(),
            f.message
        ));
    }
    for o in &a.outcomes {
        s.push_str(&format!(
            "- {} `{}{}` ({}): {}\n",
            o.check.name(),
            o.path,
            o.line.map(|l| format!(":{l}")).unwrap_or_default(),
            o.decided_by,
            o.message
        ));
    }
    s.push('\n');
    if !a.warnings.is_empty() {
        s.push_str("## Warnings\n\n");
        for w in &a.warnings {
            s.push_str(&format!("- {w}\n"));
        }
        s.push('\n');
    }
    s.push_str("## Testing checklist\n\n");
    for c in &a.checklist {
        s.push_str(&format!("- [ ] `{c}`\n"));
    }
    let artifacts: Vec<String> = a
        .conflicts
        .iter()
        .filter(|c| c.policy == "artifact")
        .map(|c| format!("`{}`", c.path))
        .collect();
    match &a.regenerate {
        Some(r) if r.ran => {
            s.push_str(&format!(
                "- [x] rebuilt with `{}` (`--regenerate`): {}\n",
                r.command,
                if r.changed.is_empty() {
                    "no artifact path changed".to_string()
                } else {
                    let paths: Vec<String> = r.changed.iter().map(|p| format!("`{p}`")).collect();
                    format!("committed {}", paths.join(", "))
                }
            ));
            if !r.outside.is_empty() {
                let paths: Vec<String> = r.outside.iter().map(|p| format!("`{p}`")).collect();
                s.push_str(&format!(
                    "- [ ] it also changed paths outside the artifact paths (not committed): {}\n",
                    paths.join(", ")
                ));
            }
        }
        _ if !artifacts.is_empty() => {
            s.push_str(&format!(
                "- [ ] to rebuild (generated files taken from the upstream side): {}{}\n",
                artifacts.join(", "),
                a.regenerate
                    .as_ref()
                    .map(|r| format!(
                        ": run `{}` and commit them (or sync with `--regenerate`)",
                        r.command
                    ))
                    .unwrap_or_default()
            ));
        }
        _ => {}
    }
    s.push_str("- [ ] review every path in the conflicts table\n");
    s.push_str("- [ ] merge with a merge commit (never squash)\n");
    s
}

/// Write the report next to the sync state; returns the Markdown path.
pub fn write(fork: &Fork, a: &Audit) -> Result<PathBuf> {
    let dir = fork.git.git_dir().join("carto").join("reports");
    let stem = a
        .sync_branch
        .as_deref()
        .map(|b| b.replace('/', "-"))
        .unwrap_or_else(|| "merge".into());
    let md = dir.join(format!("{stem}.md"));
    super::state::write_atomic(&md, markdown(a).as_bytes())?;
    let json = serde_json::to_vec_pretty(a).unwrap_or_default();
    super::state::write_atomic(&dir.join(format!("{stem}.json")), &json)?;
    Ok(md)
}
