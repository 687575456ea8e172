//! The README's recipes for other hook managers, run against the real tools:
//! pre-commit with this repository's `.pre-commit-hooks.yaml`, and lefthook
//! with the `lefthook.yml` printed in the README. A recipe that stops working
//! (a renamed hook id, a changed argument order) fails here.

use std::path::{Path, PathBuf};

use carto_tests::{Fixture, Run};

fn project_file(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The fenced block right after the README line that names `file`.
fn readme_block(file: &str) -> String {
    let readme = project_file("README.md");
    let at = readme
        .find(&format!("(`{file}`)"))
        .unwrap_or_else(|| panic!("README names no recipe for {file}"));
    let rest = &readme[at..];
    let start = rest.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = rest[start..].find("```").expect("the block ends");
    rest[start..start + end]
        .lines()
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn commit(f: &Fixture, msg: &str) -> Run {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    f.write(&f.work, "carto_note.txt", &format!("{msg} {n}\n"));
    f.git(&f.work, &["add", "carto_note.txt"]);
    f.run_git(&f.work, &["commit", "--quiet", "-m", msg])
}

/// What both managers must do once installed: refuse a bad message, take a
/// good one, and refuse a fork commit pushed to the mirror branch.
fn guards_hold(f: &Fixture, tool: &str) {
    let head = f.rev("HEAD");
    let bad = commit(f, "added a thing");
    assert_ne!(bad.code, 0, "{tool} let a bad message through");
    let said = format!("{}{}", bad.stdout, bad.stderr);
    assert!(
        said.contains("Conventional Commits") || said.contains("type"),
        "{tool}: {said}"
    );
    assert_eq!(f.rev("HEAD"), head, "{tool}: the refused commit was made");

    commit(f, "feat: a thing").ok();
    assert_ne!(f.rev("HEAD"), head);

    let mirror = f.git(&f.origin, &["rev-parse", "main"]);
    let out = f.run_git(&f.work, &["push", "--quiet", "origin", "HEAD:main"]);
    assert_ne!(out.code, 0, "{tool} let a fork commit onto the mirror");
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains("mirror"), "{tool}: {said}");
    assert_eq!(f.git(&f.origin, &["rev-parse", "main"]), mirror);

    f.run_git(&f.work, &["push", "--quiet", "origin", "carto/main"])
        .ok();
}

#[test]
fn the_pre_commit_recipe_works_with_pre_commit() {
    let f = Fixture::new();
    // A hook repository holding this checkout's `.pre-commit-hooks.yaml`,
    // as pre-commit clones it from `repo:` at `rev:`.
    let hooks_repo: PathBuf = f.path("carto-hooks");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    f.git(&hooks_repo, &["init", "--quiet"]);
    f.write(
        &hooks_repo,
        ".pre-commit-hooks.yaml",
        &project_file(".pre-commit-hooks.yaml"),
    );
    f.git(&hooks_repo, &["add", "."]);
    f.git(&hooks_repo, &["commit", "--quiet", "-m", "hooks"]);
    let rev = f.git(&hooks_repo, &["rev-parse", "HEAD"]);
    f.write(
        &f.work,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: carto-commit-msg\n      - id: carto-pre-push\n",
            hooks_repo.display()
        ),
    );
    f.git(&f.work, &["add", ".pre-commit-config.yaml"]);
    f.git(
        &f.work,
        &["commit", "--quiet", "-m", "chore: use pre-commit"],
    );
    let install = f
        .command("pre-commit", &f.work)
        .args([
            "install",
            "--hook-type",
            "commit-msg",
            "--hook-type",
            "pre-push",
        ])
        .output()
        .expect("pre-commit is installed (tests/run provides it)");
    Run::from(install).ok();
    guards_hold(&f, "pre-commit");
}

#[test]
fn the_lefthook_recipe_in_the_readme_works_with_lefthook() {
    let f = Fixture::new();
    f.write(&f.work, "lefthook.yml", &readme_block("lefthook.yml"));
    f.git(&f.work, &["add", "lefthook.yml"]);
    f.git(&f.work, &["commit", "--quiet", "-m", "chore: use lefthook"]);
    let install = f
        .command("lefthook", &f.work)
        .arg("install")
        .output()
        .expect("lefthook is installed (tests/run provides it)");
    Run::from(install).ok();
    guards_hold(&f, "lefthook");
}
