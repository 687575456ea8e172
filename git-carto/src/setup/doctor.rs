//! `git carto doctor`: is this clone set up the way the commands expect, and
//! if not, what exactly to run. Every check is independent, so one broken
//! thing (an invalid `.gitcarto`, a missing remote) never hides the others.

use std::path::Path;

use serde::Serialize;

use crate::remote::github::GitHub;
use crate::repo::config::Config;
use crate::repo::fork::Fork;
use crate::repo::git::Git;
use crate::term::output::Style;

/// Oldest git whose commands we use (`git switch` came in 2.23).
pub const MIN_GIT: (u64, u64, u64) = (2, 23, 0);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    /// Works, but something is missing that some command will need.
    Warn,
    /// Commands will fail or, worse, silently not protect the fork.
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub level: Level,
    pub detail: String,
    /// What to run or change; empty when nothing needs doing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
    /// No check failed (warnings allowed).
    pub ok: bool,
}

fn check(name: &str, level: Level, detail: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        name: name.to_string(),
        level,
        detail: detail.into(),
        fix,
    }
}

pub fn doctor(dir: &Path) -> Report {
    let mut checks = vec![git_version()];
    match Git::discover(dir) {
        Err(e) => checks.push(check(
            "repository",
            Level::Fail,
            e.message().to_string(),
            Some("run git carto inside a clone of the fork".into()),
        )),
        Ok(git) => repository_checks(git, &mut checks),
    }
    let token = github_token();
    let token_works = GitHub::token_present() && token.level != Level::Fail;
    checks.push(token);
    if token_works {
        github_actions(dir, &mut checks);
    }
    let ok = checks.iter().all(|c| c.level != Level::Fail);
    Report { checks, ok }
}

/// Will GitHub run the generated workflows (`setup::ci_ready`), for a fork
/// whose GitHub repository is known. A problem there is a warning: every
/// local command still works.
fn github_actions(dir: &Path, checks: &mut Vec<Check>) {
    let Ok(fork) = Fork::open(dir) else { return };
    let Ok(slug) = crate::remote::github::fork_slug(&fork) else {
        return;
    };
    let repo = GitHub::from_env().and_then(|mut gh| {
        gh.retry.attempts = 1;
        let repo = gh.repository(&slug)?;
        Ok((gh, repo))
    });
    match repo {
        Err(e) => checks.push(check(
            "GitHub Actions",
            Level::Warn,
            format!("cannot read {slug}: {}", e.message()),
            None,
        )),
        Ok((gh, repo)) => {
            for c in crate::setup::ci_ready::checks(&fork, &gh, &slug, &repo) {
                let level = if c.ok == Some(true) {
                    Level::Ok
                } else {
                    Level::Warn
                };
                let fix = c.fix.filter(|_| level != Level::Ok);
                checks.push(check(c.check, level, c.detail, fix));
            }
        }
    }
}

fn git_version() -> Check {
    match Git::cli_version() {
        Ok((v, text)) if v >= MIN_GIT => check("git version", Level::Ok, text, None),
        Ok((_, text)) => check(
            "git version",
            Level::Fail,
            format!(
                "{text} is older than {}.{}.{}",
                MIN_GIT.0, MIN_GIT.1, MIN_GIT.2
            ),
            Some("install a newer git".into()),
        ),
        Err(e) => check(
            "git version",
            Level::Fail,
            e.message().to_string(),
            Some("install git and put it on PATH".into()),
        ),
    }
}

fn repository_checks(git: Git, checks: &mut Vec<Check>) {
    let config = match Config::load(&git.repo) {
        Ok(c) => {
            checks.push(check(
                "config",
                Level::Ok,
                match git.workdir().join(crate::repo::config::FILE_NAME).exists() {
                    true => ".gitcarto is valid",
                    false => "no .gitcarto: the defaults apply",
                },
                None,
            ));
            c
        }
        Err(e) => {
            checks.push(check(
                "config",
                Level::Fail,
                e.to_string(),
                Some("correct the key or value named (see `git carto config --help`)".into()),
            ));
            // The remaining checks still mean something with the defaults.
            Config::defaults()
        }
    };
    let shallow = git.is_shallow();
    checks.push(if shallow {
        check(
            "shallow clone",
            Level::Fail,
            "this clone is shallow: fork commits and upstream versions cannot be decided by ancestry",
            Some(format!("git fetch --unshallow {}", config.origin())),
        )
    } else {
        check("shallow clone", Level::Ok, "full history", None)
    });
    if !shallow {
        checks.push(commit_graph_check(&git));
    }
    remote_checks(&git, &config, checks);
    match Fork::with(git, config) {
        Ok(fork) => {
            stable_tag_check(&fork, checks);
            version_file_check(&fork, checks);
            branch_check(&fork, checks);
            hook_checks(&fork.git, checks);
        }
        Err(e) => checks.push(check(
            "tags",
            Level::Fail,
            e.to_string(),
            Some("fix the tag patterns in .gitcarto".into()),
        )),
    }
}

