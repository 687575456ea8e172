//! Conflicts of every kind through `git carto sync`: path policies, the
//! stop with manual paths, --status, --continue, --abort.

mod sync_support;

use sync_support::*;

#[test]
fn policies_settle_every_automatic_kind_and_stop_on_manual_paths() {
    let f = conflicted();
    let out = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(out.stdout.contains("Stopped:"), "{}", out.stdout);
    for p in ["Dockerfile", "Makefile", "assets/logo.png", "c.txt"] {
        assert!(
            out.stdout.contains(&format!("manual: {p}")),
            "{p}: {}",
            out.stdout
        );
    }
    let unmerged = f.git(&f.work, &["diff", "--name-only", "--diff-filter=U"]);
    let mut left: Vec<&str> = unmerged.lines().collect();
    left.sort();
    assert_eq!(left, ["Dockerfile", "Makefile", "assets/logo.png", "c.txt"]);

    // upstream: conflicting hunk from upstream, the fork's other change kept.
    let router = file(&f, "litellm/router.py");
    assert!(router.contains("router UPSTREAM 3"), "{router}");
    assert!(!router.contains("router FORK 3"), "{router}");
    assert!(router.contains("router FORK 7"), "{router}");
    assert!(router.contains("router UPSTREAM 11"), "{router}");
    // fork: the other way round.
    let settings = file(&f, "carto_settings.yaml");
    assert!(settings.contains("setting FORK 2") && !settings.contains("setting UPSTREAM 2"));
    assert!(settings.contains("setting FORK 6") && settings.contains("setting UPSTREAM 10"));
    // add/add under tests/**: upstream.
    assert_eq!(
        file(&f, "tests/test_new.py"),
        "def test_upstream():\n    pass\n"
    );
    // modify/delete under litellm/**: upstream's modified file survives.
    assert!(file(&f, "litellm/old.py").contains("old UPSTREAM 5"));
    // rename/rename under fork-file docs/**: the fork's name and file.
    assert!(f.work.join("docs/carto-guide.md").exists());
    assert!(!f.work.join("docs/guide-v2.md").exists());
    assert!(!f.work.join("docs/guide.md").exists());
    // rename/delete under litellm/**: upstream's rename survives.
    assert!(file(&f, "litellm/compat.py").contains("legacy line 1"));
    assert!(!f.work.join("litellm/legacy.py").exists());
    // artifact: upstream's whole file.
    assert_eq!(file(&f, "ui/build/app.js"), "// built upstream 2\n");
    // Resolved paths are staged, nothing else changed in the index.
    let staged = f.git(
        &f.work,
        &["diff", "--cached", "--name-only", "--diff-filter=U"],
    );
    assert_eq!(staged.lines().count(), 4);

    // --status: each path with its kind, policy and state.
    let j = f.carto(&["sync", "--status", "--json"]).ok().json();
    assert_eq!(j["in_progress"], true);
    let kind = |p: &str| {
        j["paths"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["path"] == p)
            .unwrap_or_else(|| panic!("{p} missing: {j}"))
            .clone()
    };
    for (p, k, pol, resolved) in [
        ("c.txt", "content", "manual", false),
        ("litellm/router.py", "content", "upstream-force", true),
        ("carto_settings.yaml", "content", "fork", true),
        ("tests/test_new.py", "add/add", "upstream-force", true),
        ("litellm/old.py", "modify/delete", "upstream", true),
        ("Makefile", "delete/modify", "manual", false),
        ("docs/guide.md", "rename/rename", "fork-file", true),
        ("litellm/compat.py", "rename/delete", "upstream", true),
        ("ui/build/app.js", "content", "artifact", true),
        ("assets/logo.png", "content", "manual", false),
        ("Dockerfile", "content", "manual", false),
    ] {
        let x = kind(p);
        assert_eq!(x["kind"], k, "{p}: {x}");
        assert_eq!(x["policy"], pol, "{p}: {x}");
        assert_eq!(x["resolved"], resolved, "{p}: {x}");
    }
    // A policy glob that matches no file is a warning, not an error.
    assert!(
        j["warnings"][0]
            .as_str()
            .unwrap()
            .contains("resolve.fork.path `CARTO_*.md` (default) matches no file on either side"),
        "{j}"
    );
    let text = f.carto(&["sync", "--status"]).ok().stdout;
    assert!(
        text.contains("upstream side") && text.contains("fork side"),
        "{text}"
    );
    assert!(!text.contains("ours") && !text.contains("theirs"), "{text}");

    // The report lists the fork policy keeping the fork side of a file upstream
    // changed, with what was left out and the commit that made it.
    let md =
        std::fs::read_to_string(f.work.join(".git/carto/reports/upstream-sync-v1.1.0.md")).unwrap();
    assert!(
        md.contains("`carto_settings.yaml`: lines 2 of the upstream side"),
        "{md}"
    );
    assert!(md.contains("feat: upstream changes"), "{md}");
    assert!(md.contains("## Needs a person"), "{md}");

    // Another sync while this one is in progress is refused.
    let again = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(
        again.stderr.contains("already in progress"),
        "{}",
        again.stderr
    );
    // --continue with unresolved paths is refused, naming them.
    let c = f.carto(&["sync", "--continue"]).fails(1);
    assert!(
        c.stderr.contains("c.txt") && c.stderr.contains("Makefile"),
        "{}",
        c.stderr
    );
}

