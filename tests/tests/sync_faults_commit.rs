//! The fault suite for the sync's commit step: `git commit` that moved the
//! branch and then failed (a hook, a disk full after the ref, the process
//! killed) leaves a commit only this sync made; `--abort` takes exactly it
//! back, and never a commit a person made.

mod sync_support;

use carto_tests::fault::{FaultGit, Mode};
use carto_tests::{Fixture, Run};
use sync_support::*;

/// The one-conflict sync stopped, the person settles `c.txt`, and
/// `--continue` runs with `git commit` faulting as `mode`.
fn continue_with_commit_fault(f: &Fixture, fault: &FaultGit, mode: Mode) -> Run {
    f.carto(&["sync", "--no-push"]).fails(1);
    f.write(&f.work, "c.txt", "settled\n");
    f.git(&f.work, &["add", "c.txt"]);
    fault.carto(
        f,
        Some(("commit", 1, mode)),
        &["sync", "--continue", "--accept-findings"],
    )
}

#[test]
fn abort_takes_back_the_merge_commit_git_made_before_failing() {
    let f = one_conflict();
    let fault = FaultGit::install(&f);
    let before = snapshot(&f);
    // git writes the merge commit and moves the sync branch, then fails (a
    // hook, a disk full after the ref).
    let out = continue_with_commit_fault(&f, &fault, Mode::After).fails(1);
    assert!(out.stderr.contains("--abort"), "{}", out.stderr);
    let made = f.rev("upstream-sync/v1.1.0");
    assert_eq!(
        f.git(&f.work, &["show", "upstream-sync/v1.1.0:c.txt"]),
        "settled"
    );
    // --continue cannot finish it and says why.
    let out = f.carto(&["sync", "--continue"]).fails(1);
    assert!(
        out.stderr.contains(&made[..7]) && out.stderr.contains("--abort"),
        "{}",
        out.stderr
    );
    let out = f.carto(&["sync", "--abort"]).ok();
    assert!(
        out.stdout.contains("deleted upstream-sync/v1.1.0"),
        "{}",
        out.stdout
    );
    assert_eq!(snapshot(&f), before);
    assert!(!in_progress(&f));
}

#[test]
fn abort_takes_back_the_merge_commit_when_the_sync_was_killed_after_it() {
    let f = one_conflict();
    let fault = FaultGit::install(&f);
    let before = snapshot(&f);
    let run = continue_with_commit_fault(&f, &fault, Mode::Kill);
    assert_ne!(run.code, 0);
    assert_eq!(
        f.git(&f.work, &["show", "upstream-sync/v1.1.0:c.txt"]),
        "settled"
    );
    // The killed run's lock is stale; the record names the commit to take back.
    f.carto(&["sync", "--abort"]).ok();
    assert_eq!(snapshot(&f), before);
}

#[test]
fn a_commit_of_yours_after_a_failed_commit_step_is_kept() {
    let f = one_conflict();
    let fault = FaultGit::install(&f);
    // The sync's commit fails before git wrote anything...
    continue_with_commit_fault(&f, &fault, Mode::Fail).fails(1);
    // ...and the person commits their own resolution with plain git.
    f.write(&f.work, "c.txt", "mine\n");
    f.git(&f.work, &["add", "c.txt"]);
    f.git(
        &f.work,
        &["commit", "--quiet", "--no-verify", "-m", "my merge"],
    );
    let mine = f.rev("HEAD");
    let out = f.carto(&["sync", "--abort"]).ok();
    assert!(out.stdout.contains("as it is"), "{}", out.stdout);
    assert_eq!(f.rev("upstream-sync/v1.1.0"), mine);

    // After a commit step that did write, a commit on top of it is kept too.
    let g = one_conflict();
    let fault = FaultGit::install(&g);
    continue_with_commit_fault(&g, &fault, Mode::After).fails(1);
    g.commit_file(&g.work, "mine.txt", "mine\n", "feat: mine");
    let mine = g.rev("HEAD");
    let out = g.carto(&["sync", "--abort"]).ok();
    assert!(out.stdout.contains("as it is"), "{}", out.stdout);
    assert_eq!(g.rev("upstream-sync/v1.1.0"), mine);
}

#[test]
fn abort_takes_back_the_commit_of_a_taken_over_merge_that_failed_after_writing() {
    let f = conflicted();
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
    let fault = FaultGit::install(&f);
    let (before, prod) = (snapshot(&f), f.rev("carto/main"));
    let r = f.run_git(&f.work, &["merge", "v1.1.0-stable"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    f.carto(&["sync", "--resolve"]).fails(1);
    f.git(
        &f.work,
        &[
            "checkout",
            "--ours",
            "--",
            "Dockerfile",
            "assets/logo.png",
            "c.txt",
        ],
    );
    f.git(
        &f.work,
        &["add", "Dockerfile", "assets/logo.png", "c.txt", "Makefile"],
    );
    // git commits the merge on production, then fails.
    let out = fault.carto(
        &f,
        Some(("commit", 1, Mode::After)),
        &["sync", "--continue", "--accept-findings"],
    );
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert_ne!(f.rev("carto/main"), prod, "git made the commit");
    f.carto(&["sync", "--abort"]).ok();
    assert_eq!(f.rev("carto/main"), prod);
    assert_eq!(snapshot(&f), before);
}
