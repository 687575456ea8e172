//! Phase one of `init`: decide every change (read-only but for fetching origin) and confirm the ones that touch something already there.

use super::*;
use crate::setup::version_file;

pub(super) fn valid_branch(name: &str, flag: &str) -> Result<()> {
    if name.is_empty()
        || name.starts_with('-')
        || !git2::Reference::is_valid_name(&format!("refs/heads/{name}"))
    {
        return Err(Error::usage(format!(
            "{flag} `{name}` is not a valid branch name"
        )));
    }
    Ok(())
}

/// URLs that name the same repository (`x`, `x.git`, `x/`).
pub(super) fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim()
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_string()
    };
    norm(a) == norm(b)
}

/// Phase one: read, fetch origin, decide. Changes nothing but origin's
/// remote-tracking refs.
pub(super) fn decide(git: &Git, config: &Config, opts: &Options) -> Result<Plan> {
    let remotes: Vec<String> = git
        .repo
        .remotes()?
        .iter()
        .filter_map(|r| r.ok().flatten().map(str::to_string))
        .collect();
    if remotes.is_empty() {
        return Err(Error::usage(
            "this repository has no remote: clone your fork (`git clone <fork url>`) \
             or add it with `git remote add origin <fork url>`, then run init again",
        ));
    }
    let origin = config.origin().to_string();
    let Some(origin_url) = git.remote_url(&origin) else {
        return Err(Error::usage(format!(
            "no remote named `{origin}` (remotes: {}): rename the fork's remote with \
             `git remote rename <name> {origin}` or set `git config carto.remote.origin <name>`",
            remotes.join(", ")
        )));
    };
    if let Some(m) = &opts.mirror {
        valid_branch(m, "--mirror")?;
    }
    if let Some(p) = &opts.production {
        valid_branch(p, "--production")?;
    }

    // The upstream remote, decided before any network call.
    let upstream_name = config.upstream().to_string();
    let existing = git.remote_url(&upstream_name);
    let (remote, upstream_url) = match (existing, &opts.upstream) {
        (None, None) => {
            return Err(Error::usage(format!(
                "no `{upstream_name}` remote: pass --upstream <url of the project you forked>"
            )))
        }
        (None, Some(u)) => (Remote::Add(u.clone()), u.clone()),
        (Some(e), Some(u)) if !same_url(&e, u) => (
            Remote::SetUrl {
                old: e,
                new: u.clone(),
            },
            u.clone(),
        ),
        (Some(e), _) => (Remote::Keep, e),
    };
    if same_url(&upstream_url, &origin_url) {
        return Err(Error::usage(format!(
            "the upstream URL {upstream_url} is the fork's own (`{origin}`): give the URL of \
             the project you forked"
        )));
    }
    git.fetch(&origin, false).map_err(|e| {
        Error::refused(format!(
            "cannot fetch `{origin}` ({origin_url}): {}",
            e.message()
        ))
    })?;

    // The mirror: as asked, as configured, or origin's default branch.
    let configured_mirror = config_source(config, "branch.mirror") != Source::Default;
    let mut mirror = opts
        .mirror
        .clone()
        .unwrap_or_else(|| config.mirror().to_string());
    let mut detected_mirror = false;
    if git.remote_branch(&origin, &mirror).is_none() {
        let default = (opts.mirror.is_none() && !configured_mirror)
            .then(|| origin_default_branch(git, &origin))
            .flatten();
        match default {
            Some(d) => {
                mirror = d;
                detected_mirror = true;
            }
            None => {
                return Err(Error::refused(format!(
                    "`{origin}` has no branch `{mirror}` to mirror upstream on: push it, or name \
                     the branch with --mirror <branch>"
                )))
            }
        }
    }
    let production = opts
        .production
        .clone()
        .unwrap_or_else(|| config.production().to_string());
    if production == mirror {
        return Err(Error::usage(format!(
            "the production branch and the mirror branch are both `{mirror}`: the mirror must \
             carry upstream only"
        )));
    }

    let fork = Fork::with(Git::discover(git.workdir())?, config.clone())?;
    let fetch_upstream = !matches!(remote, Remote::Keep) || fork.stable_tags()?.0.is_empty();

    // The production branch.
    let mut create_production = false;
    let mut production_note = None;
    if git.remote_branch(&origin, &production).is_none() {
        if git.local_branch(&production).is_some() {
            production_note = Some(format!(
                "`{production}` exists only in this clone: publish it with \
                 `git push -u {origin} {production}`"
            ));
        } else {
            create_production = true;
        }
    }

    // `.gitcarto`: only values that differ from the defaults.
    let file = git.workdir().join(FILE_NAME);
    let in_file = file_values(&file)?;
    let mut wanted: Vec<(&str, String)> = Vec::new();
    if opts.mirror.is_some() || detected_mirror {
        wanted.push(("branch.mirror", mirror.clone()));
    }
    if let Some(p) = &opts.production {
        wanted.push(("branch.production", p.clone()));
    }
    // The version file is turned on when there is one and the setting was
    // never made (an explicit empty value in the file is a choice: kept).
    let version_key = "release.versionFile";
    if !version_file::configured(config)
        && !in_file
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(version_key))
    {
        if let Some((path, _)) = version_file::detect(git) {
            wanted.push((version_key, path.to_string()));
        }
    }
    let mut config_writes = Vec::new();
    let mut config_unchanged = Vec::new();
    for (key, value) in wanted {
        let default = default_of(key);
        match in_file.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, v)) if *v == value => config_unchanged.push(key.to_string()),
            Some((_, v)) => config_writes.push((key.to_string(), Some(v.clone()), value)),
            None if default.as_deref() == Some(value.as_str()) => {}
            None => config_writes.push((key.to_string(), None, value)),
        }
    }

    // Workflows.
    let mut files = Vec::new();
    if opts.workflows {
        let mut params = workflows::Params::from_config(config, &upstream_url);
        params.mirror = mirror.clone();
        params.production = production.clone();
        for f in workflows::generate(&params) {
            let path = git.workdir().join(&f.path);
            let old = match std::fs::read(&path) {
                Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::refused(format!("cannot read {}: {e}", f.path))),
            };
            files.push((f, old));
        }
    }

    let cargo_path = git.workdir().join(super::cargo_alias::PATH);
    let cargo_old = match std::fs::read(&cargo_path) {
        Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(Error::refused(format!(
                "cannot read {}: {e}",
                super::cargo_alias::PATH
            )))
        }
    };
    let cargo_change = super::cargo_alias::change(cargo_old.as_deref());

    Ok(Plan {
        upstream_name,
        upstream_url,
        remote,
        fetch_upstream,
        create_production,
        production_note,
        config_writes,
        config_unchanged,
        workflows: files,
        cargo_alias: (cargo_old, cargo_change),
        default_branch: origin_default_branch(git, &origin),
        origin,
        mirror,
        production,
    })
}

