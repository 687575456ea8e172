//! Will GitHub run the generated workflows, and can they do their job?
//!
//! Three things no workflow file can fix, shared by `git carto protect` and
//! `git carto doctor`: GitHub runs `schedule` and `workflow_dispatch`
//! workflows only from the repository's default branch (in a GitHub fork
//! that is upstream's, the mirror, which must stay free of fork commits);
//! the job token opens the sync pull request only when the repository lets
//! Actions create pull requests; and a locked or restricted mirror refuses
//! the job token's push, so the sync job then needs a `CARTO_SYNC_TOKEN`.

use serde::Serialize;
use serde_json::Value;

use crate::remote::github::{GitHub, Slug};
use crate::repo::fork::Fork;
use crate::setup::workflows;
use crate::term::output::Style;

/// The secret the generated sync workflow prefers over the job token.
pub const SYNC_TOKEN: &str = "CARTO_SYNC_TOKEN";

#[derive(Debug, Clone, Serialize)]
pub struct CiCheck {
    pub check: &'static str,
    /// `None`: GitHub did not say (no permission to read the setting).
    pub ok: Option<bool>,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn row(check: &'static str, ok: Option<bool>, detail: String, fix: Option<String>) -> CiCheck {
    CiCheck {
        check,
        ok,
        detail,
        fix,
    }
}

/// The checks, from the repository answer (`GET /repos/{slug}`) and two
/// Actions settings; the mirror's protection is read once more.
pub fn checks(fork: &Fork, gh: &GitHub, slug: &Slug, repo: &Value) -> Vec<CiCheck> {
    let secret = gh.secret_exists(slug, SYNC_TOKEN).ok();
    vec![
        default_branch(fork, slug, repo),
        pull_requests(gh, slug, secret),
        mirror_push(fork, gh, slug, secret),
    ]
}

/// The path of the generated sync workflow, as `init` names it.
fn sync_workflow(fork: &Fork) -> String {
    let params = workflows::Params::from_config(&fork.config, "");
    workflows::generate(&params)
        .into_iter()
        .next()
        .map(|f| f.path)
        .unwrap_or_default()
}

fn default_branch(fork: &Fork, slug: &Slug, repo: &Value) -> CiCheck {
    const NAME: &str = "workflows on the default branch";
    let production = fork.config.production();
    let origin = fork.config.origin();
    let Some(default) = repo["default_branch"].as_str() else {
        return row(
            NAME,
            None,
            "GitHub did not name a default branch".into(),
            None,
        );
    };
    let make_default = format!(
        "make `{production}` the default branch: Settings → General → Default branch, or \
         `gh repo edit {slug} --default-branch {production}`"
    );
    let path = sync_workflow(fork);
    if default != production {
        let what = if default == fork.config.mirror() {
            " (the mirror, which carries upstream only)"
        } else {
            ""
        };
        return row(
            NAME,
            Some(false),
            format!(
                "GitHub's default branch is `{default}`{what}: the scheduled sync and the \
                 release button run only from it, and the workflows belong on `{production}`"
            ),
            Some(make_default),
        );
    }
    let there = fork
        .git
        .repo
        .revparse_single(&format!("refs/remotes/{origin}/{default}:{path}"))
        .is_ok();
    if there {
        row(
            NAME,
            Some(true),
            format!("`{default}` is the default branch and has {path}"),
            None,
        )
    } else {
        row(
            NAME,
            Some(false),
            format!("`{default}` is the default branch but `{origin}/{default}` has no {path}"),
            Some(format!(
                "`git carto init --workflows github`, then merge the workflows into `{production}`"
            )),
        )
    }
}

fn pull_requests(gh: &GitHub, slug: &Slug, secret: Option<bool>) -> CiCheck {
    const NAME: &str = "Actions may create pull requests";
    if secret == Some(true) {
        return row(
            NAME,
            Some(true),
            format!("the sync job opens pull requests with the {SYNC_TOKEN} secret"),
            None,
        );
    }
    match gh.workflow_permissions(slug) {
        Ok(v) => match v["can_approve_pull_request_reviews"].as_bool() {
            Some(true) => row(
                NAME,
                Some(true),
                "the job token may create pull requests".into(),
                None,
            ),
            _ => row(
                NAME,
                Some(false),
                "the job token may not create pull requests: the sync job cannot open its \
                 pull request"
                    .into(),
                Some(format!(
                    "Settings → Actions → General → Workflow permissions: \"Allow GitHub Actions \
                     to create and approve pull requests\", or `gh api -X PUT \
                     repos/{slug}/actions/permissions/workflow -F \
                     can_approve_pull_request_reviews=true`, or set a {SYNC_TOKEN} secret"
                )),
            ),
        },
        Err(e) => row(
            NAME,
            None,
            format!("not known: {}", e.message()),
            Some("a token with the `Administration` read permission can tell".into()),
        ),
    }
}

fn mirror_push(fork: &Fork, gh: &GitHub, slug: &Slug, secret: Option<bool>) -> CiCheck {
    const NAME: &str = "sync token pushes the mirror";
    let mirror = fork.config.mirror();
    let protection = match gh.branch_protection(slug, mirror) {
        Ok(p) => p,
        Err(e) => return row(NAME, None, format!("not known: {}", e.message()), None),
    };
    let enabled = |p: &Value, key: &str| p[key]["enabled"].as_bool().unwrap_or(false);
    let blocks = protection.as_ref().and_then(|p| {
        if enabled(p, "lock_branch") {
            Some("is locked")
        } else if p["required_pull_request_reviews"].is_object() {
            Some("requires pull requests")
        } else if p["restrictions"].is_object() {
            Some("restricts who may push")
        } else {
            None
        }
    });
    match (blocks, secret) {
        (None, _) => row(
            NAME,
            Some(true),
            format!("`{mirror}` takes the job token's push (contents: write)"),
            None,
        ),
        (Some(why), Some(true)) => row(
            NAME,
            Some(true),
            format!(
                "`{mirror}` {why}: the sync job pushes with the {SYNC_TOKEN} secret (its owner \
                 must be allowed to)"
            ),
            None,
        ),
        (Some(why), Some(false)) => row(
            NAME,
            Some(false),
            format!("`{mirror}` {why}: the job token's push is refused and there is no {SYNC_TOKEN} secret"),
            Some(format!(
                "`gh secret set {SYNC_TOKEN} --repo {slug}` with a token of an admin"
            )),
        ),
        (Some(why), None) => row(
            NAME,
            None,
            format!("`{mirror}` {why}: whether a {SYNC_TOKEN} secret exists is not known"),
            Some(format!(
                "`gh secret set {SYNC_TOKEN} --repo {slug}` with a token of an admin"
            )),
        ),
    }
}

/// The checks as a section of `protect`'s text.
pub fn render(checks: &[CiCheck], style: Style) -> String {
    let mut out = format!("\n{}\n", style.bold("GitHub Actions"));
    for c in checks {
        let mark = match c.ok {
            Some(true) => style.ok("ok  "),
            Some(false) => style.bad("FAIL"),
            None => style.warn("??  "),
        };
        out.push_str(&format!("  {mark} {}: {}\n", c.check, c.detail));
        if let Some(fix) = c.ok.ne(&Some(true)).then_some(c.fix.as_ref()).flatten() {
            out.push_str(&format!("       fix: {fix}\n"));
        }
    }
    out
}
