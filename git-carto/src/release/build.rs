//! `cargo xtask build`: the image of a commit, built with `docker buildx`.
//!
//! The command is planned first, as the exact argv, so `--dry-run` shows what
//! would run (these machines, like many CI sandboxes, have no buildx). CI tags
//! a production build `carto-main-latest` and `carto-main-<sha7>`; any other
//! branch (a pull request) gets only the commit tag, so it can never move a
//! `latest` tag. Releases later promote `carto-main-<sha7>` by digest.

use std::collections::BTreeMap;

use git2::Oid;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::release::images::ImageNames;
use crate::repo::fork::Fork;

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub push: bool,
    /// Empty: `image.platforms` from config.
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BuildPlan {
    pub commit: String,
    pub dockerfile: String,
    pub platforms: Vec<String>,
    /// Full references, `<image>:<tag>`.
    pub tags: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub push: bool,
    /// Why the `latest` tag is or is not part of this build.
    pub latest: String,
    pub argv: Vec<String>,
}

/// A CI build of HEAD.
pub fn plan(fork: &Fork, req: &Request) -> Result<BuildPlan> {
    let git = &fork.git;
    let head = git.commit_id("HEAD")?;
    let names = ImageNames::from_config(&fork.config);
    let prod = fork.config.production();
    let on_branch = git
        .repo
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let origin_prod = git.remote_branch(fork.config.origin(), prod);
    let on_production = match &on_branch {
        Some(b) => b == prod,
        // CI checks out a detached HEAD at the pushed commit.
        None => origin_prod == Some(head),
    };
    let mut tags = vec![names.commit_tag(head)];
    let latest = if on_production {
        tags.insert(0, names.main_latest.clone());
        format!("{} moves: HEAD is {prod}", names.main_latest)
    } else {
        format!(
            "{} not moved: HEAD is {}, only {prod} moves it",
            names.main_latest,
            on_branch.as_deref().unwrap_or("detached")
        )
    };
    if req.push {
        git.require_clean().map_err(|e| {
            Error::refused(format!(
                "{}; an image pushed as {} must be exactly that commit",
                e.message(),
                names.commit_tag(head)
            ))
        })?;
    }
    let version = fork
        .release_tags()?
        .parsed
        .into_iter()
        .filter(|t| git.tag_commit(&t.name) == Some(head))
        .max_by(|a, b| (&a.upstream, &a.fork).cmp(&(&b.upstream, &b.fork)))
        .map(|t| t.name)
        .unwrap_or_else(|| names.commit_tag(head));
    assemble(fork, head, &tags, &version, req).map(|p| BuildPlan { latest, ..p })
}

/// A build of a release commit with the release tags (`--rebuild`).
pub fn plan_release(fork: &Fork, commit: Oid, release: &str, tags: &[String]) -> Result<BuildPlan> {
    let head = fork.git.commit_id("HEAD")?;
    if head != commit {
        return Err(Error::refused(format!(
            "--rebuild builds the working tree, which is not at {release}: check it out first \
             (git switch --detach {release})"
        )));
    }
    let req = Request {
        push: true,
        platforms: Vec::new(),
    };
    let mut p = assemble(fork, commit, tags, release, &req)?;
    p.latest = "release build".into();
    Ok(p)
}

fn assemble(
    fork: &Fork,
    commit: Oid,
    tags: &[String],
    version: &str,
    req: &Request,
) -> Result<BuildPlan> {
    let names = ImageNames::from_config(&fork.config);
    let dockerfile = fork
        .config
        .get("image.dockerfile")
        .unwrap_or("docker/Dockerfile.non_root")
        .to_string();
    // Rebuilt from components: git2 ends the working directory with a `/`.
    let context: std::path::PathBuf = fork.git.workdir().components().collect();
    if !context.join(&dockerfile).is_file() {
        return Err(Error::usage(format!(
            "no Dockerfile at {dockerfile} (image.dockerfile) in {}",
            context.display()
        )));
    }
    let platforms: Vec<String> = if req.platforms.is_empty() {
        fork.config.get_all("image.platforms").to_vec()
    } else {
        req.platforms
            .iter()
            .flat_map(|p| p.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let mut labels = BTreeMap::new();
    labels.insert(
        "org.opencontainers.image.version".into(),
        version.to_string(),
    );
    labels.insert(
        "org.opencontainers.image.revision".into(),
        commit.to_string(),
    );
    if let Some(source) = source_url(fork) {
        labels.insert("org.opencontainers.image.source".into(), source);
    }
    let refs: Vec<String> = tags
        .iter()
        .map(|t| format!("{}:{t}", names.image))
        .collect();

    let mut argv: Vec<String> = ["docker", "buildx", "build", "--file"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    argv.push(context.join(&dockerfile).display().to_string());
    argv.push("--platform".into());
    argv.push(platforms.join(","));
    for r in &refs {
        argv.push("--tag".into());
        argv.push(r.clone());
    }
    for (k, v) in &labels {
        argv.push("--label".into());
        argv.push(format!("{k}={v}"));
    }
    if req.push {
        argv.push("--push".into());
    } else if platforms.len() == 1 {
        // A single-platform image can be loaded into the local daemon; a
        // multi-platform one only lives in the build cache until pushed.
        argv.push("--load".into());
    }
    argv.push(context.display().to_string());
    Ok(BuildPlan {
        commit: commit.to_string(),
        dockerfile,
        platforms,
        tags: refs,
        labels,
        push: req.push,
        latest: String::new(),
        argv,
    })
}

/// `https://github.com/<owner>/<repo>` of the fork, else origin's URL.
pub fn source_url(fork: &Fork) -> Option<String> {
    match crate::remote::github::fork_slug(fork) {
        Ok(slug) => Some(format!("{}/{slug}", web_base())),
        Err(_) => fork.git.remote_url(fork.config.origin()),
    }
}

/// GitHub's web root: `GITHUB_SERVER_URL` (set by Actions, and on Enterprise).
pub fn web_base() -> String {
    std::env::var("GITHUB_SERVER_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "https://github.com".into())
}

/// Whether `docker buildx` can run here; says what is needed when not.
pub fn available() -> Result<()> {
    let sh = xshell::Shell::new().map_err(|e| Error::refused(e.to_string()))?;
    let probe = xshell::cmd!(sh, "docker buildx version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run();
    probe.map_err(|_| {
        Error::refused(
            "`docker buildx` is not available here: building needs the docker CLI with the buildx \
             plugin and a builder that can reach the registry (e.g. `docker buildx create --use`)",
        )
    })
}

/// Run the planned argv.
pub fn run(plan: &BuildPlan) -> Result<()> {
    available()?;
    let sh = xshell::Shell::new().map_err(|e| Error::refused(e.to_string()))?;
    let Some((program, args)) = plan.argv.split_first() else {
        return Err(Error::refused("empty build command"));
    };
    xshell::cmd!(sh, "{program} {args...}")
        .run()
        .map_err(|e| Error::refused(format!("docker buildx build failed: {e}")))
}
