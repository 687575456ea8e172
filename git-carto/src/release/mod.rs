//! `cargo xtask release` (DESIGN 7.1): one release as a plan of steps.
//!
//! The plan is computed without changing anything (checks, tag, notes, image
//! tags), printed, and, unless it is a dry run, executed step by step. Every
//! step first looks at whether it is already done (the tag exists on the same
//! commit, origin has it, the GitHub release exists, an image tag already has
//! the digest), so re-running the same command after a failure resumes where
//! it stopped and nothing is done twice. What can change outside between
//! planning and doing (another release racing on the same remote) is settled
//! by the remote itself: a tag push is refused when the tag exists, and
//! GitHub refuses a second release of one tag.

pub mod build;
pub mod console;
pub mod images;
pub mod notes;

use git2::Oid;
use semver::Version;
use serde::Serialize;

use crate::error::{Code, Error, Result};
use crate::remote::github::{GitHub, Published, Slug};
use crate::remote::registry::Registry;
use crate::repo::fork::Fork;
use crate::repo::next_tag::{self, Request};
use crate::repo::tag::{ser_version, Bump, ReleaseTag};
use crate::term::output::{short, Style};

use images::{Action, ImageNames, ImagePlan, ImageTag, Promoted};

#[derive(Debug, Clone)]
pub struct Options {
    pub bump: Bump,
    pub upstream: Option<Version>,
    /// Release this revision instead of the checked-out production branch.
    pub reference: Option<String>,
    /// Allow an upstream version below one already released from this line.
    pub force: bool,
    /// Build the release image from the tag instead of promoting CI's image.
    pub rebuild: bool,
    pub no_images: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Todo,
    Done,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub detail: String,
    pub state: State,
    /// What running the step did (after execution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub tag: String,
    #[serde(serialize_with = "ser_version")]
    pub upstream: Version,
    #[serde(serialize_with = "ser_version")]
    pub fork_version: Version,
    pub previous: Option<String>,
    pub commit: String,
    pub notes: String,
    pub steps: Vec<Step>,
    pub images: Vec<ImageTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_release: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub promoted: Vec<Promoted>,
    /// The upstream version stands on `--upstream` alone (see `next_tag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(skip)]
    commit_id: Oid,
    #[serde(skip)]
    image_plan: Option<ImagePlan>,
    #[serde(skip)]
    rebuild: Option<build::BuildPlan>,
    /// Origin already has the tag on the commit.
    #[serde(skip)]
    tag_remote: bool,
}

pub const STEP_CHECK: &str = "check";
pub const STEP_TAG: &str = "tag";
pub const STEP_PUSH: &str = "push-tag";
pub const STEP_GITHUB: &str = "github-release";
pub const STEP_IMAGES: &str = "images";

