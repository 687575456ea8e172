//! `git carto init` on real repositories: a fresh clone of a fork, a second
//! run, partial states, and every kind of bad input, each checked for what
//! ends up in the repository (and that a refusal leaves nothing behind).

use std::path::{Path, PathBuf};

use carto_tests::Fixture;

/// A plain clone of the fork's origin: no upstream remote, no tags of
/// upstream's, the way a teammate starts.
fn fresh_clone(f: &Fixture, name: &str) -> PathBuf {
    let dir = f.path(name);
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            &Fixture::url(&f.origin),
            dir.to_str().unwrap(),
        ],
    );
    dir
}

/// origin without a production branch: a fork that only mirrors so far.
fn drop_production_on_origin(f: &Fixture) {
    f.git(&f.origin, &["branch", "-D", "carto/main"]);
}

fn upstream_url(f: &Fixture) -> String {
    Fixture::url(&f.upstream)
}

/// Everything init could change: refs, local config, hooks, and the files it
/// writes.
fn snapshot(f: &Fixture, dir: &Path) -> String {
    let mut s = f.git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"]);
    s.push_str(&f.git(dir, &["config", "--local", "--list"]));
    s.push_str(&f.git(
        &f.origin,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    ));
    let mut files = vec![dir.join(".gitcarto"), dir.join(".cargo/config.toml")];
    if let Ok(entries) = std::fs::read_dir(dir.join(".github/workflows")) {
        let mut names: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        names.sort();
        files.extend(names);
    }
    if let Ok(entries) = std::fs::read_dir(dir.join(".git/hooks")) {
        let mut names: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        names.sort();
        files.extend(names);
    }
    for p in files {
        s.push_str(&format!(
            "\n== {}\n{}",
            p.display(),
            std::fs::read_to_string(&p).unwrap_or_else(|_| "<none>".into())
        ));
    }
    s
}

fn step<'a>(report: &'a serde_json::Value, name: &str) -> Vec<&'a serde_json::Value> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step"] == name)
        .collect()
}

#[test]
fn a_fresh_clone_becomes_a_fork_in_one_step() {
    let f = Fixture::new();
    drop_production_on_origin(&f);
    let dir = fresh_clone(&f, "fresh");
    let url = upstream_url(&f);
    let out = f
        .carto_in(
            &dir,
            &["init", "--upstream", &url, "--workflows", "github", "--yes"],
        )
        .ok();

    // The upstream remote is there and its stable tags are fetched.
    assert_eq!(f.git(&dir, &["remote", "get-url", "upstream"]), url);
    let tags = f.git(&dir, &["tag", "--list", "v*-stable"]);
    for v in carto_tests::UPSTREAM_VERSIONS {
        assert!(tags.contains(&format!("v{v}-stable")), "{tags}");
    }
    // Production was created from the mirror and published.
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "refs/heads/carto/main"]),
        f.git(&f.origin, &["rev-parse", "refs/heads/main"])
    );
    assert_eq!(
        f.git(&dir, &["rev-parse", "carto/main"]),
        f.git(&dir, &["rev-parse", "origin/main"])
    );
    // Every value is the default but the version file, which the fork has.
    assert_eq!(
        f.git(&dir, &["config", "--file", ".gitcarto", "--list"]),
        "release.versionfile=pyproject.toml"
    );
    for name in ["upstream-sync", "release", "image", "checks"] {
        assert!(
            dir.join(format!(".github/workflows/carto-{name}.yml"))
                .exists(),
            "{name}"
        );
    }
    // The hooks are installed where git looks for them.
    let hooks = f.carto_in(&dir, &["hooks", "status", "--json"]).ok().json();
    for h in hooks["hooks"].as_array().unwrap() {
        assert_eq!(h["state"], "installed", "{hooks:#}");
    }
    // It says what it did and what to commit.
    for text in [
        "added remote `upstream`",
        "created `carto/main` from `origin/main`",
        "wrote .github/workflows/carto-release.yml",
        "wrote .cargo/config.toml",
        // origin's default branch is the mirror: GitHub would not run the sync.
        "only from the default branch, `main` here: make `carto/main` the default",
        "gh repo edit --default-branch carto/main",
        "git add .gitcarto .cargo/config.toml .github/workflows/carto-upstream-sync.yml",
        "into carto/main",
    ] {
        assert!(
            out.stdout.contains(text),
            "missing `{text}`:\n{}",
            out.stdout
        );
    }
    // The clone now passes the checks that need the setup.
    f.carto_in(&dir, &["next-tag"]).ok();
}