pub(super) fn config_source(config: &Config, key: &str) -> Source {
    config
        .entries()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.source.clone())
        .unwrap_or(Source::Default)
}

pub(super) fn default_of(key: &str) -> Option<String> {
    crate::repo::config::KEYS
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(key))
        .and_then(|k| k.defaults.first())
        .map(|s| s.to_string())
}

/// The branch `refs/remotes/<origin>/HEAD` points at, if git recorded it.
pub(super) fn origin_default_branch(git: &Git, origin: &str) -> Option<String> {
    let r = git
        .repo
        .find_reference(&format!("refs/remotes/{origin}/HEAD"))
        .ok()?;
    let target = r.symbolic_target().ok().flatten()?;
    let name = target.strip_prefix(&format!("refs/remotes/{origin}/"))?;
    git.remote_branch(origin, name).map(|_| name.to_string())
}

/// `(key, value)` pairs set in a `.gitcarto`, as written.
pub(super) fn file_values(file: &Path) -> Result<Vec<(String, String)>> {
    if !file.exists() {
        return Ok(Vec::new());
    }
    let parsed = git2::Config::open(file)
        .map_err(|e| Error::usage(format!("malformed {}: {}", file.display(), e.message())))?;
    let mut out = Vec::new();
    let mut entries = parsed.entries(None)?;
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if let (Ok(name), Ok(value)) = (entry.name(), entry.value()) {
            out.push((name.to_string(), value.to_string()));
        }
    }
    Ok(out)
}

/// A unified diff of an existing file against what init would write.
pub(super) fn diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .header(&format!("{path} (now)"), &format!("{path} (generated)"))
        .to_string()
}

/// Ask about every change to something that is already there; a refusal
/// stops init before anything changed.
pub(super) fn confirm(
    plan: &mut Plan,
    opts: &Options,
    ask: &mut dyn FnMut(&Question) -> Answer,
) -> Result<()> {
    let mut conflicts: Vec<Question> = Vec::new();
    if let Remote::SetUrl { old, new } = &plan.remote {
        conflicts.push(Question {
            text: format!(
                "remote `{}` points to {old}; point it to {new}?",
                plan.upstream_name
            ),
            diff: Some(format!("- {old}\n+ {new}\n")),
        });
    }
    for (key, old, value) in &plan.config_writes {
        if let Some(old) = old {
            conflicts.push(Question {
                text: format!("{FILE_NAME} sets {key} = {old}; change it to {value}?"),
                diff: Some(format!("- {key} = {old}\n+ {key} = {value}\n")),
            });
        }
    }
    for (f, old) in &plan.workflows {
        if let Some(old) = old.as_deref().filter(|o| *o != f.text) {
            conflicts.push(Question {
                text: format!(
                    "{} exists and differs from the generated workflow; replace it?",
                    f.path
                ),
                diff: Some(diff(&f.path, old, &f.text)),
            });
        }
    }
    let mut refused = Vec::new();
    for q in &conflicts {
        let answer = if opts.yes { Answer::Yes } else { ask(q) };
        if answer != Answer::Yes {
            refused.push((q, answer));
        }
    }
    if !refused.is_empty() {
        let mut msg = String::from("nothing was changed:");
        for (q, _) in &refused {
            msg.push_str(&format!("\n  {}", q.text));
            if let Some(d) = &q.diff {
                for line in d.lines() {
                    msg.push_str(&format!("\n      {line}"));
                }
            }
        }
        msg.push_str("\nre-run with --yes to accept these changes");
        return Err(Error::refused(msg));
    }
    if plan.create_production && !opts.yes {
        let q = Question {
            text: format!(
                "`{}` has no production branch `{}`: create it from `{}/{}` and push it?",
                plan.origin, plan.production, plan.origin, plan.mirror
            ),
            diff: None,
        };
        match ask(&q) {
            Answer::Yes => {}
            Answer::No => {
                plan.create_production = false;
                plan.production_note = Some(format!(
                    "not created (declined): run init again to create `{}`",
                    plan.production
                ));
            }
            Answer::CannotAsk => {
                return Err(Error::refused(format!(
                    "nothing was changed: {}\nre-run with --yes to create it",
                    q.text
                )))
            }
        }
    }
    Ok(())
}
