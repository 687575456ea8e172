//! Image tags of a release (DESIGN 7.2) and their promotion by digest (7.3).
//!
//! The plan is decided from the release tags in git, the fork's record of
//! what was released: `carto-stable` moves only to the highest release
//! overall and `carto-v<upstream>-latest` only to the highest release on its
//! upstream version, so a hotfix on an older line never drags them backwards.

use git2::Oid;
use semver::Version;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::remote::registry::{Manifest, Registry};
use crate::repo::config::Config;
use crate::repo::fork::Fork;
use crate::repo::tag::ReleaseTag;
use crate::term::output::short;

/// The image tag names a fork uses (`image.*Tag` keys).
#[derive(Debug, Clone)]
pub struct ImageNames {
    pub image: String,
    pub stable: String,
    line: String,
    pub main_latest: String,
    commit: String,
}

impl ImageNames {
    pub fn from_config(cfg: &Config) -> Self {
        let get = |k: &str, d: &str| cfg.get(k).unwrap_or(d).to_string();
        ImageNames {
            image: get("image.name", "ghcr.io/cartodb/litellm-non_root"),
            stable: get("image.stableTag", "carto-stable"),
            line: get("image.lineTag", "carto-v{upstream}-latest"),
            main_latest: get("image.mainTag", "carto-main-latest"),
            commit: get("image.commitTag", "carto-main-{sha7}"),
        }
    }

    pub fn line_tag(&self, upstream: &Version) -> String {
        self.line.replace("{upstream}", &upstream.to_string())
    }

