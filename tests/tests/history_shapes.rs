//! Answers do not depend on how git stores history: with or without a
//! commit-graph (one file, a split chain, or one older than the newest
//! commits), with refs packed or loose.

use carto_tests::Fixture;

/// What the ancestry-driven commands tell the user.
fn answers(f: &Fixture) -> (serde_json::Value, String, serde_json::Value) {
    (
        f.carto(&["status", "--json"]).ok().json(),
        f.carto(&["next-tag"]).ok().stdout,
        f.xtask(&["notes", "--json"]).ok().json(),
    )
}

/// The answers with the graph file moved aside: what the objects alone say.
fn answers_without_graph(f: &Fixture) -> (serde_json::Value, String, serde_json::Value) {
    let graph = f.work.join(".git/objects/info/commit-graph");
    let aside = f.path("commit-graph.aside");
    std::fs::rename(&graph, &aside).unwrap();
    let out = answers(f);
    std::fs::rename(&aside, &graph).unwrap();
    out
}

#[test]
fn a_commit_graph_gives_the_answers_the_objects_give() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.77.4-stable");
    f.commit_file(&f.work, "carto_x.py", "x\n", "feat: unreleased work");
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    f.git(&f.work, &["branch", "feature/done", "HEAD~1"]);
    let objects_only = answers(&f);
    assert_eq!(objects_only.0["release"]["upstream_version"], "1.77.4");
    assert_eq!(objects_only.0["prunable"][0], "feature/done");

    let doctor = f.carto(&["doctor"]).ok().stdout;
    assert!(
        doctor.contains("warn  commit-graph: no commit-graph"),
        "{doctor}"
    );
    assert!(
        doctor.contains(
            "fix: git commit-graph write --reachable && git config fetch.writeCommitGraph true"
        ),
        "{doctor}"
    );

    f.git(&f.work, &["commit-graph", "write", "--reachable"]);
    let count = f.git(&f.work, &["rev-list", "--all", "--count"]);
    let doctor = f.carto(&["doctor"]).ok().stdout;
    assert!(
        doctor.contains(&format!(
            "ok    commit-graph: {count} commits in the commit-graph"
        )),
        "{doctor}"
    );
    assert_eq!(answers(&f), objects_only);

    // Newer commits than the graph: the walk goes on in the objects.
    f.merge_upstream_into_production("v1.78.5-stable");
    f.commit_file(&f.work, "carto_y.py", "y\n", "fix: after the graph");
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let stale = answers(&f);
    assert_eq!(stale.0["release"]["upstream_version"], "1.78.5");
    assert_eq!(stale, answers_without_graph(&f));

    // A split chain, as `fetch.writeCommitGraph` writes.
    f.commit_file(&f.work, "carto_z.py", "z\n", "fix: in the chain");
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let expected = answers_without_graph(&f);
    std::fs::remove_file(f.work.join(".git/objects/info/commit-graph")).unwrap();
    f.git(
        &f.work,
        &["commit-graph", "write", "--reachable", "--split"],
    );
    f.commit_file(&f.work, "carto_w.py", "w\n", "fix: on top of the chain");
    f.git(
        &f.work,
        &["commit-graph", "write", "--reachable", "--split=no-merge"],
    );
    let chain = std::fs::read_to_string(
        f.work
            .join(".git/objects/info/commit-graphs/commit-graph-chain"),
    )
    .unwrap();
    assert_eq!(chain.lines().count(), 2, "{chain}");
    f.git(&f.work, &["reset", "--quiet", "--hard", "HEAD~1"]);
    assert_eq!(answers(&f), expected);
}

#[test]
fn a_loose_branch_overrides_its_packed_copy() {
    let f = Fixture::new();
    f.git(&f.work, &["branch", "feature/done", "HEAD~1"]);
    f.git(&f.work, &["pack-refs", "--all"]);
    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["prunable"][0], "feature/done");
    // Moved after packing: the loose file is the branch now, and it is not merged.
    f.git(&f.work, &["switch", "--quiet", "feature/done"]);
    f.commit_file(&f.work, "open.txt", "x\n", "feat: not merged yet");
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);
    assert!(f.work.join(".git/refs/heads/feature/done").exists());
    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["prunable"].as_array().unwrap().len(), 0, "{j}");
}
