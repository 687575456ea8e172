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
        let head = pr["head"]["ref"].as_str().unwrap_or_default();
        if head != branch && template.parse(head).is_some() {
            out.push((
                pr["number"].as_u64().unwrap_or(0),
                head.to_string(),
                pr["html_url"].as_str().unwrap_or_default().to_string(),
            ));
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
    let existing = open
        .iter()
        .find(|pr| pr["head"]["ref"].as_str() == Some(branch));
    let ours = labels(fork, clean);
    let (pr, action) = match existing {
        Some(pr) => {
            let number = pr["number"].as_u64().unwrap_or(0);
            let pr = gh.update_pull(&slug, number, &json!({"title": title, "body": body}))?;
            (pr, "updated")
        }
        None => (
            gh.create_pull(&slug, branch, base, &title, body)?,
            "created",
        ),
    };
    let number = pr["number"]
        .as_u64()
        .ok_or_else(|| Error::refused("GitHub's pull request has no number"))?;
    // Keep labels people added; swap our clean/conflicts label.
    let ours_all = [labels(fork, true), labels(fork, false)].concat();
    let mut set: Vec<String> = existing
        .and_then(|pr| pr["labels"].as_array())
        .map(|ls| {
            ls.iter()
                .filter_map(|l| l["name"].as_str().map(str::to_string))
                .filter(|l| !ours_all.contains(l))
                .collect()
        })
        .unwrap_or_default();
    set.extend(ours);
    gh.set_labels(&slug, number, &set)?;
    let url = pr["html_url"].as_str().unwrap_or_default().to_string();
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
