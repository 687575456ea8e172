//! Shared by the sync scenarios: a fork whose base has the files each
//! conflict kind needs, and helpers to change upstream and the fork.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use carto_tests::{pyproject, Fixture};

pub const DOCKERFILE: &str = "FROM python:3.11\nRUN pip install .\nCMD [\"litellm\"]\n";

/// Files of the common base (upstream v1.0.0, mirrored by the fork).
pub fn base_files() -> Vec<(&'static str, String)> {
    let lines = |name: &str| -> String { (1..=12).map(|i| format!("{name} line {i}\n")).collect() };
    vec![
        (
            "README.md",
            "# Project\n\nUpstream project.\n=======\n".into(),
        ),
        ("c.txt", lines("c")),
        ("litellm/router.py", lines("router")),
        ("litellm/old.py", lines("old")),
        ("litellm/legacy.py", lines("legacy")),
        ("carto_settings.yaml", lines("setting")),
        ("Makefile", "test:\n\tpytest\n".into()),
        ("Dockerfile", DOCKERFILE.into()),
        ("docs/guide.md", lines("guide")),
        ("ui/build/app.js", "// built 1\n".into()),
        ("assets/logo.png", "\u{0}PNG base\u{0}\u{1}".into()),
    ]
}

/// An upstream at v1.0.0-stable (tag on main) with `files`, a fork whose
/// mirror is that tag and whose production has no fork commits yet; `work` on
/// production.
pub fn fork_with(files: &[(&str, String)]) -> Fixture {
    let f = Fixture::empty();
    let root = f.root.path().to_path_buf();
    let src = f.path("upstream-src");
    f.git(
        &root,
        &["init", "--quiet", "--bare", f.upstream.to_str().unwrap()],
    );
    f.git(&root, &["init", "--quiet", src.to_str().unwrap()]);
    for (p, c) in files {
        f.write(&src, p, c);
    }
    f.write(&src, "pyproject.toml", &pyproject("1.0.0"));
    f.git(&src, &["add", "-A"]);
    f.git(&src, &["commit", "--quiet", "-m", "chore: base"]);
    f.git(&src, &["tag", "-a", "-m", "Release 1.0.0", "v1.0.0-stable"]);
    f.git(
        &src,
        &["remote", "add", "origin", &Fixture::url(&f.upstream)],
    );
    f.git(
        &src,
        &["push", "--quiet", "origin", "main", "v1.0.0-stable"],
    );

    f.git(
        &root,
        &["init", "--quiet", "--bare", f.origin.to_str().unwrap()],
    );
    f.git(
        &root,
        &[
            "clone",
            "--quiet",
            &Fixture::url(&f.upstream),
            f.work.to_str().unwrap(),
        ],
    );
    let w = &f.work;
    f.git(w, &["remote", "rename", "origin", "upstream"]);
    f.git(w, &["remote", "add", "origin", &Fixture::url(&f.origin)]);
    f.git(w, &["push", "--quiet", "origin", "main"]);
    f.git(w, &["switch", "--quiet", "-c", "carto/main"]);
    f.git(w, &["push", "--quiet", "-u", "origin", "carto/main"]);
    f.git(
        w,
        &["branch", "--quiet", "--set-upstream-to=origin/main", "main"],
    );
    f.git(w, &["fetch", "--quiet", "origin"]);
    f
}

pub fn src(f: &Fixture) -> PathBuf {
    f.path("upstream-src")
}

/// Change files on upstream's main (`None` deletes, `Some` writes), commit.
pub fn upstream_commit(f: &Fixture, changes: &[(&str, Option<String>)], msg: &str) {
    commit(f, &src(f), changes, msg);
}

/// Change files on the fork's production branch, commit and push.
pub fn fork_commit(f: &Fixture, changes: &[(&str, Option<String>)], msg: &str) {
    commit(f, &f.work, changes, msg);
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
}

pub fn commit(f: &Fixture, dir: &Path, changes: &[(&str, Option<String>)], msg: &str) {
    for (p, c) in changes {
        match c {
            Some(c) => {
                f.write(dir, p, c);
                f.git(dir, &["add", "--", p]);
            }
            None => {
                f.git(dir, &["rm", "--quiet", "--", p]);
            }
        }
    }
    f.git(dir, &["commit", "--quiet", "--no-verify", "-m", msg]);
}

pub fn rename(f: &Fixture, dir: &Path, from: &str, to: &str) {
    let p = dir.join(to);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    f.git(dir, &["mv", from, to]);
}