/// Compute the plan. Reads only: refs, the working tree, and origin's refs
/// through `git ls-remote`.
pub fn plan(fork: &Fork, opts: &Options) -> Result<Plan> {
    let git = &fork.git;
    let origin = fork.config.origin();
    git.require_remote(origin)?;
    let (at, check_detail) = check(fork, opts)?;

    let releases = fork.release_tags()?.parsed;
    let remote_tags: Vec<(String, Oid)> = git
        .ls_remote(origin, &[&fork.release_format.glob()])?
        .into_iter()
        .filter_map(|(r, oid)| r.strip_prefix("refs/tags/").map(|n| (n.to_string(), oid)))
        .collect();
    let remote_of = |name: &str| {
        remote_tags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, oid)| *oid)
    };

    let next = next_tag::next_tag(
        fork,
        &Request {
            bump: opts.bump,
            upstream: opts.upstream.clone(),
            at: at.to_string(),
            force: opts.force,
        },
        Some(&crate::guard::auto_bump::auto_bump),
    )?;

    // A release tag already on this commit (here or on origin) means this
    // release was started before: resume it instead of tagging again.
    let mut on_commit: Vec<ReleaseTag> = releases
        .iter()
        .filter(|t| git.tag_commit(&t.name) == Some(at))
        .cloned()
        .collect();
    on_commit.extend(
        remote_tags
            .iter()
            .filter(|(_, oid)| *oid == at)
            .filter_map(|(n, _)| fork.release_format.parse(n)),
    );
    let existing = on_commit
        .into_iter()
        .max_by(|a, b| (&a.upstream, &a.fork).cmp(&(&b.upstream, &b.fork)));

    let (release, previous) = match existing {
        Some(t) => {
            let previous = releases
                .iter()
                .filter(|r| {
                    r.name != t.name
                        && (next.policy == "cumulative" || r.upstream == t.upstream)
                        && (&r.upstream, &r.fork) < (&t.upstream, &t.fork)
                })
                .max_by(|a, b| (&a.upstream, &a.fork).cmp(&(&b.upstream, &b.fork)))
                .map(|r| r.name.clone());
            (t, previous)
        }
        None => {
            if let Some(other) = remote_of(&next.tag) {
                return Err(Error::refused(format!(
                    "tag {} already exists on {origin} at {}, not at {}: someone released meanwhile; \
                     fetch it (git fetch {origin} --tags) and run again for the next version",
                    next.tag,
                    short(other),
                    short(at)
                )));
            }
            (
                ReleaseTag {
                    name: next.tag.clone(),
                    upstream: next.upstream.clone(),
                    fork: next.fork_version.clone(),
                },
                next.previous.clone(),
            )
        }
    };
    let tag_local = git.tag_commit(&release.name) == Some(at);
    let tag_remote = remote_of(&release.name) == Some(at);

    let links = links(fork);
    let before = notes::previous_release(fork, at)?;
    let range = notes::Range {
        from: before.as_deref().and_then(|t| git.tag_commit(t)),
        from_name: before,
        to: at,
        to_name: release.name.clone(),
    };
    let notes = notes::notes(fork, &range, &links)?;

    let mut all = releases.clone();
    if !all.iter().any(|t| t.name == release.name) {
        all.push(release.clone());
    }
    let names = ImageNames::from_config(&fork.config);
    let image_plan = (!opts.no_images).then(|| images::plan(&names, &release, Some(at), &all));
    let rebuild = match (&image_plan, opts.rebuild) {
        (Some(p), true) => {
            let tags: Vec<String> = p
                .tags
                .iter()
                .filter(|t| t.action != Action::Keep)
                .map(|t| t.tag.clone())
                .collect();
            Some(build::plan_release(fork, at, &release.name, &tags)?)
        }
        _ => None,
    };

    let sign = git.config_bool("tag.gpgSign");
    let mut steps = vec![Step {
        name: STEP_CHECK,
        detail: check_detail,
        state: State::Done,
        result: None,
    }];
    steps.push(Step {
        name: STEP_TAG,
        detail: if tag_local {
            format!("{} already points at {}: resuming", release.name, short(at))
        } else if tag_remote {
            format!(
                "{} exists on {origin} at {}: fetch it",
                release.name,
                short(at)
            )
        } else {
            format!(
                "create {}annotated tag {} (\"Release {}\") at {}",
                if sign { "signed " } else { "" },
                release.name,
                release.name,
                short(at)
            )
        },
        state: if tag_local { State::Done } else { State::Todo },
        result: None,
    });
    steps.push(Step {
        name: STEP_PUSH,
        detail: if tag_remote {
            format!("{origin} already has {}", release.name)
        } else {
            format!("push {} to {origin}", release.name)
        },
        state: if tag_remote { State::Done } else { State::Todo },
        result: None,
    });
    steps.push(Step {
        name: STEP_GITHUB,
        detail: format!(
            "create the GitHub release of {} with the notes (update its body if it exists)",
            release.name
        ),
        state: State::Todo,
        result: None,
    });
    steps.push(match (&image_plan, &rebuild) {
        (None, _) => Step {
            name: STEP_IMAGES,
            detail: "skipped (--no-images)".into(),
            state: State::Skipped,
            result: None,
        },
        (Some(p), Some(_)) => Step {
            name: STEP_IMAGES,
            detail: format!(
                "rebuild {} from {} with docker buildx and push",
                p.image, release.name
            ),
            state: State::Todo,
            result: None,
        },
        (Some(p), None) => Step {
            name: STEP_IMAGES,
            detail: format!(
                "promote {}:{} by digest to the release tags",
                p.image,
                p.source.as_deref().unwrap_or("?")
            ),
            state: State::Todo,
            result: None,
        },
    });

    Ok(Plan {
        tag: release.name.clone(),
        upstream: release.upstream.clone(),
        fork_version: release.fork.clone(),
        previous,
        commit: at.to_string(),
        notes: notes.markdown,
        steps,
        images: image_plan
            .as_ref()
            .map(|p| p.tags.clone())
            .unwrap_or_default(),
        github_release: None,
        promoted: Vec::new(),
        warning: next.warning.clone(),
        commit_id: at,
        image_plan,
        rebuild,
        tag_remote,
    })
}

