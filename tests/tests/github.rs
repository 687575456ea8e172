//! The GitHub module against the in-process GitHub server: headers, retries,
//! rate limits and error messages, and that the token never leaks.

use carto_tests::github_server::{assert_no_secret, bodies, GitHubServer, TOKEN};
use carto_tests::Fixture;
use git_carto::remote::github::{GitHub, Slug};
use serde_json::json;
use wiremock::ResponseTemplate;

fn client(server: &GitHubServer) -> GitHub {
    let mut gh = GitHub::new(&server.uri(), Some(TOKEN.to_string())).unwrap();
    gh.retry.base_delay = std::time::Duration::from_millis(10);
    gh.retry.max_wait = std::time::Duration::from_secs(1);
    gh
}

#[test]
fn sends_githubs_headers_and_reads_documented_bodies() {
    let server = GitHubServer::start();
    server.on(
        "GET",
        "/repos/o/r/releases/tags/v1",
        200,
        bodies::release("o", "r", 7, "v1", "notes"),
    );
    let reply = client(&server).get("/repos/o/r/releases/tags/v1").unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["id"], 7);
    server.assert_documented();
}

#[test]
fn retries_server_errors_then_succeeds() {
    let server = GitHubServer::start();
    server.mount(
        server
            .route("POST", "/repos/o/r/releases")
            .respond_with(ResponseTemplate::new(502).set_body_json(bodies::server_error()))
            .up_to_n_times(2)
            .with_priority(1),
    );
    server.on(
        "POST",
        "/repos/o/r/releases",
        201,
        bodies::release("o", "r", 9, "v1", "b"),
    );
    let reply = client(&server)
        .post("/repos/o/r/releases", &json!({"tag_name": "v1"}))
        .unwrap();
    assert_eq!(reply.status, 201);
    assert_eq!(server.bodies("POST", "/repos/o/r/releases").len(), 3);
}

#[test]
fn waits_for_a_rate_limit_reset_then_retries() {
    let server = GitHubServer::start();
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    server.mount(
        server
            .route("GET", "/repos/o/r")
            .respond_with(
                ResponseTemplate::new(403)
                    .set_body_json(bodies::rate_limited())
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    server.on(
        "GET",
        "/repos/o/r",
        200,
        json!({"full_name": "o/r", "allow_squash_merge": true}),
    );
    let started = std::time::Instant::now();
    let reply = client(&server).get("/repos/o/r").unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(500),
        "did not wait for the reset"
    );
}

#[test]
fn errors_say_what_to_do_and_never_show_the_token() {
    let server = GitHubServer::start();
    server.on("GET", "/repos/o/r/pulls", 401, bodies::bad_credentials());
    server.mount(
        server
            .route("PUT", "/repos/o/r/branches/carto%2Fmain/protection")
            .respond_with(
                ResponseTemplate::new(403)
                    .set_body_json(bodies::forbidden("Resource not accessible by integration"))
                    .insert_header("x-accepted-github-permissions", "administration=write"),
            ),
    );
    server.on(
        "POST",
        "/repos/o/r/releases",
        422,
        bodies::validation_failed("Release", "tag_name", "already_exists"),
    );
    let gh = client(&server);

    let mut messages = Vec::new();
    let e = gh
        .get("/repos/o/r/pulls")
        .unwrap()
        .ok("listing pull requests")
        .unwrap_err()
        .to_string();
    assert!(e.contains("401") && e.contains("GITHUB_TOKEN"), "{e}");
    messages.push(e);
    let e = gh
        .put("/repos/o/r/branches/carto%2Fmain/protection", &json!({}))
        .unwrap()
        .ok("setting branch protection")
        .unwrap_err()
        .to_string();
    assert!(e.contains("administration=write"), "{e}");
    messages.push(e);
    let reply = gh
        .post("/repos/o/r/releases", &json!({"tag_name": "v1"}))
        .unwrap();
    assert!(reply.already_exists());
    let e = reply.ok("creating the release").unwrap_err().to_string();
    assert!(e.contains("already_exists"), "{e}");
    messages.push(e);
    // Not documented: GitHub's 404 body.
    assert_eq!(gh.get("/repos/o/r/nope").unwrap().status, 404);
    for msg in messages {
        assert!(!msg.contains(TOKEN), "{msg}");
    }
}

#[test]
fn unreachable_github_is_a_clear_error_without_the_token() {
    let mut gh = GitHub::new("http://127.0.0.1:9", Some(TOKEN.to_string())).unwrap();
    gh.retry.base_delay = std::time::Duration::from_millis(1);
    let e = gh.get("/repos/o/r").unwrap_err().to_string();
    assert!(e.contains("cannot reach GitHub"), "{e}");
    assert!(!e.contains(TOKEN));
}

#[test]
fn slugs_come_from_config_or_origin() {
    assert_eq!(
        Slug::parse("CartoDB/litellm").unwrap().to_string(),
        "CartoDB/litellm"
    );
    assert!(Slug::parse("nope").is_none());
}

/// A server that echoes request headers into its error bodies (a proxy, an
/// Enterprise instance, a hostile `GITHUB_API_URL`): what every command that
/// talks to GitHub prints stays free of the token.
#[test]
fn echoed_authorization_headers_are_never_printed() {
    let server = GitHubServer::start();
    server.echo_authorization(403, bodies::echoed_credentials);
    let f = Fixture::new();
    f.git(&f.work, &["config", "carto.github.repo", "o/r"]);

    let out = f.carto_env(&server.env(), &["doctor"]);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("GitHub answered 403"), "{all}");
    assert_no_secret(&all, TOKEN);

    let before = f.git(&f.work, &["for-each-ref", "refs/heads"]);
    let out = f.carto_env(&server.env(), &["sync", "--pr"]).fails(1);
    assert!(out.stderr.contains("403"), "{}", out.stderr);
    assert_no_secret(&format!("{}{}", out.stdout, out.stderr), TOKEN);
    assert_eq!(f.git(&f.work, &["for-each-ref", "refs/heads"]), before);

    // The library's own error texts, for callers other than the binaries.
    let e = client(&server)
        .get("/repos/o/r/pulls")
        .unwrap()
        .ok("listing pull requests")
        .unwrap_err()
        .to_string();
    assert_no_secret(&e, TOKEN);
}
