//! The decisions `verify` honours: the path policy, a sync's records, and
//! the `Carto-Resolved:` trailers of the merge (or of the sync merge a pull
//! request's merge brings in). A decision turns a loss into its outcome.

use std::collections::HashMap;

use git2::{Oid, Repository};

use super::TRAILER;
use crate::sync::base::UPSTREAM_TRAILER;
use crate::sync::policy::{Policy, Rules, Side};
use crate::sync::state::{By, State};

/// A side kept on purpose for a path.
#[derive(Debug, Clone)]
pub struct Intent {
    pub side: Side,
    pub by: String,
    /// A person edited the file: every loss in it is their decision.
    pub edited: bool,
}

fn edited() -> Intent {
    Intent {
        side: Side::Upstream,
        by: "edited by hand".into(),
        edited: true,
    }
}

/// Looks up the side kept on purpose for a path.
pub type IntentFn<'a> = Box<dyn Fn(&str) -> Option<Intent> + 'a>;

/// Intents from the path policy, then a sync's records or a merge message's
/// trailers (a person's choice overrides the policy).
pub fn intents_from<'a>(
    rules: &'a Rules,
    state: Option<&State>,
    message: Option<&str>,
) -> IntentFn<'a> {
    let mut explicit: HashMap<String, Intent> = HashMap::new();
    if let Some(state) = state {
        for r in &state.conflicts {
            let Some(res) = &r.resolution else { continue };
            // `upstream` never drops protected fork lines (provenance holds
            // such paths), so a loss under it is no decision of anyone's.
            if res.by == By::Policy && r.policy == Policy::Upstream {
                continue;
            }
            let Some(choice) = res.choice else {
                // Edited by a person, in the walk or outside carto (`git
                // add`): their decision, recorded by the commit's trailer.
                if res.by != By::Policy {
                    for p in r.conflict.match_paths() {
                        explicit.insert(p.to_string(), edited());
                    }
                }
                continue;
            };
            let by = match res.by {
                By::Policy => format!("policy {}", r.policy),
                By::Hand | By::Outside => "by hand".to_string(),
            };
            for p in r.conflict.match_paths() {
                explicit.insert(
                    p.to_string(),
                    Intent {
                        side: choice.side(),
                        by: by.clone(),
                        edited: false,
                    },
                );
            }
        }
    }
    if let Some(message) = message {
        for line in message.lines() {
            let Some(rest) = line.strip_prefix(TRAILER).and_then(|r| r.strip_prefix(':')) else {
                continue;
            };
            let rest = rest.trim();
            let (side, path) = rest.split_once(' ').unwrap_or((rest, ""));
            let side = match side {
                "upstream" => Side::Upstream,
                "fork" => Side::Fork,
                "edited" => {
                    explicit.insert(path.trim().to_string(), edited());
                    continue;
                }
                _ => continue,
            };
            explicit.insert(
                path.trim().to_string(),
                Intent {
                    side,
                    by: "by hand".into(),
                    edited: false,
                },
            );
        }
    }
    Box::new(move |path: &str| {
        if let Some(i) = explicit.get(path) {
            return Some(i.clone());
        }
        let d = rules.decide([path]);
        if d.policy == Policy::Upstream {
            return None;
        }
        d.policy.side().map(|side| Intent {
            side,
            by: format!("policy {}", d.policy),
            edited: false,
        })
    })
}

/// The message of the first merge on HEAD's first-parent line. When that
/// merge brings a sync merge into production (a pull request's merge, CI's
/// test merge), the sync merge's message comes with it: the decisions are
/// recorded there.
pub(super) fn first_merge_message(repo: &Repository, head: Oid) -> Option<String> {
    let mut at = repo.find_commit(head).ok()?;
    for _ in 0..100 {
        if at.parent_count() >= 2 {
            let mut message = at.message().ok()?.to_string();
            if let Some(sync) = merged_sync(repo, &at) {
                message.push('\n');
                message.push_str(&sync);
            }
            return Some(message);
        }
        at = at.parent(0).ok()?;
    }
    None
}

/// The message of the sync merge `merge` brings into production: its second
/// parent, a merge with a `Carto-Upstream:` trailer whose fork side (its own
/// second parent) production already contains.
fn merged_sync(repo: &Repository, merge: &git2::Commit<'_>) -> Option<String> {
    let into = merge.parent_id(0).ok()?;
    let sync = merge.parent(1).ok()?;
    let message = sync.message().ok()?;
    if sync.parent_count() < 2 || !message.lines().any(|l| l.starts_with(UPSTREAM_TRAILER)) {
        return None;
    }
    let fork_side = sync.parent_id(1).ok()?;
    (fork_side == into || repo.graph_descendant_of(into, fork_side).unwrap_or(false))
        .then(|| message.to_string())
}
