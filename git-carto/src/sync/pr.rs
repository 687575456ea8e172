//! The sync pull request (DESIGN 6.5): one per upstream release, into
//! production, with the audit report as its body, labels saying whether a
//! person had to step in, and a loud "merge commit, never squash" warning.
//! One sync at a time: an open sync pull request for another release is
//! reported and left alone unless `--supersede` closes it.

use serde_json::json;

use super::PullRequestRef;
use crate::error::{Error, Result};
use crate::remote::github::{fork_slug, GitHub};
use crate::repo::fork::Fork;
use crate::repo::tag::Template;

fn labels(fork: &Fork, clean: bool) -> Vec<String> {
    let cfg = &fork.config;
    let mut out: Vec<String> = cfg.get_all("sync.labels").to_vec();
    let extra = if clean {
        cfg.get("sync.cleanLabel").unwrap_or("clean-merge")
    } else {
        cfg.get("sync.conflictLabel").unwrap_or("conflicts")
    };
    out.push(extra.to_string());
    out.retain(|l| !l.is_empty());
    out.dedup();
    out
}

/// Open sync pull requests into production other than `branch`'s: (number, head).
fn other_syncs(fork: &Fork, gh: &GitHub, branch: &str) -> Result<Vec<(u64, String, String)>> {
    let slug = fork_slug(fork)?;
    let fmt = fork
        .config
        .get("sync.branchFormat")
        .unwrap_or("upstream-sync/v{version}");
    let template = Template::new(fmt, &["version"])?;
    let mut out = Vec::new();
    for pr in gh.open_pulls(&slug, fork.config.production())? {
        if pr.head != branch && template.parse(&pr.head).is_some() {
            out.push((pr.number, pr.head, pr.html_url));
        }
    }
    Ok(out)
}

/// Refuse (before anything changes) when another sync pull request is open,
/// unless `supersede`.
pub fn check_one_sync_at_a_time(fork: &Fork, branch: &str, supersede: bool) -> Result<()> {
    let gh = GitHub::from_env()?;
    let others = other_syncs(fork, &gh, branch)?;
    if others.is_empty() || supersede {
        return Ok(());
    }
    let list: Vec<String> = others
        .iter()
        .map(|(n, head, url)| format!("#{n} ({head}) {url}"))
        .collect();
    Err(Error::refused(format!(
        "another sync pull request is open: {}; one sync at a time: merge or close it, or \
         re-run with --supersede to close it in favour of {branch}",
        list.join(", ")
    )))
}

/// Open the pull request for `branch`, or update the open one in place.
pub fn open_or_update(
    fork: &Fork,
    branch: &str,
    version: &str,
    body: &str,
    clean: bool,
    supersede: bool,
) -> Result<PullRequestRef> {
    let gh = GitHub::from_env()?;
    let slug = fork_slug(fork)?;
    let base = fork.config.production();
    let title = format!("Upstream sync: v{version}");
    let open = gh.open_pulls(&slug, base)?;
    let existing = open.iter().find(|pr| pr.head == branch);
    let ours = labels(fork, clean);
    let (pr, action) = match existing {
        Some(pr) => {
            let pr = gh.update_pull(&slug, pr.number, &json!({"title": title, "body": body}))?;
            (pr, "updated")
        }
        None => (
            gh.create_pull(&slug, branch, base, &title, body)?,
            "created",
        ),
    };
    let number = pr.number;
    // Keep labels people added; swap our clean/conflicts label.
    let ours_all = [labels(fork, true), labels(fork, false)].concat();
    let mut set: Vec<String> = existing
        .map(|pr| {
            pr.labels
                .iter()
                .filter(|l| !ours_all.contains(l))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    set.extend(ours);
    gh.set_labels(&slug, number, &set)?;
    let url = pr.html_url;
    if supersede {
        for (n, _, _) in other_syncs(fork, &gh, branch)? {
            gh.comment(
                &slug,
                n,
                &format!("Superseded by #{number} ({branch}): one upstream sync at a time."),
            )?;
            gh.update_pull(&slug, n, &json!({"state": "closed"}))?;
        }
    }
    Ok(PullRequestRef {
        number,
        url,
        action: action.into(),
    })
}
