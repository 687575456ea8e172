//! History read by structure and formats told apart: a merge is a merge by
//! its parents, a shallow range is refused by notes as by lint, an unborn
//! branch is not "detached", an unsupported repository format is named.

use carto_tests::{bin_dir, Fixture, Run};

#[test]
fn a_merge_is_judged_by_its_parents_not_its_wording() {
    let f = Fixture::new();
    let w = &f.work;
    f.carto(&["hooks", "install"]).ok();
    f.git(w, &["switch", "--quiet", "-c", "fix/x", "carto/main"]);
    f.commit_file(w, "carto_x.txt", "x\n", "fix: x");
    f.git(w, &["switch", "--quiet", "carto/main"]);
    f.commit_file(w, "carto_y.txt", "y\n", "feat: y");
    f.git(
        w,
        &["push", "--quiet", "--no-verify", "origin", "carto/main"],
    );
    f.git(w, &["switch", "--quiet", "fix/x"]);
    // Through the commit-msg hook: the merge in progress makes it a merge.
    f.git(
        w,
        &["merge", "--quiet", "--no-ff", "--no-commit", "carto/main"],
    );
    let commit = f.run_git(
        w,
        &["commit", "--quiet", "-m", "Merge carto/main into fix/x"],
    );
    assert_eq!(commit.code, 0, "{}", commit.stderr);

    let out = f.carto(&["lint"]).ok();
    assert!(
        out.stdout.contains("all follow the commit rules"),
        "{}",
        out.stdout
    );
    let push = f.run_git(w, &["push", "--quiet", "origin", "fix/x"]);
    assert_eq!(push.code, 0, "{}", push.stderr);

    // The same wording on a commit with one parent is held to the rules.
    f.commit_file(w, "carto_z.txt", "z\n", "fix: z");
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--no-verify",
            "--allow-empty",
            "-m",
            "Merge carto/main into fix/x",
        ],
    );
    let out = f.carto(&["lint"]).fails(1);
    assert!(out.stdout.contains("1 do not follow"), "{}", out.stdout);
}

#[test]
fn notes_refuse_a_range_cut_by_a_shallow_clone() {
    let f = Fixture::new();
    let dir = f.path("shallow");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "--depth",
            "1",
            "-b",
            "carto/main",
            &Fixture::url(&f.origin),
            dir.to_str().unwrap(),
        ],
    );
    f.git(
        &dir,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    f.git(&dir, &["fetch", "--quiet", "upstream", "--tags"]);
    let xtask = bin_dir().join("xtask");
    let out = Run::from(
        f.command(xtask.to_str().unwrap(), &dir)
            .args(["notes", "v1.75.2-stable..carto/main"])
            .output()
            .unwrap(),
    )
    .fails(1);
    assert!(out.stderr.contains("shallow clone"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn status_on_an_unborn_branch_says_so() {
    let f = Fixture::new();
    f.git(&f.work, &["switch", "--quiet", "--orphan", "fresh"]);
    let out = f.carto(&["status"]).ok();
    assert!(
        out.stdout.contains("On branch fresh, no commits yet"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("detached"), "{}", out.stdout);
    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["branch"], "fresh");
    assert_eq!(j["unborn"], true);
}

#[test]
fn unsupported_repository_formats_are_named() {
    let f = Fixture::empty();
    for (name, flag, says) in [
        ("reftable", "--ref-format=reftable", "reftable ref store"),
        ("sha256", "--object-format=sha256", "sha256 object ids"),
    ] {
        let dir = f.path(name);
        let init = f.run_git(
            f.root.path(),
            &["init", "--quiet", flag, dir.to_str().unwrap()],
        );
        if init.code != 0 {
            // A git too old to make this format cannot have made a repository in it.
            continue;
        }
        let out = f.carto_in(&dir, &["status"]).fails(1);
        assert!(
            out.stderr.contains(says) && out.stderr.contains("not support"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("not a git repository"),
            "{}",
            out.stderr
        );
    }
}

/// A fork imported as a snapshot of upstream's tree (no upstream history): no
/// stable tag is an ancestor, so nothing in the history says which upstream
/// version it is. Without `--upstream` that is refused; with it, the user's
/// word is taken and the warning says the answer stands on it. A version file
/// that disagrees still wins over the word.
#[test]
fn a_snapshot_import_takes_the_users_upstream_version_with_a_warning() {
    let f = Fixture::new();
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "--orphan", "snapshot"]);
    f.git(w, &["checkout", "v1.75.2-stable", "--", "."]);
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "chore: import upstream 1.75.2",
        ],
    );
    f.commit_file(w, "carto_x.py", "x\n", "feat: fork work");
    let before = f.git(w, &["for-each-ref"]);

    let out = f.carto(&["next-tag", "patch"]).fails(1);
    assert!(
        out.stderr.contains("no upstream stable tag is an ancestor"),
        "{}",
        out.stderr
    );
    let out = f.carto(&["next-tag", "patch", "--upstream", "1.75.2"]).ok();
    assert!(out.stdout.starts_with("carto-v1.75.2-0."), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: no upstream stable tag is an ancestor of the commit being released: trusting --upstream 1.75.2"),
        "{}",
        out.stderr
    );
    let j = f
        .carto(&["next-tag", "patch", "--upstream", "1.75.2", "--json"])
        .ok()
        .json();
    assert!(
        j["warning"]
            .as_str()
            .unwrap()
            .contains("trusting --upstream 1.75.2"),
        "{j}"
    );

    f.write(
        w,
        ".gitcarto",
        "[release]\n\tversionFile = pyproject.toml\n",
    );
    let out = f
        .carto(&["next-tag", "patch", "--upstream", "1.77.4"])
        .fails(1);
    assert!(
        out.stderr.contains("pyproject.toml: 1.75.2"),
        "{}",
        out.stderr
    );
    assert_eq!(f.git(w, &["for-each-ref"]), before);
}