    pub fn commit_tag(&self, commit: Oid) -> String {
        self.commit.replace("{sha7}", &short(commit))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The tag does not exist yet.
    Create,
    /// The tag moves from an older release to this one.
    Move,
    /// The tag stays where it is: a higher release holds it.
    Keep,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageTag {
    pub tag: String,
    pub action: Action,
    /// The release the tag stands for now, when it moves.
    pub moves_from: Option<String>,
    /// The higher release that keeps the tag (text output only).
    #[serde(skip)]
    pub held_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImagePlan {
    pub image: String,
    pub release: String,
    pub commit: Option<String>,
    /// The CI tag of the released commit, promoted to the release tags.
    pub source: Option<String>,
    pub tags: Vec<ImageTag>,
}

/// The tag plan of `release` among `releases` (the release itself may or may
/// not be among them: a dry run plans a tag that does not exist yet).
pub fn plan(
    names: &ImageNames,
    release: &ReleaseTag,
    commit: Option<Oid>,
    releases: &[ReleaseTag],
) -> ImagePlan {
    let others: Vec<&ReleaseTag> = releases.iter().filter(|t| t.name != release.name).collect();
    let key = |t: &ReleaseTag| (t.upstream.clone(), t.fork.clone());
    let highest_line = others
        .iter()
        .filter(|t| t.upstream == release.upstream)
        .max_by_key(|t| key(t));
    let highest = others.iter().max_by_key(|t| key(t));
    let moving = |tag: String, holder: Option<&&ReleaseTag>| match holder {
        None => ImageTag {
            tag,
            action: Action::Create,
            moves_from: None,
            held_by: None,
        },
        Some(h) if key(h) < key(release) => ImageTag {
            tag,
            action: Action::Move,
            moves_from: Some(h.name.clone()),
            held_by: None,
        },
        Some(h) => ImageTag {
            tag,
            action: Action::Keep,
            moves_from: None,
            held_by: Some(h.name.clone()),
        },
    };
    let tags = vec![
        ImageTag {
            tag: release.name.clone(),
            action: Action::Create,
            moves_from: None,
            held_by: None,
        },
        moving(names.line_tag(&release.upstream), highest_line),
        moving(names.stable.clone(), highest),
    ];
    ImagePlan {
        image: names.image.clone(),
        release: release.name.clone(),
        commit: commit.map(|c| c.to_string()),
        source: commit.map(|c| names.commit_tag(c)),
        tags,
    }
}

/// `cargo xtask images <tag>`: the plan of an existing or future release tag.
pub fn plan_for(fork: &Fork, name: &str) -> Result<ImagePlan> {
    let release = fork.release_format.parse(name).ok_or_else(|| {
        Error::usage(format!(
            "`{name}` is not a release tag of the format {}",
            fork.config.get("release.tagFormat").unwrap_or_default()
        ))
    })?;
    let releases = fork.release_tags()?.parsed;
    let commit = fork.git.tag_commit(name);
    Ok(plan(
        &ImageNames::from_config(&fork.config),
        &release,
        commit,
        &releases,
    ))
}

/// Text rendering of a plan, one line per tag.
pub fn render(plan: &ImagePlan) -> String {
    let mut out = String::new();
    if let Some(src) = &plan.source {
        out.push_str(&format!("source {}:{src}\n", plan.image));
    }
    for t in &plan.tags {
        let line = match t.action {
            Action::Create => format!("create {}:{}", plan.image, t.tag),
            Action::Move => format!(
                "move   {}:{} (from {})",
                plan.image,
                t.tag,
                t.moves_from.as_deref().unwrap_or("?")
            ),
            Action::Keep => format!(
                "keep   {}:{} (stays on {}, a higher release)",
                plan.image,
                t.tag,
                t.held_by.as_deref().unwrap_or("?")
            ),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// What promotion did to one tag.
#[derive(Debug, Clone, Serialize)]
pub struct Promoted {
    pub tag: String,
    pub digest: String,
    /// `pushed`, `already` (the tag had the digest: a resumed run) or `kept`.
    pub result: &'static str,
}

/// Read the source image; a clear refusal when it was never built.
pub fn source_manifest(
    registry: &Registry,
    plan: &ImagePlan,
    production: &str,
) -> Result<Manifest> {
    let source = plan
        .source
        .as_deref()
        .ok_or_else(|| Error::refused(format!("{} is not tagged yet", plan.release)))?;
    let commit = plan.commit.as_deref().map_or("?", |c| &c[..7]);
    registry.manifest(source)?.ok_or_else(|| {
        Error::refused(format!(
            "the source image {}:{source} is missing: the image of commit {commit} was never pushed. \
             Build it with `cargo xtask build --push` on {production} at that commit (CI does this on \
             every push to {production}), or re-run with --rebuild to build the release from the tag",
            plan.image
        ))
    })
}

/// Copy the source manifest to every tag the plan creates or moves, then
/// check each tag answers with the source digest. A release tag that already
/// holds another digest is never overwritten.
pub fn promote(
    registry: &Registry,
    plan: &ImagePlan,
    source: &Manifest,
    progress: &mut dyn FnMut(&Promoted),
) -> Result<Vec<Promoted>> {
    let mut done = Vec::new();
    for (i, t) in plan.tags.iter().enumerate() {
        let current = registry.digest(&t.tag)?;
        let result = if t.action == Action::Keep {
            Promoted {
                tag: t.tag.clone(),
                digest: current.unwrap_or_default(),
                result: "kept",
            }
        } else if current.as_deref() == Some(source.digest.as_str()) {
            Promoted {
                tag: t.tag.clone(),
                digest: source.digest.clone(),
                result: "already",
            }
        } else {
            if i == 0 {
                if let Some(other) = &current {
                    return Err(Error::refused(format!(
                        "{}:{} already exists with digest {other}, not {} of {}: \
                         release images are never overwritten",
                        plan.image,
                        t.tag,
                        source.digest,
                        plan.source.as_deref().unwrap_or("the source")
                    )));
                }
            }
            let digest = registry.put(&t.tag, source)?;
            if digest != source.digest {
                return Err(Error::refused(format!(
                    "{}:{} answers with digest {digest} after promotion, expected {}",
                    plan.image, t.tag, source.digest
                )));
            }
            Promoted {
                tag: t.tag.clone(),
                digest,
                result: "pushed",
            }
        };
        progress(&result);
        done.push(result);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, up: &str, fork: &str) -> ReleaseTag {
        ReleaseTag {
            name: name.into(),
            upstream: Version::parse(up).unwrap(),
            fork: Version::parse(fork).unwrap(),
        }
    }

    #[test]
    fn moving_tags_only_go_forward() {
        let names = ImageNames::from_config(&Config::defaults());
        let all = vec![
            t("carto-v1.75.2-0.1.0", "1.75.2", "0.1.0"),
            t("carto-v1.78.5-0.1.0", "1.78.5", "0.1.0"),
        ];
        let hotfix = t("carto-v1.75.2-0.1.1", "1.75.2", "0.1.1");
        let p = plan(&names, &hotfix, None, &all);
        let actions: Vec<_> = p.tags.iter().map(|t| (t.tag.as_str(), t.action)).collect();
        assert_eq!(
            actions,
            [
                ("carto-v1.75.2-0.1.1", Action::Create),
                ("carto-v1.75.2-latest", Action::Move),
                ("carto-stable", Action::Keep)
            ]
        );
        assert_eq!(p.tags[1].moves_from.as_deref(), Some("carto-v1.75.2-0.1.0"));
        let first = t("carto-v1.80.0-0.1.0", "1.80.0", "0.1.0");
        let p = plan(&names, &first, None, &all);
        assert_eq!(p.tags[1].action, Action::Create);
        assert_eq!(p.tags[2].moves_from.as_deref(), Some("carto-v1.78.5-0.1.0"));
    }
}
