//! The one GitHub client, over reqwest (the HTTP client the registry client
//! already brings).
//!
//! Base URL from `GITHUB_API_URL` (what GitHub Actions sets; also how GitHub
//! Enterprise and tests point elsewhere), token from `GITHUB_TOKEN` or
//! `GH_TOKEN`. This module sees every status and header: it retries 5xx and
//! rate limits itself, honouring `Retry-After` and `x-ratelimit-reset`, and
//! turns GitHub's error bodies into messages that say what to do. The token
//! is registered with `term::redact` and every answer is redacted as it
//! arrives: a server that echoes our headers cannot make us print it.
//!
//! A tokio runtime exists only while a `GitHub` value does, so commands that
//! never call GitHub (the hooks above all) never start one.

use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::Method;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::term::redact;

mod actions;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
pub(crate) use fuzz::json_value as fuzz_json;
mod protection;
mod pulls;
mod releases;
pub use pulls::*;
pub use releases::*;

pub const DEFAULT_API_URL: &str = "https://api.github.com";
const TOKEN_VARS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];
/// The REST API version the calls here are written against.
const API_VERSION: &str = "2022-11-28";

/// `owner/name` of a repository on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug {
    pub owner: String,
    pub name: String,
}

impl Slug {
    pub fn parse(s: &str) -> Option<Slug> {
        let (owner, name) = s.trim().trim_end_matches('/').split_once('/')?;
        let name = name.trim_end_matches(".git");
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (ok(owner) && ok(name)).then(|| Slug {
            owner: owner.into(),
            name: name.into(),
        })
    }

    /// From a remote URL: `https://github.com/o/r(.git)`, `git@github.com:o/r.git`,
    /// `ssh://git@github.com/o/r`. Other hosts are allowed (GitHub Enterprise).
    pub fn from_remote_url(url: &str) -> Option<Slug> {
        let rest = if let Some((_, r)) = url.split_once("://") {
            if url.starts_with("file://") {
                return None;
            }
            r.split_once('/')?.1
        } else if let Some((host, path)) = url.split_once(':') {
            if !host.contains('@') && !host.contains('.') {
                return None;
            }
            path
        } else {
            return None;
        };
        Slug::parse(rest)
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The fork's repository slug: `github.repo` from config, else origin's URL.
pub fn fork_slug(fork: &crate::Fork) -> Result<Slug> {
    slug_for(fork, "github.repo", fork.config.origin())
}

/// Upstream's repository slug: `github.upstreamRepo`, else the upstream URL.
pub fn upstream_slug(fork: &crate::Fork) -> Result<Slug> {
    slug_for(fork, "github.upstreamRepo", fork.config.upstream())
}

fn slug_for(fork: &crate::Fork, key: &str, remote: &str) -> Result<Slug> {
    if let Some(v) = fork.config.get(key).filter(|v| !v.is_empty()) {
        return Slug::parse(v)
            .ok_or_else(|| Error::usage(format!("{key} = `{v}` is not owner/name")));
    }
    let url = fork.git.remote_url(remote).unwrap_or_default();
    Slug::from_remote_url(&url).ok_or_else(|| {
        Error::usage(format!(
            "cannot tell the GitHub repository from remote `{remote}` ({url}): set it with \
             `git config carto.{key} owner/name` or in .gitcarto"
        ))
    })
}

/// A reply from GitHub: the final status after retries, and the JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// `X-Accepted-GitHub-Permissions`, which names the permission a 403 lacked.
    pub accepted_permissions: Option<String>,
    /// `X-OAuth-Scopes`: the scopes of a classic token (absent for
    /// fine-grained and app tokens), which `doctor` reports.
    pub oauth_scopes: Option<String>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// GitHub's `message` field.
    pub fn message(&self) -> &str {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Whether a 422 says the resource already exists.
    pub fn already_exists(&self) -> bool {
        self.status == 422
            && self.body["errors"]
                .as_array()
                .is_some_and(|errs| errs.iter().any(|e| e["code"] == "already_exists"))
    }

    /// Turn a non-2xx reply into an error that says what to do.
    pub fn ok(self, what: &str) -> Result<Value> {
        if self.is_success() {
            return Ok(self.body);
        }
        let hint = match self.status {
            401 => format!(
                " (the token was rejected: set a valid {} or {})",
                TOKEN_VARS[0], TOKEN_VARS[1]
            ),
            403 => match &self.accepted_permissions {
                Some(p) if !p.is_empty() => format!(" (the token lacks the permission: {p})"),
                _ => " (the token lacks a permission for this)".to_string(),
            },
            404 => " (not found: check the repository name and that the token can see it)".into(),
            _ => String::new(),
        };
        let mut details = String::new();
        if let Some(errs) = self.body["errors"].as_array() {
            let parts: Vec<String> = errs
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| {
                            format!(
                                "{} {} {}",
                                e["resource"].as_str().unwrap_or(""),
                                e["field"].as_str().unwrap_or(""),
                                e["code"].as_str().unwrap_or("")
                            )
                        })
                })
                .collect();
            details = format!(": {}", parts.join("; "));
        }
        // Not GitHub's JSON (a proxy's page): an excerpt says what came back.
        let message = match &self.body {
            Value::String(_) => excerpt(&self.body),
            _ => self.message().to_string(),
        };
        let msg = format!(
            "GitHub answered {} to {what}: {message}{details}{hint}",
            self.status
        );
        Err(Error::refused(redact::redact(&msg).into_owned()))
    }
}

