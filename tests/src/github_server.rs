//! An in-process stand-in for GitHub's REST API (wiremock), for tests.
//!
//! Every route mounted here requires what GitHub documents for a REST call
//! (`Authorization: Bearer <token>`, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version`, a `User-Agent`) and answers with the response bodies
//! GitHub documents. A request to any other route gets GitHub's own 404 body,
//! and [`GitHubServer::assert_documented`] fails a test that called an
//! endpoint missing from [`DOCUMENTED`].

use serde_json::{json, Value};
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The REST endpoints git-carto may call, as GitHub documents them.
pub const DOCUMENTED: &[(&str, &str)] = &[
    ("GET", "/repos/{owner}/{repo}"),
    ("PATCH", "/repos/{owner}/{repo}"),
    ("GET", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    (
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    ),
    ("GET", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    ("POST", "/repos/{owner}/{repo}/releases"),
    ("PATCH", "/repos/{owner}/{repo}/releases/{release_id}"),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}/protection"),
    ("PUT", "/repos/{owner}/{repo}/branches/{branch}/protection"),
    ("GET", "/user"),
];

pub const TOKEN: &str = "ghp_testTOKENthatMustNeverBePrinted0000";

pub struct GitHubServer {
    runtime: tokio::runtime::Runtime,
    pub server: MockServer,
}

impl GitHubServer {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let server = runtime.block_on(MockServer::start());
        let s = GitHubServer { runtime, server };
        // Anything not mounted: GitHub's documented 404.
        s.mount(
            Mock::given(wiremock::matchers::any())
                .respond_with(ResponseTemplate::new(404).set_body_json(bodies::not_found()))
                .with_priority(u8::MAX),
        );
        s
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Environment for a process that should talk to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_API_URL", self.uri()),
            ("GITHUB_TOKEN", TOKEN.to_string()),
            ("CARTO_GITHUB_MAX_WAIT", "1".to_string()),
        ]
    }

    pub fn mount(&self, mock: Mock) {
        self.runtime.block_on(mock.mount(&self.server));
    }

    /// A documented route that requires GitHub's headers. `route` is the
    /// concrete path, e.g. `/repos/o/r/pulls`; it must match a [`DOCUMENTED`]
    /// template.
    pub fn route(&self, verb: &str, route: &str) -> wiremock::MockBuilder {
        assert!(
            documented(verb, route),
            "{verb} {route} is not a documented GitHub endpoint"
        );
        Mock::given(method(verb))
            .and(path(route.to_string()))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("accept", "application/vnd.github+json"))
            .and(header_exists("x-github-api-version"))
            .and(header_exists("user-agent"))
    }

    /// Mount `route` answering `status` with `body`.
    pub fn on(&self, verb: &str, route: &str, status: u16, body: Value) {
        self.mount(
            self.route(verb, route)
                .respond_with(ResponseTemplate::new(status).set_body_json(body)),
        );
    }

    pub fn requests(&self) -> Vec<Request> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap_or_default()
    }

    /// Requests to one method and path, with their JSON bodies.
    pub fn bodies(&self, verb: &str, route: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.as_str() == verb && r.url.path() == route)
            .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
            .collect()
    }

    /// Every request received went to a documented endpoint with GitHub's headers.
    #[track_caller]
    pub fn assert_documented(&self) {
        for r in self.requests() {
            let (verb, p) = (r.method.as_str().to_string(), r.url.path().to_string());
            assert!(
                documented(&verb, &p),
                "undocumented GitHub call: {verb} {p}"
            );
            assert_eq!(
                r.headers.get("authorization").and_then(|v| v.to_str().ok()),
                Some(format!("Bearer {TOKEN}").as_str()),
                "{verb} {p} without the token"
            );
            if matches!(verb.as_str(), "POST" | "PATCH" | "PUT") && !r.body.is_empty() {
                assert!(
                    serde_json::from_slice::<Value>(&r.body).is_ok(),
                    "{verb} {p}: body is not JSON"
                );
            }
        }
    }
}

/// Whether a concrete request path matches a documented template.
pub fn documented(verb: &str, concrete: &str) -> bool {
    DOCUMENTED.iter().any(|(v, template)| {
        if *v != verb {
            return false;
        }
        let t: Vec<&str> = template.split('/').collect();
        let c: Vec<&str> = concrete.split('/').collect();
        // `{tag}` may contain slashes only in theory; release tags here do not.
        t.len() == c.len()
            && t.iter()
                .zip(&c)
                .all(|(t, c)| (t.starts_with('{') && !c.is_empty()) || t == c)
    })
}

/// Response bodies as GitHub documents them (trimmed to the fields that
/// matter, with GitHub's names and types).
pub mod bodies {
    use super::*;

    pub fn not_found() -> Value {
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
    }

    pub fn bad_credentials() -> Value {
        json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
    }

    pub fn forbidden(message: &str) -> Value {
        json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "403"})
    }

    pub fn rate_limited() -> Value {
        json!({
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            "status": "403"
        })
    }

    pub fn server_error() -> Value {
        json!({"message": "Server Error"})
    }

    /// 422 Validation Failed, e.g. ("Release", "tag_name", "already_exists").
    pub fn validation_failed(resource: &str, field: &str, code: &str) -> Value {
        json!({
            "message": "Validation Failed",
            "errors": [{"resource": resource, "code": code, "field": field}],
            "documentation_url": "https://docs.github.com/rest",
            "status": "422"
        })
    }

    pub fn user(login: &str) -> Value {
        json!({"login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
               "html_url": format!("https://github.com/{login}")})
    }

    pub fn pull_request(
        owner: &str,
        repo: &str,
        number: u64,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Value {
        json!({
            "url": format!("https://api.github.com/repos/{owner}/{repo}/pulls/{number}"),
            "id": 1000 + number,
            "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
            "html_url": format!("https://github.com/{owner}/{repo}/pull/{number}"),
            "number": number,
            "state": "open",
            "locked": false,
            "title": title,
            "body": body,
            "user": user("octocat"),
            "labels": [],
            "draft": false,
            "merged": false,
            "head": {"label": format!("{owner}:{head}"), "ref": head, "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
            "base": {"label": format!("{owner}:{base}"), "ref": base, "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z"
        })
    }

    pub fn label(name: &str) -> Value {
        json!({"id": 208045946, "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=", "name": name, "color": "f29513", "default": false,
               "description": null, "url": format!("https://api.github.com/repos/o/r/labels/{name}")})
    }

    pub fn release(owner: &str, repo: &str, id: u64, tag: &str, body: &str) -> Value {
        json!({
            "url": format!("https://api.github.com/repos/{owner}/{repo}/releases/{id}"),
            "html_url": format!("https://github.com/{owner}/{repo}/releases/tag/{tag}"),
            "id": id,
            "node_id": "MDc6UmVsZWFzZTE=",
            "tag_name": tag,
            "target_commitish": "carto/main",
            "name": tag,
            "body": body,
            "draft": false,
            "prerelease": false,
            "created_at": "2026-11-01T00:00:00Z",
            "published_at": "2026-11-01T00:00:00Z",
            "author": user("octocat"),
            "assets": []
        })
    }
}