/// PR and compare links for notes, when the GitHub repositories are known.
pub fn links(fork: &Fork) -> notes::Links {
    let web = build::web_base();
    notes::Links {
        fork: crate::remote::github::fork_slug(fork)
            .ok()
            .map(|s| format!("{web}/{s}")),
        upstream: crate::remote::github::upstream_slug(fork)
            .ok()
            .map(|s| format!("{web}/{s}")),
    }
}

/// Step 1: what is released, and whether it may be. Returns the commit and a
/// description of what was checked.
fn check(fork: &Fork, opts: &Options) -> Result<(Oid, String)> {
    let git = &fork.git;
    let origin = fork.config.origin();
    let prod = fork.config.production();
    if git.is_shallow() {
        return Err(Error::refused(
            "this is a shallow clone: the upstream version, the previous release and the notes need \
             the whole history; run `git fetch --unshallow` first",
        ));
    }
    let (at, branch) = match &opts.reference {
        None => {
            let current = git.current_branch().map_err(|e| {
                Error::refused(format!(
                    "{}; releases are made from {prod} (or name a revision with --ref <rev>)",
                    e.message()
                ))
            })?;
            if current != prod {
                return Err(Error::refused(format!(
                    "not on the production branch {prod} (on {current}): switch to it \
                     (git switch {prod}) or name what to release with --ref <rev>"
                )));
            }
            (git.commit_id("HEAD")?, Some(current))
        }
        Some(r) => {
            let at = git.commit_id(r)?;
            (at, git.local_branch(r).map(|_| r.clone()))
        }
    };
    git.require_clean()?;
    match &branch {
        Some(b) => {
            let remote = git
                .ls_remote(origin, &[&format!("refs/heads/{b}")])?
                .into_iter()
                .find(|(n, _)| n == &format!("refs/heads/{b}"))
                .map(|(_, oid)| oid);
            let local = git.local_branch(b).unwrap_or(at);
            match remote {
                None => {
                    return Err(Error::refused(format!(
                        "{origin} has no branch {b}: a release must be of what {origin} has; push it first"
                    )))
                }
                Some(r) if r == local => {}
                Some(r) if git.repo.find_commit(r).is_ok() && git.is_ancestor(r, local)? => {
                    let (ahead, _) = git.ahead_behind(local, r)?;
                    return Err(Error::refused(format!(
                        "local {b} has {ahead} commit(s) that {origin} does not: a release must be of \
                         what {origin} has; land them on {origin} first"
                    )));
                }
                Some(r) => {
                    return Err(Error::refused(format!(
                        "local {b} is behind {origin}/{b} (now at {}): update it first \
                         (git pull --ff-only {origin} {b})",
                        short(r)
                    )))
                }
            }
        }
        None => {
            let prefix = format!("refs/remotes/{origin}/");
            let mut on_origin = false;
            for r in git.repo.references_glob(&format!("{prefix}*"))? {
                if let Some(tip) = r?.peel_to_commit().ok().map(|c| c.id()) {
                    if git.is_ancestor(at, tip)? {
                        on_origin = true;
                        break;
                    }
                }
            }
            if !on_origin {
                return Err(Error::refused(format!(
                    "{} is on no branch of {origin}: push it first",
                    short(at)
                )));
            }
        }
    }
    let what = match (&branch, &opts.reference) {
        (Some(b), _) => format!("{b}, up to date with {origin}"),
        (None, Some(r)) => format!("{r} ({}), on {origin}", short(at)),
        (None, None) => short(at),
    };
    Ok((at, format!("{what}, clean, full history")))
}

