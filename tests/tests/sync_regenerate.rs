//! `resolve.regenerate` and `git carto sync --regenerate`: generated files
//! (`artifact` paths) rebuilt from the merged sources before the merge is
//! committed, or named "to rebuild" in the checklist; a failing command stops
//! the sync without leaving its output behind.

mod sync_support;

use carto_tests::Fixture;
use sync_support::*;

/// Writes the artifact from the source file, as a UI build would.
const BUILD: &str = "#!/bin/sh\nset -e\nsed 's/^/built: /' ui/src/app.txt > ui/build/app.js\n";

/// Upstream v1.1.0 changes the UI source and its build; the fork rebuilt the
/// artifact too (conflict, settled by `artifact`) and configures `regenerate`.
fn artifact_conflict(regenerate: &str) -> Fixture {
    let mut files = base_files();
    files.push(("ui/src/app.txt", "hello\n".into()));
    let f = fork_with(&files);
    upstream_commit(
        &f,
        &[
            ("ui/src/app.txt", Some("hello upstream\n".into())),
            (
                "ui/build/app.js",
                Some("built: hello upstream (stale)\n".into()),
            ),
        ],
        "feat(ui): new greeting",
    );
    f.upstream_release("1.1.0", None);
    fork_commit(
        &f,
        &[
            (
                ".gitcarto",
                Some(format!(
                    "[resolve \"artifact\"]\n\tpath = ui/build/**\n[resolve]\n\tregenerate = \"{regenerate}\"\n"
                )),
            ),
            ("build.sh", Some(BUILD.into())),
            ("ui/build/app.js", Some("built: hello fork\n".into())),
        ],
        "chore: fork build",
    );
    f
}

#[test]
fn regenerate_commits_the_rebuilt_artifact() {
    let f = artifact_conflict("sh build.sh");
    let j = f
        .carto(&["sync", "--no-push", "--regenerate", "--json"])
        .ok()
        .json();
    assert_eq!(j["outcome"], "committed", "{j}");
    let committed = f.git(&f.work, &["show", "HEAD:ui/build/app.js"]);
    assert_eq!(committed.trim_end(), "built: hello upstream");
    assert_eq!(f.git(&f.work, &["status", "--porcelain"]), "");
    let r = &j["audit"]["regenerate"];
    assert_eq!(r["command"], "sh build.sh", "{j}");
    assert_eq!(r["ran"], true);
    assert_eq!(r["changed"], serde_json::json!(["ui/build/app.js"]));
    let md = std::fs::read_to_string(j["report"].as_str().unwrap()).unwrap();
    assert!(
        md.contains(
            "- [x] rebuilt with `sh build.sh` (`--regenerate`): committed `ui/build/app.js`"
        ),
        "{md}"
    );
    assert!(!md.contains("to rebuild"), "{md}");
}

#[test]
fn without_regenerate_the_checklist_names_the_artifact_and_the_command() {
    let f = artifact_conflict("sh build.sh");
    let j = f.carto(&["sync", "--no-push", "--json"]).ok().json();
    assert_eq!(j["outcome"], "committed", "{j}");
    // The artifact policy's stand-in: upstream's whole (stale) file.
    let committed = f.git(&f.work, &["show", "HEAD:ui/build/app.js"]);
    assert_eq!(committed.trim_end(), "built: hello upstream (stale)");
    assert_eq!(j["audit"]["regenerate"]["ran"], false, "{j}");
    let md = std::fs::read_to_string(j["report"].as_str().unwrap()).unwrap();
    assert!(
        md.contains(
            "- [ ] to rebuild (generated files taken from the upstream side): `ui/build/app.js`: \
             run `sh build.sh` and commit them (or sync with `--regenerate`)"
        ),
        "{md}"
    );
}

#[test]
fn a_failing_command_stops_the_sync_and_abort_restores_everything() {
    let f = artifact_conflict(
        "echo half > ui/build/app.js; echo junk > ui/build/new.js; echo build broke >&2; exit 3",
    );
    let before = snapshot(&f);
    let out = f.carto(&["sync", "--no-push", "--regenerate"]).fails(1);
    assert!(out.stderr.contains("failed"), "{}", out.stderr);
    assert!(out.stderr.contains("build broke"), "{}", out.stderr);
    assert!(out.stderr.contains("--abort"), "{}", out.stderr);
    // Nothing committed, nothing half-staged: the artifact is the policy's
    // result in the index and the tree, the command's extra file is gone.
    assert_eq!(
        f.git(&f.work, &["rev-parse", "-q", "--verify", "MERGE_HEAD"])
            .trim()
            .len(),
        40
    );
    assert_eq!(
        file(&f, "ui/build/app.js"),
        "built: hello upstream (stale)\n"
    );
    assert!(!f.work.join("ui/build/new.js").exists());
    assert_eq!(f.git(&f.work, &["diff", "--name-only"]), "");
    let j = f.carto(&["sync", "--status", "--json"]).ok().json();
    assert_eq!(j["in_progress"], true, "{j}");

    f.carto(&["sync", "--abort"]).ok();
    assert_eq!(snapshot(&f), before);
}

#[test]
fn regenerate_without_a_command_is_a_usage_error_before_anything_moves() {
    let f = artifact_conflict("");
    let before = snapshot(&f);
    let out = f.carto(&["sync", "--no-push", "--regenerate"]).fails(2);
    assert!(out.stderr.contains("resolve.regenerate"), "{}", out.stderr);
    assert_eq!(snapshot(&f), before);
}

#[test]
fn continue_with_regenerate_retries_after_a_failure() {
    let f = artifact_conflict("test -f ui/src/ready && sh build.sh");
    f.carto(&["sync", "--no-push", "--regenerate"]).fails(1);
    // The person fixes what the command needed, then retries.
    f.write(&f.work, "ui/src/ready", "");
    let j = f
        .carto(&["sync", "--continue", "--regenerate", "--json"])
        .ok()
        .json();
    assert_eq!(j["outcome"], "committed", "{j}");
    let committed = f.git(&f.work, &["show", "HEAD:ui/build/app.js"]);
    assert_eq!(committed.trim_end(), "built: hello upstream");
    assert_eq!(j["audit"]["regenerate"]["ran"], true, "{j}");
}
