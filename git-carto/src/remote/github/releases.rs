//! GitHub releases (`cargo xtask release`).

use super::*;

// ---------------------------------------------------------------------------
// Releases (`cargo xtask release`). Endpoints as GitHub documents them:
// GET /repos/{owner}/{repo}/releases/tags/{tag}, POST /repos/{owner}/{repo}/releases,
// PATCH /repos/{owner}/{repo}/releases/{release_id}.
// ---------------------------------------------------------------------------

/// The fields of a GitHub release that release automation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: u64,
    pub tag: String,
    pub body: String,
    pub html_url: String,
}

impl Release {
    pub fn from_json(v: &Value) -> Result<Release> {
        let id = v["id"]
            .as_u64()
            .ok_or_else(|| Error::refused("GitHub answered a release without an id"))?;
        Ok(Release {
            id,
            tag: v["tag_name"].as_str().unwrap_or_default().to_string(),
            body: v["body"].as_str().unwrap_or_default().to_string(),
            html_url: v["html_url"].as_str().unwrap_or_default().to_string(),
        })
    }
}

/// What [`GitHub::publish_release`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    Created,
    Updated,
    Unchanged,
}

impl GitHub {
    /// The release of `tag`, or `None` when there is none.
    pub fn release_by_tag(&self, slug: &Slug, tag: &str) -> Result<Option<Release>> {
        let reply = self.get(&format!(
            "/repos/{slug}/releases/tags/{}",
            encode_path_segment(tag)
        ))?;
        if reply.status == 404 {
            return Ok(None);
        }
        let body = reply.ok(&format!("reading the release of {tag}"))?;
        Release::from_json(&body).map(Some)
    }

    /// Create a published release of an existing tag. `Err(reply)` inside is
    /// GitHub's refusal, so a caller can tell "already exists" apart.
    pub fn create_release(
        &self,
        slug: &Slug,
        tag: &str,
        name: &str,
        body: &str,
    ) -> Result<std::result::Result<Release, Reply>> {
        let reply = self.post(
            &format!("/repos/{slug}/releases"),
            &serde_json::json!({
                "tag_name": tag,
                "name": name,
                "body": body,
                "draft": false,
                "prerelease": false,
            }),
        )?;
        if reply.is_success() {
            return Release::from_json(&reply.body).map(Ok);
        }
        Ok(Err(reply))
    }

    pub fn update_release_body(&self, slug: &Slug, id: u64, body: &str) -> Result<Release> {
        let reply = self.patch(
            &format!("/repos/{slug}/releases/{id}"),
            &serde_json::json!({ "body": body }),
        )?;
        let v = reply.ok("updating the release notes")?;
        Release::from_json(&v)
    }

    /// Make the release of `tag` exist with `body`, whoever gets there first:
    /// an existing release gets its body updated (a resumed run), and a create
    /// that loses a race (422 `already_exists`) falls back to the update, so
    /// two runs end with one release.
    pub fn publish_release(
        &self,
        slug: &Slug,
        tag: &str,
        body: &str,
    ) -> Result<(Release, Published)> {
        let existing = match self.release_by_tag(slug, tag)? {
            Some(r) => Some(r),
            None => match self.create_release(slug, tag, tag, body)? {
                Ok(created) => return Ok((created, Published::Created)),
                Err(reply) if reply.already_exists() => self.release_by_tag(slug, tag)?,
                Err(reply) => {
                    return Err(match reply.ok(&format!("creating the release of {tag}")) {
                        Err(e) => e,
                        Ok(_) => {
                            Error::refused(format!("GitHub did not create the release of {tag}"))
                        }
                    })
                }
            },
        };
        let Some(existing) = existing else {
            return Err(Error::refused(format!(
                "GitHub says a release of {tag} exists but does not return it"
            )));
        };
        if existing.body == body {
            return Ok((existing, Published::Unchanged));
        }
        let updated = self.update_release_body(slug, existing.id, body)?;
        Ok((updated, Published::Updated))
    }
}
