//! GitHub answers that are not what GitHub documents (a proxy's page with a
//! 200, a listing that is an object, a pull request whose number is text)
//! are refused with a clear error before anything moves, never read as
//! "no pull requests" (which opened a duplicate) or as pull request #0.

use carto_tests::github_server::{bodies, GitHubServer};
use carto_tests::Fixture;
use serde_json::json;

fn configure(f: &Fixture) {
    f.git(&f.work, &["config", "carto.github.repo", "o/r"]);
}

#[track_caller]
fn refused_before_anything_moved(f: &Fixture, gh: &GitHubServer, expect: &str) {
    let refs = f.git(&f.work, &["for-each-ref"]);
    let out = f.carto_env(&gh.env(), &["sync", "--pr"]).fails(1);
    assert!(out.stderr.contains(expect), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(f.git(&f.work, &["for-each-ref"]), refs);
    assert!(
        gh.requests().iter().all(|r| r.method.as_str() == "GET"),
        "something was written on GitHub"
    );
}

#[test]
fn a_listing_that_is_not_a_list_is_refused() {
    let f = Fixture::new();
    configure(&f);
    let gh = GitHubServer::start();
    gh.on("GET", "/repos/o/r/pulls", 200, json!({"message": "cached"}));
    refused_before_anything_moved(
        &f,
        &gh,
        "GitHub answered the pull request listing with something that is not a list: \
         {\"message\":\"cached\"}",
    );
}

#[test]
fn a_pull_request_without_a_usable_number_is_refused() {
    let f = Fixture::new();
    configure(&f);
    let gh = GitHubServer::start();
    let mut pr = bodies::pull_request("o", "r", 7, "upstream-sync/v1.77.0", "carto/main", "t", "b");
    pr["number"] = json!("7");
    gh.on("GET", "/repos/o/r/pulls", 200, json!([pr]));
    refused_before_anything_moved(&f, &gh, "GitHub answered a pull request without a number");
}

#[test]
fn a_proxy_page_is_quoted_not_dropped() {
    let f = Fixture::new();
    configure(&f);
    let gh = GitHubServer::start();
    gh.on(
        "GET",
        "/repos/o/r/pulls",
        502,
        json!("<html><h1>502 Bad Gateway</h1></html>"),
    );
    refused_before_anything_moved(
        &f,
        &gh,
        "GitHub answered 502 to listing open pull requests: <html><h1>502 Bad Gateway</h1></html>",
    );
}
