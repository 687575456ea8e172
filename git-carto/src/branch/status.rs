//! `git carto status`: the fork at a glance (DESIGN 4).

use git2::Oid;
use serde::Serialize;

use crate::error::Result;
use crate::repo::fork::{Fork, StableTag};
use crate::repo::memo;
use crate::repo::tag::ReleaseTag;
use crate::term::output::Style;

#[derive(Debug, Serialize)]
pub struct Status {
    /// Checked-out branch; `None` when HEAD is detached.
    pub branch: Option<String>,
    /// The checked-out branch has no commit yet (`head` is then `None`).
    pub unborn: bool,
    pub head: Option<String>,
    pub dirty: Vec<String>,
    pub production: BranchState,
    pub mirror: MirrorState,
    pub release: ReleaseState,
    pub hooks: Vec<HookState>,
    pub prunable: Vec<String>,
    pub unparsed_release_tags: Vec<String>,
    pub sync: SyncState,
}

#[derive(Debug, Serialize)]
pub struct BranchState {
    pub name: String,
    pub local: Option<String>,
    pub origin: Option<String>,
    pub ahead: usize,
    pub behind: usize,
}

#[derive(Debug, Serialize)]
pub struct MirrorState {
    pub name: String,
    pub upstream_version: Option<String>,
    pub newest_stable: Option<String>,
    /// Stable upstream versions newer than the mirror's.
    pub releases_behind: usize,
    /// Fork commits on the mirror branch: must be empty.
    pub fork_commits: Vec<CommitRef>,
}

#[derive(Debug, Serialize)]
pub struct ReleaseState {
    pub upstream_version: Option<String>,
    pub last: Option<String>,
    pub unreleased: Vec<CommitRef>,
    /// The bump `next-tag auto` would apply to the unreleased commits.
    pub implied_bump: Option<crate::repo::tag::Bump>,
    pub implied_by: Option<crate::repo::next_tag::Decision>,
}

#[derive(Debug, Serialize)]
pub struct CommitRef {
    pub id: String,
    pub subject: String,
}

#[derive(Debug, Serialize)]
pub struct HookState {
    pub name: String,
    pub installed: bool,
}

#[derive(Debug, Serialize)]
pub struct SyncState {
    pub branches: Vec<String>,
    pub merge_in_progress: bool,
}

/// The branch HEAD names when it has no commit yet (`git init`, `git switch
/// --orphan`): libgit2 reports no HEAD at all then, which is not "detached".
fn unborn_branch(repo: &git2::Repository) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    let target = head.symbolic_target().ok().flatten()?;
    let name = target.strip_prefix("refs/heads/")?;
    repo.find_reference(target)
        .is_err()
        .then(|| name.to_string())
}

