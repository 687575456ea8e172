//! `cargo xtask notes`: the fork's own commits of a range, by ancestry,
//! grouped by type, on real repositories.

use carto_tests::Fixture;

fn fork() -> Fixture {
    let f = Fixture::new();
    f.git(&f.work, &["config", "carto.github.repo", "acme/litellm"]);
    f.git(
        &f.work,
        &["config", "carto.github.upstreamRepo", "BerriAI/litellm"],
    );
    let w = &f.work;
    f.commit_file(w, "carto_a.py", "a\n", "fix(proxy): handle timeouts (#12)");
    f.commit_file(
        w,
        "carto_b.py",
        "b\n",
        "feat(api)!: drop the v1 endpoints (#21)",
    );
    f.commit_file(
        w,
        "carto_c.py",
        "c\n",
        "fix(db): migrate tokens\n\nBREAKING CHANGE: the tokens table is renamed",
    );
    f.commit_file(w, "carto_d.py", "d\n", "feat: add prisma caching (#22)");
    f.commit_file(w, "carto_e.py", "e\n", "chore: update deps");
    f.commit_file(w, "carto_f.py", "f\n", "Random non-conventional commit");
    f.commit_file(w, "carto_g.py", "g\n", "wip: a type nobody configured");
    // A pull request merged with a merge commit, by another author.
    f.git(w, &["switch", "--quiet", "-c", "feature/fast"]);
    f.write(w, "carto_h.py", "h\n");
    f.git(w, &["add", "carto_h.py"]);
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--no-verify",
            "--author",
            "Alice Example <alice@example.com>",
            "-m",
            "perf: faster routing (#30)",
        ],
    );
    f.git(w, &["switch", "--quiet", "carto/main"]);
    f.git(
        w,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "-m",
            "Merge pull request #30 from acme/feature/fast",
            "feature/fast",
        ],
    );
    f
}

#[test]
fn notes_group_fork_commits_breaking_first_and_never_drop_any() {
    let f = fork();
    let md = f.xtask(&["notes"]).ok().stdout;
    let order: Vec<&str> = md.lines().filter(|l| l.starts_with("### ")).collect();
    assert_eq!(
        order,
        [
            "### Breaking Changes",
            "### Features",
            "### Bug Fixes",
            "### Performance",
            "### Chores",
            "### Other",
            "### Authors"
        ],
        "{md}"
    );
    for want in [
        "- feat: **api:** drop the v1 endpoints ([#21](https://github.com/acme/litellm/pull/21))",
        "- fix: **db:** migrate tokens",
        "- add prisma caching ([#22](https://github.com/acme/litellm/pull/22))",
        "- **proxy:** handle timeouts ([#12](https://github.com/acme/litellm/pull/12))",
        "- faster routing ([#30](https://github.com/acme/litellm/pull/30))",
        "- Random non-conventional commit",
        "- wip: a type nobody configured",
        "Test User, Alice Example",
    ] {
        assert!(md.contains(want), "missing {want:?} in:\n{md}");
    }
    // Released work, merges and upstream's commits are not listed.
    for gone in [
        "add carto config",
        "run as non-root",
        "Merge pull request",
        "upstream work",
    ] {
        assert!(!md.contains(gone), "{gone:?} listed in:\n{md}");
    }
    assert!(!md.contains("### Upstream"), "{md}");
}

#[test]
fn an_upstream_move_gets_its_section_with_a_compare_link() {
    let f = fork();
    f.merge_upstream_into_production("v1.78.5-stable");
    let md = f.xtask(&["notes"]).ok().stdout;
    assert!(
        md.contains(
            "### Upstream\n\nUpstream moved from 1.75.2 to 1.78.5 ([v1.75.2-stable...v1.78.5-stable](https://github.com/BerriAI/litellm/compare/v1.75.2-stable...v1.78.5-stable))."
        ),
        "{md}"
    );
    assert!(
        !md.contains("bump: version"),
        "upstream commits listed:\n{md}"
    );
    assert!(
        !md.contains("upstream work after"),
        "upstream commits listed:\n{md}"
    );
}

