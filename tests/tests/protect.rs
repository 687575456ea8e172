//! `git carto protect` against the in-process GitHub server: the diff of
//! what GitHub has against what the process asks for, `--check` for drift,
//! `--apply` with documented PUT/PATCH bodies, and 403s that name the
//! missing permission.

use carto_tests::github_server::{
    assert_no_secret, bodies, branch_protection_put_problems, GitHubServer, TOKEN,
};
use carto_tests::Fixture;
use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

const PROD: &str = "/repos/o/r/branches/carto%2Fmain/protection";
const MIRROR: &str = "/repos/o/r/branches/main/protection";

/// A fork whose GitHub repository is `o/r`, with two required checks and a
/// team allowed to push.
fn fork() -> Fixture {
    let f = Fixture::new();
    f.commit_file(
        &f.work,
        ".gitcarto",
        "[github]\n\trepo = o/r\n[protect]\n\tstatusChecks = test\n\tstatusChecks = lint\n\tpushTeams = release-admins\n",
        "chore: configure carto",
    );
    // The workflows `init` writes, merged into production.
    f.commit_file(
        &f.work,
        SYNC_WORKFLOW,
        "name: sync\n",
        "ci: set up git-carto",
    );
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    f
}

const SYNC_WORKFLOW: &str = ".github/workflows/carto-upstream-sync.yml";

/// "Get a repository" for `o/r` with `default` as GitHub's default branch.
fn repository(organization: bool, merge: (bool, bool, bool), default: &str) -> Value {
    let mut body = bodies::repository("o", "r", organization, merge);
    body["default_branch"] = json!(default);
    body
}

/// Actions may create pull requests and the sync token secret exists.
fn ready_actions(server: &GitHubServer) {
    server.on(
        "GET",
        "/repos/o/r/actions/permissions/workflow",
        200,
        bodies::workflow_permissions(true),
    );
    server.on(
        "GET",
        "/repos/o/r/actions/secrets/CARTO_SYNC_TOKEN",
        200,
        bodies::secret("CARTO_SYNC_TOKEN"),
    );
}

/// Production protected loosely (no approvals, squash allowed, a
/// conversation-resolution rule we do not manage); the mirror unprotected.
fn drifted_github() -> GitHubServer {
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r",
        200,
        repository(true, (true, true, false), "carto/main"),
    );
    ready_actions(&server);
    server.on(
        "GET",
        PROD,
        200,
        bodies::branch_protection(
            "o",
            "r",
            "carto/main",
            &json!({
                "required_status_checks": {"strict": false, "contexts": ["test"]},
                "enforce_admins": false,
                "required_pull_request_reviews": {"required_approving_review_count": 0, "dismiss_stale_reviews": false},
                "restrictions": null,
                "required_conversation_resolution": true,
            }),
        ),
    );
    server.on("GET", MIRROR, 404, bodies::branch_not_protected());
    server
}

/// Answer a PUT with the protection it asked for, as GitHub does, after
/// checking the body against the documented schema.
fn answer_puts(server: &GitHubServer, route: &str, branch: &'static str) {
    server.mount(server.route("PUT", route).respond_with(move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let problems = branch_protection_put_problems(&body);
        if problems.is_empty() {
            ResponseTemplate::new(200).set_body_json(bodies::branch_protection("o", "r", branch, &body))
        } else {
            ResponseTemplate::new(422).set_body_json(json!({
                "message": format!("Invalid request: {}", problems.join("; ")),
                "documentation_url": "https://docs.github.com/rest/branches/branch-protection#update-branch-protection",
                "status": "422"
            }))
        }
    }));
}

