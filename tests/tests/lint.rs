//! `git carto lint` and `git carto next-tag auto` on real repositories: only
//! fork commits count, decided by ancestry; shallow clones never pass silently.

use carto_tests::Fixture;

fn empty_commit(f: &Fixture, msg: &str) -> String {
    f.git(
        &f.work,
        &[
            "commit",
            "--quiet",
            "--allow-empty",
            "--no-verify",
            "-m",
            msg,
        ],
    );
    f.rev("HEAD")
}

#[test]
fn lint_checks_fork_commits_not_on_production() {
    let f = Fixture::new();
    f.git(&f.work, &["switch", "--quiet", "-c", "feature/l"]);
    let good = empty_commit(&f, "feat(proxy): add caching\n\nSigned-off-by: A <a@b.c>");
    let out = f.carto(&["lint"]).ok();
    assert!(
        out.stdout
            .contains("1 fork commit(s) checked in origin/carto/main..HEAD: all follow"),
        "{}",
        out.stdout
    );
    let bad = empty_commit(&f, "Update stuff");
    empty_commit(&f, "fixup! feat(proxy): add caching");
    let out = f.carto(&["lint"]).fails(1);
    assert!(
        out.stdout
            .contains(&format!("✗ {} Update stuff", &bad[..7])),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("must start with a type"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("must be squashed"), "{}", out.stdout);
    assert!(out.stdout.contains("2 do not follow"), "{}", out.stdout);

    let j = f.carto(&["lint", "--json"]).fails(1).json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["checked"], 3);
    assert_eq!(j["range"], "origin/carto/main..HEAD");
    assert_eq!(j["tip"], f.rev("HEAD"));
    let commits = j["commits"].as_array().unwrap();
    let find = |id: &str| commits.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(find(&good)["kind"], "conventional");
    assert_eq!(find(&good)["bump"], "minor");
    assert!(find(&good)["problem"].is_null());
    assert_eq!(find(&bad)["problem"]["line"], 1);
    assert_eq!(find(&bad)["problem"]["text"], "Update stuff");
    assert_eq!(find(&bad)["problem"]["example"], "chore: update stuff");

    // Explicit ranges.
    f.carto(&["lint", &format!("{good}~1..{good}")]).ok();
    f.carto(&["lint", "HEAD~2..HEAD~1"]).fails(1);
    f.carto(&["lint", "carto-v1.75.2-0.1.0..carto/main"]).ok();
    f.carto(&["lint", "a...b"]).fails(2);
    f.carto(&["lint", "nope..HEAD"]).fails(2);
}

#[test]
fn lint_never_judges_upstream_commits_whatever_their_messages() {
    let f = Fixture::new();
    // Upstream's history is full of `bump: version X` (not an allowed type)
    // and `chore: initial upstream`; a sync branch brings thousands of those.
    f.git(
        &f.work,
        &[
            "switch",
            "--quiet",
            "-c",
            "upstream-sync/v1.78.5",
            "carto/main",
        ],
    );
    f.git(
        &f.work,
        &[
            "merge",
            "--quiet",
            "--no-edit",
            "--no-verify",
            "-X",
            "theirs",
            "v1.78.5-stable",
        ],
    );
    empty_commit(&f, "resolve: conflicts from upstream sync");
    let j = f.carto(&["lint", "--json"]).ok().json();
    let kinds: Vec<&str> = j["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["conventional", "merge"], "{j}");
    // Even over the whole history, only the fork's own commits are read.
    let j = f
        .carto(&["lint", "--json", "v1.75.2-stable..HEAD"])
        .ok()
        .json();
    assert_eq!(j["checked"], 4, "{j}");
}

#[test]
fn lint_in_a_shallow_clone_fails_until_the_range_is_complete() {
    let f = Fixture::new();
    f.git(&f.work, &["switch", "--quiet", "-c", "feature/s"]);
    empty_commit(&f, "feat: shallow work");
    f.git(
        &f.work,
        &["push", "--quiet", "--no-verify", "origin", "feature/s"],
    );
    let ci = f.path("ci");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--no-single-branch",
            "--branch",
            "feature/s",
            &Fixture::url(&f.origin),
            ci.to_str().unwrap(),
        ],
    );
    f.git(
        &ci,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    f.git(&ci, &["fetch", "--quiet", "upstream", "--tags"]);
    let out = f.carto_in(&ci, &["lint"]).fails(1);
    assert!(out.stderr.contains("shallow clone"), "{}", out.stderr);
    assert!(
        out.stderr.contains("git fetch --unshallow"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "never a pass: {}", out.stdout);
    f.git(&ci, &["fetch", "--quiet", "--unshallow", "origin"]);
    let out = f.carto_in(&ci, &["lint"]).ok();
    assert!(
        out.stdout.contains("1 fork commit(s) checked"),
        "{}",
        out.stdout
    );
}

#[test]
fn lint_without_upstream_refs_says_how_to_fetch_them() {
    let f = Fixture::new();
    let mate = f.path("mate");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            &Fixture::url(&f.origin),
            mate.to_str().unwrap(),
        ],
    );
    let out = f.carto_in(&mate, &["lint"]).fails(1);
    assert!(
        out.stderr
            .contains("git remote add upstream <url> && git fetch upstream --tags"),
        "{}",
        out.stderr
    );
}