#[test]
fn running_init_twice_changes_nothing_the_second_time() {
    let f = Fixture::new();
    let dir = fresh_clone(&f, "twice");
    let url = upstream_url(&f);
    f.carto_in(
        &dir,
        &["init", "--upstream", &url, "--workflows", "github", "--yes"],
    )
    .ok();
    let before = snapshot(&f, &dir);
    assert!(before.contains("git carto hook") || before.contains("git-carto hook"));
    // No flags needed the second time, and no question is asked.
    let again = f
        .carto_in(&dir, &["init", "--workflows", "github", "--json"])
        .ok()
        .json();
    assert_eq!(again["changed"], false, "{again:#}");
    assert!(again["to_commit"].as_array().unwrap().is_empty());
    for s in again["steps"].as_array().unwrap() {
        assert_ne!(s["status"], "done", "{s}");
    }
    assert_eq!(snapshot(&f, &dir), before);
    let text = f.carto_in(&dir, &["init", "--workflows", "github"]).ok();
    assert!(text.stdout.contains("Nothing to do"), "{}", text.stdout);
    assert_eq!(snapshot(&f, &dir), before);
}

#[test]
fn partial_state_is_completed_not_redone() {
    let f = Fixture::new();
    let dir = fresh_clone(&f, "partial");
    let url = upstream_url(&f);
    // The remote was added by hand but never fetched.
    f.git(&dir, &["remote", "add", "upstream", &url]);
    let j = f.carto_in(&dir, &["init", "--json"]).ok().json();
    assert_eq!(step(&j, "upstream_remote")[0]["status"], "unchanged");
    assert_eq!(step(&j, "upstream_tags")[0]["status"], "done");
    assert_eq!(step(&j, "production_branch")[0]["status"], "unchanged");
    assert!(f
        .git(&dir, &["tag", "--list", "v1.78.5-stable"])
        .contains("v1.78.5-stable"));

    // A production branch that exists only locally is pointed out, not pushed.
    drop_production_on_origin(&f);
    let dir = fresh_clone(&f, "local-only");
    f.git(&dir, &["branch", "carto/main", "origin/main"]);
    let j = f
        .carto_in(&dir, &["init", "--upstream", &url, "--json"])
        .ok()
        .json();
    let prod = &step(&j, "production_branch")[0];
    assert_eq!(prod["status"], "skipped");
    assert!(prod["detail"]
        .as_str()
        .unwrap()
        .contains("git push -u origin carto/main"));
    assert!(
        f.run_git(
            &f.origin,
            &["rev-parse", "--verify", "refs/heads/carto/main"]
        )
        .code
            != 0
    );
}

#[test]
fn creating_production_is_asked_first() {
    let f = Fixture::new();
    drop_production_on_origin(&f);
    let dir = fresh_clone(&f, "ask");
    let url = upstream_url(&f);
    let before = snapshot(&f, &dir);
    // No terminal to ask on and no --yes: refused, nothing changed.
    let out = f.carto_in(&dir, &["init", "--upstream", &url]).fails(1);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(out.stderr.contains("carto/main"), "{}", out.stderr);
    assert_eq!(snapshot(&f, &dir), before);
    assert!(f.run_git(&dir, &["remote", "get-url", "upstream"]).code != 0);
}

