//! A `.gitcarto` that cannot work is refused at load time (exit 2, file:line),
//! every problem at once; a broken file does not block every commit without
//! saying why and how to get past it.

use carto_tests::Fixture;

fn config_error(f: &Fixture, text: &[u8]) -> String {
    std::fs::write(f.work.join(".gitcarto"), text).unwrap();
    let out = f.carto(&["config"]).fails(2);
    out.stderr
}

#[test]
fn values_that_cannot_work_are_refused_with_their_line() {
    let f = Fixture::new();
    let cases: &[(&[u8], &str)] = &[
        (b"[resolve \"yolo\"]\n\tpath = x\n", ".gitcarto:2"),
        (b"[commit]\n\ttypes =\n", ".gitcarto:2"),
        (b"[commit]\n\tsubjectMaxLength = 0\n", ".gitcarto:2"),
        (b"[protect]\n\tapprovals = 1000\n", ".gitcarto:2"),
        (
            b"[branch]\n\tmirror = carto/main\n\tproduction = carto/main\n",
            ".gitcarto:3",
        ),
        (b"[fork]\n\tname = car\0to\n", ".gitcarto:2"),
    ];
    for (text, line) in cases {
        let err = config_error(&f, text);
        assert!(
            err.contains(line),
            "{:?}: {err}",
            String::from_utf8_lossy(text)
        );
    }
    let err = config_error(&f, b"[resolve \"yolo\"]\n\tpath = x\n");
    assert!(err.contains("yolo") && err.contains("fork-file"), "{err}");
}

#[test]
fn every_problem_of_the_file_is_reported() {
    let f = Fixture::new();
    let err = config_error(
        &f,
        b"[resolve \"yolo\"]\n\tpath = x\n[commit]\n\tsubjectMaxLength = 0\n[branch]\n\tproducton = x\n",
    );
    for line in [".gitcarto:2", ".gitcarto:4", ".gitcarto:6"] {
        assert!(err.contains(line), "{line}: {err}");
    }
}

#[test]
fn a_broken_file_stops_commits_with_where_and_how_to_skip() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    f.write(&f.work, ".gitcarto", "[commit]\n\tsubjectMaxLength = 0\n");
    f.write(&f.work, "carto_a.txt", "a\n");
    f.git(&f.work, &["add", "carto_a.txt"]);
    let out = f.run_git(&f.work, &["commit", "--quiet", "-m", "feat: a"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("configuration is broken")
            && out.stderr.contains(".gitcarto:2")
            && out.stderr.contains("--no-verify")
            && out.stderr.contains("CARTO_SKIP_HOOKS=1"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let skipped = f
        .command("git", &f.work)
        .env("CARTO_SKIP_HOOKS", "1")
        .args(["commit", "--quiet", "-m", "feat: a"])
        .output()
        .unwrap();
    assert!(skipped.status.success(), "{skipped:?}");
    f.write(&f.work, "carto_b.txt", "b\n");
    f.git(&f.work, &["add", "carto_b.txt"]);
    f.git(
        &f.work,
        &["commit", "--quiet", "--no-verify", "-m", "feat: b"],
    );
}

/// A key written without `=` is git's shorthand for true. It used to panic
/// inside git2 (found by the `.gitcarto` fuzzer in CI); now a boolean takes
/// it as true and any other key is refused with its line.
#[test]
fn a_key_without_a_value_is_true_for_booleans_and_refused_otherwise() {
    let f = Fixture::new();
    let err = config_error(&f, b"[commit]\n\tsubjectMaxLength\n");
    assert!(
        err.contains(".gitcarto:2") && err.contains("has no value"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    f.write(&f.work, ".gitcarto", "[protect]\n\tsquashMerge\n");
    let out = f.carto(&["config"]).ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains("protect.squashMerge"))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("true"), "{}", out.stdout);

    std::fs::remove_file(f.work.join(".gitcarto")).unwrap();
    let config = f.work.join(".git/config");
    let mut text = std::fs::read(&config).unwrap();
    text.extend_from_slice(b"[carto \"commit\"]\n\tsubjectMaxLength\n");
    std::fs::write(&config, &text).unwrap();
    let out = f.carto(&["status"]).fails(2);
    assert!(
        out.stderr
            .contains("git config carto.commit.subjectmaxlength")
            && out
                .stderr
                .contains("`commit.subjectMaxLength` has no value"),
        "{}",
        out.stderr
    );
}

/// A value that is not UTF-8 is refused, not read as something else.
#[test]
fn a_value_that_is_not_utf8_is_refused_with_its_line() {
    let f = Fixture::new();
    let err = config_error(&f, b"[fork]\n\tname = car\xffto\n");
    assert!(
        err.contains(".gitcarto:2") && err.contains("UTF-8"),
        "{err}"
    );
}
