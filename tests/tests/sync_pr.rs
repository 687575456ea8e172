//! `git carto sync --pr` against the in-process GitHub server: create,
//! update in place, labels, one sync at a time, --supersede, secrets.

mod sync_support;

use carto_tests::github_server::{bodies, GitHubServer, TOKEN};
use carto_tests::Fixture;
use serde_json::json;

fn configure(f: &Fixture) {
    f.git(&f.work, &["config", "carto.github.repo", "o/r"]);
    f.git(
        &f.work,
        &["config", "carto.github.upstreamRepo", "BerriAI/litellm"],
    );
}

fn pr(number: u64, head: &str, labels: &[&str]) -> serde_json::Value {
    let mut p = bodies::pull_request("o", "r", number, head, "carto/main", "t", "b");
    p["labels"] = json!(labels.iter().map(|l| bodies::label(l)).collect::<Vec<_>>());
    p
}

fn no_token(run: &carto_tests::Run) {
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
}

#[test]
fn opens_the_pull_request_with_the_report_labels_and_warning() {
    let f = Fixture::new();
    configure(&f);
    let gh = GitHubServer::start();
    gh.on("GET", "/repos/o/r/pulls", 200, json!([]));
    gh.on(
        "POST",
        "/repos/o/r/pulls",
        201,
        pr(7, "upstream-sync/v1.78.5", &[]),
    );
    gh.on(
        "PUT",
        "/repos/o/r/issues/7/labels",
        200,
        json!([bodies::label("upstream-sync"), bodies::label("clean-merge")]),
    );
    let out = f.carto_env(&gh.env(), &["sync", "--pr"]).ok();
    no_token(&out);
    assert!(
        out.stdout
            .contains("Pull request #7 created: https://github.com/o/r/pull/7"),
        "{}",
        out.stdout
    );
    let posted = gh.bodies("POST", "/repos/o/r/pulls");
    assert_eq!(posted.len(), 1);
    let p = &posted[0];
    assert_eq!(p["title"], "Upstream sync: v1.78.5");
    assert_eq!(p["head"], "upstream-sync/v1.78.5");
    assert_eq!(p["base"], "carto/main");
    let body = p["body"].as_str().unwrap();
    assert!(body.contains("**merge commit**, never squash"), "{body}");
    assert!(
        body.contains("https://github.com/BerriAI/litellm/compare/v1.75.2-stable...v1.78.5-stable"),
        "{body}"
    );
    assert!(body.contains("## Testing checklist"), "{body}");
    assert_eq!(
        gh.bodies("PUT", "/repos/o/r/issues/7/labels"),
        vec![json!({"labels": ["upstream-sync", "clean-merge"]})]
    );
    // The branch was pushed before the pull request was opened.
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.78.5"]),
        f.rev("upstream-sync/v1.78.5")
    );
    gh.assert_documented();

    // Re-run: the open pull request is updated in place, people's labels kept.
    let gh2 = GitHubServer::start();
    gh2.on(
        "GET",
        "/repos/o/r/pulls",
        200,
        json!([pr(
            7,
            "upstream-sync/v1.78.5",
            &["upstream-sync", "clean-merge", "needs-review"]
        )]),
    );
    gh2.on(
        "PATCH",
        "/repos/o/r/pulls/7",
        200,
        pr(7, "upstream-sync/v1.78.5", &[]),
    );
    gh2.on("PUT", "/repos/o/r/issues/7/labels", 200, json!([]));
    let out = f.carto_env(&gh2.env(), &["sync", "--pr"]).ok();
    assert!(
        out.stdout.contains("Pull request #7 updated"),
        "{}",
        out.stdout
    );
    assert!(gh2.bodies("POST", "/repos/o/r/pulls").is_empty());
    let patched = gh2.bodies("PATCH", "/repos/o/r/pulls/7");
    assert_eq!(patched[0]["title"], "Upstream sync: v1.78.5");
    assert!(patched[0]["body"]
        .as_str()
        .unwrap()
        .contains("never squash"));
    assert_eq!(
        gh2.bodies("PUT", "/repos/o/r/issues/7/labels"),
        vec![json!({"labels": ["needs-review", "upstream-sync", "clean-merge"]})]
    );
    gh2.assert_documented();
}