pub fn status(fork: &Fork) -> Result<Status> {
    let git = &fork.git;
    let cfg = &fork.config;
    let head = git.repo.head().ok();
    let branch = head
        .as_ref()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok())
        .map(str::to_string);
    let head_id = head.as_ref().and_then(|h| h.target());
    let unborn = if head.is_none() {
        unborn_branch(&git.repo)
    } else {
        None
    };
    let branch = branch.or(unborn.clone());

    let prod_name = cfg.production().to_string();
    let prod_local = git.local_branch(&prod_name);
    let prod_origin = git.remote_branch(cfg.origin(), &prod_name);
    let (ahead, behind) = match (prod_local, prod_origin) {
        (Some(l), Some(o)) => git.ahead_behind(l, o)?,
        _ => (0, 0),
    };

    let (stable, _) = fork.stable_tags()?;
    let tips = fork.upstream_tips(&stable)?;
    // Without upstream's refs, upstream's commits would be listed as the fork's.
    crate::repo::upstream_refs::require_known(fork, &tips)?;
    let mirror_name = cfg.mirror().to_string();
    let mirror_tip = git
        .remote_branch(cfg.origin(), &mirror_name)
        .or_else(|| git.local_branch(&mirror_name));
    let mut mirror = MirrorState {
        name: mirror_name,
        upstream_version: None,
        newest_stable: stable.first().map(|t| t.name.clone()),
        releases_behind: 0,
        fork_commits: Vec::new(),
    };
    if let Some(tip) = mirror_tip {
        let (version, commits) = mirror_history(fork, tip, &stable, &tips)?;
        let mut newer: Vec<_> = stable
            .iter()
            .filter(|t| version.as_ref().is_none_or(|v| t.version > v.version))
            .map(|t| &t.version)
            .collect();
        newer.dedup();
        mirror.releases_behind = newer.len();
        mirror.upstream_version = version.map(|v| v.version.to_string());
        crate::repo::upstream_refs::require_not_older(fork, &commits)?;
        mirror.fork_commits = commit_refs(fork, commits)?;
    }

    let releases = fork.release_tags()?;
    let mut release = ReleaseState {
        upstream_version: None,
        last: None,
        unreleased: Vec::new(),
        implied_bump: None,
        implied_by: None,
    };
    if let Some(tip) = prod_origin.or(prod_local) {
        let (version, last, mut commits) =
            production_history(fork, tip, &stable, &releases.parsed, &tips)?;
        release.upstream_version = version.map(|t| t.version.to_string());
        release.last = last.map(|t| t.name);
        crate::repo::upstream_refs::require_not_older(fork, &commits)?;
        commits.retain(|c| {
            git.repo
                .find_commit(*c)
                .map(|c| c.parent_count() < 2)
                .unwrap_or(true)
        });
        if let Some((bump, by)) = crate::guard::auto_bump::implied(fork, &commits)? {
            release.implied_bump = Some(bump);
            release.implied_by = Some(by);
        }
        release.unreleased = commit_refs(fork, commits)?;
    }

    let hooks = crate::guard::hooks::installed(git)?
        .into_iter()
        .map(|(name, installed)| HookState { name, installed })
        .collect();

    let prunable = crate::branch::prune::merged_features(fork)?
        .into_iter()
        .map(|(n, _)| n)
        .collect();

    let sync_prefix = cfg
        .get("sync.branchFormat")
        .unwrap_or("upstream-sync/v{version}");
    let sync_prefix = sync_prefix.split('{').next().unwrap_or_default();
    let sync = SyncState {
        branches: git
            .local_branches(sync_prefix)?
            .into_iter()
            .map(|(n, _)| n)
            .collect(),
        merge_in_progress: git.repo.path().join("MERGE_HEAD").exists(),
    };

    Ok(Status {
        branch,
        unborn: unborn.is_some(),
        head: head_id.map(|o| o.to_string()),
        dirty: git.dirty_paths().unwrap_or_default(),
        production: BranchState {
            name: prod_name,
            local: prod_local.map(|o| o.to_string()),
            origin: prod_origin.map(|o| o.to_string()),
            ahead,
            behind,
        },
        mirror,
        release,
        hooks,
        prunable,
        unparsed_release_tags: releases.unparsed,
        sync,
    })
}

/// The mirror's upstream version and the fork commits on it: remembered
/// ([`remembered`]) under the mirror's tip and upstream's refs.
fn mirror_history(
    fork: &Fork,
    tip: Oid,
    stable: &[StableTag],
    tips: &[Oid],
) -> Result<(Option<StableTag>, Vec<Oid>)> {
    let inputs = Inputs {
        tip,
        stable,
        releases: &[],
        tips,
    };
    let (version, _, commits) = remembered(fork, "mirror", &inputs, || {
        Ok((
            fork.upstream_of(tip, stable)?,
            None,
            fork.fork_commits(tip, &[], tips)?,
        ))
    })?;
    Ok((version, commits))
}

