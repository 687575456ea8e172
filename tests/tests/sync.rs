//! `git carto sync` on real repositories: detection, the mirror merge, the
//! sync branch, re-runs, dry runs and bad input.

use carto_tests::Fixture;

/// Every ref and HEAD: what "changes nothing" must leave alone.
fn refs(f: &Fixture) -> String {
    let mut s = f.git(
        &f.work,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    );
    s.push_str(&f.git(&f.work, &["rev-parse", "HEAD"]));
    s.push_str(&f.git(
        &f.origin,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    ));
    s
}

#[test]
fn clean_sync_merges_the_mirror_and_production_and_pushes() {
    let f = Fixture::new();
    let old_mirror = f.rev("main");
    let prod = f.rev("carto/main");
    let out = f.carto(&["sync"]).ok();
    assert!(
        out.stdout.contains("Synced upstream v1.75.2 → v1.78.5"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Report: "), "{}", out.stdout);

    // Stage 1: a mirror merge whose tree is exactly the tag's, pushed.
    let origin_main = f.git(&f.origin, &["rev-parse", "main"]);
    assert_eq!(origin_main, f.rev("main"));
    let parents = f.git(&f.work, &["log", "-1", "--format=%P", "main"]);
    let tag = f.rev("v1.78.5-stable^{commit}");
    assert_eq!(parents, format!("{old_mirror} {tag}"));
    assert_eq!(f.rev("main^{tree}"), f.rev("v1.78.5-stable^{tree}"));

    // Stage 2: the sync branch from the mirror with production merged in.
    assert_eq!(
        f.git(&f.work, &["symbolic-ref", "--short", "HEAD"]),
        "upstream-sync/v1.78.5"
    );
    let parents = f.git(
        &f.work,
        &["log", "-1", "--format=%P", "upstream-sync/v1.78.5"],
    );
    assert_eq!(parents, format!("{} {prod}", f.rev("main")));
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.78.5"]),
        f.rev("upstream-sync/v1.78.5")
    );
    let pyproject = f.git(&f.work, &["show", "HEAD:pyproject.toml"]);
    assert!(pyproject.contains("1.78.5"), "{pyproject}");
    let docker = f.git(&f.work, &["show", "HEAD:Dockerfile"]);
    assert!(docker.contains("# CARTO: non-root user"), "{docker}");
    assert!(f.work.join("carto_config.yaml").exists());
    assert_eq!(f.git(&f.work, &["status", "--porcelain"]), "");

    // The report exists in both forms.
    let md = std::fs::read_to_string(f.work.join(".git/carto/reports/upstream-sync-v1.78.5.md"))
        .unwrap();
    assert!(md.contains("Upstream sync: v1.78.5"), "{md}");
    assert!(md.contains("never squash"), "{md}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.work.join(".git/carto/reports/upstream-sync-v1.78.5.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["upstream"]["from"], "1.75.2");
    assert_eq!(json["upstream"]["to"], "1.78.5");
    assert_eq!(json["state"], "committed");
    assert_eq!(json["counts"]["conflicted"], 0);
}

#[test]
fn nothing_new_says_so_and_exits_zero() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.78.5-stable");
    let before = refs(&f);
    let out = f.carto(&["sync"]).ok();
    assert!(
        out.stdout
            .contains("Up to date: production is on upstream v1.78.5"),
        "{}",
        out.stdout
    );
    assert_eq!(refs(&f), before);
    let j = f.carto(&["sync", "--json"]).ok().json();
    assert_eq!(j["outcome"], "up_to_date");
}

#[test]
fn dry_run_says_what_it_would_do_and_changes_nothing() {
    let f = Fixture::new();
    let before = refs(&f);
    let out = f.carto(&["sync", "--dry-run", "--verbose"]).ok();
    let o = &out.stdout;
    assert!(
        o.contains("Would sync upstream v1.75.2 → v1.78.5 (v1.78.5-stable)"),
        "{o}"
    );
    assert!(o.contains("mirror merge (parents: "), "{o}");
    assert!(
        o.contains("create `upstream-sync/v1.78.5`, merge carto/main"),
        "{o}"
    );
    assert!(
        o.contains("v.1.32.34-stable") && o.contains("v1.55.8-stable-patched"),
        "{o}"
    );
    assert!(o.contains("Nothing was changed"), "{o}");
    assert_eq!(refs(&f), before);
    let j = f
        .carto(&["sync", "--dry-run", "--no-push", "--json"])
        .ok()
        .json();
    assert_eq!(j["outcome"], "dry_run");
    assert_eq!(j["plan"]["mirror"], "merge");
    assert_eq!(j["plan"]["push"], false);
    assert_eq!(j["plan"]["sync_branch_action"], "create");
    assert_eq!(refs(&f), before);
}