#[test]
fn next_tag_auto_takes_the_highest_bump_and_names_the_commit() {
    let f = Fixture::new();
    // Nothing since the release: auto has nothing to decide.
    let out = f.carto(&["next-tag", "auto"]).fails(1);
    assert!(
        out.stderr.contains("no fork commits since"),
        "{}",
        out.stderr
    );

    let fix = empty_commit(&f, "fix(proxy): handle timeouts");
    let j = f.carto(&["next-tag", "auto", "--json"]).ok().json();
    assert_eq!(j["tag"], "carto-v1.75.2-0.1.1");
    assert_eq!(j["bump"], "patch");
    assert_eq!(j["decided_by"]["commit"], fix);
    assert_eq!(j["decided_by"]["subject"], "fix(proxy): handle timeouts");

    // Prose about breaking changes in a body is not a footer.
    empty_commit(
        &f,
        "docs: explain\n\nThis is not a BREAKING CHANGE: only words.\n\nBREAKING CHANGE: neither\n\nis this, prose follows.",
    );
    let feat = empty_commit(&f, "feat: add caching");
    empty_commit(&f, "chore: tidy");
    let j = f.carto(&["next-tag", "auto", "--json"]).ok().json();
    assert_eq!(j["tag"], "carto-v1.75.2-0.2.0");
    assert_eq!(j["bump"], "minor");
    assert_eq!(j["decided_by"]["commit"], feat);
    assert_eq!(
        f.carto(&["next-tag", "auto"]).ok().stdout,
        "carto-v1.75.2-0.2.0\n"
    );

    // Upstream commits merged in never count, whatever their messages
    // (upstream's main is full of `feat:`), and neither does the merge.
    f.git(&f.work, &["switch", "--quiet", "-c", "patch-line", &fix]);
    f.git(
        &f.work,
        &[
            "merge",
            "--quiet",
            "--no-edit",
            "-X",
            "theirs",
            "upstream/main",
        ],
    );
    let j = f.carto(&["next-tag", "auto", "--json"]).ok().json();
    assert_eq!(j["bump"], "patch", "{j}");
    assert_eq!(j["decided_by"]["commit"], fix);
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);

    let breaking = empty_commit(&f, "refactor(config)!: rename keys");
    let j = f.carto(&["next-tag", "auto", "--json"]).ok().json();
    assert_eq!(j["tag"], "carto-v1.75.2-1.0.0");
    assert_eq!(j["decided_by"]["commit"], breaking);
    // status shows the same implied bump.
    f.git(
        &f.work,
        &["push", "--quiet", "--no-verify", "origin", "carto/main"],
    );
    let s = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(s["release"]["implied_bump"], "major");
    assert_eq!(s["release"]["implied_by"]["commit"], breaking);
    let text = f.carto(&["status"]).ok().stdout;
    assert!(text.contains("implied bump: major"), "{text}");
}

#[test]
fn next_tag_auto_sees_a_breaking_change_footer() {
    let f = Fixture::new();
    empty_commit(&f, "feat: add x");
    let by = empty_commit(
        &f,
        "fix: change the default\n\nLonger explanation.\n\nBREAKING CHANGE: the default port is now 4001\nRefs: #12",
    );
    empty_commit(&f, "Not conventional at all");
    let j = f.carto(&["next-tag", "auto", "--json"]).ok().json();
    assert_eq!(j["bump"], "major");
    assert_eq!(j["decided_by"]["commit"], by);
}