/// Production's upstream version, its last release and the fork commits
/// since: remembered under production's tip, upstream's refs and the
/// release tags.
fn production_history(
    fork: &Fork,
    tip: Oid,
    stable: &[StableTag],
    releases: &[ReleaseTag],
    tips: &[Oid],
) -> Result<History> {
    let inputs = Inputs {
        tip,
        stable,
        releases,
        tips,
    };
    remembered(fork, "production", &inputs, || {
        let last = fork.last_release_on(tip, releases)?;
        let base = last.as_ref().and_then(|t| fork.git.tag_commit(&t.name));
        Ok((
            fork.upstream_of(tip, stable)?,
            last,
            fork.fork_commits(tip, base.as_slice(), tips)?,
        ))
    })
}

/// A branch's upstream version, last release and fork commits.
type History = (Option<StableTag>, Option<ReleaseTag>, Vec<Oid>);

/// Everything a [`History`] of `tip` depends on: the tip, the stable and
/// release tags (names and commits) and upstream's tips.
struct Inputs<'a> {
    tip: Oid,
    stable: &'a [StableTag],
    releases: &'a [ReleaseTag],
    tips: &'a [Oid],
}

impl Inputs<'_> {
    fn key(&self, git: &crate::repo::git::Git, name: &str) -> memo::Key {
        let mut key = memo::Key::new(git, name);
        key.id(Some(self.tip));
        let stable = self.stable.iter().map(|t| &t.name);
        for name in stable.chain(self.releases.iter().map(|t| &t.name)) {
            key.text(name).id(git.tag_commit(name));
        }
        for &t in self.tips {
            key.id(Some(t));
        }
        key
    }
}

/// Without a commit-graph a [`History`] costs hundreds of commit reads on
/// the real-fork shape (most of `status`'s own time), on every run, though
/// what it depends on moves only when someone fetches, commits or tags: so
/// it is remembered under exactly that ([`memo`]). With a graph the walks
/// are table lookups, cheaper than looking up every tag for the key (5k
/// release tags on the generated shape), so nothing is remembered.
fn remembered(
    fork: &Fork,
    name: &str,
    inputs: &Inputs<'_>,
    compute: impl FnOnce() -> Result<History>,
) -> Result<History> {
    let git = &fork.git;
    if git.commit_graph().is_some() {
        return compute();
    }
    let key = inputs.key(git, name);
    let (stable, releases) = (inputs.stable, inputs.releases);
    if let Some(found) =
        memo::recall(git, name, &key).and_then(|l| parse_history(&l, stable, releases))
    {
        return Ok(found);
    }
    let (version, last, commits) = compute()?;
    let mut lines = vec![
        format!(
            "version {}",
            version.as_ref().map_or("-", |v| v.name.as_str())
        ),
        format!("release {}", last.as_ref().map_or("-", |r| r.name.as_str())),
    ];
    lines.extend(commits.iter().map(|c| format!("commit {c}")));
    memo::remember(git, name, &key, &lines);
    Ok((version, last, commits))
}

/// [`remembered`]'s lines; `None` when they do not read back.
fn parse_history(
    lines: &[String],
    stable: &[StableTag],
    releases: &[ReleaseTag],
) -> Option<History> {
    let [version, release, commits @ ..] = lines else {
        return None;
    };
    let version = match version.strip_prefix("version ")? {
        "-" => None,
        name => Some(stable.iter().find(|t| t.name == name)?.clone()),
    };
    let last = match release.strip_prefix("release ")? {
        "-" => None,
        name => Some(releases.iter().find(|t| t.name == name)?.clone()),
    };
    let commits = commits
        .iter()
        .map(|l| Oid::from_str(l.strip_prefix("commit ")?).ok())
        .collect::<Option<Vec<_>>>()?;
    Some((version, last, commits))
}

fn commit_refs(fork: &Fork, ids: Vec<git2::Oid>) -> Result<Vec<CommitRef>> {
    ids.into_iter()
        .map(|id| {
            let c = fork.git.repo.find_commit(id)?;
            Ok(CommitRef {
                id: id.to_string(),
                subject: c.summary().ok().flatten().unwrap_or_default().to_string(),
            })
        })
        .collect()
}

