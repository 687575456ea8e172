//! `git carto verify` on committed merges and during a sync: conflict
//! markers, fork markers, dropped upstream changes, fork features.

mod sync_support;

use carto_tests::Fixture;
use sync_support::*;

/// Upstream changes the Dockerfile in 1.80.0 where the fork changed it too;
/// `work` ends on branch `by-hand` holding the conflicted plain `git merge`
/// of production into the tag.
fn manual_merge(f: &Fixture) {
    upstream_commit(
        f,
        &[(
            "Dockerfile",
            Some("FROM python:3.12\nRUN pip install .\n".into()),
        )],
        "build: python 3.12",
    );
    f.upstream_release("1.80.0", None);
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
    f.git(
        &f.work,
        &["switch", "--quiet", "-c", "by-hand", "v1.80.0-stable"],
    );
    merge_production(f);
}

/// Merge production into `by-hand`; the version file follows upstream, the
/// Dockerfile is left conflicted.
fn merge_production(f: &Fixture) {
    let r = f.run_git(&f.work, &["merge", "--no-edit", "carto/main"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    f.git(&f.work, &["checkout", "--ours", "--", "pyproject.toml"]);
    f.git(&f.work, &["add", "pyproject.toml"]);
}

fn finding<'a>(j: &'a serde_json::Value, check: &str) -> Vec<&'a serde_json::Value> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["check"] == check)
        .collect()
}

#[test]
fn a_clean_sync_verifies_and_markdown_underlines_are_not_markers() {
    // README.md has a `=======` heading underline and both sides change it
    // cleanly, so the merged file differs from both and is scanned.
    let files = base_files();
    let f = fork_with(&files);
    upstream_commit(
        &f,
        &[(
            "README.md",
            Some("# Project\n\nUpstream project.\n=======\n\nMore upstream.\n".into()),
        )],
        "docs: more",
    );
    f.upstream_release("1.1.0", None);
    fork_commit(
        &f,
        &[(
            "README.md",
            Some("# Project (CARTO fork)\n\nUpstream project.\n=======\n".into()),
        )],
        "docs: fork title",
    );
    f.carto(&["sync", "--no-push"]).ok();
    let readme = file(&f, "README.md");
    assert!(
        readme.contains("CARTO fork") && readme.contains("More upstream"),
        "{readme}"
    );
    let out = f.carto(&["verify"]).ok();
    assert!(out.stdout.contains("No findings."), "{}", out.stdout);
    let j = f.carto(&["verify", "--json"]).ok().json();
    assert_eq!(j["ok"], true);
    assert_eq!(j["upstream"]["commit"], f.rev("main"));
    assert_eq!(j["fork"]["commit"], f.rev("carto/main"));
    // CI on the pull request: the merge of the sync branch into production.
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
    assert_eq!(j["ok"], true, "{j}");
    assert_eq!(j["upstream"]["label"], "v1.1.0-stable");
}

#[test]
fn committed_conflict_markers_are_found_with_their_lines() {
    let f = Fixture::new();
    manual_merge(&f);
    f.git(&f.work, &["commit", "--quiet", "-a", "--no-edit"]);
    let out = f.carto(&["verify"]).fails(1);
    assert!(
        out.stdout.contains("Dockerfile:1: conflict marker"),
        "{}",
        out.stdout
    );
    let j = f.carto(&["verify", "--json"]).fails(1).json();
    let lines: Vec<u64> = finding(&j, "conflict_marker")
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{j}");
    assert!(finding(&j, "conflict_marker")
        .iter()
        .all(|x| x["path"] == "Dockerfile"));
}

