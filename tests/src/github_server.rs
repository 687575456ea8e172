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
    ("GET", "/repos/{owner}/{repo}/actions/permissions/workflow"),
    ("GET", "/repos/{owner}/{repo}/actions/secrets/{secret_name}"),
    ("GET", "/user"),
];

pub const TOKEN: &str = "ghp_testTOKENthatMustNeverBePrinted0000";

/// Fails when `text` holds `secret` in any form a header can carry it: raw,
/// base64 (alone or as the password of `user:secret` in Basic auth, at any
/// alignment), or after `Bearer `/`Basic `.
#[track_caller]
pub fn assert_no_secret(text: &str, secret: &str) {
    use base64::Engine as _;
    assert!(!text.contains(secret), "the secret is printed:\n{text}");
    for prefix in ["", "u:", "ab:"] {
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ] {
            let encoded = engine.encode(format!("{prefix}{secret}"));
            // The part of the encoding that depends only on the secret.
            let core = &encoded[4..encoded.len() - 8];
            assert!(
                !text.contains(core),
                "the secret is printed in base64:\n{text}"
            );
        }
    }
    for scheme in ["Bearer ", "Basic ", "bearer ", "basic "] {
        if let Some(i) = text.find(scheme) {
            let rest = &text[i + scheme.len()..];
            assert!(
                rest.starts_with("[redacted]")
                    || !rest.starts_with(|c: char| c.is_ascii_alphanumeric()),
                "an Authorization value is printed:\n{text}"
            );
        }
    }
}

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
        // A token other than TOKEN (or none): GitHub's 401 on every route.
        s.mount(
            Mock::given(|req: &Request| {
                req.headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    != Some(format!("Bearer {TOKEN}").as_str())
            })
            .respond_with(ResponseTemplate::new(401).set_body_json(bodies::bad_credentials()))
            .with_priority(2),
        );
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

    /// Echoing mode, as a proxy, an Enterprise instance or a hostile
    /// `GITHUB_API_URL` may behave: every request, whatever its route or
    /// headers, is answered `status` with `body(<the Authorization header it
    /// carried>)`; a request without one is asked for Basic credentials
    /// (401 with `WWW-Authenticate`), as a registry does. Wins over every
    /// other route.
    pub fn echo_authorization(&self, status: u16, body: fn(&str) -> Value) {
        self.mount(
            Mock::given(wiremock::matchers::any())
                .respond_with(move |req: &Request| {
                    let auth = req
                        .headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    if auth.is_empty() {
                        // Ask for credentials, as a registry does on `/v2/`.
                        return ResponseTemplate::new(401)
                            .insert_header("www-authenticate", "Basic realm=\"echo\"")
                            .set_body_json(body(""));
                    }
                    ResponseTemplate::new(status).set_body_json(body(&auth))
                })
                .with_priority(1),
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

/// Problems with a body for "Update branch protection"
/// (`PUT /repos/{owner}/{repo}/branches/{branch}/protection`) against GitHub's
/// documented schema: the four required keys (object or `null`, boolean or
/// `null` for `enforce_admins`), the shapes of their objects, and the
/// optional booleans. Empty when the body is as documented.
pub fn branch_protection_put_problems(body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(obj) = body.as_object() else {
        return vec!["body is not an object".into()];
    };
    for key in [
        "required_status_checks",
        "enforce_admins",
        "required_pull_request_reviews",
        "restrictions",
    ] {
        if !obj.contains_key(key) {
            problems.push(format!("missing required key {key}"));
        }
    }
    let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    match &body["required_status_checks"] {
        Value::Null => {}
        Value::Object(c) => {
            if !c.get("strict").is_some_and(Value::is_boolean) {
                problems.push("required_status_checks.strict must be a boolean".into());
            }
            if !c.get("contexts").is_some_and(strings) {
                problems.push("required_status_checks.contexts must be an array of strings".into());
            }
        }
        _ => problems.push("required_status_checks must be an object or null".into()),
    }
    if !(body["enforce_admins"].is_boolean() || body["enforce_admins"].is_null()) {
        problems.push("enforce_admins must be a boolean or null".into());
    }
    match &body["required_pull_request_reviews"] {
        Value::Null => {}
        Value::Object(r) => {
            for (k, v) in r {
                let ok = match k.as_str() {
                    "dismiss_stale_reviews"
                    | "require_code_owner_reviews"
                    | "require_last_push_approval" => v.is_boolean(),
                    "required_approving_review_count" => v.as_u64().is_some_and(|n| n <= 6),
                    "dismissal_restrictions" | "bypass_pull_request_allowances" => v.is_object(),
                    _ => false,
                };
                if !ok {
                    problems.push(format!(
                        "required_pull_request_reviews.{k} is not as documented"
                    ));
                }
            }
        }
        _ => problems.push("required_pull_request_reviews must be an object or null".into()),
    }
    match &body["restrictions"] {
        Value::Null => {}
        Value::Object(r) => {
            for k in ["users", "teams"] {
                if !r.get(k).is_some_and(strings) {
                    problems.push(format!("restrictions.{k} must be an array of strings"));
                }
            }
            if r.get("apps").is_some_and(|a| !strings(a)) {
                problems.push("restrictions.apps must be an array of strings".into());
            }
        }
        _ => problems.push("restrictions must be an object or null".into()),
    }
    for (k, v) in obj {
        let known_bool = [
            "required_linear_history",
            "allow_force_pushes",
            "allow_deletions",
            "block_creations",
            "required_conversation_resolution",
            "lock_branch",
            "allow_fork_syncing",
        ];
        if known_bool.contains(&k.as_str()) {
            if !v.is_boolean() {
                problems.push(format!("{k} must be a boolean"));
            }
        } else if ![
            "required_status_checks",
            "enforce_admins",
            "required_pull_request_reviews",
            "restrictions",
        ]
        .contains(&k.as_str())
        {
            problems.push(format!("unknown key {k}"));
        }
    }
    problems
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

    /// What a server that echoes request headers answers to a bad token.
    pub fn echoed_credentials(authorization: &str) -> Value {
        json!({"message": format!("Bad credentials; you sent {authorization}"), "status": "401",
               "errors": [{"message": format!("request header Authorization: {authorization}")}]})
    }

    /// A registry error envelope (OCI distribution spec) echoing the header.
    pub fn echoed_registry_credentials(authorization: &str) -> Value {
        json!({"errors": [{"code": "UNSUPPORTED", "message": format!("unsupported; you sent {authorization}"),
                           "detail": {"Authorization": authorization}}]})
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

    /// 404 for a branch without protection.
    pub fn branch_not_protected() -> Value {
        json!({"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", "status": "404"})
    }

    /// "Get branch protection" / the answer to "Update branch protection",
    /// built from a PUT-shaped description (`null` = rule off), the way GitHub
    /// reports each rule.
    pub fn branch_protection(owner: &str, repo: &str, branch: &str, rules: &Value) -> Value {
        let base = format!(
            "https://api.github.com/repos/{owner}/{repo}/branches/{}/protection",
            branch.replace('/', "%2F")
        );
        let mut out = json!({
            "url": base,
            "required_signatures": {"url": format!("{base}/required_signatures"), "enabled": false},
            "enforce_admins": {"url": format!("{base}/enforce_admins"), "enabled": rules["enforce_admins"].as_bool().unwrap_or(false)},
        });
        if let Some(c) = rules["required_status_checks"].as_object() {
            let contexts = c.get("contexts").cloned().unwrap_or(json!([]));
            let checks: Vec<Value> = contexts
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| json!({"context": x, "app_id": null}))
                        .collect()
                })
                .unwrap_or_default();
            out["required_status_checks"] = json!({
                "url": format!("{base}/required_status_checks"),
                "strict": c.get("strict").cloned().unwrap_or(json!(false)),
                "contexts": contexts,
                "contexts_url": format!("{base}/required_status_checks/contexts"),
                "checks": checks,
            });
        }
        if let Some(r) = rules["required_pull_request_reviews"].as_object() {
            let mut reviews = json!({
                "url": format!("{base}/required_pull_request_reviews"),
                "dismiss_stale_reviews": r.get("dismiss_stale_reviews").cloned().unwrap_or(json!(false)),
                "require_code_owner_reviews": r.get("require_code_owner_reviews").cloned().unwrap_or(json!(false)),
                "required_approving_review_count": r.get("required_approving_review_count").cloned().unwrap_or(json!(0)),
                "require_last_push_approval": r.get("require_last_push_approval").cloned().unwrap_or(json!(false)),
            });
            if let Some(d) = r.get("dismissal_restrictions") {
                reviews["dismissal_restrictions"] = d.clone();
            }
            out["required_pull_request_reviews"] = reviews;
        }
        if let Some(r) = rules["restrictions"].as_object() {
            let users: Vec<Value> = r["users"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(user).collect())
                .unwrap_or_default();
            let teams: Vec<Value> = r["teams"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|t| json!({"id": 1, "slug": t, "name": t, "privacy": "closed", "permission": "push"}))
                        .collect()
                })
                .unwrap_or_default();
            let apps: Vec<Value> = r
                .get("apps")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|s| json!({"id": 1, "slug": s, "name": s}))
                        .collect()
                })
                .unwrap_or_default();
            out["restrictions"] = json!({
                "url": format!("{base}/restrictions"),
                "users_url": format!("{base}/restrictions/users"),
                "teams_url": format!("{base}/restrictions/teams"),
                "apps_url": format!("{base}/restrictions/apps"),
                "users": users, "teams": teams, "apps": apps,
            });
        }
        for key in [
            "required_linear_history",
            "allow_force_pushes",
            "allow_deletions",
            "block_creations",
            "required_conversation_resolution",
            "lock_branch",
            "allow_fork_syncing",
        ] {
            out[key] = json!({"enabled": rules[key].as_bool().unwrap_or(false)});
        }
        out
    }

    /// "Get a repository", with the owner's type and the merge settings.
    pub fn repository(
        owner: &str,
        repo: &str,
        organization: bool,
        merge: (bool, bool, bool),
    ) -> Value {
        json!({
            "id": 1296269,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": repo,
            "full_name": format!("{owner}/{repo}"),
            "owner": {"login": owner, "id": 1, "type": if organization { "Organization" } else { "User" }},
            "private": false,
            "html_url": format!("https://github.com/{owner}/{repo}"),
            "default_branch": "main",
            "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true},
            "allow_merge_commit": merge.0,
            "allow_squash_merge": merge.1,
            "allow_rebase_merge": merge.2,
            "fork": true
        })
    }

    /// "Get default workflow permissions for a repository".
    pub fn workflow_permissions(can_approve_pull_request_reviews: bool) -> Value {
        json!({
            "default_workflow_permissions": "read",
            "can_approve_pull_request_reviews": can_approve_pull_request_reviews
        })
    }

    /// "Get a repository secret": name and dates, never the value.
    pub fn secret(name: &str) -> Value {
        json!({
            "name": name,
            "created_at": "2019-08-10T14:59:22Z",
            "updated_at": "2020-01-10T14:59:22Z"
        })
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