/// The text rendering.
pub fn render(s: &Status, style: Style) -> String {
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    let sid = |o: &Option<String>| {
        o.as_deref()
            .map(|s| s[..7].to_string())
            .unwrap_or_else(|| "-".into())
    };
    match &s.branch {
        Some(b) if s.unborn => line(format!("On branch {}, no commits yet", style.bold(b))),
        Some(b) => line(format!("On branch {}", style.bold(b))),
        None => line(format!("HEAD detached at {}", sid(&s.head))),
    }
    if !s.dirty.is_empty() {
        line(style.warn(&format!("  {} uncommitted change(s)", s.dirty.len())));
    }
    let p = &s.production;
    let prod_state = match (&p.local, &p.origin) {
        (None, None) => style.bad("missing"),
        (None, Some(_)) => "only on origin".to_string(),
        (Some(_), None) => style.warn("not on origin"),
        (Some(_), Some(_)) if p.ahead == 0 && p.behind == 0 => style.ok("up to date with origin"),
        (Some(_), Some(_)) if p.ahead > 0 && p.behind > 0 => style.bad(&format!(
            "diverged from origin ({} ahead, {} behind)",
            p.ahead, p.behind
        )),
        _ => style.warn(&format!("{} ahead, {} behind origin", p.ahead, p.behind)),
    };
    line(format!("Production  {}: {prod_state}", style.bold(&p.name)));
    let m = &s.mirror;
    let behind = if m.releases_behind == 0 {
        style.ok("at the newest stable release")
    } else {
        style.warn(&format!(
            "{} upstream release(s) behind (newest: {})",
            m.releases_behind,
            m.newest_stable.as_deref().unwrap_or("-")
        ))
    };
    line(format!(
        "Mirror      {}: upstream {}, {behind}",
        style.bold(&m.name),
        m.upstream_version.as_deref().unwrap_or("unknown")
    ));
    if !m.fork_commits.is_empty() {
        line(style.bad(&format!(
            "  {} fork commit(s) on the mirror branch (must be none):",
            m.fork_commits.len()
        )));
        for c in m.fork_commits.iter().take(10) {
            line(format!("    {} {}", &c.id[..7], c.subject));
        }
    }
    let r = &s.release;
    line(format!(
        "Release     last {} on upstream {}; {} unreleased fork commit(s)",
        r.last.as_deref().unwrap_or("none"),
        r.upstream_version.as_deref().unwrap_or("unknown"),
        r.unreleased.len()
    ));
    if let (Some(bump), Some(by)) = (&r.implied_bump, &r.implied_by) {
        line(format!(
            "            implied bump: {bump} (by {} {})",
            &by.commit[..7],
            by.subject
        ));
    }
    for c in r.unreleased.iter().take(10) {
        line(format!("    {} {}", style.dim(&c.id[..7]), c.subject));
    }
    let hooks: Vec<String> = s
        .hooks
        .iter()
        .map(|h| {
            format!(
                "{} {}",
                h.name,
                if h.installed {
                    style.ok("installed")
                } else {
                    style.warn("not installed")
                }
            )
        })
        .collect();
    line(format!("Hooks       {}", hooks.join(", ")));
    if !s.prunable.is_empty() {
        line(format!(
            "Prunable    {} (git carto prune)",
            s.prunable.join(", ")
        ));
    }
    if !s.sync.branches.is_empty() || s.sync.merge_in_progress {
        line(format!(
            "Sync        {}{}",
            s.sync.branches.join(", "),
            if s.sync.merge_in_progress {
                " (merge in progress)"
            } else {
                ""
            }
        ));
    }
    if !s.unparsed_release_tags.is_empty() {
        line(style.warn(&format!(
            "Ignored tags that look like releases but do not parse: {}",
            s.unparsed_release_tags.join(", ")
        )));
    }
    out
}