#[test]
fn a_repository_without_a_remote_is_refused() {
    let f = Fixture::new();
    let dir = f.path("lonely");
    f.git(f.root.path(), &["init", "--quiet", dir.to_str().unwrap()]);
    let out = f
        .carto_in(&dir, &["init", "--upstream", &upstream_url(&f)])
        .fails(2);
    assert!(out.stderr.contains("no remote"), "{}", out.stderr);
    assert!(!dir.join(".gitcarto").exists());
    assert_eq!(f.git(&dir, &["remote"]), "");
}

#[test]
fn an_upstream_that_cannot_be_fetched_leaves_nothing_behind() {
    let f = Fixture::new();
    drop_production_on_origin(&f);
    let dir = fresh_clone(&f, "badurl");
    let before = snapshot(&f, &dir);
    let bad = Fixture::url(&f.path("no-such-upstream.git"));
    let out = f
        .carto_in(
            &dir,
            &["init", "--upstream", &bad, "--workflows", "github", "--yes"],
        )
        .fails(1);
    assert!(out.stderr.contains(&bad), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    assert_eq!(snapshot(&f, &dir), before);
    assert!(!dir.join(".github").exists());
}

#[test]
fn upstream_url_must_not_be_the_forks_own() {
    let f = Fixture::new();
    let dir = fresh_clone(&f, "self");
    let out = f
        .carto_in(&dir, &["init", "--upstream", &Fixture::url(&f.origin)])
        .fails(2);
    assert!(out.stderr.contains("fork's own"), "{}", out.stderr);
}

#[test]
fn a_different_upstream_url_is_shown_and_changed_only_with_yes() {
    let f = Fixture::new();
    let other = f.path("upstream-mirror.git");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "--bare",
            f.upstream.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    let before = snapshot(&f, &f.work);
    let new_url = Fixture::url(&other);
    let out = f.carto(&["init", "--upstream", &new_url]).fails(1);
    assert!(out.stderr.contains(&upstream_url(&f)), "{}", out.stderr);
    assert!(out.stderr.contains(&new_url), "{}", out.stderr);
    assert_eq!(snapshot(&f, &f.work), before);
    f.carto(&["init", "--upstream", &new_url, "--yes"]).ok();
    assert_eq!(f.git(&f.work, &["remote", "get-url", "upstream"]), new_url);
}

#[test]
fn an_existing_gitcarto_with_other_values_is_shown_and_kept_without_yes() {
    let f = Fixture::new();
    f.commit_file(
        &f.work,
        ".gitcarto",
        "[branch]\n\tproduction = carto/main\n[release]\n\tpolicy = cumulative\n",
        "chore: configure carto",
    );
    let before = snapshot(&f, &f.work);
    let out = f.carto(&["init", "--production", "prod/main"]).fails(1);
    assert!(
        out.stderr.contains("- branch.production = carto/main"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("+ branch.production = prod/main"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&f, &f.work), before);

    let out = f
        .carto(&["init", "--production", "prod/main", "--yes"])
        .ok();
    assert!(out.stdout.contains("wrote .gitcarto"), "{}", out.stdout);
    let text = std::fs::read_to_string(f.work.join(".gitcarto")).unwrap();
    assert!(text.contains("production = prod/main"), "{text}");
    // What init does not manage is kept as written.
    assert!(text.contains("policy = cumulative"), "{text}");
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "refs/heads/prod/main"]),
        f.git(&f.origin, &["rev-parse", "refs/heads/main"])
    );
    assert_eq!(
        f.carto(&["config", "--json"]).ok().json()["branch.production"]["values"][0],
        "prod/main"
    );
}