/// How long to keep trying. Tests shorten the waits.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    /// Never sleep longer than this for one wait, whatever the headers say.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        let max_wait = std::env::var("CARTO_GITHUB_MAX_WAIT")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(120));
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_wait,
        }
    }
}

pub struct GitHub {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    api_url: String,
    pub retry: RetryPolicy,
}

/// A token as it may be sent: surrounding whitespace trimmed (a secret pasted
/// into CI settings or `echo`ed into a variable often ends in a newline, and
/// whitespace is never part of a token), then only visible ASCII. Anything
/// else is refused naming `source` and the position, never the value: the
/// HTTP layer would otherwise fail deep inside header building.
pub fn checked_token(source: &str, raw: &str) -> Result<String> {
    let token = raw.trim();
    if let Some(pos) = token.chars().position(|c| !c.is_ascii_graphic()) {
        return Err(Error::usage(format!(
            "{source} contains a character that cannot be part of a token (a space, control \
             character or non-ASCII character at position {}): set it to the token alone",
            pos + 1
        )));
    }
    Ok(token.to_string())
}

impl GitHub {
    /// The API base URL from the environment.
    pub fn api_url() -> String {
        std::env::var("GITHUB_API_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string())
    }

    /// Whether a token is set, without reading it into anything printable.
    pub fn token_present() -> bool {
        TOKEN_VARS
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|t| !t.trim().is_empty()))
    }

    /// A client authenticated from the environment; an error naming the
    /// variables when no token is set, or the variable when it is unusable.
    pub fn from_env() -> Result<Self> {
        let (var, raw) = TOKEN_VARS
            .iter()
            .find_map(|v| {
                std::env::var(v)
                    .ok()
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| (*v, t))
            })
            .ok_or_else(|| {
                Error::usage(format!(
                    "no GitHub token: set {} (or {}) to a token that can access the repository",
                    TOKEN_VARS[0], TOKEN_VARS[1]
                ))
            })?;
        let token = checked_token(var, &raw)?;
        Self::new(&Self::api_url(), Some(token))
    }

    pub fn new(api_url: &str, token: Option<String>) -> Result<Self> {
        // reqwest is built with rustls but no default crypto provider;
        // installing twice is harmless (the second call just reports it exists).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::refused(format!("cannot start the async runtime: {e}")))?;
        let bad_url = || Error::usage(format!("GITHUB_API_URL `{api_url}` is not a URL"));
        let url = reqwest::Url::parse(api_url).map_err(|_| bad_url())?;
        if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
            return Err(bad_url());
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        if let Some(token) = token {
            let token = checked_token("the GitHub token", &token)?;
            redact::add_secret(&token);
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| Error::usage("the GitHub token cannot be sent in a header"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("git-carto/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::refused(format!("cannot build the GitHub client: {e}")))?;
        Ok(GitHub {
            client,
            runtime,
            api_url: api_url.trim_end_matches('/').to_string(),
            retry: RetryPolicy::default(),
        })
    }

    pub fn get(&self, path: &str) -> Result<Reply> {
        self.send(Method::GET, path, None)
    }
    pub fn post(&self, path: &str, body: &Value) -> Result<Reply> {
        self.send(Method::POST, path, Some(body))
    }
    pub fn patch(&self, path: &str, body: &Value) -> Result<Reply> {
        self.send(Method::PATCH, path, Some(body))
    }
    pub fn put(&self, path: &str, body: &Value) -> Result<Reply> {
        self.send(Method::PUT, path, Some(body))
    }
    pub fn delete(&self, path: &str) -> Result<Reply> {
        self.send(Method::DELETE, path, None)
    }

    /// Send one request (path relative to the API root, e.g. `/repos/o/r/pulls`),
    /// retrying server errors and rate limits with backoff.
    pub fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let url = format!("{}{}", self.api_url, path);
        let mut delay = self.retry.base_delay;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.retry.attempts;
            let wait = match self.runtime.block_on(self.once(&method, &url, body)) {
                Ok((reply, None)) => return Ok(reply),
                Ok((reply, Some(_))) if last => return Ok(reply),
                Err(e) if last => return Err(e.context(format!("{method} {path}"))),
                Ok((_, Some(wait))) => wait.max(delay),
                // Transport errors are retried like server errors.
                Err(_) => delay,
            };
            std::thread::sleep(wait.min(self.retry.max_wait));
            delay *= 2;
        }
    }

    /// One attempt: the reply, and how long to wait before retrying if it
    /// should be retried.
    async fn once(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(Reply, Option<Duration>)> {
        let mut request = self.client.request(method.clone(), url);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|e| {
            Error::refused(format!(
                "cannot reach GitHub at {}: {}",
                self.api_url,
                transport_message(&e)
            ))
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| {
            Error::refused(format!(
                "cannot read GitHub's answer: {}",
                transport_message(&e)
            ))
        })?;
        let mut body = decode_body(&bytes);
        // Whatever the server put in its answer (an echo of our headers
        // included) reaches messages only redacted.
        redact::redact_json(&mut body);
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| redact::redact(v).into_owned())
        };
        let reply = Reply {
            status,
            body,
            accepted_permissions: header("x-accepted-github-permissions"),
            oauth_scopes: header("x-oauth-scopes"),
        };
        let wait = retry_wait(
            status,
            header("retry-after"),
            header("x-ratelimit-remaining"),
            header("x-ratelimit-reset"),
        );
        Ok((reply, wait))
    }
}