#[test]
fn abort_restores_branches_and_working_tree_byte_for_byte() {
    let f = conflicted();
    f.write(&f.work, "scratch.txt", "untracked notes\n");
    let before = snapshot(&f);
    f.carto(&["sync", "--no-push"]).fails(1);
    // Meddle: edit a conflicted file, resolve another by hand.
    f.write(&f.work, "c.txt", "half edited\n");
    f.git(&f.work, &["add", "c.txt"]);
    assert_ne!(snapshot(&f), before);
    let out = f.carto(&["sync", "--abort"]).ok();
    assert!(
        out.stdout.contains("Sync aborted; back on carto/main"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("deleted upstream-sync/v1.1.0"),
        "{}",
        out.stdout
    );
    assert_eq!(snapshot(&f), before);
    assert!(!f.work.join(".git/carto/sync.json").exists());
    assert!(f
        .carto(&["sync", "--status"])
        .ok()
        .stdout
        .contains("No sync in progress"));
    f.carto(&["sync", "--abort"]).fails(1);
}

#[test]
fn continue_refuses_conflict_markers_then_commits_with_the_choices_recorded() {
    let f = conflicted();
    f.carto(&["sync", "--no-push"]).fails(1);
    // A person settles the four manual paths outside carto, but leaves markers in c.txt.
    f.git(
        &f.work,
        &[
            "checkout",
            "--theirs",
            "--",
            "Dockerfile",
            "assets/logo.png",
        ],
    );
    f.git(&f.work, &["add", "Dockerfile", "assets/logo.png"]);
    f.git(&f.work, &["add", "Makefile"]);
    f.git(&f.work, &["add", "c.txt"]);
    let out = f.carto(&["sync", "--continue"]).fails(1);
    assert!(out.stderr.contains("c.txt:"), "{}", out.stderr);
    assert!(out.stderr.contains("conflict marker"), "{}", out.stderr);
    assert!(
        f.git(&f.work, &["rev-parse", "-q", "--verify", "MERGE_HEAD"])
            .len()
            == 40
    );

    f.write(&f.work, "c.txt", &edit_line(&file(&f, "c.txt"), 2, "x"));
    let fixed: String = base_files()
        .iter()
        .find(|(p, _)| *p == "c.txt")
        .map(|(_, c)| edit_line(&edit_line(c, 2, "c UPSTREAM 2 and FORK 2"), 2, "c both 2"))
        .unwrap();
    f.write(&f.work, "c.txt", &fixed);
    f.git(&f.work, &["add", "c.txt"]);
    // Taking the fork side outside carto is the person's choice: recorded as
    // such, so the upstream changes it drops are its outcomes, not findings.
    let out = f.carto(&["sync", "--continue"]).ok();
    assert!(
        out.stdout.contains("Synced upstream v1.0.0 → v1.1.0"),
        "{}",
        out.stdout
    );
    let msg = f.git(&f.work, &["log", "-1", "--format=%B"]);
    for p in ["Dockerfile", "Makefile", "assets/logo.png"] {
        assert!(
            msg.contains(&format!("Carto-Resolved: fork {p}")),
            "{p}: {msg}"
        );
    }
    assert!(msg.contains("Carto-Resolved: edited c.txt"), "{msg}");
    let parents = f.git(&f.work, &["log", "-1", "--format=%P"]);
    assert_eq!(
        parents,
        format!("{} {}", f.rev("main"), f.rev("origin/carto/main"))
    );
    assert!(!f.work.join(".git/carto/sync.json").exists());
    assert_eq!(f.git(&f.work, &["status", "--porcelain"]), "");
    let j: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.work.join(".git/carto/reports/upstream-sync-v1.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(j["state"], "committed");
    assert_eq!(j["counts"]["by_hand"], 4);
    assert_eq!(j["findings"].as_array().unwrap().len(), 0, "{j}");
    // Not pushed: --no-push was remembered.
    assert!(
        f.run_git(
            &f.origin,
            &["rev-parse", "--verify", "upstream-sync/v1.1.0"]
        )
        .code
            != 0
    );
}

/// With `rerere.enabled`, a resolution git remembers is replayed into the
/// working tree when the same conflict comes back, as `git merge` does.
#[test]
fn a_resolution_git_remembers_is_replayed() {
    let f = sync_support::one_conflict();
    let w = &f.work;
    f.git(w, &["config", "rerere.enabled", "true"]);
    f.carto(&["sync", "--no-push"]).fails(1);
    f.write(w, "c.txt", "settled by hand\n");
    f.git(w, &["rerere"]);
    f.carto(&["sync", "--abort"]).ok();
    f.carto(&["sync", "--no-push"]).fails(1);
    assert_eq!(
        std::fs::read_to_string(w.join("c.txt")).unwrap(),
        "settled by hand\n"
    );
}