#[test]
fn an_older_tag_can_be_asked_for_and_bad_tags_are_refused() {
    let f = Fixture::new();
    for (tag, code, says) in [
        ("v1.55.8-stable-patched", 2, "is not a stable tag"),
        ("v9.9.9-stable", 2, "no tag `v9.9.9-stable`"),
        ("v1.75.2-stable", 1, "already on upstream v1.75.2"),
    ] {
        let out = f.carto(&["sync", "--tag", tag]).fails(code);
        assert!(out.stderr.contains(says), "{tag}: {}", out.stderr);
    }
    let out = f
        .carto(&["sync", "--tag", "v1.77.4-stable", "--no-push"])
        .ok();
    assert!(out.stdout.contains("v1.75.2 → v1.77.4"), "{}", out.stdout);
    assert_eq!(f.rev("main^{tree}"), f.rev("v1.77.4-stable^{tree}"));
    assert!(f.rev("upstream-sync/v1.77.4").len() == 40);
    // --no-push: origin untouched.
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "main"]),
        f.rev("v1.75.2-stable^{commit}")
    );
    assert!(
        f.run_git(
            &f.origin,
            &["rev-parse", "--verify", "upstream-sync/v1.77.4"]
        )
        .code
            != 0
    );
}

#[test]
fn bad_input_is_refused_without_changing_anything() {
    let f = Fixture::new();
    // A dirty tree.
    f.write(&f.work, "Dockerfile", "changed\n");
    let before = refs(&f);
    let out = f.carto(&["sync"]).fails(1);
    assert!(
        out.stderr.contains("uncommitted changes (Dockerfile)"),
        "{}",
        out.stderr
    );
    assert_eq!(refs(&f), before);
    f.git(&f.work, &["checkout", "--", "Dockerfile"]);

    // No upstream remote.
    f.git(&f.work, &["remote", "rename", "upstream", "elsewhere"]);
    let out = f.carto(&["sync"]).fails(2);
    assert!(
        out.stderr.contains("no remote named `upstream`"),
        "{}",
        out.stderr
    );
    f.git(&f.work, &["remote", "rename", "elsewhere", "upstream"]);

    // No stable tags on upstream.
    for t in f.git(&f.upstream, &["tag", "-l"]).lines() {
        f.git(&f.upstream, &["tag", "-d", t]);
    }
    for t in f.git(&f.work, &["tag", "-l", "v*"]).lines() {
        f.git(&f.work, &["tag", "-d", t]);
    }
    let out = f.carto(&["sync"]).fails(1);
    assert!(
        out.stderr.contains("no stable tags on `upstream`"),
        "{}",
        out.stderr
    );
}

#[test]
fn reruns_continue_the_sync_branch_and_never_reset_it() {
    let f = Fixture::new();
    f.carto(&["sync"]).ok();
    // A person adds a resolution commit to the sync branch and pushes it.
    f.commit_file(
        &f.work,
        "litellm/carto_patch.py",
        "PATCH = 1\n",
        "fix: adapt to 1.78.5",
    );
    f.git(
        &f.work,
        &["push", "--quiet", "origin", "upstream-sync/v1.78.5"],
    );
    let tip = f.rev("upstream-sync/v1.78.5");
    let out = f.carto(&["sync"]).ok();
    assert!(out.stdout.contains("Synced"), "{}", out.stdout);
    assert_eq!(f.rev("upstream-sync/v1.78.5"), tip);
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.78.5"]),
        tip
    );

    // Production moves on: the next run merges it on top and pushes (a fast-forward).
    let mate = f.clone_origin("mate");
    f.git(&mate, &["switch", "--quiet", "carto/main"]);
    f.commit_file(
        &mate,
        "carto_new.yaml",
        "new: true\n",
        "feat: more fork work",
    );
    f.git(&mate, &["push", "--quiet", "origin", "carto/main"]);
    f.carto(&["sync"]).ok();
    let parents = f.git(
        &f.work,
        &["log", "-1", "--format=%P", "upstream-sync/v1.78.5"],
    );
    assert_eq!(parents, format!("{tip} {}", f.rev("origin/carto/main")));
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.78.5"]),
        f.rev("upstream-sync/v1.78.5")
    );

    // Someone else pushes to the sync branch while we have local work: refused.
    f.git(&mate, &["fetch", "--quiet", "origin"]);
    f.git(&mate, &["switch", "--quiet", "upstream-sync/v1.78.5"]);
    f.commit_file(&mate, "litellm/mate.py", "M = 1\n", "fix: teammate's fix");
    f.git(
        &mate,
        &["push", "--quiet", "origin", "upstream-sync/v1.78.5"],
    );
    f.commit_file(&f.work, "litellm/mine.py", "M = 2\n", "fix: my fix");
    let mine = f.rev("upstream-sync/v1.78.5");
    let out = f.carto(&["sync"]).fails(1);
    assert!(
        out.stderr
            .contains("has 1 commit(s) your `upstream-sync/v1.78.5` does not"),
        "{}",
        out.stderr
    );
    assert_eq!(f.rev("upstream-sync/v1.78.5"), mine);
}

