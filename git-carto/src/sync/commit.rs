//! The end of every stage that can finish a sync: verify, commit (or stop and
//! say why), write the report, push, and open or update the pull request.

use super::*;

/// Why a sync cannot commit yet.
pub(super) struct Blocked {
    unmerged: Vec<String>,
    findings: Vec<Finding>,
}

/// Verify and commit the merge in progress, or say what blocks it.
pub(super) fn try_commit(
    fork: &Fork,
    state: &mut State,
    accept_findings: bool,
) -> Result<std::result::Result<(Oid, Verification), Blocked>> {
    let git = &fork.git;
    let unmerged = unmerged_paths(fork)?;
    refresh(fork, state, &unmerged)?;
    if !unmerged.is_empty() {
        return Ok(Err(Blocked {
            unmerged: state.left(&unmerged),
            findings: Vec::new(),
        }));
    }
    regenerate_if_asked(fork, state)?;
    let rules = Rules::from_config(&fork.config)?;
    let intents = verify::intents_from(&rules, Some(state), None);
    let v = verify::verify(fork, &state.sides, Target::Index, &intents)?;
    let blocking: Vec<Finding> = v
        .findings
        .iter()
        .filter(|f| !accept_findings || f.check == Check::ConflictMarker)
        .cloned()
        .collect();
    if !blocking.is_empty() {
        return Ok(Err(Blocked {
            unmerged: Vec::new(),
            findings: blocking,
        }));
    }
    let message = commit_message(fork, state);
    state.committing = Some(Committing::before(git)?);
    state.save(git)?;
    if let Err(e) = git.run_input(&["commit", "--quiet", "-F", "-"], message.as_bytes()) {
        // git may have moved the branch before failing: remember the commit
        // it made, for `--abort`.
        if let Some(c) = state.committing.as_mut() {
            c.new = c.made(&git.repo).map(|id| id.to_string());
        }
        state.save(git)?;
        return Err(e.context(
            "committing the sync merge (`git carto sync --abort` undoes the sync, this \
             commit included if git made it)",
        ));
    }
    let commit = git
        .head_id()
        .ok_or_else(|| Error::refused("no commit after git commit"))?;
    Ok(Ok((commit, v)))
}

/// `--regenerate`: rebuild the artifacts once nothing is unmerged, before
/// verify; a failure keeps the sync in progress without the request.
fn regenerate_if_asked(fork: &Fork, state: &mut State) -> Result<()> {
    if !state.regenerate || state.regenerated.as_ref().is_some_and(|r| r.ran) {
        return Ok(());
    }
    let command = regenerate::require(fork)?;
    match regenerate::run(fork, &command) {
        Ok(r) => {
            state.regenerated = Some(r);
            state.save(&fork.git)
        }
        Err(e) => {
            state.regenerate = false;
            state.save(&fork.git)?;
            Err(e)
        }
    }
}

