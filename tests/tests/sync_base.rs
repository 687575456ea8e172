//! The merge base after a squash-merged sync, line provenance, and the
//! forecast (`--dry-run`), on real repositories through `git carto sync`.

mod sync_support;

use carto_tests::Fixture;
use sync_support::*;

fn lines(name: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{name} line {i}\n")).collect()
}

/// Five upstream files and `litellm/custom.py`; upstream v1.1.0 changes line 3
/// of the five; the fork customizes custom.py line 15.
fn squash_history() -> Fixture {
    let mut files: Vec<(&str, String)> = Vec::new();
    let names = ["f1", "f2", "f3", "f4", "f5"];
    for n in names {
        files.push((leak(format!("litellm/{n}.py")), lines(n, 10)));
    }
    files.push(("litellm/custom.py", lines("custom", 30)));
    let f = fork_with(&files);
    let changes: Vec<(&str, Option<String>)> = names
        .iter()
        .map(|n| {
            (
                leak(format!("litellm/{n}.py")),
                Some(edit_line(&lines(n, 10), 3, &format!("{n} line 3 in 1.1.0"))),
            )
        })
        .collect();
    upstream_commit(&f, &changes, "feat: upstream 1.1.0 work");
    f.upstream_release("1.1.0", None);
    fork_commit(
        &f,
        &[(
            "litellm/custom.py",
            Some(edit_line(
                &lines("custom", 30),
                15,
                "custom line 15  # fork customization: keep me",
            )),
        )],
        "feat: customize",
    );
    f
}

/// The 1.1.0 sync branch squash-merged into production as GitHub does: the
/// squash message keeps the sync merge's `message` with its trailer.
fn squash_merge_the_sync(f: &Fixture, message: &str) {
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "carto/main"]);
    f.git(w, &["merge", "--quiet", "--squash", "upstream-sync/v1.1.0"]);
    let squash = format!("Sync upstream 1.1.0 (#12)\n\n* {message}");
    f.git(w, &["commit", "--quiet", "--no-verify", "-m", &squash]);
    f.git(w, &["push", "--quiet", "origin", "carto/main"]);
    f.git(w, &["branch", "--quiet", "-D", "upstream-sync/v1.1.0"]);
}

/// Upstream v1.2.0 changes line 3 of the five again and custom.py line 15.
fn release_120(f: &Fixture) {
    let mut changes: Vec<(&str, Option<String>)> = ["f1", "f2", "f3", "f4", "f5"]
        .iter()
        .map(|n| {
            (
                leak(format!("litellm/{n}.py")),
                Some(edit_line(&lines(n, 10), 3, &format!("{n} line 3 in 1.2.0"))),
            )
        })
        .collect();
    changes.push((
        "litellm/custom.py",
        Some(edit_line(
            &lines("custom", 30),
            15,
            "custom line 15 in 1.2.0",
        )),
    ));
    upstream_commit(f, &changes, "feat: upstream 1.2.0 work");
    f.upstream_release("1.2.0", None);
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
}

