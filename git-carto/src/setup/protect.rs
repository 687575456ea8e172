//! `git carto protect`: the branch protection and repository merge settings
//! the process asks for, next to what GitHub has, as a diff.
//!
//! Production: pull request with approvals, stale approvals dismissed,
//! required status checks (from config) on an up-to-date branch, no bypass,
//! pushes restricted, no force pushes or deletions, and no linear-history rule
//! (sync PRs are merge commits). Mirror: locked. Repository: merge commits
//! allowed and, by default, squash and rebase merges off, because a squashed
//! sync PR loses upstream's history (the first user lost 4,200 commits so).
//!
//! `--apply` writes with GitHub's PUT, which replaces every rule of a branch:
//! the body is what GitHub has now with only the asked-for settings changed,
//! so rules this tool does not manage (code-owner reviews, conversation
//! resolution, ...) survive.

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::remote::github::{fork_slug, GitHub, Slug};
use crate::repo::fork::Fork;
use crate::term::output::Style;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Print the diff.
    Show,
    /// Print the diff; the caller exits 1 on drift.
    Check,
    /// Set what differs, then report what GitHub has afterwards.
    Apply,
}

/// One setting: what the process asks for (`null`: anything is fine) and
/// what GitHub has.
#[derive(Debug, Clone, Serialize)]
pub struct Setting {
    pub setting: &'static str,
    pub wanted: Value,
    pub current: Value,
    pub drift: bool,
}

#[derive(Debug, Serialize)]
pub struct BranchReport {
    pub branch: String,
    /// `production` or `mirror`.
    pub role: &'static str,
    /// Whether GitHub had any protection on the branch (before `--apply`).
    pub protected: bool,
    pub settings: Vec<Setting>,
    pub drift: bool,
    /// Whether `--apply` changed this branch.
    pub applied: bool,
}

#[derive(Debug, Serialize)]
pub struct MergeReport {
    pub settings: Vec<Setting>,
    pub drift: bool,
    pub applied: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub repository: String,
    /// Push restrictions exist only for organisation repositories.
    pub organization: bool,
    pub branches: Vec<BranchReport>,
    pub merge_settings: MergeReport,
    /// Whether anything differs (after `--apply`: still differs).
    pub drift: bool,
    /// Whether GitHub will run the generated workflows and let them work
    /// (`setup::ci_ready`); `--apply` leaves these to the user.
    pub ci: Vec<crate::setup::ci_ready::CiCheck>,
    /// No CI check is known to fail.
    pub ci_ready: bool,
}