/// Text rendering of a plan (dry run, and the header of a real run).
pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Release {} (upstream {}, fork {}{}) at {}\n\nSteps:\n",
        style.bold(&plan.tag),
        plan.upstream,
        plan.fork_version,
        plan.previous
            .as_deref()
            .map(|p| format!(", after {p}"))
            .unwrap_or_default(),
        &plan.commit[..7]
    ));
    for s in &plan.steps {
        out.push_str(&format!(
            "  {} {:<15} {}\n",
            mark(s.state, style),
            s.name,
            s.detail
        ));
    }
    if let Some(p) = &plan.image_plan {
        out.push_str("\nImages:\n");
        for line in images::render(p).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if let Some(b) = &plan.rebuild {
        out.push_str(&format!("\nBuild:\n  {}\n", b.argv.join(" ")));
    }
    out.push_str("\nNotes:\n\n");
    out.push_str(&plan.notes);
    out
}

pub fn mark(state: State, style: Style) -> String {
    match state {
        State::Done => style.ok("✓"),
        State::Todo => style.warn("•"),
        State::Skipped => style.dim("-"),
    }
}

/// Execute a plan. `progress` is told about each step as it ends. On failure
/// the error says which steps ran; the same command resumes.
pub fn run(fork: &Fork, plan: &mut Plan, progress: &mut dyn FnMut(&Step)) -> Result<()> {
    // Everything that can be known to fail is checked before the first
    // change: the token, the repository, the source image.
    let github = GitHub::from_env()?;
    let slug = crate::remote::github::fork_slug(fork)?;
    // One read proves the token works for this repository before a tag
    // exists anywhere (a bad token used to surface only after the push).
    github.repository(&slug)?;
    let registry = match (&plan.image_plan, &plan.rebuild) {
        (Some(p), None) => {
            let registry = Registry::connect(&p.image)?;
            let source = images::source_manifest(&registry, p, fork.config.production())?;
            if let Some(d) = registry.digest(&plan.tag)? {
                if d != source.digest {
                    return Err(Error::refused(format!(
                        "{}:{} already exists with digest {d}, not {} of {}: release images are \
                         never overwritten",
                        p.image,
                        plan.tag,
                        source.digest,
                        p.source.as_deref().unwrap_or("the source")
                    )));
                }
            }
            Some((registry, source))
        }
        (Some(_), Some(_)) => {
            build::available()?;
            None
        }
        _ => None,
    };

    let mut created_tag = false;
    for i in 0..plan.steps.len() {
        let name = plan.steps[i].name;
        if plan.steps[i].state != State::Todo {
            progress(&plan.steps[i]);
            continue;
        }
        let outcome = match name {
            STEP_TAG => tag_step(fork, plan, &mut created_tag),
            STEP_PUSH => push_step(fork, plan, created_tag),
            STEP_GITHUB => github_step(&github, &slug, plan),
            STEP_IMAGES => match (&registry, &plan.rebuild, &plan.image_plan) {
                (Some((reg, source)), _, Some(p)) => {
                    let mut lines = Vec::new();
                    let promoted = images::promote(reg, p, source, &mut |pr| {
                        lines.push(format!("{} {}", pr.tag, pr.result));
                    });
                    promoted.map(|pr| {
                        plan.promoted = pr;
                        format!("{} at {}", lines.join(", "), source.digest)
                    })
                }
                (None, Some(b), _) => build::run(b).map(|_| "built and pushed".to_string()),
                _ => Ok("nothing to do".to_string()),
            },
            _ => Ok(String::new()),
        };
        match outcome {
            Ok(result) => {
                plan.steps[i].state = State::Done;
                plan.steps[i].result = Some(result);
                progress(&plan.steps[i]);
            }
            Err(e) => {
                let done: Vec<&str> = plan.steps[..i]
                    .iter()
                    .filter(|s| s.state == State::Done)
                    .map(|s| s.name)
                    .collect();
                let msg = format!(
                    "step {name} failed: {e}\n  steps done: {}; run the same command again to resume",
                    if done.is_empty() { "none".into() } else { done.join(", ") }
                );
                return Err(match e.code {
                    Code::Usage => Error::usage(msg),
                    Code::Refused => Error::refused(msg),
                });
            }
        }
    }
    Ok(())
}

