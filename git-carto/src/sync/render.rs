//! Human text for the sync commands (the JSON shapes are the structs
//! themselves). Always "upstream side" / "fork side", never ours/theirs.

use super::verify::Verification;
use super::{Aborted, Resolved, SyncStatus, Synced};
use crate::term::output::Style;

/// The forecast of a dry run: base, conflicts, what needs a person.
fn forecast(out: &mut String, f: &super::forecast::Forecast) {
    out.push_str(&format!(
        "Forecast (computed in memory):\n  merge base: {}\n",
        f.base.describe()
    ));
    if f.conflicts.is_empty() {
        out.push_str("  no conflicts\n");
        return;
    }
    out.push_str(&format!(
        "  {} conflicted path(s), {} for a person ({} hunk(s)), {} customization line(s) at stake\n",
        f.conflicts.len(),
        f.needs_person.len(),
        f.hunks_for_a_person,
        f.customization_lines
    ));
    for c in &f.conflicts {
        out.push_str(&format!(
            "    {} ({}): {}{} → {}: {}\n",
            c.path,
            c.kind,
            c.policy,
            c.rule
                .as_deref()
                .map(|r| format!(" `{r}`"))
                .unwrap_or_default(),
            c.settled_by,
            c.result
        ));
    }
}

pub fn synced(s: &Synced, style: Style, verbose: bool) -> String {
    let mut out = String::new();
    if verbose && !s.skipped_tags.is_empty() {
        out.push_str(&format!(
            "Skipped tags that are not stable versions: {}\n",
            s.skipped_tags.join(", ")
        ));
    }
    let v = |x: &Option<String>| x.as_deref().map(|v| format!("v{v}")).unwrap_or("?".into());
    match s.outcome {
        "up_to_date" => out.push_str(&format!(
            "{} production is on upstream {}; the newest stable release is {}.\n",
            style.ok("Up to date:"),
            v(&s.from),
            v(&s.to)
        )),
        "dry_run" => {
            out.push_str(&format!(
                "Would sync upstream {} → {} ({}):\n",
                v(&s.from),
                v(&s.to),
                s.tag.as_deref().unwrap_or("?")
            ));
            if let Some(p) = &s.plan {
                let mirror = match p.mirror.as_str() {
                    "unchanged" => "already has the release: unchanged".to_string(),
                    "fast-forward" => "fast-forward to the tag".to_string(),
                    "merge" => format!(
                        "mirror merge (parents: {}, the tag; tree: the tag's)",
                        p.mirror_before
                            .as_deref()
                            .map(|b| &b[..7])
                            .unwrap_or("none")
                    ),
                    _ => "merge the tag (not fetched yet)".to_string(),
                };
                out.push_str(&format!("  1. mirror `{}`: {mirror}", p.mirror_branch));
                out.push_str(if p.push {
                    ", then push it\n"
                } else {
                    " (not pushed)\n"
                });
                out.push_str(&format!(
                    "  2. {} `{}`, merge {} ({}) into it, apply the path policy\n",
                    match p.sync_branch_action.as_str() {
                        "continue" => "continue",
                        "adopt" => "take origin's",
                        _ => "create",
                    },
                    p.sync_branch,
                    p.production,
                    &p.production_commit[..7]
                ));
                if p.push {
                    out.push_str("  3. push the sync branch");
                    out.push_str(if p.pull_request {
                        " and open or update the pull request\n"
                    } else {
                        "\n"
                    });
                }
            }
            if let Some(f) = &s.forecast {
                forecast(&mut out, f);
            }
            out.push_str("Nothing was changed (dry run).\n");
        }
        "committed" => {
            out.push_str(&format!(
                "{} upstream {} → {} on {}.\n",
                style.ok("Synced"),
                v(&s.from),
                v(&s.to),
                s.sync_branch.as_deref().unwrap_or("HEAD")
            ));
        }
        _ => {
            out.push_str(&format!(
                "{} upstream {} → {} on {}: the sync needs a person.\n",
                style.warn("Stopped:"),
                v(&s.from),
                v(&s.to),
                s.sync_branch.as_deref().unwrap_or("HEAD")
            ));
            for p in &s.left {
                out.push_str(&format!("  manual: {p}\n"));
                let held = s.audit.as_ref().and_then(|a| {
                    a["conflicts"]
                        .as_array()?
                        .iter()
                        .find(|c| c["path"] == p.as_str())?["held"]
                        .as_str()
                        .map(str::to_string)
                });
                if let Some(h) = held {
                    out.push_str(&format!("    {h}\n"));
                }
            }
            for f in &s.findings {
                out.push_str(&format!(
                    "  {}{}: {}: {}\n",
                    f.path,
                    f.line.map(|l| format!(":{l}")).unwrap_or_default(),
                    style.bad(f.check.name()),
                    f.message
                ));
            }
            out.push_str(if s.left.is_empty() {
                "Fix the findings, then `git carto sync --continue` (or --abort).\n"
            } else {
                "Resolve with `git carto sync --resolve`, then `git carto sync --continue` (or --abort).\n"
            });
        }
    }
    if let (Some(b), None) = (&s.base, &s.forecast) {
        out.push_str(&format!("Merge base: {}\n", b.describe()));
    }
    if let Some(a) = &s.audit {
        let c = &a["counts"];
        if c["conflicted"].as_u64().unwrap_or(0) > 0 {
            out.push_str(&format!(
                "Conflicted paths: {} ({} by policy, {} by hand, {} left).\n",
                c["conflicted"], c["by_policy"], c["by_hand"], c["unresolved"]
            ));
        }
        if let Some(ws) = a["warnings"].as_array() {
            for w in ws {
                out.push_str(&format!(
                    "{} {}\n",
                    style.warn("warning:"),
                    w.as_str().unwrap_or_default()
                ));
            }
        }
    }
    if let Some(r) = &s.report {
        out.push_str(&format!("Report: {r}\n"));
    }
    if let Some(pr) = &s.pull_request {
        out.push_str(&format!(
            "Pull request #{} {}: {}\n",
            pr.number, pr.action, pr.url
        ));
    }
    out
}