/// What a branch's protection is, normalised from GitHub's GET answer.
#[derive(Debug, Clone, Default, PartialEq)]
struct Rules {
    reviews: Option<Reviews>,
    checks: Option<Checks>,
    enforce_admins: bool,
    restrictions: Option<Restrictions>,
    lock_branch: bool,
    allow_force_pushes: bool,
    allow_deletions: bool,
    linear_history: bool,
    // Not managed here; carried through a PUT unchanged.
    block_creations: bool,
    conversation_resolution: bool,
    fork_syncing: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Reviews {
    approvals: u64,
    dismiss_stale: bool,
    code_owners: bool,
    last_push: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Checks {
    strict: bool,
    contexts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Restrictions {
    users: Vec<String>,
    teams: Vec<String>,
    apps: Vec<String>,
}

/// What the process asks for; `None` means "any value is fine".
#[derive(Debug, Clone, Default)]
struct Wanted {
    pull_request: Option<bool>,
    approvals: Option<u64>,
    dismiss_stale: Option<bool>,
    checks: Option<Vec<String>>,
    strict: Option<bool>,
    enforce_admins: Option<bool>,
    /// (users, teams) allowed to push.
    push: Option<(Vec<String>, Vec<String>)>,
    locked: Option<bool>,
    force_pushes: Option<bool>,
    deletions: Option<bool>,
    linear_history: Option<bool>,
}

impl Rules {
    fn from_github(v: &Value) -> Rules {
        let enabled = |key: &str| v[key]["enabled"].as_bool().unwrap_or(false);
        let flag = |o: &Value, key: &str| o[key].as_bool().unwrap_or(false);
        let names = |list: &Value, key: &str| -> Vec<String> {
            let mut out: Vec<String> = list
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x[key].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            out.sort();
            out
        };
        let reviews = v
            .get("required_pull_request_reviews")
            .filter(|r| r.is_object())
            .map(|r| Reviews {
                approvals: r["required_approving_review_count"].as_u64().unwrap_or(0),
                dismiss_stale: flag(r, "dismiss_stale_reviews"),
                code_owners: flag(r, "require_code_owner_reviews"),
                last_push: flag(r, "require_last_push_approval"),
            });
        let checks = v
            .get("required_status_checks")
            .filter(|c| c.is_object())
            .map(|c| {
                let mut contexts: Vec<String> = c["contexts"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if contexts.is_empty() {
                    contexts = names(&c["checks"], "context");
                }
                contexts.sort();
                contexts.dedup();
                Checks {
                    strict: flag(c, "strict"),
                    contexts,
                }
            });
        let restrictions = v
            .get("restrictions")
            .filter(|r| r.is_object())
            .map(|r| Restrictions {
                users: names(&r["users"], "login"),
                teams: names(&r["teams"], "slug"),
                apps: names(&r["apps"], "slug"),
            });
        Rules {
            reviews,
            checks,
            enforce_admins: enabled("enforce_admins"),
            restrictions,
            lock_branch: enabled("lock_branch"),
            allow_force_pushes: enabled("allow_force_pushes"),
            allow_deletions: enabled("allow_deletions"),
            linear_history: enabled("required_linear_history"),
            block_creations: enabled("block_creations"),
            conversation_resolution: enabled("required_conversation_resolution"),
            fork_syncing: enabled("allow_fork_syncing"),
        }
    }

    /// The body of GitHub's "Update branch protection" (PUT): the four
    /// required keys (`null` switches a rule off) and the optional booleans.
    fn put_body(&self, organization: bool) -> Value {
        json!({
            "required_status_checks": self.checks.as_ref().map(|c| json!({
                "strict": c.strict,
                "contexts": c.contexts,
            })),
            "enforce_admins": self.enforce_admins,
            "required_pull_request_reviews": self.reviews.as_ref().map(|r| json!({
                "dismiss_stale_reviews": r.dismiss_stale,
                "require_code_owner_reviews": r.code_owners,
                "required_approving_review_count": r.approvals,
                "require_last_push_approval": r.last_push,
            })),
            "restrictions": self.restrictions.as_ref().filter(|_| organization).map(|r| json!({
                "users": r.users,
                "teams": r.teams,
                "apps": r.apps,
            })),
            "required_linear_history": self.linear_history,
            "allow_force_pushes": self.allow_force_pushes,
            "allow_deletions": self.allow_deletions,
            "block_creations": self.block_creations,
            "required_conversation_resolution": self.conversation_resolution,
            "lock_branch": self.lock_branch,
            "allow_fork_syncing": self.fork_syncing,
        })
    }
}

impl Wanted {
    fn production(fork: &Fork, organization: bool) -> Result<Wanted> {
        let cfg = &fork.config;
        let approvals = cfg
            .get("protect.approvals")
            .unwrap_or("1")
            .parse::<u64>()
            .map_err(|_| Error::usage("protect.approvals is not a number"))?;
        let mut checks = cfg.get_all("protect.statusChecks").to_vec();
        checks.sort();
        checks.dedup();
        let mut users = cfg.get_all("protect.pushUsers").to_vec();
        let mut teams = cfg.get_all("protect.pushTeams").to_vec();
        users.sort();
        teams.sort();
        Ok(Wanted {
            pull_request: Some(true),
            approvals: Some(approvals),
            dismiss_stale: Some(true),
            checks: Some(checks),
            strict: Some(true),
            enforce_admins: Some(true),
            push: organization.then_some((users, teams)),
            locked: Some(false),
            force_pushes: Some(false),
            deletions: Some(false),
            linear_history: Some(false),
        })
    }

    fn mirror(fork: &Fork) -> Wanted {
        Wanted {
            locked: Some(fork.config.get_bool("protect.lockMirror")),
            force_pushes: Some(false),
            deletions: Some(false),
            linear_history: Some(false),
            ..Wanted::default()
        }
    }

    /// `current` with the asked-for settings changed.
    fn apply_to(&self, current: &Rules) -> Rules {
        let mut r = current.clone();
        match self.pull_request {
            Some(false) => r.reviews = None,
            Some(true) => {
                let mut reviews = r.reviews.take().unwrap_or_default();
                if let Some(n) = self.approvals {
                    reviews.approvals = n;
                }
                if let Some(d) = self.dismiss_stale {
                    reviews.dismiss_stale = d;
                }
                r.reviews = Some(reviews);
            }
            None => {}
        }
        if let Some(contexts) = &self.checks {
            let strict = self
                .strict
                .unwrap_or_else(|| r.checks.as_ref().is_some_and(|c| c.strict));
            r.checks = Some(Checks {
                strict,
                contexts: contexts.clone(),
            });
        }
        if let Some((users, teams)) = &self.push {
            let apps = r
                .restrictions
                .as_ref()
                .map(|x| x.apps.clone())
                .unwrap_or_default();
            r.restrictions = Some(Restrictions {
                users: users.clone(),
                teams: teams.clone(),
                apps,
            });
        }
        let set = |slot: &mut bool, want: Option<bool>| {
            if let Some(w) = want {
                *slot = w;
            }
        };
        set(&mut r.enforce_admins, self.enforce_admins);
        set(&mut r.lock_branch, self.locked);
        set(&mut r.allow_force_pushes, self.force_pushes);
        set(&mut r.allow_deletions, self.deletions);
        set(&mut r.linear_history, self.linear_history);
        r
    }

    fn settings(&self, current: &Rules) -> Vec<Setting> {
        let b = |x: Option<bool>| x.map(Value::Bool).unwrap_or(Value::Null);
        let reviews = current.reviews.as_ref();
        let checks = current.checks.as_ref();
        let push = |users: &[String], teams: &[String]| json!({"users": users, "teams": teams});
        vec![
            row(
                "pull request required",
                b(self.pull_request),
                json!(reviews.is_some()),
            ),
            row(
                "required approvals",
                self.approvals.map(Value::from).unwrap_or(Value::Null),
                json!(reviews.map_or(0, |r| r.approvals)),
            ),
            row(
                "stale approvals dismissed",
                b(self.dismiss_stale),
                json!(reviews.is_some_and(|r| r.dismiss_stale)),
            ),
            row(
                "required status checks",
                self.checks
                    .as_ref()
                    .map(|c| json!(c))
                    .unwrap_or(Value::Null),
                checks.map_or(Value::Null, |c| json!(c.contexts)),
            ),
            row(
                "up to date before merging",
                b(self.strict),
                json!(checks.is_some_and(|c| c.strict)),
            ),
            row(
                "no bypass (admins included)",
                b(self.enforce_admins),
                json!(current.enforce_admins),
            ),
            row(
                "pushes restricted to",
                self.push
                    .as_ref()
                    .map(|(u, t)| push(u, t))
                    .unwrap_or(Value::Null),
                current
                    .restrictions
                    .as_ref()
                    .map_or(Value::Null, |r| push(&r.users, &r.teams)),
            ),
            row("locked", b(self.locked), json!(current.lock_branch)),
            row(
                "force pushes allowed",
                b(self.force_pushes),
                json!(current.allow_force_pushes),
            ),
            row(
                "deletions allowed",
                b(self.deletions),
                json!(current.allow_deletions),
            ),
            row(
                "linear history required",
                b(self.linear_history),
                json!(current.linear_history),
            ),
        ]
    }
}

fn row(setting: &'static str, wanted: Value, current: Value) -> Setting {
    let drift = !wanted.is_null() && wanted != current;
    Setting {
        setting,
        wanted,
        current,
        drift,
    }
}

/// The repository merge settings rows, from GitHub's repository answer.
fn merge_settings(fork: &Fork, repo: &Value) -> Vec<Setting> {
    let cfg = &fork.config;
    vec![
        row(
            "merge commits allowed",
            json!(true),
            repo["allow_merge_commit"].clone(),
        ),
        row(
            "squash merging allowed",
            json!(cfg.get_bool("protect.squashMerge")),
            repo["allow_squash_merge"].clone(),
        ),
        row(
            "rebase merging allowed",
            json!(cfg.get_bool("protect.rebaseMerge")),
            repo["allow_rebase_merge"].clone(),
        ),
    ]
}

const MERGE_KEYS: [(&str, &str); 3] = [
    ("merge commits allowed", "allow_merge_commit"),
    ("squash merging allowed", "allow_squash_merge"),
    ("rebase merging allowed", "allow_rebase_merge"),
];

/// Compare (and with [`Mode::Apply`] set) the protection of the production
/// and mirror branches and the merge settings of the fork's repository.
pub fn protect(fork: &Fork, gh: &GitHub, mode: Mode) -> Result<Report> {
    let slug = fork_slug(fork)?;
    let mut repo = gh.repository(&slug)?;
    let organization = repo["owner"]["type"] == "Organization";
    let roles = [
        (
            fork.config.production().to_string(),
            "production",
            Wanted::production(fork, organization)?,
        ),
        (
            fork.config.mirror().to_string(),
            "mirror",
            Wanted::mirror(fork),
        ),
    ];
    let mut branches = Vec::new();
    for (branch, role, wanted) in roles {
        branches.push(branch_report(
            gh,
            &slug,
            &branch,
            role,
            &wanted,
            organization,
            mode,
        )?);
    }

    let mut merge = merge_settings(fork, &repo);
    let mut merge_applied = false;
    if mode == Mode::Apply && merge.iter().any(|s| s.drift) {
        let mut body = serde_json::Map::new();
        for s in merge.iter().filter(|s| s.drift) {
            if let Some((_, key)) = MERGE_KEYS.iter().find(|(name, _)| *name == s.setting) {
                body.insert(key.to_string(), s.wanted.clone());
            }
        }
        repo = gh.update_repository(&slug, &Value::Object(body))?;
        merge = merge_settings(fork, &repo);
        merge_applied = true;
    }
    let merge_drift = merge.iter().any(|s| s.drift);
    let drift = merge_drift || branches.iter().any(|b| b.drift);
    let ci = crate::setup::ci_ready::checks(fork, gh, &slug, &repo);
    let ci_ready = ci.iter().all(|c| c.ok != Some(false));
    Ok(Report {
        repository: slug.to_string(),
        organization,
        branches,
        merge_settings: MergeReport {
            settings: merge,
            drift: merge_drift,
            applied: merge_applied,
        },
        drift,
        ci,
        ci_ready,
    })
}

fn branch_report(
    gh: &GitHub,
    slug: &Slug,
    branch: &str,
    role: &'static str,
    wanted: &Wanted,
    organization: bool,
    mode: Mode,
) -> Result<BranchReport> {
    let answer = gh.branch_protection(slug, branch)?;
    let protected = answer.is_some();
    let mut current = answer.as_ref().map(Rules::from_github).unwrap_or_default();
    let mut settings = wanted.settings(&current);
    let mut applied = false;
    if mode == Mode::Apply && settings.iter().any(|s| s.drift) {
        let body = wanted.apply_to(&current).put_body(organization);
        let after = gh.set_branch_protection(slug, branch, &body)?;
        current = Rules::from_github(&after);
        settings = wanted.settings(&current);
        applied = true;
    }
    Ok(BranchReport {
        branch: branch.to_string(),
        role,
        protected,
        drift: settings.iter().any(|s| s.drift),
        settings,
        applied,
    })
}

/// A value as a person reads it.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "any".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(o) if o.contains_key("users") => {
            let list = |k: &str| {
                o[k].as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            let (users, teams) = (list("users"), list("teams"));
            if users.is_empty() && teams.is_empty() {
                "admins only".into()
            } else {
                format!("users: {users}; teams: {teams}")
            }
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What GitHub has, as a person reads it: `null` there means the rule is off.
fn show_current(setting: &str, v: &Value) -> String {
    match (setting, v) {
        ("pushes restricted to", Value::Null) => "anyone with write access".into(),
        ("required status checks", Value::Null) => "off".into(),
        (s, Value::Null) if MERGE_KEYS.iter().any(|(n, _)| *n == s) => {
            "unknown (GitHub shows it to admins only)".into()
        }
        _ => show(v),
    }
}

/// The report as a diff: `-` what GitHub has, `+` what the process asks for.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = format!(
        "Protection of {} ({} what GitHub has, {} what the process asks for)\n",
        report.repository,
        style.bad("-"),
        style.ok("+")
    );
    let mut section = |title: String, settings: &[Setting], note: Option<&str>| {
        out.push('\n');
        out.push_str(&style.bold(&title));
        out.push('\n');
        if let Some(n) = note {
            out.push_str(&format!("  {}\n", style.dim(n)));
        }
        for s in settings {
            if s.drift {
                out.push_str(&style.bad(&format!(
                    "- {}: {}\n",
                    s.setting,
                    show_current(s.setting, &s.current)
                )));
                out.push_str(&style.ok(&format!("+ {}: {}\n", s.setting, show(&s.wanted))));
            } else if !s.wanted.is_null() {
                out.push_str(&format!("  {}: {}\n", s.setting, show(&s.wanted)));
            }
        }
    };
    for b in &report.branches {
        let mut title = format!("{} ({})", b.branch, b.role);
        if b.applied {
            title.push_str(": updated");
        } else if !b.protected {
            title.push_str(": not protected");
        }
        let note = (b.role == "production" && !report.organization).then_some(
            "pushes cannot be restricted on a personal repository: only collaborators can push",
        );
        section(title, &b.settings, note);
    }
    let mut title = "merge settings".to_string();
    if report.merge_settings.applied {
        title.push_str(": updated");
    }
    section(title, &report.merge_settings.settings, None);
    out.push_str(&crate::setup::ci_ready::render(&report.ci, style));
    out.push('\n');
    let differing: usize = report
        .branches
        .iter()
        .flat_map(|b| &b.settings)
        .chain(&report.merge_settings.settings)
        .filter(|s| s.drift)
        .count();
    if !report.ci_ready {
        out.push_str(&style.warn(
            "the generated workflows cannot work yet: see the fixes under GitHub Actions.\n",
        ));
    }
    if differing == 0 {
        out.push_str(&style.ok("GitHub has everything the process asks for.\n"));
    } else {
        out.push_str(&style.warn(&format!(
            "{differing} setting(s) differ: `git carto protect --apply` sets them (needs admin rights).\n"
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_put_keeps_rules_we_do_not_manage() {
        let current = Rules::from_github(&json!({
            "required_pull_request_reviews": {"required_approving_review_count": 2, "require_code_owner_reviews": true},
            "required_conversation_resolution": {"enabled": true},
            "allow_force_pushes": {"enabled": true},
        }));
        let wanted = Wanted {
            pull_request: Some(true),
            approvals: Some(1),
            force_pushes: Some(false),
            ..Wanted::default()
        };
        let body = wanted.apply_to(&current).put_body(false);
        assert_eq!(
            body["required_pull_request_reviews"]["required_approving_review_count"],
            1
        );
        assert_eq!(
            body["required_pull_request_reviews"]["require_code_owner_reviews"],
            true
        );
        assert_eq!(body["required_conversation_resolution"], true);
        assert_eq!(body["allow_force_pushes"], false);
        assert!(body["required_status_checks"].is_null());
        assert!(body["restrictions"].is_null());
    }
}