/// Ancestry questions (`status`, `next-tag`, notes) read the commit-graph
/// when there is one; without it they inflate commits one at a time.
fn commit_graph_check(git: &Git) -> Check {
    match git.commit_graph() {
        Some(g) => check(
            "commit-graph",
            Level::Ok,
            format!("{} commits in the commit-graph", g.len()),
            None,
        ),
        None => check(
            "commit-graph",
            Level::Warn,
            "no commit-graph: ancestry questions read every commit object",
            Some(
                "git commit-graph write --reachable && git config fetch.writeCommitGraph true"
                    .into(),
            ),
        ),
    }
}

fn remote_checks(git: &Git, config: &Config, checks: &mut Vec<Check>) {
    let origin = config.origin();
    let upstream = config.upstream();
    let origin_url = git.remote_url(origin);
    let upstream_url = git.remote_url(upstream);
    checks.push(match &origin_url {
        Some(url) => check(&format!("remote {origin}"), Level::Ok, url.clone(), None),
        None => check(
            &format!("remote {origin}"),
            Level::Fail,
            "missing: the fork's own remote",
            Some(format!("git remote add {origin} <url of your fork>")),
        ),
    });
    checks.push(match &upstream_url {
        Some(url) if Some(url) == origin_url.as_ref() => check(
            &format!("remote {upstream}"),
            Level::Fail,
            format!("{url} is the fork's own URL, not the upstream project's"),
            Some(format!(
                "git remote set-url {upstream} <url of the upstream project>"
            )),
        ),
        Some(url) => check(&format!("remote {upstream}"), Level::Ok, url.clone(), None),
        None => check(
            &format!("remote {upstream}"),
            Level::Fail,
            "missing: the project this fork follows",
            Some("git carto init --upstream <url of the upstream project>".into()),
        ),
    });
}

fn stable_tag_check(fork: &Fork, checks: &mut Vec<Check>) {
    let upstream = fork.config.upstream();
    checks.push(match fork.stable_tags() {
        Ok((tags, _)) if !tags.is_empty() => check(
            "upstream tags",
            Level::Ok,
            format!("{} stable releases, newest {}", tags.len(), tags[0].name),
            None,
        ),
        Ok(_) => check(
            "upstream tags",
            Level::Fail,
            format!(
                "no tags match upstream.stableTag ({})",
                fork.config.get_all("upstream.stableTag").join(", ")
            ),
            Some(format!("git fetch --tags {upstream}")),
        ),
        Err(e) => check("upstream tags", Level::Fail, e.to_string(), None),
    });
}

fn version_file_check(fork: &Fork, checks: &mut Vec<Check>) {
    use crate::setup::version_file;
    if version_file::configured(&fork.config) {
        checks.push(check(
            "version file",
            Level::Ok,
            format!(
                "release.versionFile = {}",
                fork.config.get("release.versionFile").unwrap_or_default()
            ),
            None,
        ));
    } else if let Some((path, version)) = version_file::detect(&fork.git) {
        checks.push(check(
            "version file",
            Level::Warn,
            format!(
                "{path} holds version {version} but release.versionFile is off: next-tag does \
                 not check the upstream version against it"
            ),
            Some(format!(
                "git config --file .gitcarto release.versionFile {path}"
            )),
        ));
    }
}

fn branch_check(fork: &Fork, checks: &mut Vec<Check>) {
    let cfg = &fork.config;
    let origin = cfg.origin();
    let missing: Vec<&str> = [cfg.mirror(), cfg.production()]
        .into_iter()
        .filter(|b| fork.git.remote_branch(origin, b).is_none())
        .collect();
    checks.push(if missing.is_empty() {
        check(
            "branches",
            Level::Ok,
            format!(
                "{origin} has {} (mirror) and {} (production)",
                cfg.mirror(),
                cfg.production()
            ),
            None,
        )
    } else {
        check(
            "branches",
            Level::Fail,
            format!(
                "{origin} has no {} (or it was never fetched)",
                missing.join(", ")
            ),
            Some(format!(
                "git fetch {origin}, or create them with `git carto init`"
            )),
        )
    });
}