#[test]
fn a_sync_branch_on_origin_that_is_not_a_sync_is_refused_before_anything_moves() {
    let f = Fixture::new();
    let mate = f.clone_origin("mate");
    f.git(
        &mate,
        &[
            "switch",
            "--quiet",
            "-c",
            "upstream-sync/v1.78.5",
            "origin/carto/main",
        ],
    );
    f.commit_file(&mate, "notes.txt", "mine\n", "docs: someone else's branch");
    f.git(
        &mate,
        &["push", "--quiet", "origin", "upstream-sync/v1.78.5"],
    );
    let origin_main = f.git(&f.origin, &["rev-parse", "main"]);
    let local = f.git(
        &f.work,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
        ],
    );
    let out = f.carto(&["sync"]).fails(1);
    assert!(
        out.stderr.contains("does not contain the upstream release"),
        "{}",
        out.stderr
    );
    assert_eq!(f.git(&f.origin, &["rev-parse", "main"]), origin_main);
    assert_eq!(
        f.git(
            &f.work,
            &[
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/heads"
            ]
        ),
        local
    );
    assert!(!f.work.join(".git/carto/sync.json").exists());
}

#[test]
fn a_sync_branch_pushed_by_a_teammate_is_adopted() {
    let f = Fixture::new();
    f.carto(&["sync"]).ok();
    let pushed = f.rev("upstream-sync/v1.78.5");
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);
    f.git(
        &f.work,
        &["branch", "--quiet", "-D", "upstream-sync/v1.78.5"],
    );
    f.carto(&["sync"]).ok();
    assert_eq!(f.rev("upstream-sync/v1.78.5"), pushed);
    assert_eq!(
        f.git(&f.work, &["symbolic-ref", "--short", "HEAD"]),
        "upstream-sync/v1.78.5"
    );
}

#[test]
fn the_installed_hooks_let_a_sync_through() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let out = f.carto(&["sync"]).ok();
    assert!(
        out.stdout.contains("Synced"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert_eq!(f.git(&f.origin, &["rev-parse", "main"]), f.rev("main"));
}

#[test]
fn an_unknown_policy_is_a_configuration_error_before_anything_moves() {
    let f = Fixture::new();
    f.git(&f.work, &["config", "carto.resolve.theirs.path", "x/**"]);
    let before = refs(&f);
    let out = f.carto(&["sync"]).fails(2);
    assert!(
        out.stderr.contains("unknown resolve policy `theirs`"),
        "{}",
        out.stderr
    );
    assert_eq!(refs(&f), before);
    let out = f.carto(&["sync", "--pr", "--no-push"]).fails(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

/// `--no-fetch` merges what the last fetch brought and talks to no remote: a
/// release upstream cut since is not seen, and remotes that cannot be reached
/// do not matter (`--dry-run` reads the fetched tags, not `ls-remote`). Like
/// `status`, it says how old that fetch is.
#[test]
fn no_fetch_syncs_the_last_fetched_release_without_a_remote() {
    let f = Fixture::new();
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
    f.upstream_release("1.79.0", None);
    // That fetch was three days ago, which the sync says.
    f.command("touch", &f.work)
        .args(["-d", "3 days ago"])
        .arg(f.work.join(".git/FETCH_HEAD"))
        .status()
        .unwrap();
    let gone = format!("file://{}/gone.git", f.root.path().display());
    for remote in ["upstream", "origin"] {
        f.git(&f.work, &["remote", "set-url", remote, &gone]);
    }
    let before = refs(&f);
    let dry = f.carto(&["sync", "--no-fetch", "--dry-run"]).ok();
    assert!(dry.stdout.contains("v1.78.5"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("1.79.0"), "{}", dry.stdout);
    assert_eq!(refs(&f), before, "a dry run moved something");

    let out = f.carto(&["sync", "--no-fetch", "--no-push"]).ok();
    assert!(
        out.stdout.contains("Synced upstream v1.75.2 → v1.78.5"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains("Fetching"),
        "said it fetched: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "As of the last fetch, 3 days ago: without --no-fetch the sync fetches first."
        ),
        "{}",
        out.stderr
    );
    assert_eq!(f.rev("main^{tree}"), f.rev("v1.78.5-stable^{tree}"));
    let unseen = f.run_git(
        &f.work,
        &["rev-parse", "--verify", "--quiet", "v1.79.0-stable"],
    );
    assert!(unseen.stdout.is_empty(), "the new release was fetched");

    // The same sync fetching needs the remotes, and says which one failed.
    let refused = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(refused.stderr.contains("`upstream`"), "{}", refused.stderr);
}