#[test]
fn taking_upstream_loses_fork_markers_and_keeping_the_fork_drops_upstream() {
    let f = Fixture::new();
    manual_merge(&f);
    f.git(&f.work, &["checkout", "--ours", "--", "Dockerfile"]);
    f.git(&f.work, &["commit", "--quiet", "-a", "--no-edit"]);
    let j = f.carto(&["verify", "--json"]).fails(1).json();
    let lost = finding(&j, "fork_marker_lost");
    assert_eq!(lost.len(), 1, "{j}");
    assert_eq!(lost[0]["path"], "Dockerfile");
    assert_eq!(lost[0]["line"], 2);

    let g = Fixture::new();
    manual_merge(&g);
    g.git(&g.work, &["checkout", "--theirs", "--", "Dockerfile"]);
    g.git(&g.work, &["commit", "--quiet", "-a", "--no-edit"]);
    let out = g.carto(&["verify"]).fails(1);
    assert!(
        out.stdout.contains("Dockerfile:1: upstream change dropped: upstream changed it; the result is the fork side unchanged"),
        "{}",
        out.stdout
    );
    // A policy that keeps the fork side on purpose is an outcome, not a finding.
    g.git(
        &g.work,
        &["config", "carto.resolve.fork-file.path", "Dockerfile"],
    );
    let j = g.carto(&["verify", "--json"]).ok().json();
    assert_eq!(j["outcomes"][0]["path"], "Dockerfile");
    assert_eq!(j["outcomes"][0]["decided_by"], "policy fork-file");
}

#[test]
fn fork_features_must_still_match() {
    let f = Fixture::new();
    f.commit_file(
        &f.work,
        ".gitcarto",
        "[feature \"nonroot\"]\n\tpath = Dockerfile\n\tpattern = ^USER 1000$\n",
        "chore: describe the non-root feature",
    );
    manual_merge(&f);
    f.git(&f.work, &["checkout", "--ours", "--", "Dockerfile"]);
    f.git(&f.work, &["commit", "--quiet", "-a", "--no-edit"]);
    let j = f.carto(&["verify", "--json"]).fails(1).json();
    let missing = finding(&j, "feature_missing");
    assert_eq!(missing.len(), 1, "{j}");
    let m = missing[0]["message"].as_str().unwrap();
    assert!(
        m.contains("feature `nonroot`") && m.contains("Dockerfile:3"),
        "{m}"
    );

    // Resolved so the feature survives: no finding.
    f.git(&f.work, &["reset", "--quiet", "--hard", "HEAD^"]);
    merge_production(&f);
    f.write(
        &f.work,
        "Dockerfile",
        "FROM python:3.12\n# CARTO: non-root user\nUSER 1000\nRUN pip install .\n",
    );
    f.git(&f.work, &["commit", "--quiet", "-a", "--no-edit"]);
    let j = f.carto(&["verify", "--json"]).ok().json();
    assert_eq!(j["ok"], true, "{j}");

    // A feature without paths is a configuration error.
    f.git(&f.work, &["config", "carto.feature.half.pattern", "x"]);
    let out = f.carto(&["verify"]).fails(2);
    assert!(
        out.stderr
            .contains("feature `half` has no feature.half.path"),
        "{}",
        out.stderr
    );
}

#[test]
fn during_a_sync_the_index_and_working_tree_are_checked() {
    let f = conflicted();
    f.carto(&["sync", "--no-push"]).fails(1);
    let j = f.carto(&["verify", "--json"]).fails(1).json();
    assert_eq!(j["result"], "index");
    let markers: Vec<String> = finding(&j, "conflict_marker")
        .iter()
        .map(|x| format!("{}:{}", x["path"].as_str().unwrap(), x["line"]))
        .collect();
    assert!(markers.contains(&"c.txt:2".to_string()), "{markers:?}");
    // The fork-file policy kept the fork's rename on purpose.
    let outcome = j["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "docs/guide-v2.md")
        .unwrap_or_else(|| panic!("{j}"))
        .clone();
    assert_eq!(outcome["decided_by"], "policy fork-file");
}

#[test]
fn a_commit_that_is_not_a_sync_needs_a_base() {
    let f = Fixture::new();
    let out = f.carto(&["verify"]).fails(2);
    assert!(out.stderr.contains("--base"), "{}", out.stderr);
}