fn tag_step(fork: &Fork, plan: &Plan, created: &mut bool) -> Result<String> {
    let git = &fork.git;
    let origin = fork.config.origin();
    if git.tag_commit(&plan.tag) == Some(plan.commit_id) {
        return Ok("already there".into());
    }
    if plan.tag_remote {
        git.run(&[
            "fetch",
            "--quiet",
            origin,
            &format!("refs/tags/{0}:refs/tags/{0}", plan.tag),
        ])?;
        return Ok(format!("fetched from {origin}"));
    }
    let sign = git.config_bool("tag.gpgSign");
    git.create_tag(
        &plan.tag,
        plan.commit_id,
        &format!("Release {}", plan.tag),
        sign,
    )?;
    *created = true;
    Ok(if sign { "created (signed)" } else { "created" }.into())
}

fn push_step(fork: &Fork, plan: &Plan, created_here: bool) -> Result<String> {
    let git = &fork.git;
    let origin = fork.config.origin();
    let refname = format!("refs/tags/{}", plan.tag);
    let (ok, out) = git.run_status(&["push", "--quiet", "--porcelain", origin, &refname])?;
    if ok {
        return Ok(format!("pushed to {origin}"));
    }
    // Refused: another release may have pushed the tag first.
    let remote = git
        .ls_remote(origin, &[&refname, &format!("{refname}^{{}}")])?
        .into_iter()
        .find(|(n, _)| *n == refname)
        .map(|(_, oid)| oid);
    match remote {
        Some(c) if c == plan.commit_id => {
            // Same release made elsewhere: take origin's tag object so both agree.
            git.run(&["fetch", "--quiet", origin, &format!("+{refname}:{refname}")])?;
            Ok(format!("{origin} already had it (released concurrently)"))
        }
        Some(c) => {
            if created_here {
                if let Some(target) = git.tag_target(&plan.tag) {
                    git.delete_tag(&plan.tag, target)?;
                }
            }
            Err(Error::refused(format!(
                "{origin} already has {} at another commit ({}): someone released meanwhile; \
                 the local tag was removed: fetch ({} --tags) and run again for the next version",
                plan.tag,
                short(c),
                format_args!("git fetch {origin}")
            )))
        }
        None => {
            let msg = out.stderr.trim();
            Err(Error::refused(format!(
                "`git push {origin} {refname}` failed{}{msg}",
                if msg.is_empty() { "" } else { ": " }
            )))
        }
    }
}

fn github_step(github: &GitHub, slug: &Slug, plan: &mut Plan) -> Result<String> {
    let (release, what) = github.publish_release(slug, &plan.tag, &plan.notes)?;
    plan.github_release = Some(release.html_url.clone());
    Ok(match what {
        Published::Created => format!("created {}", release.html_url),
        Published::Updated => format!("updated the notes of {}", release.html_url),
        Published::Unchanged => format!("{} already has these notes", release.html_url),
    })
}
