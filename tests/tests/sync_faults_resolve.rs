//! The fault suite for `git carto sync --resolve`: the policies and the walk
//! write the index and files through `git rm`, `update-index` and
//! `checkout-index`; a failure (or a half-done write) at any of them leaves a
//! sync that `--abort` restores byte for byte, and production never moves.

mod sync_support;

use carto_tests::fault::{FaultGit, Mode};
use carto_tests::{Fixture, Run};
use sync_support::*;

/// The git steps `--resolve` runs, and how each may fail.
const STEPS: [(&str, Mode); 6] = [
    ("rm", Mode::Fail),
    ("rm", Mode::After),
    ("update-index", Mode::Fail),
    ("update-index", Mode::After),
    ("checkout-index", Mode::Fail),
    ("checkout-index", Mode::After),
];

/// `git carto sync <args>` with the fault wrapper, `input` on stdin.
fn run(fault: &FaultGit, f: &Fixture, at: (&str, u32, Mode), args: &[&str], input: &str) -> Run {
    fault.reset();
    Run::with_input(&mut fault.command(f, Some(at), args), input)
}

#[track_caller]
fn restorable(f: &Fixture, before: &str, prod: &str, what: &str, run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert_eq!(f.rev("carto/main"), prod, "{what}: production moved");
    let out = f.carto(&["sync", "--abort"]);
    assert_eq!(out.code, 0, "{what}: {}{}", out.stdout, out.stderr);
    assert_eq!(snapshot(f), before, "{what}");
}

#[test]
fn the_walk_survives_a_fault_at_every_git_step() {
    let mut faulted = 0;
    for (sub, mode) in STEPS {
        let mut nth = 1;
        loop {
            let f = conflicted();
            let fault = FaultGit::install(&f);
            let (before, prod) = (snapshot(&f), f.rev("carto/main"));
            f.carto(&["sync", "--no-push"]).fails(1);
            // Every manual path: the fork side's file.
            let args = ["sync", "--resolve", "--interactive"];
            let out = run(&fault, &f, (sub, nth, mode), &args, "f\nf\nf\nf\n");
            if fault.calls() < nth {
                let out = out.ok();
                assert!(out.stdout.contains("Nothing left"), "{}", out.stdout);
                break;
            }
            let what = format!("walk: git {sub} #{nth} ({mode:?})");
            assert_ne!(out.code, 0, "{what}: success reported\n{}", out.stdout);
            restorable(&f, &before, &prod, &what, &out);
            faulted += 1;
            nth += 1;
        }
    }
    assert!(faulted >= 4, "the walk ran too few git steps: {faulted}");
}

#[test]
fn resolve_of_a_plain_merge_survives_a_fault_at_every_git_step() {
    let mut faulted = 0;
    for (sub, mode) in STEPS {
        let mut nth = 1;
        loop {
            let f = conflicted();
            f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
            let fault = FaultGit::install(&f);
            let (before, prod) = (snapshot(&f), f.rev("carto/main"));
            // A person merges the stable tag; carto takes over to apply the policies.
            let r = f.run_git(&f.work, &["merge", "v1.1.0-stable"]);
            assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
            let out = run(&fault, &f, (sub, nth, mode), &["sync", "--resolve"], "");
            if fault.calls() < nth {
                assert!(
                    out.stdout.contains("4 left for a person"),
                    "{}{}",
                    out.stdout,
                    out.stderr
                );
                break;
            }
            let what = format!("--resolve: git {sub} #{nth} ({mode:?})");
            assert_ne!(out.code, 0, "{what}: success reported\n{}", out.stdout);
            assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
            // The merge was the person's: abort puts production back as before it.
            let abort = f.carto(&["sync", "--abort"]);
            assert_eq!(abort.code, 0, "{what}: {}{}", abort.stdout, abort.stderr);
            assert_eq!(snapshot(&f), before, "{what}");
            assert_eq!(f.rev("carto/main"), prod, "{what}");
            faulted += 1;
            nth += 1;
        }
    }
    assert!(faulted >= 3, "--resolve ran too few git steps: {faulted}");
}
