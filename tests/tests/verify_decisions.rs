//! `verify` tells decisions from losses: a fork-side file missing from the
//! result is a finding unless a policy opt-in or a recorded person's choice
//! covers it, and a person's choice made outside carto (`git checkout
//! --theirs` + `git add`) is recorded as a `Carto-Resolved:` trailer.

mod sync_support;

use carto_tests::Fixture;
use sync_support::*;

fn checks<'a>(j: &'a serde_json::Value, key: &str, check: &str) -> Vec<&'a str> {
    j[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["check"] == check)
        .map(|x| x["path"].as_str().unwrap())
        .collect()
}

/// Both sides renamed `docs/guide.md`; `policy` decides `docs/**`.
fn renamed_on_both_sides(policy: &str) -> Fixture {
    let f = fork_with(&base_files());
    rename(&f, &src(&f), "docs/guide.md", "docs/guide-upstream.md");
    upstream_commit(&f, &[], "refactor: upstream renames the guide");
    f.upstream_release("1.1.0", None);
    let w = f.work.clone();
    rename(&f, &w, "docs/guide.md", "docs/guide-fork.md");
    fork_commit(
        &f,
        &[(
            ".gitcarto",
            Some(format!("[resolve \"{policy}\"]\n\tpath = docs/**\n")),
        )],
        "refactor: fork renames the guide",
    );
    f
}

#[test]
fn a_fork_file_a_policy_deleted_is_a_finding_unless_the_policy_opts_in() {
    // `upstream` takes upstream's name and deletes the fork's: not a decision.
    let f = renamed_on_both_sides("upstream");
    let out = f.carto(&["sync", "--no-push"]).fails(1);
    assert!(
        out.stdout.contains("docs/guide-fork.md") && out.stdout.contains("fork file deleted"),
        "{}",
        out.stdout
    );
    let j = f.carto(&["verify", "--json"]).fails(1).json();
    assert_eq!(
        checks(&j, "findings", "fork_file_deleted"),
        ["docs/guide-fork.md"],
        "{j}"
    );
    let out = f.carto(&["sync", "--continue"]).fails(1);
    assert!(out.stderr.contains("fork file deleted"), "{}", out.stderr);

    // `upstream-file` says dropping the fork's file is intended: an outcome.
    let g = renamed_on_both_sides("upstream-file");
    g.carto(&["sync", "--no-push"]).ok();
    assert!(!g.work.join("docs/guide-fork.md").exists());
    let j = g.carto(&["verify", "--json"]).ok().json();
    assert_eq!(
        checks(&j, "outcomes", "fork_file_deleted"),
        ["docs/guide-fork.md"],
        "{j}"
    );
}