pub(super) fn commit_message(fork: &Fork, state: &State) -> String {
    let mut msg = if state.started_by_carto {
        let mut m = format!(
            "Merge branch '{}' into {}\n\nUpstream sync: {} → v{} ({}).\n",
            state.production,
            state.sync_branch.as_deref().unwrap_or("HEAD"),
            state
                .from_version
                .as_deref()
                .map(|v| format!("v{v}"))
                .unwrap_or_else(|| "?".into()),
            state.upstream_version.as_deref().unwrap_or("?"),
            state.tag.as_deref().unwrap_or("?")
        );
        if !state.conflicts.is_empty() {
            let by_policy = state
                .conflicts
                .iter()
                .filter(|r| r.resolution.as_ref().is_some_and(|r| r.by == By::Policy))
                .count();
            m.push_str(&format!(
                "Conflicted paths: {} ({by_policy} by policy, {} by hand).\n",
                state.conflicts.len(),
                state.conflicts.len() - by_policy
            ));
        }
        m
    } else {
        let raw = std::fs::read_to_string(fork.git.git_dir().join("MERGE_MSG")).unwrap_or_default();
        let kept: Vec<&str> = raw.lines().filter(|l| !l.starts_with('#')).collect();
        let mut m = kept.join("\n").trim_end().to_string();
        if m.is_empty() {
            m = format!(
                "Merge branch '{}' into {}",
                state.sides.fork_label, state.sides.upstream_label
            );
        }
        m.push('\n');
        m
    };
    let mut trailers: Vec<String> = upstream_trailers(fork, state);
    // One line per path a policy glob would match (a rename's new names
    // too), so `verify` on the commit finds the decision at each of them.
    for r in &state.conflicts {
        let Some(res) = r.resolution.as_ref().filter(|res| res.by != By::Policy) else {
            continue;
        };
        let what = match res.choice.map(|c| c.side()) {
            None => "edited",
            Some(policy::Side::Upstream) => "upstream",
            Some(policy::Side::Fork) => "fork",
        };
        for path in r.conflict.match_paths() {
            trailers.push(format!("{}: {what} {path}", verify::TRAILER));
        }
    }
    if !trailers.is_empty() {
        msg.push('\n');
        msg.push_str(&trailers.join("\n"));
        msg.push('\n');
    }
    msg
}

/// `Carto-Upstream: <tag> <commit>`: the release this sync brings in, read by
/// the next sync's choice of merge base even after a squash merge (GitHub's
/// squash message keeps the lines of the squashed commits).
fn upstream_trailers(fork: &Fork, state: &State) -> Vec<String> {
    if !state.started_by_carto {
        return Vec::new();
    }
    let Some(tag) = state.tag.as_deref() else {
        return Vec::new();
    };
    let commit = fork
        .git
        .tag_commit(tag)
        .map(|c| c.to_string())
        .unwrap_or_else(|| state.sides.upstream.to_string());
    let mut out = vec![format!("{}: {tag} {commit}", base::UPSTREAM_TRAILER)];
    if let Some(m) = &state.mirror {
        out.push(format!("Carto-Mirror: {}", m.after));
    }
    out
}

/// After resolution: commit (or stop), report, push, pull request.
pub(super) fn finish_run(
    fork: &Fork,
    state: &mut State,
    accept_findings: bool,
    mut synced: Synced,
    progress: Progress<'_>,
) -> Result<Synced> {
    let git = &fork.git;
    match try_commit(fork, state, accept_findings)? {
        Ok((commit, v)) => {
            State::remove(git)?;
            let audit = report::build(fork, state, Some(commit), &v, compare_url(fork, state))?;
            let path = report::write(fork, &audit)?;
            progress(&format!(
                "Committed the sync merge {} on {}",
                crate::term::output::short(commit),
                state.sync_branch.as_deref().unwrap_or("HEAD")
            ));
            synced.outcome = "committed";
            synced.report = Some(path.display().to_string());
            publish(fork, state, &audit, &mut synced, progress)?;
            synced.audit = serde_json::to_value(&audit).ok();
        }
        Err(blocked) => {
            state.save(git)?;
            let rules = Rules::from_config(&fork.config)?;
            let intents = verify::intents_from(&rules, Some(state), None);
            let v = verify::verify(fork, &state.sides, Target::Index, &intents)?;
            let audit = report::build(fork, state, None, &v, compare_url(fork, state))?;
            let path = report::write(fork, &audit)?;
            synced.outcome = "stopped";
            synced.left = blocked.unmerged;
            synced.findings = blocked.findings;
            synced.report = Some(path.display().to_string());
            publish(fork, state, &audit, &mut synced, progress)?;
            synced.audit = serde_json::to_value(&audit).ok();
        }
    }
    Ok(synced)
}