/// Replace line `n` (1-based) of a text.
pub fn edit_line(text: &str, n: usize, new: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == n {
                format!("{new}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

pub fn file(f: &Fixture, path: &str) -> String {
    std::fs::read_to_string(f.work.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every conflict kind and policy: returns the fixture with upstream v1.1.0
/// released and the fork's conflicting work pushed.
pub fn conflicted() -> Fixture {
    let files = base_files();
    let f = fork_with(&files);
    let get = |p: &str| files.iter().find(|(n, _)| *n == p).unwrap().1.clone();
    let s = src(f_ref(&f));
    // Upstream's side.
    rename(&f, &s, "docs/guide.md", "docs/guide-v2.md");
    rename(&f, &s, "litellm/legacy.py", "litellm/compat.py");
    upstream_commit(
        &f,
        &[
            ("c.txt", Some(edit_line(&get("c.txt"), 2, "c UPSTREAM 2"))),
            (
                "litellm/router.py",
                Some(edit_line(
                    &edit_line(&get("litellm/router.py"), 3, "router UPSTREAM 3"),
                    11,
                    "router UPSTREAM 11",
                )),
            ),
            (
                "litellm/old.py",
                Some(edit_line(&get("litellm/old.py"), 5, "old UPSTREAM 5")),
            ),
            (
                "carto_settings.yaml",
                Some(edit_line(
                    &edit_line(&get("carto_settings.yaml"), 2, "setting UPSTREAM 2"),
                    10,
                    "setting UPSTREAM 10",
                )),
            ),
            (
                "tests/test_new.py",
                Some("def test_upstream():\n    pass\n".into()),
            ),
            ("Makefile", None),
            ("ui/build/app.js", Some("// built upstream 2\n".into())),
            (
                "assets/logo.png",
                Some("\u{0}PNG upstream\u{0}\u{2}".into()),
            ),
            (
                "Dockerfile",
                Some(
                    "FROM python:3.12\nRUN pip install --no-cache-dir .\nCMD [\"litellm\"]\n"
                        .into(),
                ),
            ),
        ],
        "feat: upstream changes",
    );
    f.upstream_release("1.1.0", None);

    // The fork's side.
    let w = f.work.clone();
    rename(&f, &w, "docs/guide.md", "docs/carto-guide.md");
    fork_commit(
        &f,
        &[
            (".gitcarto", Some(
                // The fork's own lines in router.py and test_new.py would hold
                // `upstream` for a person; these tests exercise the hunk merge.
                "[resolve \"fork-file\"]\n\tpath = docs/**\n[resolve \"artifact\"]\n\tpath = ui/build/**\n\
                 [resolve \"upstream-force\"]\n\tpath = litellm/router.py\n\tpath = tests/test_new.py\n".into(),
            )),
            ("c.txt", Some(edit_line(&get("c.txt"), 2, "c FORK 2"))),
            (
                "litellm/router.py",
                Some(edit_line(
                    &edit_line(&get("litellm/router.py"), 3, "router FORK 3"),
                    7,
                    "router FORK 7",
                )),
            ),
            ("litellm/old.py", None),
            ("litellm/legacy.py", None),
            (
                "carto_settings.yaml",
                Some(edit_line(
                    &edit_line(&get("carto_settings.yaml"), 2, "setting FORK 2"),
                    6,
                    "setting FORK 6",
                )),
            ),
            ("tests/test_new.py", Some("def test_fork():\n    assert True\n".into())),
            ("Makefile", Some("test:\n\tpytest -x\n# CARTO: fail fast\n".into())),
            ("ui/build/app.js", Some("// built fork 2\n".into())),
            ("assets/logo.png", Some("\u{0}PNG fork\u{0}\u{3}".into())),
            (
                "Dockerfile",
                Some("FROM python:3.11\n# CARTO: non-root user\nUSER 1000\nRUN pip install .\nCMD [\"litellm\"]\n".into()),
            ),
        ],
        "feat: fork changes",
    );
    f
}

fn f_ref(f: &Fixture) -> &Fixture {
    f
}

/// A snapshot of what `--abort` must restore: local branches, HEAD, and
/// every file of the working tree (untracked included) with its bytes.
pub fn snapshot(f: &Fixture) -> String {
    let mut out = f.git(
        &f.work,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
        ],
    );
    out.push('\n');
    out.push_str(&f.git(&f.work, &["symbolic-ref", "-q", "HEAD"]));
    out.push('\n');
    out.push_str(&f.git(&f.work, &["status", "--porcelain", "--untracked-files=all"]));
    let mut files = Vec::new();
    collect(&f.work, &f.work, &mut files);
    files.sort();
    for (p, bytes) in files {
        out.push_str(&format!("\n{p} {:?}", bytes));
    }
    out
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

/// Upstream v1.1.0 and the fork both changed line 2 of `c.txt`: the sync stops
/// with one manual content conflict.
/// Whether `git carto sync --status` says a sync is in progress.
pub fn in_progress(f: &Fixture) -> bool {
    !f.carto(&["sync", "--status"])
        .ok()
        .stdout
        .contains("No sync in progress")
}

pub fn one_conflict() -> Fixture {
    let files = base_files();
    let f = fork_with(&files);
    let c = files.iter().find(|(p, _)| *p == "c.txt").unwrap().1.clone();
    upstream_commit(
        &f,
        &[("c.txt", Some(edit_line(&c, 2, "c UPSTREAM 2")))],
        "feat: upstream c",
    );
    f.upstream_release("1.1.0", None);
    fork_commit(
        &f,
        &[("c.txt", Some(edit_line(&c, 2, "c FORK 2")))],
        "feat: fork c",
    );
    f
}