#[test]
fn shows_the_difference_as_a_diff_and_check_fails_on_drift() {
    let f = fork();
    let server = drifted_github();
    let out = f.carto_env(&server.env(), &["protect"]).ok();
    let text = &out.stdout;
    for line in [
        "carto/main (production)",
        "- required approvals: 0",
        "+ required approvals: 1",
        "- stale approvals dismissed: no",
        "+ stale approvals dismissed: yes",
        "- required status checks: test",
        "+ required status checks: lint, test",
        "- up to date before merging: no",
        "- no bypass (admins included): no",
        "- pushes restricted to: anyone with write access",
        "+ pushes restricted to: users: ; teams: release-admins",
        "  pull request required: yes",
        "main (mirror): not protected",
        "- locked: no",
        "+ locked: yes",
        "- squash merging allowed: yes",
        "+ squash merging allowed: no",
        "  merge commits allowed: yes",
        "  rebase merging allowed: no",
        "git carto protect --apply",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    // Nothing was changed by looking.
    assert!(server.bodies("PUT", PROD).is_empty());
    assert!(server.bodies("PATCH", "/repos/o/r").is_empty());

    let check = f.carto_env(&server.env(), &["protect", "--check"]).fails(1);
    assert!(check.stdout.contains("+ locked: yes"), "{}", check.stdout);
    server.assert_documented();
    for s in [&out.stdout, &out.stderr, &check.stdout, &check.stderr] {
        assert!(!s.contains(TOKEN));
    }
}

#[test]
fn json_has_a_stable_shape() {
    let f = fork();
    let server = drifted_github();
    let j = f
        .carto_env(&server.env(), &["protect", "--json"])
        .ok()
        .json();
    assert_eq!(j["version"], 1);
    assert_eq!(j["repository"], "o/r");
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    // The fields docs/json.md lists.
    assert_eq!(
        keys,
        [
            "branches",
            "ci",
            "ci_ready",
            "drift",
            "merge_settings",
            "organization",
            "repository",
            "version"
        ]
    );
    assert_eq!(j["organization"], true);
    assert_eq!(j["drift"], true);
    let prod = &j["branches"][0];
    assert_eq!(prod["branch"], "carto/main");
    assert_eq!(prod["role"], "production");
    assert_eq!(prod["protected"], true);
    let approvals = prod["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["setting"] == "required approvals")
        .unwrap();
    assert_eq!(approvals["wanted"], 1);
    assert_eq!(approvals["current"], 0);
    assert_eq!(approvals["drift"], true);
    assert_eq!(j["branches"][1]["branch"], "main");
    assert_eq!(j["branches"][1]["protected"], false);
    assert_eq!(j["merge_settings"]["drift"], true);
}

#[test]
fn apply_sends_documented_bodies_and_leaves_no_drift() {
    let f = fork();
    let server = drifted_github();
    answer_puts(&server, PROD, "carto/main");
    answer_puts(&server, MIRROR, "main");
    server.mount(server.route("PATCH", "/repos/o/r").respond_with(
        ResponseTemplate::new(200).set_body_json(repository(
            true,
            (true, false, false),
            "carto/main",
        )),
    ));
    let out = f.carto_env(&server.env(), &["protect", "--apply"]).ok();
    assert!(
        out.stdout.contains("carto/main (production): updated"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("main (mirror): updated"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("merge settings: updated"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("GitHub has everything the process asks for."),
        "{}",
        out.stdout
    );

    let puts = server.bodies("PUT", PROD);
    assert_eq!(puts.len(), 1);
    let p = &puts[0];
    assert!(branch_protection_put_problems(p).is_empty(), "{p}");
    assert_eq!(
        p["required_status_checks"],
        json!({"strict": true, "contexts": ["lint", "test"]})
    );
    assert_eq!(p["enforce_admins"], true);
    assert_eq!(
        p["required_pull_request_reviews"]["required_approving_review_count"],
        1
    );
    assert_eq!(
        p["required_pull_request_reviews"]["dismiss_stale_reviews"],
        true
    );
    assert_eq!(
        p["restrictions"],
        json!({"users": [], "teams": ["release-admins"], "apps": []})
    );
    assert_eq!(p["allow_force_pushes"], false);
    assert_eq!(p["allow_deletions"], false);
    assert_eq!(p["required_linear_history"], false);
    assert_eq!(p["lock_branch"], false);
    // A rule the process does not manage survives the PUT.
    assert_eq!(p["required_conversation_resolution"], true);

    let m = &server.bodies("PUT", MIRROR)[0];
    assert!(branch_protection_put_problems(m).is_empty(), "{m}");
    assert_eq!(m["lock_branch"], true);
    assert_eq!(m["allow_force_pushes"], false);
    assert!(m["required_pull_request_reviews"].is_null());

    assert_eq!(
        server.bodies("PATCH", "/repos/o/r"),
        vec![json!({"allow_squash_merge": false})]
    );
    server.assert_documented();
}

#[test]
fn nothing_is_sent_when_github_already_matches() {
    let f = fork();
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r",
        200,
        repository(false, (true, false, false), "carto/main"),
    );
    ready_actions(&server);
    server.on(
        "GET",
        PROD,
        200,
        bodies::branch_protection(
            "o",
            "r",
            "carto/main",
            &json!({
                "required_status_checks": {"strict": true, "contexts": ["test", "lint"]},
                "enforce_admins": true,
                "required_pull_request_reviews": {"required_approving_review_count": 1, "dismiss_stale_reviews": true},
                "restrictions": null,
            }),
        ),
    );
    server.on(
        "GET",
        MIRROR,
        200,
        bodies::branch_protection(
            "o",
            "r",
            "main",
            &json!({"required_status_checks": null, "enforce_admins": false,
                    "required_pull_request_reviews": null, "restrictions": null, "lock_branch": true}),
        ),
    );
    let out = f.carto_env(&server.env(), &["protect", "--apply"]).ok();
    // A personal repository cannot restrict pushes: said, not demanded.
    assert!(out.stdout.contains("personal repository"), "{}", out.stdout);
    assert!(
        out.stdout.contains("GitHub has everything"),
        "{}",
        out.stdout
    );
    f.carto_env(&server.env(), &["protect", "--check"]).ok();
    let quiet = f
        .carto_env(&server.env(), &["--quiet", "protect", "--check"])
        .ok();
    assert_eq!(quiet.stdout, "");
    assert!(server.requests().iter().all(|r| r.method.as_str() == "GET"));
}

#[test]
fn a_403_says_which_permission_is_missing() {
    let f = fork();
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r",
        200,
        bodies::repository("o", "r", true, (true, false, false)),
    );
    server.on(
        "GET",
        PROD,
        403,
        bodies::forbidden("Resource not accessible by personal access token"),
    );
    let out = f.carto_env(&server.env(), &["protect"]).fails(1);
    assert!(out.stderr.contains("403"), "{}", out.stderr);
    assert!(out.stderr.contains("`Administration`"), "{}", out.stderr);
    assert!(!out.stderr.contains(TOKEN));

    // When GitHub names the permission, that is what the user sees.
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r",
        200,
        bodies::repository("o", "r", true, (true, false, false)),
    );
    server.on("GET", PROD, 404, bodies::branch_not_protected());
    server.on("GET", MIRROR, 404, bodies::branch_not_protected());
    server.mount(
        server.route("PUT", PROD).respond_with(
            ResponseTemplate::new(403)
                .set_body_json(bodies::forbidden("Resource not accessible by integration"))
                .insert_header("x-accepted-github-permissions", "administration=write"),
        ),
    );
    let out = f.carto_env(&server.env(), &["protect", "--apply"]).fails(1);
    assert!(
        out.stderr.contains("administration=write"),
        "{}",
        out.stderr
    );
    assert!(
        server.bodies("PUT", MIRROR).is_empty(),
        "went on after a refusal"
    );
}

#[test]
fn without_a_token_it_says_how_to_set_one() {
    let f = fork();
    let out = f.carto(&["protect"]).fails(2);
    assert!(out.stderr.contains("GITHUB_TOKEN"), "{}", out.stderr);
}

/// GitHub as a fresh fork has it: upstream's default branch (the mirror),
/// Actions not allowed to create pull requests, a locked mirror, no secret.
#[test]
fn check_says_what_keeps_the_workflows_from_running_and_how_to_fix_it() {
    let f = fork();
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r",
        200,
        repository(true, (true, false, false), "main"),
    );
    server.on("GET", PROD, 404, bodies::branch_not_protected());
    server.on(
        "GET",
        MIRROR,
        200,
        bodies::branch_protection(
            "o",
            "r",
            "main",
            &json!({"required_status_checks": null, "enforce_admins": false,
                    "required_pull_request_reviews": null, "restrictions": null, "lock_branch": true}),
        ),
    );
    server.on(
        "GET",
        "/repos/o/r/actions/permissions/workflow",
        200,
        bodies::workflow_permissions(false),
    );
    let out = f.carto_env(&server.env(), &["protect", "--check"]).fails(1);
    for text in [
        "GitHub's default branch is `main` (the mirror, which carries upstream only)",
        "gh repo edit o/r --default-branch carto/main",
        "the job token may not create pull requests",
        "can_approve_pull_request_reviews=true",
        "`main` is locked: the job token's push is refused and there is no CARTO_SYNC_TOKEN secret",
        "gh secret set CARTO_SYNC_TOKEN --repo o/r",
        "the generated workflows cannot work yet",
    ] {
        assert!(
            out.stdout.contains(text),
            "missing `{text}`:\n{}",
            out.stdout
        );
    }
    let j = f
        .carto_env(&server.env(), &["protect", "--json"])
        .ok()
        .json();
    assert_eq!(j["ci_ready"], false, "{j:#}");
    let names: Vec<&str> = j["ci"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "workflows on the default branch",
            "Actions may create pull requests",
            "sync token pushes the mirror"
        ]
    );
    assert!(j["ci"].as_array().unwrap().iter().all(|c| c["ok"] == false));
    server.assert_documented();

    // Production as the default branch, but the workflows not merged yet.
    let g = Fixture::new();
    g.commit_file(
        &g.work,
        ".gitcarto",
        "[github]\n\trepo = o/r\n",
        "chore: configure carto",
    );
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r",
        200,
        repository(true, (true, false, false), "carto/main"),
    );
    server.on("GET", PROD, 404, bodies::branch_not_protected());
    server.on("GET", MIRROR, 404, bodies::branch_not_protected());
    ready_actions(&server);
    let out = g.carto_env(&server.env(), &["protect", "--check"]).fails(1);
    assert!(
        out.stdout
            .contains(&format!("`origin/carto/main` has no {SYNC_WORKFLOW}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("`main` takes the job token's push"),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_reports_the_same_actions_settings_as_warnings() {
    let f = fork();
    let server = GitHubServer::start();
    server.mount(
        server.route("GET", "/user").respond_with(
            ResponseTemplate::new(200)
                .set_body_json(bodies::user("octocat"))
                .insert_header("x-oauth-scopes", "repo, workflow"),
        ),
    );
    server.on(
        "GET",
        "/repos/o/r",
        200,
        repository(true, (true, false, false), "main"),
    );
    server.on("GET", MIRROR, 404, bodies::branch_not_protected());
    server.on(
        "GET",
        "/repos/o/r/actions/permissions/workflow",
        200,
        bodies::workflow_permissions(false),
    );
    // Warnings only: every local command still works.
    let out = f.carto_env(&server.env(), &["doctor"]).ok();
    let line = |name: &str| {
        out.stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no `{name}` in:\n{}", out.stdout))
            .to_string()
    };
    assert!(line("workflows on the default branch").contains("`main`"));
    assert!(line("Actions may create pull requests").contains("may not"));
    assert!(line("sync token pushes the mirror").contains("takes the job token's push"));
    assert!(
        out.stdout
            .contains("gh repo edit o/r --default-branch carto/main"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    server.assert_documented();
}

#[test]
fn a_server_echoing_the_authorization_header_never_gets_the_token_printed() {
    let f = fork();
    let server = GitHubServer::start();
    server.echo_authorization(401, bodies::echoed_credentials);
    for args in [&["protect", "--check"][..], &["protect", "--json"]] {
        let out = f.carto_env(&server.env(), args).fails(1);
        assert_no_secret(&format!("{}{}", out.stdout, out.stderr), TOKEN);
        // Still says what went wrong.
        assert!(out.stderr.contains("401"), "{}", out.stderr);
        assert!(out.stderr.contains("Bad credentials"), "{}", out.stderr);
    }
    // As a check outside this suite runs it: another token, read from GH_TOKEN too.
    for var in ["GITHUB_TOKEN", "GH_TOKEN"] {
        let mut env = vec![
            ("GITHUB_API_URL", server.uri()),
            ("CARTO_GITHUB_MAX_WAIT", "1".to_string()),
        ];
        env.push((var, "ghp_CHECKLEAK0123456789".to_string()));
        let out = f.carto_env(&env, &["protect", "--check"]).fails(1);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains("CHECKLEAK"), "{all}");
        assert_no_secret(&all, "ghp_CHECKLEAK0123456789");
    }
}

#[test]
fn a_token_with_a_trailing_newline_works_and_a_broken_one_is_refused_unprinted() {
    let f = fork();
    let server = drifted_github();
    // `export GITHUB_TOKEN=$(cat token.txt)` keeps no newline, but a secret
    // pasted into CI settings often does: surrounding whitespace is trimmed.
    let mut env = server.env();
    env.push(("GITHUB_TOKEN", format!("{TOKEN}\n")));
    let out = f.carto_env(&env, &["protect"]).ok();
    assert!(out.stdout.contains("carto/main"), "{}", out.stdout);
    assert_no_secret(&format!("{}{}", out.stdout, out.stderr), TOKEN);

    for broken in [
        format!("{TOKEN}\nX"),
        format!("gh p_{TOKEN}"),
        format!("{TOKEN}\u{7}"),
    ] {
        let mut env = server.env();
        env.push(("GITHUB_TOKEN", broken.clone()));
        let out = f.carto_env(&env, &["protect", "--check"]).fails(2);
        assert!(out.stderr.contains("GITHUB_TOKEN"), "{}", out.stderr);
        assert_no_secret(&format!("{}{}", out.stdout, out.stderr), TOKEN);
    }
}