pub fn status(s: &SyncStatus, style: Style) -> String {
    if !s.in_progress {
        return "No sync in progress.\n".into();
    }
    let mut out = format!(
        "Sync in progress: {}\n  upstream side: {}\n  fork side: {}\n",
        s.description.as_deref().unwrap_or("?"),
        s.upstream_side.as_deref().unwrap_or("?"),
        s.fork_side.as_deref().unwrap_or("?")
    );
    if s.paths.is_empty() {
        out.push_str("No conflicted paths.\n");
    }
    for p in &s.paths {
        let state = match (&p.by, &p.result) {
            (Some(by), Some(r)) => style.ok(&format!("resolved by {by}: {r}")),
            _ => style.bad("unresolved"),
        };
        out.push_str(&format!(
            "  {:<40} {:<14} {:<14} {state}\n",
            p.path, p.kind, p.policy
        ));
    }
    if s.left.is_empty() {
        out.push_str("Nothing left: finish with `git carto sync --continue`.\n");
    } else {
        out.push_str(&format!("{} left: {}\n", s.left.len(), s.left.join(", ")));
    }
    for w in &s.warnings {
        out.push_str(&format!("{} {w}\n", style.warn("warning:")));
    }
    out
}

pub fn resolved(r: &Resolved, style: Style) -> String {
    let mut out = String::new();
    const SHOWN: usize = 20;
    for p in r.by_policy.iter().take(SHOWN) {
        out.push_str(&format!("resolved by policy: {p}\n"));
    }
    if r.by_policy.len() > SHOWN {
        out.push_str(&format!(
            "... and {} more resolved by policy (`git carto sync --status` lists them)\n",
            r.by_policy.len() - SHOWN
        ));
    }
    for p in &r.by_hand {
        out.push_str(&format!("resolved by hand: {p}\n"));
    }
    if r.left.is_empty() {
        out.push_str(&format!(
            "{} finish with `git carto sync --continue`.\n",
            style.ok("Nothing left:")
        ));
    } else {
        out.push_str(&format!("{} left for a person:\n", r.left.len()));
        for p in &r.left {
            out.push_str(&format!("  {p}\n"));
        }
        out.push_str(
            "Resolve them on a terminal with `git carto sync --resolve`, or edit and `git add`, \
             then `git carto sync --continue`.\n",
        );
    }
    out
}

pub fn aborted(a: &Aborted) -> String {
    let mut out = String::new();
    for b in &a.restored {
        out.push_str(&format!("restored {b}\n"));
    }
    for b in &a.deleted {
        out.push_str(&format!("deleted {b}\n"));
    }
    for b in &a.kept {
        out.push_str(&format!("left {b} as it is\n"));
    }
    for b in &a.pushed {
        out.push_str(&format!(
            "left {b} on the remote as pushed (pushes are never forced back)\n"
        ));
    }
    if !a.remove.is_empty() {
        out.push_str("To remove the pushed sync branch too:\n");
        for c in &a.remove {
            out.push_str(&format!("  {c}\n"));
        }
    }
    out.push_str(&format!(
        "Sync aborted; back on {}.\n",
        a.head.as_deref().unwrap_or("the previous HEAD")
    ));
    out
}

pub fn verification(v: &Verification, style: Style) -> String {
    let mut out = format!(
        "Verified {} against upstream side {} and fork side {}\n",
        if v.result == "index" {
            "the merge in progress".to_string()
        } else {
            v.result[..7].to_string()
        },
        v.upstream.label,
        v.fork.label
    );
    for f in &v.findings {
        out.push_str(&format!(
            "{}{}: {}: {}\n",
            f.path,
            f.line.map(|l| format!(":{l}")).unwrap_or_default(),
            style.bad(f.check.name()),
            f.message
        ));
    }
    for o in &v.outcomes {
        out.push_str(&format!(
            "{}{}: {} ({}, on purpose): {}\n",
            o.path,
            o.line.map(|l| format!(":{l}")).unwrap_or_default(),
            o.check.name(),
            o.decided_by,
            o.message
        ));
    }
    out.push_str(&if v.ok {
        style.ok("No findings.\n")
    } else {
        style.bad(&format!("{} finding(s).\n", v.findings.len()))
    });
    out
}

/// The sync branch as origin has it, when this sync's run pushed it: `--abort`
/// leaves it there (nothing is ever forced) and says how to remove it.
/// Returns the ref and the command that deletes it.
pub(super) fn pushed_sync_branch(
    fork: &super::Fork,
    state: &super::State,
) -> Option<(String, String)> {
    let branch = state.sync_branch.as_deref()?;
    let origin = fork.config.origin();
    (state.push && fork.git.remote_branch(origin, branch).is_some()).then(|| {
        (
            format!("{origin}/{branch}"),
            format!("git push {origin} --delete {branch}"),
        )
    })
}
