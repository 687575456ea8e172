//! Without a commit-graph, `git carto status` remembers the mirror's and
//! production's histories between runs (`.git/carto/mirror`,
//! `.git/carto/production`), under the branch's tip, the stable and release
//! tags and upstream's tips. Each test runs `status` once so the answer is
//! remembered, changes one of those inputs and nothing else, and checks that
//! the next `status` answers for today's refs.

use carto_tests::Fixture;

/// The line of `git carto status` that starts with `start`.
fn status_line(f: &Fixture, start: &str) -> String {
    let text = f.carto(&["status"]).ok().stdout;
    text.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no {start} line in:\n{text}"))
        .to_string()
}

fn mirror_line(f: &Fixture) -> String {
    status_line(f, "Mirror")
}

#[test]
fn a_stable_tag_added_or_removed_on_the_mirror_changes_its_version() {
    let f = Fixture::new();
    let w = &f.work;
    let before = mirror_line(&f);
    assert!(
        before.contains("upstream 1.75.2, 2 upstream release(s) behind"),
        "{before}"
    );
    assert!(w.join(".git/carto/mirror").is_file());

    // The mirror's own tip, tagged as a newer upstream release: the tip did
    // not move, only the tags did.
    f.git(w, &["tag", "v1.76.0-stable", "origin/main"]);
    let line = mirror_line(&f);
    assert!(
        line.contains("upstream 1.76.0, 2 upstream release(s) behind"),
        "{line}"
    );

    f.git(w, &["tag", "-d", "v1.76.0-stable"]);
    assert_eq!(mirror_line(&f), before);
}

#[test]
fn a_fork_commit_on_the_mirror_stops_counting_once_upstream_has_it() {
    let f = Fixture::new();
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "main"]);
    let stray = f.commit_file(
        w,
        "stray.txt",
        "stray\n",
        "fix: a stray commit on the mirror",
    );
    f.git(w, &["push", "--quiet", "origin", "main"]);
    f.git(w, &["switch", "--quiet", "carto/main"]);
    let text = f.carto(&["status"]).ok().stdout;
    assert!(
        text.contains("1 fork commit(s) on the mirror branch (must be none)"),
        "{text}"
    );
    assert!(text.contains(&stray[..7]), "{text}");

    // Upstream takes the same commit on a branch of its own: the mirror's
    // tip is unchanged, upstream's tips are not.
    f.git(
        w,
        &["push", "--quiet", "upstream", "main:refs/heads/hotfix"],
    );
    f.git(w, &["fetch", "--quiet", "upstream"]);
    let text = f.carto(&["status"]).ok().stdout;
    assert!(!text.contains("on the mirror branch"), "{text}");
    assert!(!text.contains(&stray[..7]), "{text}");
}

/// The record is an optimisation: a damaged or foreign file, or one whose
/// lines do not read back under the right key, is ignored and written again.
#[test]
fn a_damaged_mirror_record_is_ignored_and_rewritten() {
    let f = Fixture::new();
    let record = f.work.join(".git/carto/mirror");
    let good = mirror_line(&f);
    let written = std::fs::read_to_string(&record).unwrap();
    let head: Vec<&str> = written.lines().take(2).collect();
    for junk in [
        format!("{}\n{}\nversion v9.9.9-stable\n", head[0], head[1]),
        format!("{}\n{}\nversion -\ncommit nothex\n", head[0], head[1]),
        format!("{}\n{}\n", head[0], head[1]),
        "git-carto memo v0 0.0.0\nkey 00\nversion -\n".to_string(),
        "\u{0}\u{1}".to_string(),
        String::new(),
    ] {
        std::fs::write(&record, &junk).unwrap();
        assert_eq!(mirror_line(&f), good, "with the record {junk:?}");
        assert_eq!(std::fs::read_to_string(&record).unwrap(), written);
    }
}

/// A clone whose git directory cannot be written still answers.
#[test]
fn status_answers_when_the_record_cannot_be_written() {
    let f = Fixture::new();
    let carto_dir = f.work.join(".git/carto");
    std::fs::create_dir_all(&carto_dir).unwrap();
    // A file where the record's directory would be: no write can succeed,
    // whoever runs the test (root ignores permission bits).
    std::fs::remove_dir_all(&carto_dir).unwrap();
    std::fs::write(&carto_dir, "not a directory\n").unwrap();
    let line = mirror_line(&f);
    assert!(line.contains("upstream 1.75.2"), "{line}");
    assert_eq!(
        std::fs::read_to_string(&carto_dir).unwrap(),
        "not a directory\n"
    );
}

fn release_line(f: &Fixture) -> String {
    status_line(f, "Release")
}

#[test]
fn a_release_or_stable_tag_on_production_changes_its_release_line() {
    let f = Fixture::new();
    let w = &f.work;
    f.commit_file(w, "carto_x.txt", "x\n", "fix: x");
    f.git(w, &["push", "--quiet", "origin", "carto/main"]);
    let before = release_line(&f);
    assert!(
        before.contains("last carto-v1.75.2-0.1.0 on upstream 1.75.2; 1 unreleased"),
        "{before}"
    );
    assert!(w.join(".git/carto/production").is_file());

    // Production's tip is released: the tip did not move, the tags did.
    f.git(w, &["tag", "carto-v1.75.2-0.1.1", "origin/carto/main"]);
    let line = release_line(&f);
    assert!(
        line.contains("last carto-v1.75.2-0.1.1 on upstream 1.75.2; 0 unreleased"),
        "{line}"
    );
    // And a stable tag lands on it (as a hand-made merge of upstream would).
    f.git(w, &["tag", "v1.76.0-stable", "origin/carto/main"]);
    let line = release_line(&f);
    assert!(line.contains("on upstream 1.76.0"), "{line}");

    f.git(w, &["tag", "-d", "carto-v1.75.2-0.1.1", "v1.76.0-stable"]);
    assert_eq!(release_line(&f), before);
}

/// With a commit-graph the walks are cheap: nothing is remembered, and a tag
/// moved still shows at once.
#[test]
fn with_a_commit_graph_nothing_is_remembered() {
    let f = Fixture::new();
    let w = &f.work;
    f.git(w, &["commit-graph", "write", "--reachable"]);
    let before = mirror_line(&f);
    assert!(before.contains("upstream 1.75.2"), "{before}");
    assert!(!w.join(".git/carto/mirror").exists());
    assert!(!w.join(".git/carto/production").exists());
    f.git(w, &["tag", "v1.76.0-stable", "origin/main"]);
    assert!(mirror_line(&f).contains("upstream 1.76.0"));
}