#[test]
fn one_sync_at_a_time_unless_superseded() {
    let f = Fixture::new();
    configure(&f);
    let older = pr(5, "upstream-sync/v1.77.4", &["upstream-sync"]);
    let gh = GitHubServer::start();
    gh.on("GET", "/repos/o/r/pulls", 200, json!([older.clone()]));
    let origin_before = f.git(&f.origin, &["for-each-ref"]);
    let local_before = f.git(&f.work, &["for-each-ref", "refs/heads"]);
    let out = f.carto_env(&gh.env(), &["sync", "--pr"]).fails(1);
    assert!(
        out.stderr
            .contains("another sync pull request is open: #5 (upstream-sync/v1.77.4)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--supersede"), "{}", out.stderr);
    assert_eq!(f.git(&f.origin, &["for-each-ref"]), origin_before);
    assert_eq!(
        f.git(&f.work, &["for-each-ref", "refs/heads"]),
        local_before
    );
    assert!(gh.bodies("POST", "/repos/o/r/pulls").is_empty());

    let gh = GitHubServer::start();
    gh.on("GET", "/repos/o/r/pulls", 200, json!([older]));
    gh.on(
        "POST",
        "/repos/o/r/pulls",
        201,
        pr(8, "upstream-sync/v1.78.5", &[]),
    );
    gh.on("PUT", "/repos/o/r/issues/8/labels", 200, json!([]));
    gh.on(
        "POST",
        "/repos/o/r/issues/5/comments",
        201,
        json!({"id": 1, "body": "Superseded", "html_url": "https://github.com/o/r/pull/5#issuecomment-1"}),
    );
    gh.on(
        "PATCH",
        "/repos/o/r/pulls/5",
        200,
        pr(5, "upstream-sync/v1.77.4", &[]),
    );
    let out = f
        .carto_env(&gh.env(), &["sync", "--pr", "--supersede"])
        .ok();
    assert!(
        out.stdout.contains("Pull request #8 created"),
        "{}",
        out.stdout
    );
    let comment = &gh.bodies("POST", "/repos/o/r/issues/5/comments")[0];
    assert!(
        comment["body"]
            .as_str()
            .unwrap()
            .contains("Superseded by #8"),
        "{comment}"
    );
    assert_eq!(
        gh.bodies("PATCH", "/repos/o/r/pulls/5"),
        vec![json!({"state": "closed"})]
    );
    gh.assert_documented();
}

#[test]
fn a_sync_that_needs_a_person_gets_the_conflicts_label() {
    let f = sync_support::conflicted();
    configure(&f);
    let gh = GitHubServer::start();
    gh.on("GET", "/repos/o/r/pulls", 200, json!([]));
    gh.on(
        "POST",
        "/repos/o/r/pulls",
        201,
        pr(3, "upstream-sync/v1.1.0", &[]),
    );
    gh.on("PUT", "/repos/o/r/issues/3/labels", 200, json!([]));
    let out = f.carto_env(&gh.env(), &["sync", "--pr"]).fails(1);
    assert!(
        out.stdout.contains("Pull request #3 created"),
        "{}",
        out.stdout
    );
    assert_eq!(
        gh.bodies("PUT", "/repos/o/r/issues/3/labels"),
        vec![json!({"labels": ["upstream-sync", "conflicts"]})]
    );
    let body = gh.bodies("POST", "/repos/o/r/pulls")[0]["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(body.contains("## Needs a person"), "{body}");
    assert!(body.contains("`c.txt`"), "{body}");
    // The mirror and the sync branch (still at the mirror) are on origin.
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.1.0"]),
        f.rev("main")
    );
    gh.assert_documented();
}

#[test]
fn without_a_token_nothing_happens() {
    let f = Fixture::new();
    configure(&f);
    let before = f.git(&f.origin, &["for-each-ref"]);
    let out = f.carto(&["sync", "--pr"]).fails(2);
    assert!(out.stderr.contains("no GitHub token"), "{}", out.stderr);
    assert_eq!(f.git(&f.origin, &["for-each-ref"]), before);
    assert!(
        f.run_git(&f.work, &["rev-parse", "--verify", "upstream-sync/v1.78.5"])
            .code
            != 0
    );
}

#[test]
fn github_errors_are_reported_without_the_token() {
    let f = Fixture::new();
    configure(&f);
    let gh = GitHubServer::start();
    gh.on("GET", "/repos/o/r/pulls", 200, json!([]));
    gh.on(
        "POST",
        "/repos/o/r/pulls",
        422,
        bodies::validation_failed("PullRequest", "base", "invalid"),
    );
    let out = f.carto_env(&gh.env(), &["sync", "--pr"]).fails(1);
    no_token(&out);
    assert!(out.stderr.contains("GitHub answered 422"), "{}", out.stderr);
    // The merge itself is done and pushed; a re-run retries the pull request.
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.78.5"]),
        f.rev("upstream-sync/v1.78.5")
    );
}