/// The squash fixture after its 1.1.0 sync was squash-merged into
/// production (trailer kept) and upstream released 1.2.0: a recorded base.
fn squashed_sync_then_120() -> Fixture {
    let f = squash_history();
    f.carto(&["sync", "--no-push"]).ok();
    let message = f.git(
        &f.work,
        &["log", "-1", "--format=%B", "upstream-sync/v1.1.0"],
    );
    squash_merge_the_sync(&f, &message);
    release_120(&f);
    f
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn paths(v: &serde_json::Value) -> Vec<String> {
    let mut p: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect();
    p.sort();
    p
}

fn report(f: &Fixture, version: &str) -> serde_json::Value {
    let p = f
        .work
        .join(format!(".git/carto/reports/upstream-sync-v{version}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

#[test]
fn a_squash_merged_sync_is_the_base_and_customizations_go_to_a_person() {
    let f = squash_history();
    // The 1.1.0 sync, squash-merged into production as GitHub does: the
    // squash message keeps the sync merge's message with its trailer.
    f.carto(&["sync", "--no-push"]).ok();
    let message = f.git(
        &f.work,
        &["log", "-1", "--format=%B", "upstream-sync/v1.1.0"],
    );
    assert!(
        message.contains("Carto-Upstream: v1.1.0-stable "),
        "{message}"
    );
    let w = &f.work;
    squash_merge_the_sync(&f, &message);
    release_120(&f);

    // The forecast: the recorded base, only the true conflict, nothing changed.
    let before = snapshot(&f);
    let fc = f.carto(&["sync", "--dry-run", "--json"]).ok().json();
    assert_eq!(snapshot(&f), before, "the forecast changed the repository");
    let forecast = &fc["forecast"];
    assert_eq!(forecast["base"]["reason"], "recorded", "{fc}");
    assert_eq!(forecast["base"]["label"], "v1.1.0-stable", "{fc}");
    assert!(
        forecast["base"]["plain_merge_conflicts"].as_u64().unwrap() >= 5,
        "{fc}"
    );
    assert_eq!(paths(&forecast["conflicts"]), ["litellm/custom.py"], "{fc}");
    assert_eq!(forecast["needs_person"][0], "litellm/custom.py", "{fc}");
    assert_eq!(forecast["customization_lines"], 1, "{fc}");

    // The real sync meets exactly the forecast's conflicts.
    let out = f.carto(&["sync", "--no-push", "--json"]).fails(1).json();
    assert_eq!(out["base"]["reason"], "recorded", "{out}");
    let rep = report(&f, "1.2.0");
    assert_eq!(paths(&rep["conflicts"]), paths(&forecast["conflicts"]));
    assert!(rep["conflicts"][0]["held"]
        .as_str()
        .unwrap()
        .contains("only fork commits wrote"));
    let unmerged = f.git(w, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged, "litellm/custom.py");
    assert!(file(&f, "litellm/f3.py").contains("f3 line 3 in 1.2.0"));
    // An ordinary merge in progress: the person settles it, --continue commits
    // a merge of the sync branch and production.
    let both = edit_line(
        &lines("custom", 30),
        15,
        "custom line 15 in 1.2.0  # fork customization: keep me",
    );
    f.write(w, "litellm/custom.py", &both);
    f.git(w, &["add", "litellm/custom.py"]);
    f.carto(&["sync", "--continue"]).ok();
    let parents = f.git(w, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split(' ').count(), 2, "{parents}");
    assert!(parents.ends_with(&f.rev("carto/main")), "{parents}");
    assert!(f
        .git(w, &["log", "-1", "--format=%B"])
        .contains("Carto-Upstream: v1.2.0-stable"));
}

/// With a commit-graph (as `git gc` and `fetch.writeCommitGraph` write it),
/// merge bases and the `Carto-Upstream:` search go through git, which reads
/// the graph: the same recorded base, the same single true conflict.
#[test]
fn with_a_commit_graph_the_recorded_base_is_found_the_same_way() {
    let f = squashed_sync_then_120();
    let w = &f.work;
    f.git(w, &["fetch", "--quiet", "upstream", "--tags"]);
    f.git(w, &["commit-graph", "write", "--reachable"]);
    assert!(w.join(".git/objects/info/commit-graph").exists());
    let out = f.carto(&["sync", "--no-push", "--json"]).fails(1).json();
    assert_eq!(out["base"]["reason"], "recorded", "{out}");
    assert_eq!(out["base"]["label"], "v1.1.0-stable", "{out}");
    let unmerged = f.git(w, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged, "litellm/custom.py");
    // The report's counts (git's, counted while the merge ran) are git's.
    let range = format!("{}...{}", f.rev("carto/main"), f.rev("HEAD"));
    let counts = f.git(w, &["rev-list", "--left-right", "--count", &range]);
    let rep = report(&f, "1.2.0");
    assert_eq!(
        format!(
            "{}\t{}",
            rep["counts"]["fork_commits"], rep["counts"]["upstream_commits"]
        ),
        counts,
        "{rep}"
    );
}

#[test]
fn closest_tree_base_upstream_force_and_an_explicit_base() {
    let f = squash_history();
    // Squash the tag itself: no trailer anywhere; the tree tells.
    let w = &f.work;
    f.git(w, &["fetch", "--quiet", "--tags", "upstream"]);
    f.git(w, &["merge", "--quiet", "--squash", "v1.1.0-stable"]);
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "chore: squash 1.1.0",
        ],
    );
    fork_commit(
        &f,
        &[(
            ".gitcarto",
            Some("[resolve \"upstream-force\"]\n\tpath = litellm/custom.py\n".into()),
        )],
        "chore: let upstream win custom.py",
    );
    release_120(&f);

    let asked = f
        .carto(&["sync", "--dry-run", "--json", "--base", "v1.0.0-stable"])
        .ok()
        .json();
    assert_eq!(asked["forecast"]["base"]["reason"], "asked", "{asked}");
    assert!(paths(&asked["forecast"]["conflicts"]).len() >= 6, "{asked}");

    let fc = f.carto(&["sync", "--dry-run", "--json"]).ok().json();
    assert_eq!(fc["forecast"]["base"]["reason"], "closest-tree", "{fc}");
    assert_eq!(
        fc["forecast"]["conflicts"][0]["settled_by"], "policy",
        "{fc}"
    );

    f.carto(&["sync", "--no-push"]).ok();
    let rep = report(&f, "1.2.0");
    assert_eq!(paths(&rep["conflicts"]), ["litellm/custom.py"]);
    let c = &rep["conflicts"][0];
    assert_eq!(c["policy"], "upstream-force", "{c}");
    assert_eq!(c["rule"], "litellm/custom.py", "{c}");
    // The loss is in the report: fork line 15 left out.
    assert_eq!(c["dropped"][0]["side"], "fork", "{c}");
    assert_eq!(c["dropped"][0]["lines"], "15", "{c}");
    let custom = f.git(w, &["show", "HEAD:litellm/custom.py"]);
    assert!(!custom.contains("keep me") && custom.contains("custom line 15 in 1.2.0"));
}

#[test]
fn a_backported_line_is_settled_by_upstream() {
    let f = fork_with(&[("litellm/f1.py", lines("f1", 10))]);
    // Upstream fixes line 5 on main; the fork backports the fix.
    let s = src(&f);
    let fix = edit_line(&lines("f1", 10), 5, "f1 line 5 fixed");
    upstream_commit(&f, &[("litellm/f1.py", Some(fix.clone()))], "fix: line 5");
    let fix_commit = f.git(&s, &["rev-parse", "HEAD"]);
    f.git(&s, &["push", "--quiet", "origin", "main"]);
    f.git(&f.work, &["fetch", "--quiet", "upstream"]);
    // The fork's own line in the same file keeps git's base the closest.
    let custom = edit_line(&lines("f1", 10), 10, "f1 line 10  # fork's own");
    commit(
        &f,
        &f.work,
        &[("litellm/f1.py", Some(custom))],
        "feat: fork line",
    );
    f.git(&f.work, &["cherry-pick", &fix_commit]);
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    // Upstream improves the fix again before releasing.
    upstream_commit(
        &f,
        &[(
            "litellm/f1.py",
            Some(edit_line(&fix, 5, "f1 line 5 fixed and improved")),
        )],
        "fix: line 5 again",
    );
    f.upstream_release("1.1.0", None);

    f.carto(&["sync", "--no-push"]).ok();
    let rep = report(&f, "1.1.0");
    assert_eq!(paths(&rep["conflicts"]), ["litellm/f1.py"]);
    assert_eq!(rep["conflicts"][0]["by"], "policy", "{rep}");
    let f1 = f.git(&f.work, &["show", "HEAD:litellm/f1.py"]);
    assert!(f1.contains("f1 line 5 fixed and improved"), "{f1}");
    assert!(f1.contains("f1 line 10  # fork's own"), "{f1}");
}

#[test]
fn verify_finds_marker_lines_an_upstream_path_lost_without_a_decision() {
    let f = fork_with(&[("litellm/app.py", lines("app", 10))]);
    fork_commit(
        &f,
        &[(
            "litellm/app.py",
            Some(edit_line(
                &lines("app", 10),
                5,
                "# CARTO: keep the proxy hook",
            )),
        )],
        "feat: proxy hook",
    );
    upstream_commit(
        &f,
        &[(
            "litellm/app.py",
            Some(edit_line(&lines("app", 10), 5, "app line 5 upstream")),
        )],
        "feat: upstream",
    );
    f.upstream_release("1.1.0", None);
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
    // A person merges by hand and lets upstream win every conflict.
    f.git(
        &f.work,
        &[
            "merge",
            "--quiet",
            "--no-edit",
            "-X",
            "theirs",
            "v1.1.0-stable",
        ],
    );
    let j = f.carto(&["verify", "--json"]).fails(1).json();
    assert_eq!(j["ok"], false, "{j}");
    let found = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["check"] == "fork_marker_lost" && x["path"] == "litellm/app.py");
    assert!(found, "{j}");
}

#[test]
fn a_sparse_checkout_syncs() {
    let f = fork_with(&[
        ("litellm/f1.py", lines("f1", 10)),
        ("docs/guide.md", lines("guide", 10)),
    ]);
    upstream_commit(
        &f,
        &[(
            "litellm/f1.py",
            Some(edit_line(&lines("f1", 10), 3, "f1 line 3 upstream")),
        )],
        "feat: upstream",
    );
    f.upstream_release("1.1.0", None);
    // Only litellm/ is checked out: docs/ is skip-worktree.
    f.git(
        &f.work,
        &[
            "sparse-checkout",
            "set",
            "--no-cone",
            "/litellm/",
            "/pyproject.toml",
        ],
    );
    assert!(!f.work.join("docs/guide.md").exists());
    let out = f.carto(&["sync", "--no-push"]).ok();
    assert!(
        out.stdout.contains("Synced"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    let f1 = f.git(&f.work, &["show", "HEAD:litellm/f1.py"]);
    assert!(f1.contains("f1 line 3 upstream"), "{f1}");
    assert_eq!(
        f.git(&f.work, &["show", "HEAD:docs/guide.md"]),
        lines("guide", 10).trim_end()
    );
}

#[test]
fn abort_names_what_it_left_on_origin_and_how_to_remove_it() {
    let f = conflicted();
    f.carto(&["sync"]).fails(1);
    let out = f.carto(&["sync", "--abort"]).ok();
    assert!(
        out.stdout.contains("left origin/main on the remote"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("git push origin --delete upstream-sync/v1.1.0"),
        "{}",
        out.stdout
    );
}

/// The forecast a pull request into production gets in CI: `--dry-run --at
/// <head>` merges upstream's next release into the pull request's head, in
/// memory, and names the paths this change would make conflict.
#[test]
fn a_forecast_at_a_pull_requests_head_names_the_paths_it_makes_conflict() {
    let f = squash_history();
    let w = &f.work;
    // As the workflow's "Fetch upstream's tags" step does.
    f.git(w, &["fetch", "--quiet", "--tags", "upstream"]);
    let fc = f.carto(&["sync", "--dry-run", "--json"]).ok().json();
    assert_eq!(
        paths(&fc["forecast"]["conflicts"]),
        Vec::<String>::new(),
        "{fc}"
    );

    f.git(w, &["switch", "--quiet", "-c", "feature/f2"]);
    f.write(
        w,
        "litellm/f2.py",
        &edit_line(&lines("f2", 10), 3, "f2 line 3 by the fork"),
    );
    f.git(w, &["commit", "--quiet", "--no-verify", "-am", "fix: f2"]);
    f.git(w, &["switch", "--quiet", "carto/main"]);
    let head = f.rev("feature/f2");
    let before = snapshot(&f);
    let fc = f
        .carto(&["sync", "--dry-run", "--json", "--at", &head])
        .ok()
        .json();
    assert_eq!(snapshot(&f), before, "the forecast changed the repository");
    assert_eq!(fc["plan"]["production_commit"], head.as_str(), "{fc}");
    assert_eq!(
        paths(&fc["forecast"]["conflicts"]),
        ["litellm/f2.py"],
        "{fc}"
    );
    let text = f
        .carto(&["sync", "--dry-run", "--at", "feature/f2"])
        .ok()
        .stdout;
    assert!(text.contains("litellm/f2.py"), "{text}");

    // The same from a checkout as the generated workflow makes it: a fresh
    // clone at the pull request's head (detached), upstream added and fetched.
    f.git(w, &["push", "--quiet", "origin", "feature/f2"]);
    let ci = f.path("ci");
    f.git(
        &f.path(""),
        &[
            "clone",
            "--quiet",
            &Fixture::url(&f.origin),
            ci.to_str().unwrap(),
        ],
    );
    f.git(&ci, &["checkout", "--quiet", "--detach", &head]);
    f.git(
        &ci,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    f.git(&ci, &["fetch", "--quiet", "--tags", "upstream"]);
    let fc = f
        .carto_in(&ci, &["sync", "--dry-run", "--json", "--at", &head])
        .ok()
        .json();
    assert_eq!(
        paths(&fc["forecast"]["conflicts"]),
        ["litellm/f2.py"],
        "{fc}"
    );

    let out = f.carto(&["sync", "--at", "feature/f2"]).fails(2);
    assert!(out.stderr.contains("--dry-run"), "{}", out.stderr);
    let out = f.carto(&["sync", "--dry-run", "--at", "nope"]).fails(2);
    assert!(
        out.stderr.contains("`nope` is not a commit"),
        "{}",
        out.stderr
    );
}

/// A sync with a chosen base creates its branch and lays the merge result in
/// one checkout (no `git switch` to upstream's files first). A fault at each
/// git step of that path leaves a repository `--abort` (or nothing) brings
/// back byte for byte, and the reflog lets `git switch -` come back.
#[test]
fn the_one_checkout_merge_path_survives_a_fault_at_each_step() {
    use carto_tests::fault::{FaultGit, Mode};
    // The 1.1.0 sync squash-merged: 1.2.0 then has a recorded base.
    let f = squashed_sync_then_120();
    let w = &f.work;
    let before = snapshot(&f);
    let fault = FaultGit::install(&f);
    for (sub, nth, mode) in [
        ("update-ref", 1, Mode::Fail),
        ("update-ref", 1, Mode::After),
        ("symbolic-ref", 1, Mode::Fail),
        ("symbolic-ref", 1, Mode::After),
        ("update-ref", 2, Mode::After),
        ("read-tree", 1, Mode::Fail),
        ("read-tree", 1, Mode::After),
        ("update-index", 1, Mode::After),
    ] {
        let what = format!("{sub} #{nth} {mode:?}");
        let out = fault.carto(&f, Some((sub, nth, mode)), &["sync", "--no-push"]);
        assert_ne!(out.code, 0, "{what}: {}{}", out.stdout, out.stderr);
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
        // The sync met the fault (it stops at the conflict anyway).
        assert!(out.stderr.contains("injected"), "{what}: {}", out.stderr);
        if f.work.join(".git/carto/sync.json").exists() {
            f.carto(&["sync", "--abort"]).ok();
        }
        assert_eq!(snapshot(&f), before, "{what}");
    }
    let out = f.carto(&["sync", "--no-push", "--json"]).fails(1).json();
    assert_eq!(out["base"]["reason"], "recorded", "{out}");
    let reflog = f.git(w, &["reflog", "-1", "--format=%gs", "HEAD"]);
    assert_eq!(
        reflog,
        "checkout: moving from carto/main to upstream-sync/v1.2.0"
    );
    f.carto(&["sync", "--abort"]).ok();
    assert_eq!(snapshot(&f), before);
}