/// GitHub's answer as JSON; a body that is not JSON (a proxy's HTML page, a
/// cut-off answer) is kept as text for the error message, empty as null.
pub fn decode_body(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
}

/// A short, single-line excerpt of an answer for an error message.
pub(crate) fn excerpt(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut out: String = line.trim().chars().take(120).collect();
    if out.len() < line.trim().len() {
        out.push('…');
    }
    out
}

/// Percent-encode one URL path segment (RFC 3986 unreserved characters stay).
pub fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Errors from the transport: the innermost cause ("Connection refused"),
/// which names neither the request nor its headers.
fn transport_message(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    redact::redact(msg.lines().next().unwrap_or("transport error")).into_owned()
}

/// Whether and how long to wait before retrying a status: 5xx with backoff;
/// 429 or a 403 that is a rate limit (`x-ratelimit-remaining: 0` or a
/// `Retry-After`) until GitHub says the limit resets.
pub fn retry_wait(
    status: u16,
    retry_after: Option<String>,
    remaining: Option<String>,
    reset: Option<String>,
) -> Option<Duration> {
    if let Some(secs) = retry_after.and_then(|s| s.trim().parse::<u64>().ok()) {
        if status == 403 || status == 429 || status >= 500 {
            return Some(Duration::from_secs(secs));
        }
    }
    let limited = status == 429 || (status == 403 && remaining.as_deref() == Some("0"));
    if limited {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let until = reset
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|r| r.saturating_sub(now))
            .unwrap_or(60);
        return Some(Duration::from_secs(until.max(1)));
    }
    (status >= 500).then_some(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_urls() {
        let s = |u| Slug::from_remote_url(u).map(|s| s.to_string());
        assert_eq!(
            s("https://github.com/CartoDB/litellm.git").as_deref(),
            Some("CartoDB/litellm")
        );
        assert_eq!(
            s("git@github.com:CartoDB/litellm.git").as_deref(),
            Some("CartoDB/litellm")
        );
        assert_eq!(
            s("ssh://git@github.com/BerriAI/litellm").as_deref(),
            Some("BerriAI/litellm")
        );
        assert_eq!(s("file:///tmp/x/origin.git"), None);
        assert_eq!(s("/tmp/x/origin.git"), None);
    }

    #[test]
    fn waits() {
        assert_eq!(retry_wait(502, None, None, None), Some(Duration::ZERO));
        assert_eq!(
            retry_wait(403, Some("7".into()), None, None),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_wait(403, None, Some("12".into()), None), None);
        assert!(retry_wait(403, None, Some("0".into()), Some("0".into())).is_some());
        assert_eq!(retry_wait(404, None, None, None), None);
        assert_eq!(retry_wait(422, None, None, None), None);
    }
}
