//! Answers that depend on upstream's refs refuse, saying how to fetch them,
//! when the clone has none or older ones than the commit contains; they are
//! never computed from whatever tags origin happens to carry.

mod sync_support;

use carto_tests::Fixture;

const ADD_AND_FETCH: &str = "git remote add upstream <url> && git fetch upstream --tags";

/// Production contains upstream 1.78.5; origin also carries the old stable
/// tag (as a fork whose clone pushed `--tags` does). A fresh clone of origin.
fn fresh_clone_of_a_synced_fork(f: &Fixture) -> std::path::PathBuf {
    f.merge_upstream_into_production("v1.78.5-stable");
    f.git(&f.work, &["push", "--quiet", "origin", "v1.75.2-stable"]);
    let mate = f.path("fresh");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "-b",
            "carto/main",
            &Fixture::url(&f.origin),
            mate.to_str().unwrap(),
        ],
    );
    mate
}

#[test]
fn without_the_upstream_remote_answers_refuse_and_say_how_to_fetch() {
    let f = Fixture::new();
    let mate = fresh_clone_of_a_synced_fork(&f);
    for args in [&["next-tag", "patch"][..], &["status"], &["lint"]] {
        let out = f.carto_in(&mate, args).fails(1);
        assert!(
            out.stderr.contains(ADD_AND_FETCH),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("1.75.2-0.1.1"), "{}", out.stdout);
    }
    let xtask = carto_tests::bin_dir().join("xtask");
    let out = carto_tests::Run::from(
        f.command(xtask.to_str().unwrap(), &mate)
            .args(["notes", "carto-v1.75.2-0.1.0..carto/main"])
            .output()
            .unwrap(),
    )
    .fails(1);
    assert!(out.stderr.contains(ADD_AND_FETCH), "{}", out.stderr);

    // Once fetched, the answer is right.
    f.git(
        &mate,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    f.git(&mate, &["fetch", "--quiet", "upstream", "--tags"]);
    let out = f.carto_in(&mate, &["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.78.5-0.1.0");
    f.carto_in(&mate, &["status"]).ok();
}

#[test]
fn upstream_refs_older_than_a_mirror_merge_refuse() {
    let f = Fixture::new();
    let w = &f.work;
    // The mirror merge `sync` makes: upstream 1.78.5's tree, previous mirror first.
    let merge = f.git(
        w,
        &[
            "commit-tree",
            "v1.78.5-stable^{tree}",
            "-p",
            "main",
            "-p",
            "v1.78.5-stable^{commit}",
            "-m",
            "Merge tag 'v1.78.5-stable' into main",
        ],
    );
    f.git(w, &["update-ref", "refs/heads/main", &merge]);
    f.git(w, &["switch", "--quiet", "carto/main"]);
    f.git(
        w,
        &["merge", "--quiet", "--no-edit", "-X", "theirs", "main"],
    );
    f.git(w, &["push", "--quiet", "origin", "main", "carto/main"]);

    // A clone that fetched upstream long ago: main and the 1.75.2 tag only.
    let mate = f.path("stale");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "-b",
            "carto/main",
            &Fixture::url(&f.origin),
            mate.to_str().unwrap(),
        ],
    );
    f.git(
        &mate,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    f.git(
        &mate,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "upstream",
            "main",
            "refs/tags/v1.75.2-stable:refs/tags/v1.75.2-stable",
        ],
    );
    for args in [&["next-tag", "patch"][..], &["status"]] {
        let out = f.carto_in(&mate, args).fails(1);
        assert!(
            out.stderr.contains("older than the history")
                && out.stderr.contains("git fetch upstream --tags"),
            "{args:?}: {}",
            out.stderr
        );
    }
    f.git(&mate, &["fetch", "--quiet", "upstream", "--tags"]);
    let out = f.carto_in(&mate, &["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.78.5-0.1.0");
}

#[test]
fn a_feature_merge_that_takes_its_branch_tree_is_not_a_mirror_merge() {
    let f = Fixture::new();
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "-c", "feature/x", "carto/main"]);
    f.commit_file(w, "carto_x.txt", "x\n", "feat: x");
    f.git(w, &["switch", "--quiet", "carto/main"]);
    // Production did not move: the merge's tree is exactly the branch's.
    f.git(
        w,
        &["merge", "--quiet", "--no-ff", "--no-edit", "feature/x"],
    );
    let out = f.carto(&["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.75.2-0.1.1");
}