/// Push the sync branch and open or update the pull request, as the run was told.
pub(super) fn publish(
    fork: &Fork,
    state: &State,
    audit: &report::Audit,
    synced: &mut Synced,
    progress: Progress<'_>,
) -> Result<()> {
    let Some(branch) = state.sync_branch.as_deref() else {
        return Ok(());
    };
    if !state.push {
        return Ok(());
    }
    push_branch(fork, branch, progress)?;
    if state.pr {
        let body = report::markdown(audit);
        let clean =
            audit.counts.conflicted == 0 || audit.counts.by_hand + audit.counts.unresolved == 0;
        synced.pull_request = Some(pr::open_or_update(
            fork,
            branch,
            audit.upstream.to.as_deref().unwrap_or("?"),
            &body,
            clean,
            state.supersede,
        )?);
    }
    Ok(())
}

pub(super) fn push_branch(fork: &Fork, branch: &str, progress: Progress<'_>) -> Result<()> {
    let git = &fork.git;
    let origin = fork.config.origin();
    let local = git.local_branch(branch);
    if local.is_some() && local == git.remote_branch(origin, branch) {
        return Ok(());
    }
    progress(&format!("Pushing {branch} to `{origin}`"));
    git.run(&[
        "push",
        "--quiet",
        "-u",
        origin,
        &format!("refs/heads/{branch}"),
    ])
    .map_err(|e| {
        e.context(format!(
            "pushing {branch} (never forced): fetch, reconcile and re-run `git carto sync`"
        ))
    })?;
    Ok(())
}

/// A re-run whose merge is already committed: push and refresh the PR with
/// the report written when the merge was made.
pub(super) fn publish_existing(
    fork: &Fork,
    state: &State,
    mut synced: Synced,
    progress: Progress<'_>,
) -> Result<Synced> {
    let branch = state.sync_branch.clone().unwrap_or_default();
    let dir = fork.git.git_dir().join("carto").join("reports");
    let stem = branch.replace('/', "-");
    let md = dir.join(format!("{stem}.md"));
    let json = std::fs::read_to_string(dir.join(format!("{stem}.json"))).ok();
    synced.outcome = "committed";
    synced.audit = json.and_then(|j| serde_json::from_str(&j).ok());
    synced.report = md.exists().then(|| md.display().to_string());
    if state.push {
        push_branch(fork, &branch, progress)?;
        if state.pr {
            let body = std::fs::read_to_string(&md).unwrap_or_else(|_| {
                format!(
                    "# Upstream sync: v{}\n\n> [!WARNING]\n> {}\n",
                    state.upstream_version.as_deref().unwrap_or("?"),
                    report::MERGE_WARNING
                )
            });
            let clean = synced
                .audit
                .as_ref()
                .map(|a| {
                    a["counts"]["by_hand"].as_u64().unwrap_or(0)
                        + a["counts"]["unresolved"].as_u64().unwrap_or(0)
                        == 0
                })
                .unwrap_or(true);
            synced.pull_request = Some(pr::open_or_update(
                fork,
                &branch,
                state.upstream_version.as_deref().unwrap_or("?"),
                &body,
                clean,
                state.supersede,
            )?);
        }
    }
    Ok(synced)
}

/// Compare link between the two upstream versions, when upstream is on GitHub.
pub(super) fn compare_url(fork: &Fork, state: &State) -> Option<String> {
    let (from, to) = (state.from_version.as_ref()?, state.tag.as_ref()?);
    let slug = crate::remote::github::upstream_slug(fork).ok()?;
    let from_v = semver::Version::parse(from).ok()?;
    let (stable, _) = fork.stable_tags().ok()?;
    let from_tag = stable
        .iter()
        .find(|t| t.version == from_v && t.name == fork.stable.format(&from_v))
        .or_else(|| stable.iter().find(|t| t.version == from_v))
        .map(|t| t.name.clone())?;
    let web = std::env::var("GITHUB_SERVER_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "https://github.com".into());
    Some(format!(
        "{}/{slug}/compare/{from_tag}...{to}",
        web.trim_end_matches('/')
    ))
}