#[test]
fn ranges_and_json() {
    let f = fork();
    let default = f.xtask(&["notes"]).ok().stdout;
    assert_eq!(
        f.xtask(&["notes", "carto-v1.75.2-0.1.0..HEAD"]).ok().stdout,
        default
    );
    assert_eq!(
        f.xtask(&["notes", "carto-v1.75.2-0.1.0.."]).ok().stdout,
        default
    );
    // A release tag alone: the notes of that release.
    let md = f.xtask(&["notes", "carto-v1.75.2-0.1.0"]).ok().stdout;
    assert!(md.contains("### Features\n\n- add carto config"), "{md}");
    assert!(
        md.contains("### Bug Fixes\n\n- **docker:** run as non-root"),
        "{md}"
    );
    assert!(!md.contains("prisma"), "{md}");

    let j = f.xtask(&["notes", "--json"]).ok().json();
    assert_eq!(j["from"], "carto-v1.75.2-0.1.0");
    assert_eq!(j["to"], "HEAD");
    assert_eq!(j["commits"], 8);
    assert_eq!(j["sections"][0]["title"], "Breaking Changes");
    // Newest first within a section.
    assert_eq!(j["sections"][0]["entries"][0]["scope"], "db");
    let first = &j["sections"][0]["entries"][1];
    assert_eq!(first["type"], "feat");
    assert_eq!(first["scope"], "api");
    assert_eq!(first["breaking"], true);
    assert_eq!(first["prs"][0], 21);
    assert_eq!(first["commit"].as_str().unwrap().len(), 40);
    assert!(j["markdown"]
        .as_str()
        .unwrap()
        .starts_with("### Breaking Changes"));
    assert_eq!(j["authors"][1]["name"], "Alice Example");

    let out = f.xtask(&["notes", "A...B"]).fails(2);
    assert!(out.stderr.contains("A..B"), "{}", out.stderr);
    let out = f.xtask(&["notes", "nope..HEAD"]).fails(2);
    assert!(
        out.stderr.contains("unknown revision `nope`"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_links_without_a_github_repository() {
    let f = fork();
    f.git(&f.work, &["config", "--unset", "carto.github.repo"]);
    let md = f.xtask(&["notes"]).ok().stdout;
    assert!(md.contains("handle timeouts (#12)"), "{md}");
    assert!(!md.contains("](https://"), "{md}");
}

/// Range ends are read as git reads them (gitrevisions(7)): a tag before a
/// branch of the same name, `$GIT_DIR` files such as `FETCH_HEAD` first, a
/// detached HEAD, a full id. Plain names are looked up in carto's own ref
/// table rather than libgit2's, so each rule is checked against git.
#[test]
fn range_names_resolve_in_gits_order() {
    let f = fork();
    let w = &f.work;
    let count = |range: &str| -> u64 {
        f.xtask(&["notes", range, "--json"]).ok().json()["commits"]
            .as_u64()
            .unwrap()
    };
    let git_count = |range: &str| -> u64 {
        f.git(w, &["rev-list", "--count", "--no-merges", range])
            .parse()
            .unwrap()
    };
    // `same` is both a tag (two commits back) and a branch (HEAD): the tag wins.
    f.git(w, &["tag", "same", "HEAD~2"]);
    f.git(w, &["branch", "same", "HEAD"]);
    let base = "carto-v1.75.2-0.1.0";
    assert_eq!(
        count(&format!("{base}..same")),
        git_count(&format!("{base}..same"))
    );
    assert_eq!(count(&format!("{base}..same")), 6);
    // FETCH_HEAD is a file in the git directory, not a ref.
    f.git(w, &["fetch", "--quiet", "origin", "carto/main"]);
    assert_eq!(count(&format!("{base}..FETCH_HEAD")), 0);
    // A detached HEAD, and a full commit id.
    let id = f.git(w, &["rev-parse", "HEAD~3"]);
    f.git(w, &["switch", "--quiet", "--detach", &id]);
    assert_eq!(count(&format!("{base}..HEAD")), 5);
    assert_eq!(count(&format!("{base}..{id}")), 5);
    // A remote-tracking branch, through refs/remotes.
    assert_eq!(
        count(&format!("{base}..origin/carto/main")),
        git_count(&format!("{base}..origin/carto/main"))
    );
}