/// Upstream deleted the Makefile, the fork changed it; `work` ends on branch
/// `by-hand` with the plain `git merge` of production into the tag stopped.
fn hand_merge_of_a_delete_modify() -> Fixture {
    let f = fork_with(&base_files());
    upstream_commit(&f, &[("Makefile", None)], "chore: drop make");
    f.upstream_release("1.1.0", None);
    fork_commit(
        &f,
        &[("Makefile", Some("test:\n\tpytest -x\n".into()))],
        "build: stop early",
    );
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
    f.git(
        &f.work,
        &["switch", "--quiet", "-c", "by-hand", "v1.1.0-stable"],
    );
    let r = f.run_git(&f.work, &["merge", "--no-edit", "carto/main"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    f
}

#[test]
fn a_fork_file_deleted_in_a_hand_merge_needs_a_recorded_decision() {
    let f = hand_merge_of_a_delete_modify();
    f.git(&f.work, &["rm", "--quiet", "Makefile"]);
    f.git(
        &f.work,
        &["commit", "--quiet", "--no-verify", "-m", "Merge carto/main"],
    );
    let out = f.carto(&["verify"]).fails(1);
    assert!(
        out.stdout.contains("Makefile: fork file deleted"),
        "{}",
        out.stdout
    );
    // The person's decision, recorded as a sync records it: no finding.
    f.git(
        &f.work,
        &[
            "commit",
            "--quiet",
            "--amend",
            "--no-verify",
            "-m",
            "Merge carto/main\n\nCarto-Resolved: upstream Makefile",
        ],
    );
    let j = f.carto(&["verify", "--json"]).ok().json();
    assert_eq!(checks(&j, "outcomes", "fork_file_deleted"), ["Makefile"]);
}

/// Upstream and the fork both changed line 2 of `c.txt`; the fork also has a
/// `# CARTO:` marker line in `c.txt` and in the Dockerfile.
fn conflict_with_markers() -> Fixture {
    let files = base_files();
    let f = fork_with(&files);
    let c = files.iter().find(|(p, _)| *p == "c.txt").unwrap().1.clone();
    upstream_commit(
        &f,
        &[("c.txt", Some(edit_line(&c, 2, "c UPSTREAM 2")))],
        "feat: upstream c",
    );
    f.upstream_release("1.1.0", None);
    let fork_c = edit_line(&edit_line(&c, 2, "c FORK 2"), 8, "# CARTO: fork line");
    fork_commit(
        &f,
        &[
            ("c.txt", Some(fork_c)),
            (
                "Dockerfile",
                Some(format!("{DOCKERFILE}# CARTO: non-root\nUSER 1000\n")),
            ),
        ],
        "feat: fork c",
    );
    f
}

#[test]
fn a_side_taken_outside_carto_is_recorded_and_verifies() {
    let f = conflict_with_markers();
    f.carto(&["sync", "--no-push"]).fails(1);
    // In a sync, `--theirs` is production: the fork side.
    f.git(&f.work, &["checkout", "--theirs", "--", "c.txt"]);
    f.git(&f.work, &["add", "c.txt"]);
    let st = f.carto(&["sync", "--status", "--json"]).ok().json();
    assert_eq!(
        st["paths"][0]["result"], "fork side kept outside carto",
        "{st}"
    );
    // Dropping upstream's change was the person's choice: no --accept-findings.
    let out = f.carto(&["sync", "--continue"]).ok();
    assert!(out.stdout.contains("Synced"), "{}", out.stdout);
    let msg = f.git(&f.work, &["log", "-1", "--format=%B"]);
    assert!(msg.contains("Carto-Resolved: fork c.txt"), "{msg}");
    let j = f.carto(&["verify", "--json"]).ok().json();
    assert_eq!(checks(&j, "outcomes", "upstream_dropped"), ["c.txt"], "{j}");
    // CI on the pull request verifies the merge of the sync branch into
    // production: the decision recorded in the sync merge still counts.
    f.git(&f.work, &["switch", "--quiet", "--detach", "carto/main"]);
    f.git(
        &f.work,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "--no-edit",
            "upstream-sync/v1.1.0",
        ],
    );
    let j = f
        .carto(&["verify", "--base", "carto/main", "--json"])
        .ok()
        .json();
    assert_eq!(checks(&j, "outcomes", "upstream_dropped"), ["c.txt"], "{j}");

    // Taking the upstream side outside carto loses the marker line on purpose.
    let g = conflict_with_markers();
    g.carto(&["sync", "--no-push"]).fails(1);
    g.git(&g.work, &["checkout", "--ours", "--", "c.txt"]);
    g.git(&g.work, &["add", "c.txt"]);
    g.carto(&["sync", "--continue"]).ok();
    let msg = g.git(&g.work, &["log", "-1", "--format=%B"]);
    assert!(msg.contains("Carto-Resolved: upstream c.txt"), "{msg}");
    let j = g.carto(&["verify", "--json"]).ok().json();
    assert_eq!(checks(&j, "outcomes", "fork_marker_lost"), ["c.txt"], "{j}");
}

#[test]
fn marker_lines_lost_without_a_decision_stay_findings() {
    let f = conflict_with_markers();
    f.carto(&["sync", "--no-push"]).fails(1);
    f.write(
        &f.work,
        "c.txt",
        &file(&f, "c.txt")
            .replace("<<<<<<< ", "x")
            .replace(">>>>>>> ", "y"),
    );
    let c = file(&f, "c.txt")
        .lines()
        .filter(|l| !l.starts_with("=======") && !l.starts_with('x') && !l.starts_with('y'))
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    f.write(&f.work, "c.txt", &c);
    f.git(&f.work, &["add", "c.txt"]);
    // The Dockerfile was no conflict: its marker line going is nobody's decision.
    f.write(&f.work, "Dockerfile", DOCKERFILE);
    f.git(&f.work, &["add", "Dockerfile"]);
    let out = f.carto(&["sync", "--continue"]).fails(1);
    assert!(
        out.stderr.contains("Dockerfile:4: fork marker lost"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("c.txt"), "{}", out.stderr);
}
