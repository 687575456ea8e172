//! The fault suite: `git carto sync` (and its `--resolve`, `--continue`,
//! `--abort`) under failing, half-done and blocked git commands and under a
//! second sync racing in the same clone. After each, refs, index and files are
//! compared byte for byte with the state before (or the completed sync), and
//! nothing a person made is lost.

mod sync_support;

use std::process::{Command, Stdio};

use carto_tests::fault::{FaultGit, Mode};
use carto_tests::{Fixture, Run};
use sync_support::*;

fn wait(child: std::process::Child) -> Run {
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn a_second_sync_while_one_runs_is_refused_and_changes_nothing() {
    let f = Fixture::new();
    let fault = FaultGit::install(&f);
    let prod = f.rev("carto/main");
    // The first sync stops inside its first fetch, before it records anything.
    let first = fault.spawn_blocked(&f, "fetch", &["sync", "--no-push"]);
    let refs_before = f.git(
        &f.work,
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    );
    let second = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(
        second
            .stderr
            .contains("another `git carto sync` is running")
            && second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("sync.lock"), "{}", second.stderr);
    assert_eq!(
        f.git(
            &f.work,
            &["for-each-ref", "--format=%(refname) %(objectname)"]
        ),
        refs_before
    );
    // --resolve, --continue and --abort wait their turn too.
    for step in ["--resolve", "--continue", "--abort"] {
        let out = f.carto(&["sync", step]).fails(1);
        assert!(out.stderr.contains("is running"), "{step}: {}", out.stderr);
    }
    fault.release();
    let first = wait(first).ok();
    assert!(first.stdout.contains("Synced"), "{}", first.stdout);
    assert_eq!(f.rev("carto/main"), prod);
    assert!(f.rev("upstream-sync/v1.78.5").len() == 40);
    assert!(!f.work.join(".git/carto/sync.lock").exists());
}

#[test]
fn abort_during_continue_is_refused_and_the_commit_survives() {
    let f = one_conflict();
    let fault = FaultGit::install(&f);
    f.carto(&["sync", "--no-push"]).fails(1);
    f.write(&f.work, "c.txt", "settled by hand\n");
    f.git(&f.work, &["add", "c.txt"]);
    let cont = fault.spawn_blocked(&f, "commit", &["sync", "--continue", "--accept-findings"]);
    let out = f.carto(&["sync", "--abort"]).fails(1);
    assert!(
        out.stderr.contains(&format!("pid {}", cont.id())),
        "{}",
        out.stderr
    );
    fault.release();
    wait(cont).ok();
    assert_eq!(
        f.git(&f.work, &["show", "upstream-sync/v1.1.0:c.txt"]),
        "settled by hand"
    );
    assert!(!in_progress(&f));
}

#[test]
fn a_lock_left_by_a_killed_sync_is_taken_over_and_a_live_one_is_named() {
    let f = one_conflict();
    let lock = f.work.join(".git/carto/sync.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    // A process that has ended: its lock is stale.
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    std::fs::write(&lock, format!("pid {}\nsince 0\n", gone.id())).unwrap();
    f.carto(&["sync", "--no-push"]).fails(1);
    assert!(
        in_progress(&f),
        "the sync ran (and stopped on its conflict)"
    );
    assert!(!lock.exists());
    // A live process holds it: refused, naming it and the file to remove.
    let mut live = Command::new("sleep")
        .arg("600")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::fs::write(&lock, format!("pid {}\nsince 0\n", live.id())).unwrap();
    let out = f.carto(&["sync", "--abort"]).fails(1);
    live.kill().unwrap();
    live.wait().unwrap();
    assert!(
        out.stderr.contains(&format!("pid {}", live.id())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1970-01-01 00:00:00 UTC"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("remove "), "{}", out.stderr);
    assert!(in_progress(&f));
    std::fs::remove_file(&lock).unwrap();
    f.carto(&["sync", "--abort"]).ok();
}

/// T2-trust case 6: two real syncs started at once. Whichever wins, production
/// is unchanged, the sync branch exists, and no staged changes are left
/// behind without a sync in progress.
#[test]
fn two_syncs_started_at_once_leave_one_whole_sync() {
    let f = Fixture::new();
    let prod = f.rev("carto/main");
    let spawn = || {
        f.command("git", &f.work)
            .args(["carto", "sync", "--no-push"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (wait(a), wait(b));
    for r in [&a, &b] {
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    // Each run either did the sync (or found it done), or met the other's
    // lock and said so; never both refused.
    for r in [&a, &b] {
        match r.code {
            0 => assert!(r.stdout.contains("1.78.5"), "{r:?}"),
            1 => assert!(
                ["running", "starting"].iter().any(|how| r
                    .stderr
                    .contains(&format!("another `git carto sync` is {how} in this clone"))),
                "{r:?}"
            ),
            _ => panic!("{r:?}"),
        }
    }
    assert!(a.code == 0 || b.code == 0, "{a:?}\n{b:?}");
    assert_eq!(f.rev("carto/main"), prod);
    assert_eq!(f.rev("upstream-sync/v1.78.5").len(), 40);
    assert!(!in_progress(&f));
    assert_eq!(
        f.git(&f.work, &["status", "--porcelain", "--untracked-files=no"]),
        ""
    );
}

#[test]
fn a_commit_made_during_a_stopped_sync_survives_abort() {
    let f = one_conflict();
    let mirror = f.rev("main");
    f.carto(&["sync", "--no-push"]).fails(1);
    // The person settles the conflict and commits the merge with plain git.
    f.write(&f.work, "c.txt", "mine\n");
    f.git(&f.work, &["add", "c.txt"]);
    f.git(
        &f.work,
        &["commit", "--quiet", "--no-verify", "-m", "my merge"],
    );
    let mine = f.rev("HEAD");
    let out = f.carto(&["sync", "--abort"]).ok();
    assert!(
        out.stdout
            .contains("left upstream-sync/v1.1.0 (it moved since this sync set it"),
        "{}",
        out.stdout
    );
    assert_eq!(f.rev("upstream-sync/v1.1.0"), mine);
    assert_eq!(f.rev("main"), mirror);
    assert_eq!(
        f.git(&f.work, &["symbolic-ref", "--short", "HEAD"]),
        "carto/main"
    );
    assert!(!in_progress(&f));
}

/// The merge is laid into the working tree by `read-tree` (git's single
/// merge base known, so no `git merge` walks the history again for it). A
/// `read-tree` that wrote the index and files and then died, or one that
/// failed first, leaves nothing behind.
#[test]
fn a_merge_that_dies_half_way_is_rolled_back_whole() {
    let f = one_conflict();
    let fault = FaultGit::install(&f);
    let before = snapshot(&f);
    for mode in [Mode::After, Mode::Fail] {
        let out = fault
            .carto(&f, Some(("read-tree", 1, mode)), &["sync", "--no-push"])
            .fails(1);
        assert!(out.stderr.contains("injected failure"), "{}", out.stderr);
        assert!(
            !out.stderr.contains("undoing the sync failed"),
            "{}",
            out.stderr
        );
        assert!(!in_progress(&f), "{mode:?}");
        assert_eq!(snapshot(&f), before, "{mode:?}");
    }
}

#[test]
fn abort_succeeds_from_a_half_written_merge() {
    let f = one_conflict();
    let before = snapshot(&f);
    f.carto(&["sync", "--no-push"]).fails(1);
    // What a disk full in a person's `git merge --continue` leaves: conflict
    // stages and files with markers, and no MERGE_HEAD any more.
    std::fs::remove_file(f.work.join(".git/MERGE_HEAD")).unwrap();
    f.write(&f.work, "c.txt", "<<<<<<< half\n");
    f.carto(&["sync", "--abort"]).ok();
    assert_eq!(snapshot(&f), before);
    assert!(!in_progress(&f));
}

/// After a fault: production never moved; a recorded sync aborts back to
/// `before` byte for byte; otherwise nothing is staged and a plain re-run
/// completes the sync.
#[track_caller]
fn holds_after_fault(f: &Fixture, before: &str, prod: &str, what: &str, run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert_eq!(f.rev("carto/main"), prod, "{what}: production moved");
    if in_progress(f) {
        // Even a merge commit git made before reporting a failure is this
        // sync's, recorded before the commit: taken back.
        f.carto(&["sync", "--abort"]).ok();
        assert_eq!(snapshot(f), before, "{what}");
        return;
    }
    if snapshot(f) == before {
        return;
    }
    assert_eq!(
        f.git(&f.work, &["status", "--porcelain", "--untracked-files=no"]),
        "",
        "{what}: changes left with no sync in progress"
    );
    let again = f.carto(&["sync"]).ok();
    assert!(again.stdout.contains("Synced"), "{what}: {}", again.stdout);
    assert_eq!(f.rev("carto/main"), prod);
    f.git(
        &f.work,
        &["merge-base", "--is-ancestor", prod, "upstream-sync/v1.78.5"],
    );
}

#[test]
fn sync_survives_a_fault_at_every_git_step() {
    for (sub, mode) in [
        ("fetch", Mode::Fail),
        ("switch", Mode::Fail),
        ("update-ref", Mode::Fail),
        ("merge", Mode::Fail),
        ("merge", Mode::Half),
        ("symbolic-ref", Mode::Fail),
        ("symbolic-ref", Mode::After),
        ("read-tree", Mode::Fail),
        ("read-tree", Mode::After),
        ("update-index", Mode::After),
        ("commit", Mode::Fail),
        ("commit", Mode::After),
        ("commit", Mode::Kill),
        ("push", Mode::Fail),
    ] {
        let mut nth = 1;
        loop {
            let f = Fixture::new();
            let fault = FaultGit::install(&f);
            let (before, prod) = (snapshot(&f), f.rev("carto/main"));
            let run = fault.carto(&f, Some((sub, nth, mode)), &["sync"]);
            if fault.calls() < nth {
                run.ok();
                break;
            }
            let what = format!("git {sub} #{nth} ({mode:?})");
            assert_ne!(run.code, 0, "{what}: success reported\n{}", run.stdout);
            holds_after_fault(&f, &before, &prod, &what, &run);
            nth += 1;
        }
    }
}

#[test]
fn continue_and_abort_survive_a_fault_at_every_git_step() {
    for (step, sub, mode) in [
        ("--continue", "commit", Mode::Fail),
        ("--continue", "commit", Mode::After),
        ("--continue", "commit", Mode::Kill),
        ("--abort", "reset", Mode::Fail),
        ("--abort", "switch", Mode::Fail),
        ("--abort", "update-ref", Mode::Fail),
    ] {
        let mut nth = 1;
        loop {
            let f = one_conflict();
            let fault = FaultGit::install(&f);
            let (before, prod) = (snapshot(&f), f.rev("carto/main"));
            f.carto(&["sync", "--no-push"]).fails(1);
            f.write(&f.work, "c.txt", "settled\n");
            f.git(&f.work, &["add", "c.txt"]);
            let mut args = vec!["sync", step];
            if step == "--continue" {
                args.push("--accept-findings");
            }
            let run = fault.carto(&f, Some((sub, nth, mode)), &args);
            if fault.calls() < nth {
                run.ok();
                break;
            }
            let what = format!("{step}: git {sub} #{nth} ({mode:?})");
            assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
            assert_eq!(f.rev("carto/main"), prod, "{what}: production moved");
            if in_progress(&f) {
                // --abort works from here and restores the start, the merge
                // commit git made before failing included.
                f.carto(&["sync", "--abort"]).ok();
                assert_eq!(snapshot(&f), before, "{what}");
            } else if step == "--continue" {
                // The commit happened: the person's resolution is in it.
                assert_eq!(
                    f.git(&f.work, &["show", "upstream-sync/v1.1.0:c.txt"]),
                    "settled",
                    "{what}"
                );
            } else {
                assert_eq!(snapshot(&f), before, "{what}");
            }
            nth += 1;
        }
    }
}

#[test]
fn verify_on_an_unborn_branch_with_a_merge_head_refuses_without_a_panic() {
    let f = Fixture::empty();
    let dir = f.path("unborn");
    f.git(f.root.path(), &["init", "--quiet", dir.to_str().unwrap()]);
    f.write(&dir, "a.txt", "a\n");
    f.git(&dir, &["add", "a.txt"]);
    let tree = f.git(&dir, &["write-tree"]);
    let commit = f.git(&dir, &["commit-tree", "-m", "elsewhere", &tree]);
    std::fs::write(dir.join(".git/MERGE_HEAD"), format!("{commit}\n")).unwrap();
    let out = f.carto_in(&dir, &["verify"]).fails(1);
    assert!(
        out.stderr.contains("HEAD does not point at a commit"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_stop_message_and_status_list_the_same_conflicts() {
    let f = one_conflict();
    // A rename/rename no policy decides, besides the content conflict.
    rename(&f, &src(&f), "docs/guide.md", "docs/guide-upstream.md");
    upstream_commit(&f, &[], "refactor: upstream renames the guide");
    f.upstream_release("1.2.0", None);
    let w = f.work.clone();
    rename(&f, &w, "docs/guide.md", "docs/guide-fork.md");
    fork_commit(&f, &[], "refactor: fork renames the guide");
    let out = f
        .carto(&["sync", "--no-push", "--tag", "v1.2.0-stable"])
        .fails(1);
    let mut stopped: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("manual: "))
        .collect();
    stopped.sort();
    let status = f.carto(&["sync", "--status", "--json"]).ok().json();
    let mut listed: Vec<&str> = status["left"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    listed.sort();
    assert_eq!(stopped, listed, "{}", out.stdout);
    assert_eq!(listed, ["c.txt", "docs/guide.md"]);
}

/// Statuses of every recorded conflict: (path, kind).
fn kinds(f: &Fixture) -> Vec<(String, String)> {
    let j = f.carto(&["sync", "--status", "--json"]).ok().json();
    j["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn type_and_directory_collisions_are_not_paired_into_a_rename() {
    let mut files = base_files();
    files.push(("cfg", "a\nb\n".into()));
    let f = fork_with(&files);
    let s = src(&f);
    std::fs::remove_file(s.join("cfg")).unwrap();
    std::os::unix::fs::symlink("c.txt", s.join("cfg")).unwrap();
    f.git(&s, &["add", "cfg"]);
    upstream_commit(
        &f,
        &[("thing/x", Some("upstream dir\n".into()))],
        "feat: up",
    );
    f.upstream_release("1.1.0", None);
    fork_commit(
        &f,
        &[
            ("cfg", Some("a\nFORK\n".into())),
            ("thing", Some("fork file\n".into())),
        ],
        "feat: fork",
    );
    f.carto(&["sync", "--no-push"]).fails(1);
    let found = kinds(&f);
    assert!(found.iter().all(|(_, k)| k != "rename/rename"), "{found:?}");
    // Every unmerged path is in exactly one conflict of its own.
    let unmerged = f.git(&f.work, &["diff", "--name-only", "--diff-filter=U"]);
    let mut paths: Vec<String> = found.iter().map(|(p, _)| p.clone()).collect();
    paths.sort();
    let mut expected: Vec<String> = unmerged.lines().map(str::to_string).collect();
    expected.sort();
    expected.dedup();
    assert_eq!(paths, expected);
    assert!(paths.iter().any(|p| p.starts_with("thing~")), "{paths:?}");
    assert_eq!(file(&f, "thing/x"), "upstream dir\n");
    let aside = paths.iter().find(|p| p.starts_with("thing~")).unwrap();
    assert_eq!(file(&f, aside), "fork file\n");
}

#[test]
fn a_real_rename_rename_is_still_paired() {
    let f = one_conflict();
    rename(&f, &src(&f), "docs/guide.md", "docs/guide-upstream.md");
    upstream_commit(&f, &[], "refactor: upstream renames the guide");
    f.upstream_release("1.2.0", None);
    let w = f.work.clone();
    rename(&f, &w, "docs/guide.md", "docs/guide-fork.md");
    fork_commit(
        &f,
        &[("thing", Some("fork only\n".into()))],
        "refactor: fork renames the guide",
    );
    f.carto(&["sync", "--no-push"]).fails(1);
    let found = kinds(&f);
    assert!(
        found.contains(&("docs/guide.md".into(), "rename/rename".into())),
        "{found:?}"
    );
}

#[test]
fn submodule_conflicts_have_their_own_kind_and_refuse_hunk_policies() {
    let f = fork_with(&base_files());
    let link = |dir: &std::path::Path, id: &str| {
        f.git(
            dir,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("160000,{id},vendor/lib"),
            ],
        );
    };
    let s = src(&f);
    link(&s, "1111111111111111111111111111111111111111");
    upstream_commit(&f, &[], "chore: vendor lib");
    f.upstream_release("1.1.0", None);
    // The fork pins the submodule elsewhere, on top of the same base.
    f.git(&f.work, &["fetch", "--quiet", "upstream"]);
    link(&f.work, "2222222222222222222222222222222222222222");
    fork_commit(&f, &[], "chore: pin vendor lib");
    link(&s, "3333333333333333333333333333333333333333");
    upstream_commit(&f, &[], "chore: bump vendor lib");
    f.upstream_release("1.2.0", None);

    // No policy: manual, of kind submodule, never offered `e`dit.
    let out = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(out.stdout.contains("manual: vendor/lib"), "{}", out.stdout);
    assert!(kinds(&f).contains(&("vendor/lib".into(), "submodule".into())));
    let walk = f.carto(&["sync", "--resolve", "--interactive"]);
    assert!(walk.stdout.contains("vendor/lib"), "{}", walk.stdout);
    assert!(!walk.stdout.contains("[e]dit"), "{}", walk.stdout);
    f.carto(&["sync", "--abort"]).ok();

    // A hunk policy cannot merge a gitlink: a clear refusal, nothing changed.
    f.write(
        &f.work,
        ".gitcarto",
        "[resolve \"upstream\"]\n\tpath = vendor/**\n",
    );
    f.git(&f.work, &["add", ".gitcarto"]);
    f.git(
        &f.work,
        &["commit", "--quiet", "--no-verify", "-m", "chore: policy"],
    );
    let before = snapshot(&f);
    let out = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(
        out.stderr.contains("vendor/lib is a submodule") && out.stderr.contains("upstream-file"),
        "{}",
        out.stderr
    );
    assert_eq!(snapshot(&f), before);
}

#[test]
fn xtask_release_survives_a_fault_at_every_git_step_and_resumes() {
    use carto_tests::github_releases::Releases;
    use carto_tests::github_server::GitHubServer;
    const NEXT: &str = "carto-v1.75.2-0.1.1";
    for (sub, mode) in [
        ("tag", Mode::Fail),
        ("push", Mode::Fail),
        ("push", Mode::After),
    ] {
        let mut nth = 1;
        loop {
            let f = Fixture::new();
            f.git(&f.work, &["config", "carto.github.repo", "acme/litellm"]);
            f.commit_file(
                &f.work,
                "carto_proxy.py",
                "t = 30\n",
                "fix(proxy): timeouts",
            );
            f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
            let prod = f.rev("carto/main");
            let server = GitHubServer::start();
            let releases = Releases::mount(&server, "acme", "litellm", f.origin.clone(), &[NEXT]);
            let fault = FaultGit::install(&f);
            fault.reset();
            let run = Run::from(
                fault
                    .program(
                        &f,
                        "xtask",
                        Some((sub, nth, mode)),
                        &["release", "patch", "--no-images"],
                    )
                    .envs(server.env().iter().map(|(k, v)| (k, v)))
                    .output()
                    .unwrap(),
            );
            if fault.calls() < nth {
                run.ok();
                break;
            }
            let what = format!("release: git {sub} #{nth} ({mode:?})");
            assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
            assert_eq!(f.rev("carto/main"), prod, "{what}");
            // The same command, without the fault, finishes the release once.
            let again = f.xtask_env(&server.env(), &["release", "patch", "--no-images"]);
            assert_eq!(again.code, 0, "{what}: {}\n{}", again.stdout, again.stderr);
            assert_eq!(
                f.git(&f.origin, &["rev-parse", &format!("{NEXT}^{{commit}}")]),
                prod,
                "{what}"
            );
            assert_eq!(releases.all().len(), 1, "{what}");
            nth += 1;
        }
    }
}

/// The fetches run on a thread of their own while the history is read: a
/// remote that cannot be fetched still stops the sync before anything moves,
/// naming the remote.
#[test]
fn a_remote_that_cannot_be_fetched_stops_the_sync_and_is_named() {
    for (remote, said) in [
        ("upstream", "fetching tags from `upstream`"),
        ("origin", "fetching `origin`"),
    ] {
        let f = Fixture::new();
        let gone = format!("file://{}/gone.git", f.root.path().display());
        f.git(&f.work, &["remote", "set-url", remote, &gone]);
        let before = snapshot(&f);
        let out = f.carto(&["sync", "--no-push"]).fails(1);
        assert!(out.stderr.contains(said), "{remote}: {}", out.stderr);
        assert_eq!(snapshot(&f), before, "{remote}: something moved");
    }
}