/// Production merged upstream 1.78.5 by hand (plain `git merge` of the tag,
/// no mirror merge); a clone whose upstream refs predate that release.
#[test]
fn a_hand_made_merge_of_a_newer_upstream_release_refuses_with_stale_refs() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.78.5-stable");
    let mate = stale_clone(&f);
    f.git(&mate, &["fetch", "--quiet", "origin", "--tags"]);
    assert_eq!(f.git(&mate, &["tag", "-l", "v1.78.5*"]), "");
    for args in [&["next-tag", "patch"][..], &["status"]] {
        let out = f.carto_in(&mate, args).fails(1);
        assert!(
            out.stderr.contains("older than the history")
                && out.stderr.contains("merged by hand")
                && out.stderr.contains("git fetch upstream --tags"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("1.75.2-0.1.1"), "{}", out.stdout);
    }
    f.git(&mate, &["fetch", "--quiet", "upstream", "--tags"]);
    let out = f.carto_in(&mate, &["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.78.5-0.1.0");
    f.carto_in(&mate, &["status"]).ok();
}

/// A clone of origin's production whose upstream refs were fetched before
/// 1.78.5: the 1.75.2 tag, and upstream's main there.
fn stale_clone(f: &Fixture) -> std::path::PathBuf {
    let mate = f.path("stale");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "--no-tags",
            "-b",
            "carto/main",
            &Fixture::url(&f.origin),
            mate.to_str().unwrap(),
        ],
    );
    f.git(
        &mate,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    f.git(
        &mate,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "upstream",
            "refs/tags/v1.75.2-stable:refs/tags/v1.75.2-stable",
        ],
    );
    f.git(
        &mate,
        &[
            "update-ref",
            "refs/remotes/upstream/main",
            "v1.75.2-stable^{commit}",
        ],
    );
    mate
}

fn refuses_as_merged_by_hand(f: &Fixture, dir: &std::path::Path) {
    let out = f.carto_in(dir, &["next-tag", "patch"]).fails(1);
    assert!(
        out.stderr.contains("merged by hand") && out.stderr.contains("git fetch upstream --tags"),
        "{}",
        out.stderr
    );
}

/// `next-tag` remembers which histories passed the stale-refs check (in
/// `.git/carto/checked`) and then checks only newer commits: a hand-made
/// merge on top of a remembered production is still found.
#[test]
fn a_remembered_check_does_not_cover_a_hand_made_merge_made_after_it() {
    let f = Fixture::new();
    let mate = stale_clone(&f);
    // (Cloned without tags: origin's release tag is not here.)
    let out = f.carto_in(&mate, &["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.75.2-0.1.0");
    let head = f.git(&mate, &["rev-parse", "HEAD"]);
    let checked = std::fs::read_to_string(mate.join(".git/carto/checked")).unwrap();
    assert!(checked.contains(&format!("commit {head}")), "{checked}");
    // Upstream 1.78.5 fetched without any ref (as `git pull <url> <tag>`
    // does) and merged by hand.
    f.git(
        &mate,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "upstream",
            "refs/tags/v1.78.5-stable",
        ],
    );
    f.git(
        &mate,
        &[
            "merge",
            "--quiet",
            "--no-edit",
            "-X",
            "theirs",
            "FETCH_HEAD",
        ],
    );
    refuses_as_merged_by_hand(&f, &mate);
}

