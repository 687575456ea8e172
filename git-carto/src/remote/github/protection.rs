//! GitHub's branch protection and repository merge settings endpoints.

use super::*;

// ---------------------------------------------------------------------------
// Branch protection and repository merge settings (`git carto protect`).
// Branch names go into URL paths percent-encoded (`carto%2Fmain`): GitHub
// reads an unencoded slash as a path separator.
// ---------------------------------------------------------------------------

/// What a token needs for branch protection, for 403 answers that do not name
/// the permission themselves.
pub(super) const PROTECTION_PERMISSION: &str = "reading or changing branch protection needs the \
     `Administration` repository permission (read for GET, write for PUT) on a fine-grained \
     token, or the `repo` scope and admin rights on the repository for a classic token";

impl GitHub {
    /// The repository (owner type, merge settings, permissions).
    pub fn repository(&self, slug: &Slug) -> Result<Value> {
        self.get(&format!("/repos/{slug}"))?
            .ok(&format!("reading repository {slug}"))
    }

    /// Change the repository's merge settings (`allow_merge_commit`, ...).
    pub fn update_repository(&self, slug: &Slug, body: &Value) -> Result<Value> {
        let reply = self.patch(&format!("/repos/{slug}"), body)?;
        protection_reply(reply, &format!("changing the merge settings of {slug}"))
    }

    /// A branch's protection; `None` when GitHub says it is not protected.
    pub fn branch_protection(&self, slug: &Slug, branch: &str) -> Result<Option<Value>> {
        let reply = self.get(&format!(
            "/repos/{slug}/branches/{}/protection",
            encode_path_segment(branch)
        ))?;
        if reply.status == 404 && reply.message() == "Branch not protected" {
            return Ok(None);
        }
        protection_reply(reply, &format!("reading the protection of {branch}")).map(Some)
    }

    /// Replace a branch's protection (GitHub's PUT replaces every rule).
    pub fn set_branch_protection(&self, slug: &Slug, branch: &str, body: &Value) -> Result<Value> {
        let reply = self.put(
            &format!(
                "/repos/{slug}/branches/{}/protection",
                encode_path_segment(branch)
            ),
            body,
        )?;
        protection_reply(reply, &format!("setting the protection of {branch}"))
    }
}

/// [`Reply::ok`], saying which permission a 403 lacked when GitHub did not.
pub(super) fn protection_reply(reply: Reply, what: &str) -> Result<Value> {
    let named = reply
        .accepted_permissions
        .as_deref()
        .is_some_and(|p| !p.is_empty());
    let status = reply.status;
    reply.ok(what).map_err(|e| {
        if status == 403 && !named {
            Error::refused(format!("{}: {PROTECTION_PERMISSION}", e.message()))
        } else {
            e
        }
    })
}