fn hook_checks(git: &Git, checks: &mut Vec<Check>) {
    use crate::guard::hooks::State;
    let report = match crate::guard::hooks::status(git) {
        Ok(r) => r,
        Err(e) => {
            checks.push(check("hooks", Level::Fail, e.to_string(), None));
            return;
        }
    };
    let dir = Path::new(&report.dir);
    // Where hooks live when core.hooksPath is not set: ours may sit there
    // unused if someone later pointed core.hooksPath elsewhere.
    let default_dir = git.repo.commondir().join("hooks");
    let same_dir = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    for h in &report.hooks {
        let label = format!("hook {}", h.name);
        let path = Path::new(&h.path);
        let c = match h.state {
            State::Installed | State::Outdated if !executable(path) => check(
                &label,
                Level::Fail,
                format!("{} is not executable, so git skips it", h.path),
                Some(format!("chmod +x {}", h.path)),
            ),
            State::Installed => check(&label, Level::Ok, h.path.clone(), None),
            State::Outdated => check(
                &label,
                Level::Warn,
                format!("{} is from another version of git carto", h.path),
                Some("git carto hooks install".into()),
            ),
            State::Foreign => check(
                &label,
                Level::Warn,
                format!("{} is another hook, not git carto's", h.path),
                Some("git carto hooks install (keeps the existing hook and runs it first)".into()),
            ),
            State::Missing => {
                let stranded = default_dir.join(&h.name);
                if !same_dir(dir, &default_dir) && crate::guard::hooks::is_ours(&stranded) {
                    check(
                        &label,
                        Level::Fail,
                        format!(
                            "installed in {} but core.hooksPath makes git run hooks from {}",
                            stranded.display(),
                            report.dir
                        ),
                        Some("git carto hooks install (installs where git looks)".into()),
                    )
                } else {
                    check(
                        &label,
                        Level::Warn,
                        "not installed: commits and pushes are not checked locally",
                        Some("git carto hooks install".into()),
                    )
                }
            }
        };
        checks.push(c);
    }
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &Path) -> bool {
    true
}

/// Token present, accepted, and (for classic tokens) its scopes.
fn github_token() -> Check {
    const NAME: &str = "GitHub token";
    if !GitHub::token_present() {
        return check(
            NAME,
            Level::Warn,
            "GITHUB_TOKEN / GH_TOKEN not set: `sync --pr`, `protect` and releases need one",
            Some("export GITHUB_TOKEN=<token with repo access>".into()),
        );
    }
    let reply = GitHub::from_env().and_then(|mut gh| {
        // One attempt: doctor reports, it does not wait out outages.
        gh.retry.attempts = 1;
        gh.get("/user")
    });
    let api = GitHub::api_url();
    match reply {
        Err(e) => check(
            NAME,
            Level::Warn,
            format!("set, but GitHub could not be reached ({e}): scopes not checked"),
            None,
        ),
        Ok(r) if r.status == 401 => check(
            NAME,
            Level::Fail,
            format!("rejected by {api} (401 Bad credentials)"),
            Some("create a new token and set GITHUB_TOKEN".into()),
        ),
        Ok(r) if !r.is_success() => check(
            NAME,
            Level::Warn,
            format!("GitHub answered {} to GET /user: {}", r.status, r.message()),
            None,
        ),
        Ok(r) => {
            let login = r.body["login"].as_str().unwrap_or("?").to_string();
            match r.oauth_scopes.as_deref() {
                None => check(
                    NAME,
                    Level::Ok,
                    format!(
                        "valid for {login} (fine-grained or app token: permissions are checked when used)"
                    ),
                    None,
                ),
                Some(scopes) => {
                    let list: Vec<&str> = scopes
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect();
                    let mut missing: Vec<&str> = Vec::new();
                    if !list.contains(&"repo") {
                        missing.push("repo");
                    }
                    if !list.contains(&"workflow") {
                        missing.push("workflow");
                    }
                    if missing.is_empty() {
                        check(
                            NAME,
                            Level::Ok,
                            format!("valid for {login}, scopes: {}", list.join(", ")),
                            None,
                        )
                    } else {
                        check(
                            NAME,
                            if missing.contains(&"repo") {
                                Level::Fail
                            } else {
                                Level::Warn
                            },
                            format!(
                                "valid for {login}, scopes: {}; missing: {} ({})",
                                if list.is_empty() {
                                    "none".to_string()
                                } else {
                                    list.join(", ")
                                },
                                missing.join(", "),
                                "repo: pull requests, releases, protection; workflow: pushing workflow files"
                            ),
                            Some(format!(
                                "add the {} scope(s) to the token",
                                missing.join(" and ")
                            )),
                        )
                    }
                }
            }
        }
    }
}

/// The checks, one per line with its fix; `only_problems` leaves out the
/// ones that passed (`--quiet`).
pub fn render(report: &Report, style: Style, only_problems: bool) -> String {
    let mut out = String::new();
    for c in report
        .checks
        .iter()
        .filter(|c| !only_problems || c.level != Level::Ok)
    {
        let tag = match c.level {
            Level::Ok => style.ok("ok  "),
            Level::Warn => style.warn("warn"),
            Level::Fail => style.bad("FAIL"),
        };
        out.push_str(&format!("{tag}  {}: {}\n", c.name, c.detail));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("      fix: {fix}\n"));
        }
    }
    let failed = report
        .checks
        .iter()
        .filter(|c| c.level == Level::Fail)
        .count();
    let warned = report
        .checks
        .iter()
        .filter(|c| c.level == Level::Warn)
        .count();
    if only_problems && failed + warned == 0 {
        return out;
    }
    out.push_str(&match (failed, warned) {
        (0, 0) => style.ok("Everything looks right.\n"),
        (0, w) => style.warn(&format!("No problems; {w} warning(s).\n")),
        (f, w) => style.bad(&format!("{f} problem(s), {w} warning(s).\n")),
    });
    out
}
