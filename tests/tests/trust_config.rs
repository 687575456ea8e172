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
