//! `git carto status` answers from the remote-tracking refs, as `git status`
//! does: it says how old they are when that matters, and `--fetch` brings
//! them up to date first.

use carto_tests::Fixture;

#[test]
fn status_says_when_its_answer_is_old_and_fetch_brings_it_up_to_date() {
    let f = Fixture::new();
    f.git(&f.work, &["fetch", "--quiet", "upstream"]);
    // Upstream releases after our last fetch, which was three days ago.
    f.upstream_release("1.79.0", None);
    let fetch_head = f.work.join(".git/FETCH_HEAD");
    f.command("touch", &f.work)
        .args(["-d", "3 days ago"])
        .arg(&fetch_head)
        .status()
        .unwrap();

    let text = f.carto(&["status"]).ok().stdout;
    assert!(
        text.contains("2 upstream release(s) behind (newest: v1.78.5-stable)"),
        "{text}"
    );
    assert!(
        text.contains(
            "As of the last fetch, 3 days ago: `git carto status --fetch` fetches first."
        ),
        "{text}"
    );
    // JSON stays the data only.
    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["mirror"]["releases_behind"], 2);

    let text = f.carto(&["status", "--fetch"]).ok().stdout;
    assert!(
        text.contains("3 upstream release(s) behind (newest: v1.79.0-stable)"),
        "{text}"
    );
    assert!(!text.contains("As of the last fetch"), "{text}");
    let tags = f.git(&f.work, &["tag", "-l", "v1.79.0-stable"]);
    assert_eq!(tags, "v1.79.0-stable");
}

#[test]
fn status_fetch_names_the_remote_that_cannot_be_fetched() {
    let f = Fixture::new();
    f.git(
        &f.work,
        &[
            "remote",
            "set-url",
            "upstream",
            "file:///nonexistent/upstream.git",
        ],
    );
    let before = f.git(&f.work, &["for-each-ref"]);
    let out = f.carto(&["status", "--fetch"]).fails(1);
    assert!(out.stderr.contains("fetching upstream"), "{}", out.stderr);
    assert_eq!(f.git(&f.work, &["for-each-ref"]), before);
}
