//! GitHub Actions settings of a repository: what decides whether the
//! generated workflows can do their job (open the sync pull request with the
//! job's token, use a token secret for a locked mirror).

use super::*;

impl GitHub {
    /// "Get default workflow permissions for a repository":
    /// `default_workflow_permissions` and `can_approve_pull_request_reviews`
    /// (which also decides whether the job token may create pull requests).
    pub fn workflow_permissions(&self, slug: &Slug) -> Result<Value> {
        self.get(&format!("/repos/{slug}/actions/permissions/workflow"))?
            .ok(&format!(
                "reading the Actions workflow permissions of {slug}"
            ))
    }

    /// Whether the repository has an Actions secret of this name ("Get a
    /// repository secret": its name and dates, never its value).
    pub fn secret_exists(&self, slug: &Slug, name: &str) -> Result<bool> {
        let reply = self.get(&format!(
            "/repos/{slug}/actions/secrets/{}",
            encode_path_segment(name)
        ))?;
        if reply.status == 404 {
            return Ok(false);
        }
        reply
            .ok(&format!("reading the Actions secret {name} of {slug}"))
            .map(|_| true)
    }
}
