//! GitHub's releases API with state, on top of [`GitHubServer`]: a release
//! created once exists afterwards, a second create of the same tag gets
//! GitHub's documented 422 `already_exists`, and PATCH changes the body. Every
//! route still requires GitHub's documented headers. A failure can be switched
//! on to answer like GitHub does when things go wrong (401, 403, 5xx).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wiremock::{Request, Respond, ResponseTemplate};

use crate::github_server::{bodies, GitHubServer};

#[derive(Debug, Clone)]
pub struct StoredRelease {
    pub id: u64,
    pub tag: String,
    pub name: String,
    pub body: String,
}

/// A canned failure: status, body, headers.
type Failure = (u16, Value, Vec<(String, String)>);

#[derive(Default)]
struct State {
    releases: Vec<StoredRelease>,
    fail: Option<Failure>,
    /// Creates of a release whose tag origin did not have yet (GitHub would
    /// then tag the default branch: the wrong commit).
    untagged_creates: Vec<String>,
}

#[derive(Clone)]
pub struct Releases {
    owner: String,
    repo: String,
    origin: PathBuf,
    state: Arc<Mutex<State>>,
}

impl Releases {
    /// Mount the release routes of `owner/repo` for `tags`, checking creates
    /// against the bare `origin` repository.
    pub fn mount(
        server: &GitHubServer,
        owner: &str,
        repo: &str,
        origin: PathBuf,
        tags: &[&str],
    ) -> Self {
        let r = Releases {
            owner: owner.into(),
            repo: repo.into(),
            origin,
            state: Arc::default(),
        };
        for tag in tags {
            let p = format!("/repos/{owner}/{repo}/releases/tags/{tag}");
            server.mount(
                server
                    .route("GET", &p)
                    .respond_with(Route(r.clone(), Kind::Get(tag.to_string()))),
            );
        }
        // The repository itself, which the release preflight reads.
        server.on(
            "GET",
            &format!("/repos/{owner}/{repo}"),
            200,
            bodies::repository(owner, repo, true, (true, false, false)),
        );
        let p = format!("/repos/{owner}/{repo}/releases");
        server.mount(
            server
                .route("POST", &p)
                .respond_with(Route(r.clone(), Kind::Create)),
        );
        for id in 1..=8u64 {
            let p = format!("/repos/{owner}/{repo}/releases/{id}");
            server.mount(
                server
                    .route("PATCH", &p)
                    .respond_with(Route(r.clone(), Kind::Update(id))),
            );
        }
        r
    }

    pub fn all(&self) -> Vec<StoredRelease> {
        self.state.lock().unwrap().releases.clone()
    }

    pub fn untagged_creates(&self) -> Vec<String> {
        self.state.lock().unwrap().untagged_creates.clone()
    }

    /// Answer every release call with this status and body until cleared.
    pub fn fail_with(&self, status: u16, body: Value, headers: &[(&str, &str)]) {
        self.state.lock().unwrap().fail = Some((
            status,
            body,
            headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ));
    }

    pub fn recover(&self) {
        self.state.lock().unwrap().fail = None;
    }

    fn body(&self, r: &StoredRelease) -> Value {
        bodies::release(&self.owner, &self.repo, r.id, &r.tag, &r.body)
    }

    fn origin_has_tag(&self, tag: &str) -> bool {
        std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&self.origin)
            .args([
                "show-ref",
                "--verify",
                "--quiet",
                &format!("refs/tags/{tag}"),
            ])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

enum Kind {
    Get(String),
    Create,
    Update(u64),
}

struct Route(Releases, Kind);

impl Respond for Route {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let r = &self.0;
        let mut state = r.state.lock().unwrap();
        if let Some((status, body, headers)) = &state.fail {
            let mut t = ResponseTemplate::new(*status).set_body_json(body.clone());
            for (k, v) in headers {
                t = t.insert_header(k.as_str(), v.as_str());
            }
            return t;
        }
        match &self.1 {
            Kind::Get(tag) => match state.releases.iter().find(|x| &x.tag == tag) {
                Some(found) => ResponseTemplate::new(200).set_body_json(r.body(found)),
                None => ResponseTemplate::new(404).set_body_json(bodies::not_found()),
            },
            Kind::Create => {
                let v: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let Some(tag) = v["tag_name"].as_str().map(str::to_string) else {
                    return ResponseTemplate::new(422).set_body_json(bodies::validation_failed(
                        "Release",
                        "tag_name",
                        "missing_field",
                    ));
                };
                if state.releases.iter().any(|x| x.tag == tag) {
                    return ResponseTemplate::new(422).set_body_json(bodies::validation_failed(
                        "Release",
                        "tag_name",
                        "already_exists",
                    ));
                }
                if !r.origin_has_tag(&tag) {
                    state.untagged_creates.push(tag.clone());
                }
                let stored = StoredRelease {
                    id: state.releases.len() as u64 + 1,
                    name: v["name"].as_str().unwrap_or(&tag).to_string(),
                    body: v["body"].as_str().unwrap_or_default().to_string(),
                    tag,
                };
                let body = r.body(&stored);
                state.releases.push(stored);
                ResponseTemplate::new(201).set_body_json(body)
            }
            Kind::Update(id) => {
                let v: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                match state.releases.iter_mut().find(|x| x.id == *id) {
                    Some(found) => {
                        if let Some(b) = v["body"].as_str() {
                            found.body = b.to_string();
                        }
                        let found = found.clone();
                        ResponseTemplate::new(200).set_body_json(r.body(&found))
                    }
                    None => ResponseTemplate::new(404).set_body_json(bodies::not_found()),
                }
            }
        }
    }
}