#[test]
fn only_values_that_differ_from_the_defaults_are_written() {
    // A fork whose mirror is `master`, as origin's default branch says.
    let f = Fixture::new();
    let origin = f.path("master-origin.git");
    f.git(
        f.root.path(),
        &["init", "--quiet", "--bare", origin.to_str().unwrap()],
    );
    f.git(
        &f.work,
        &[
            "push",
            "--quiet",
            &Fixture::url(&origin),
            "refs/remotes/origin/main:refs/heads/master",
        ],
    );
    f.git(&origin, &["symbolic-ref", "HEAD", "refs/heads/master"]);
    let dir = f.path("master-clone");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            &Fixture::url(&origin),
            dir.to_str().unwrap(),
        ],
    );
    f.carto_in(&dir, &["init", "--upstream", &upstream_url(&f), "--yes"])
        .ok();
    let text = std::fs::read_to_string(dir.join(".gitcarto")).unwrap();
    assert_eq!(
        text.trim(),
        "[branch]\n\tmirror = master\n[release]\n\tversionFile = pyproject.toml"
    );
    assert_eq!(
        f.git(&origin, &["rev-parse", "refs/heads/carto/main"]),
        f.git(&origin, &["rev-parse", "refs/heads/master"])
    );
    // Unknown mirror names are refused, not guessed.
    let out = f.carto_in(&dir, &["init", "--mirror", "trunk"]).fails(1);
    assert!(out.stderr.contains("trunk"), "{}", out.stderr);
}

#[test]
fn existing_workflows_are_never_overwritten_silently() {
    let f = Fixture::new();
    let mine = "name: my release\non: workflow_dispatch\njobs: {}\n";
    f.write(&f.work, ".github/workflows/carto-release.yml", mine);
    let before = snapshot(&f, &f.work);
    let out = f.carto(&["init", "--workflows", "github"]).fails(1);
    assert!(
        out.stderr
            .contains(".github/workflows/carto-release.yml exists and differs"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("-name: my release"), "{}", out.stderr);
    assert!(
        out.stderr.contains("+name: 'carto: release'"),
        "{}",
        out.stderr
    );
    // Not even the other workflows were written.
    assert_eq!(snapshot(&f, &f.work), before);

    let out = f.carto(&["init", "--workflows", "github", "--yes"]).ok();
    assert!(
        out.stdout
            .contains("replaced .github/workflows/carto-release.yml"),
        "{}",
        out.stdout
    );
    let now = std::fs::read_to_string(f.work.join(".github/workflows/carto-release.yml")).unwrap();
    assert!(now.contains("cargo xtask release"));
}

#[test]
fn quiet_prints_nothing_and_verbose_shows_the_git_commands() {
    let f = Fixture::new();
    let dir = fresh_clone(&f, "quiet");
    let url = upstream_url(&f);
    let out = f
        .carto_in(&dir, &["--quiet", "init", "--upstream", &url, "--yes"])
        .ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    let dir = fresh_clone(&f, "verbose");
    let out = f
        .carto_in(&dir, &["init", "--verbose", "--upstream", &url, "--yes"])
        .ok();
    assert!(
        out.stderr.contains("+ git fetch --tags upstream"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("+ git remote add upstream"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_existing_hook_is_kept_and_chained() {
    let f = Fixture::new();
    let dir = fresh_clone(&f, "chained");
    let mine = "#!/bin/sh\necho mine >> \"$(git rev-parse --git-dir)/ran\"\n";
    f.write(&dir, ".git/hooks/pre-push", mine);
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(dir.join(".git/hooks/pre-push"))
        .status()
        .unwrap();
    let j = f
        .carto_in(
            &dir,
            &["init", "--upstream", &upstream_url(&f), "--yes", "--json"],
        )
        .ok()
        .json();
    let hooks = &step(&j, "hooks")[0];
    assert_eq!(hooks["status"], "done");
    assert!(
        hooks["detail"].as_str().unwrap().contains("runs first"),
        "{hooks}"
    );
    let kept = std::fs::read_to_string(dir.join(".git/hooks/pre-push.carto-chained")).unwrap();
    assert_eq!(kept, mine);
}