/// A remembered check holds only while today's upstream refs reach what the
/// refs of that check reached: once upstream's release is deleted (a tag
/// and branch taken back), the same production is checked again, and its
/// merge of that release refuses.
#[test]
fn a_remembered_check_is_dropped_when_an_upstream_ref_it_relied_on_is_gone() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.78.5-stable");
    let w = &f.work;
    f.git(w, &["fetch", "--quiet", "upstream", "--tags"]);
    let out = f.carto(&["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.78.5-0.1.0");
    // Every upstream ref that reaches 1.78.5 goes away; the merge stays.
    let reaching = f.git(
        w,
        &[
            "for-each-ref",
            "--format=%(refname)",
            "--contains",
            "v1.78.5-stable",
            "refs/tags",
            "refs/remotes/upstream",
        ],
    );
    assert!(!reaching.is_empty());
    for r in reaching.lines() {
        f.git(w, &["update-ref", "-d", r]);
    }
    f.git(
        w,
        &[
            "update-ref",
            "refs/remotes/upstream/main",
            "v1.75.2-stable^{commit}",
        ],
    );
    refuses_as_merged_by_hand(&f, w);
}

/// The record is an optimisation: a damaged or foreign file is ignored and
/// written again, never an error.
#[test]
fn a_damaged_check_record_is_ignored_and_rewritten() {
    let f = Fixture::new();
    let w = &f.work;
    let record = w.join(".git/carto/checked");
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    for junk in [
        "git-carto checked v1 0.1.0\ncommit nothex\n",
        "\u{0}\u{1}",
        "",
    ] {
        std::fs::write(&record, junk).unwrap();
        let out = f.carto(&["next-tag", "patch"]).ok();
        assert_eq!(out.stdout.trim(), "carto-v1.75.2-0.1.1");
        let text = std::fs::read_to_string(&record).unwrap();
        assert!(text.starts_with("git-carto checked v1 "), "{text}");
    }
}

/// A remembered commit that is gone from the repository (a commit-tree
/// experiment `git gc` pruned) is skipped, not an error.
#[test]
fn a_remembered_commit_gone_from_the_repository_is_skipped() {
    let f = Fixture::new();
    let w = &f.work;
    f.carto(&["next-tag", "patch"]).ok();
    let record = w.join(".git/carto/checked");
    let mut text = std::fs::read_to_string(&record).unwrap();
    text.push_str("commit 0123456789abcdef0123456789abcdef01234567\n");
    std::fs::write(&record, text).unwrap();
    f.commit_file(w, "carto_z.txt", "z\n", "fix: z");
    let out = f.carto(&["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.75.2-0.1.1");
}

/// A sync merged into production the way a pull request merges it (a merge
/// commit whose second parent is the sync merge, itself over the mirror):
/// that is no upstream history merged by hand.
#[test]
fn a_sync_merged_by_pull_request_is_not_taken_for_a_hand_made_merge() {
    let f = Fixture::new();
    f.carto(&["sync", "--no-push"]).ok();
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "carto/main"]);
    f.git(
        w,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "--no-edit",
            "upstream-sync/v1.78.5",
        ],
    );
    f.commit_file(w, "carto_y.txt", "y\n", "fix: y");
    let out = f.carto(&["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.78.5-0.1.0");
    f.carto(&["status"]).ok();
}

/// A fork created at an upstream release: a feature branch started before the
/// first fork commit stands on that upstream commit, which production's own
/// line stands on too. Merged after the first release, it is fork work.
#[test]
fn a_feature_started_on_the_upstream_commit_the_fork_was_created_at_is_fork_work() {
    let f = sync_support::fork_with(&sync_support::base_files());
    let w = &f.work;
    f.git(
        w,
        &["switch", "--quiet", "-c", "feature/early", "carto/main"],
    );
    f.commit_file(w, "carto_early.txt", "x\n", "feat: early work");
    f.git(w, &["switch", "--quiet", "carto/main"]);
    f.commit_file(w, "carto_first.txt", "y\n", "fix: first fork commit");
    f.git(w, &["tag", "-a", "-m", "release", "carto-v1.0.0-0.1.0"]);
    f.git(
        w,
        &["merge", "--quiet", "--no-ff", "--no-edit", "feature/early"],
    );
    f.git(w, &["push", "--quiet", "origin", "carto/main"]);
    let out = f.carto(&["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "carto-v1.0.0-0.1.1");
    let out = f.carto(&["status"]).ok();
    assert!(
        out.stdout.contains("1 unreleased fork commit(s)")
            && out.stdout.contains("feat: early work"),
        "{}",
        out.stdout
    );
}
