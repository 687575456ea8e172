//! Pull requests and labels (`git carto sync --pr`), and the typed reading of
//! GitHub's pull request JSON: a field missing or of the wrong type is an
//! error naming it, never a default (a pull request "#0", an empty listing
//! that makes a duplicate pull request).

use super::*;

/// A pull request as `sync --pr` uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    /// The head branch name.
    pub head: String,
    pub html_url: String,
    pub labels: Vec<String>,
}

impl PullRequest {
    pub fn from_json(v: &Value) -> Result<PullRequest> {
        let bad = |what: &str| {
            Error::refused(format!(
                "GitHub answered a pull request {what}: {}",
                excerpt(v)
            ))
        };
        let number = v
            .get("number")
            .and_then(Value::as_u64)
            .filter(|n| *n > 0)
            .ok_or_else(|| bad("without a number"))?;
        let head = v
            .get("head")
            .and_then(|h| h.get("ref"))
            .and_then(Value::as_str)
            .ok_or_else(|| bad("without a head branch"))?
            .to_string();
        let html_url = match v.get("html_url") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(bad("whose html_url is not text")),
        };
        let labels = match v.get("labels") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ls)) => ls
                .iter()
                .map(|l| {
                    l.get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| bad("with a label without a name"))
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(bad("whose labels are not a list")),
        };
        Ok(PullRequest {
            number,
            head,
            html_url,
            labels,
        })
    }
}

/// One page of a pull request listing; anything but a list is an error.
pub fn pulls_from_json(body: &Value) -> Result<Vec<PullRequest>> {
    let items = body.as_array().ok_or_else(|| {
        Error::refused(format!(
            "GitHub answered the pull request listing with something that is not a list: {}",
            excerpt(body)
        ))
    })?;
    items.iter().map(PullRequest::from_json).collect()
}

impl GitHub {
    /// Open pull requests into `base` (GET /repos/{owner}/{repo}/pulls), every page.
    pub fn open_pulls(&self, slug: &Slug, base: &str) -> Result<Vec<PullRequest>> {
        let mut out = Vec::new();
        for page in 1..=10 {
            let path = format!(
                "/repos/{slug}/pulls?state=open&base={}&per_page=100&page={page}",
                encode_path_segment(base)
            );
            let body = self.get(&path)?.ok("listing open pull requests")?;
            let items = pulls_from_json(&body)?;
            let n = items.len();
            out.extend(items);
            if n < 100 {
                break;
            }
        }
        Ok(out)
    }

    /// Open a pull request (POST /repos/{owner}/{repo}/pulls).
    pub fn create_pull(
        &self,
        slug: &Slug,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequest> {
        let v = self
            .post(
                &format!("/repos/{slug}/pulls"),
                &serde_json::json!({"title": title, "head": head, "base": base, "body": body}),
            )?
            .ok("opening the pull request")?;
        PullRequest::from_json(&v)
    }

    /// Change a pull request (PATCH /repos/{owner}/{repo}/pulls/{pull_number}):
    /// `fields` such as `{"title", "body"}` or `{"state": "closed"}`.
    pub fn update_pull(&self, slug: &Slug, number: u64, fields: &Value) -> Result<PullRequest> {
        let v = self
            .patch(&format!("/repos/{slug}/pulls/{number}"), fields)?
            .ok(&format!("updating pull request #{number}"))?;
        PullRequest::from_json(&v)
    }

    /// Replace the labels of an issue or pull request
    /// (PUT /repos/{owner}/{repo}/issues/{issue_number}/labels).
    pub fn set_labels(&self, slug: &Slug, number: u64, labels: &[String]) -> Result<Value> {
        self.put(
            &format!("/repos/{slug}/issues/{number}/labels"),
            &serde_json::json!({ "labels": labels }),
        )?
        .ok(&format!("labelling pull request #{number}"))
    }

    /// Comment on an issue or pull request
    /// (POST /repos/{owner}/{repo}/issues/{issue_number}/comments).
    pub fn comment(&self, slug: &Slug, number: u64, body: &str) -> Result<Value> {
        self.post(
            &format!("/repos/{slug}/issues/{number}/comments"),
            &serde_json::json!({ "body": body }),
        )?
        .ok(&format!("commenting on #{number}"))
    }
}
