//! Hook scenarios: `git carto hooks install` in real clones, then real
//! `git commit` and `git push` to `file://` remotes, with linked worktrees,
//! `core.hooksPath` and hooks that were there before.

use std::path::Path;

use carto_tests::{Fixture, Run};

fn repo_hook(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hooks")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `git commit` as a user runs it, hooks included.
fn commit(f: &Fixture, dir: &Path, msg: &str) -> Run {
    f.write(dir, "file.txt", &format!("{msg}\n{}\n", rand_line()));
    f.git(dir, &["add", "file.txt"]);
    f.run_git(dir, &["commit", "--quiet", "-m", msg])
}

/// A commit in `f.work` the hook refuses (exit 1), saying `says` on stderr.
fn rejected(f: &Fixture, msg: &str, says: &str) -> Run {
    let out = commit(f, &f.work, msg).fails(1);
    assert!(out.stderr.contains(says), "{}", out.stderr);
    out
}

fn rand_line() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("change {}", N.fetch_add(1, Ordering::SeqCst))
}

fn head(f: &Fixture, dir: &Path) -> String {
    f.git(dir, &["rev-parse", "HEAD"])
}

fn remote_ref(f: &Fixture, name: &str) -> String {
    f.git(&f.origin, &["rev-parse", name])
}

/// What `hooks install` links commit-msg to: the hook binary built beside
/// the git-carto the tests run.
fn binary() -> std::path::PathBuf {
    std::fs::canonicalize(carto_tests::bin_dir().join("git-carto-commit-msg")).unwrap()
}

#[test]
fn a_link_to_git_carto_itself_still_checks_and_install_moves_it_to_the_hook_binary() {
    let f = Fixture::new();
    let hooks = f.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let link = hooks.join("commit-msg");
    // What an earlier version installed.
    let carto = carto_tests::bin_dir().join("git-carto");
    std::os::unix::fs::symlink(&carto, &link).unwrap();
    rejected(&f, "not conventional", "commit message rejected");
    let j = f.carto(&["hooks", "status", "--json"]).ok().json();
    assert_eq!(j["hooks"][0]["state"], "outdated");
    let out = f.carto(&["hooks", "install"]).ok();
    assert!(out.stdout.contains("commit-msg  updated"), "{}", out.stdout);
    assert_eq!(std::fs::canonicalize(&link).unwrap(), binary());
    rejected(&f, "still not conventional", "commit message rejected");
    commit(&f, &f.work, "feat: one file").ok();

    // A git-carto installed without the hook binary links commit-msg to itself.
    let alone = f.path("alone");
    std::fs::create_dir_all(&alone).unwrap();
    let lone = alone.join("git-carto");
    std::fs::hard_link(&carto, &lone)
        .or_else(|_| std::fs::copy(&carto, &lone).map(drop))
        .unwrap();
    std::fs::remove_file(&link).unwrap();
    let out = Run::from_output(
        f.command(lone.to_str().unwrap(), &f.work)
            .args(["hooks", "install"])
            .output()
            .unwrap(),
    )
    .ok();
    assert!(
        out.stdout.contains("commit-msg  installed"),
        "{}",
        out.stdout
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), lone);
    rejected(&f, "not conventional either", "commit message rejected");
}

#[test]
fn install_links_commit_msg_to_the_binary_and_is_idempotent() {
    let f = Fixture::new();
    let out = f.carto(&["hooks", "install"]).ok();
    assert!(
        out.stdout.contains("commit-msg  installed"),
        "{}",
        out.stdout
    );
    // commit-msg runs on every commit: a link to the binary, no shell.
    let link = f.work.join(".git/hooks/commit-msg");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::canonicalize(&link).unwrap(), binary());
    // pre-push stays the shim.
    let p = f.work.join(".git/hooks/pre-push");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), repo_hook("pre-push"));
    assert_eq!(mode(&p), 0o755);
    assert!(repo_hook("pre-push").contains("exec git carto hook pre-push \"$@\""));
    assert!(repo_hook("commit-msg").contains("exec git carto hook commit-msg \"$@\""));
    let again = f.carto(&["hooks", "install"]).ok();
    assert!(
        again.stdout.contains("commit-msg  already installed")
            && again.stdout.contains("pre-push    already installed"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::canonicalize(&link).unwrap(), binary());
    let j = f.carto(&["hooks", "status", "--json"]).ok().json();
    assert_eq!(j["hooks"][0]["name"], "commit-msg");
    assert_eq!(j["hooks"][0]["state"], "installed");
    assert_eq!(j["hooks"][1]["state"], "installed");
    assert_eq!(j["shared"], false);
    assert!(j["dir"].as_str().unwrap().ends_with(".git/hooks"));
    let status = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(status["hooks"][0]["installed"], true);

    // Started by that name without git's argument: a usage error, not a panic.
    let out = Run::from_output(f.command(link.to_str().unwrap(), &f.work).output().unwrap());
    let out = out.fails(2);
    assert!(
        out.stderr.contains("usage: commit-msg <file>"),
        "{}",
        out.stderr
    );

    f.carto(&["hooks", "uninstall"]).ok();
    assert!(link.symlink_metadata().is_err());
    assert_eq!(
        mode(&binary()) & 0o111,
        0o111,
        "the binary itself is untouched"
    );
    let j = f.carto(&["hooks", "status", "--json"]).ok().json();
    assert_eq!(j["hooks"][0]["state"], "missing");
}

#[test]
fn the_linked_hook_checks_commits_even_without_git_carto_on_path() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    f.write(&f.work, "file.txt", "no path\n");
    f.git(&f.work, &["add", "file.txt"]);
    // Only git's own directory on PATH: the shim could not find git-carto.
    let git = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let git_dir = Path::new(git.trim()).parent().unwrap().to_path_buf();
    let run = |msg: &str| {
        Run::from_output(
            f.command("git", &f.work)
                .args(["commit", "--quiet", "-m", msg])
                .env("PATH", &git_dir)
                .output()
                .unwrap(),
        )
    };
    let out = run("Add login page").fails(1);
    assert!(
        out.stderr.contains("commit message rejected"),
        "{}",
        out.stderr
    );
    run("feat: add login page").ok();
}

#[test]
fn install_turns_a_shim_into_the_link_and_repairs_a_stale_link() {
    let f = Fixture::new();
    let hooks = f.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let link = hooks.join("commit-msg");
    // The shim copied by hand (or installed by an earlier version) works.
    std::fs::write(&link, repo_hook("commit-msg")).unwrap();
    make_executable(&link);
    let j = f.carto(&["hooks", "status", "--json"]).ok().json();
    assert_eq!(j["hooks"][0]["state"], "installed");
    commit(&f, &f.work, "not conventional").fails(1);
    let out = f.carto(&["hooks", "install"]).ok();
    assert!(out.stdout.contains("commit-msg  updated"), "{}", out.stdout);
    assert_eq!(std::fs::canonicalize(&link).unwrap(), binary());

    // A link to a git-carto that is gone (moved, uninstalled) runs nothing.
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(f.path("gone/git-carto"), &link).unwrap();
    let j = f.carto(&["hooks", "status", "--json"]).ok().json();
    assert_eq!(j["hooks"][0]["state"], "outdated");
    let status = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(status["hooks"][0]["installed"], false);
    commit(&f, &f.work, "unchecked while the link is stale").ok();
    let out = f.carto(&["hooks", "install"]).ok();
    assert!(out.stdout.contains("commit-msg  updated"), "{}", out.stdout);
    assert_eq!(std::fs::canonicalize(&link).unwrap(), binary());
    commit(&f, &f.work, "checked again").fails(1);

    // Uninstall removes a stale link too, and never what it pointed at.
    std::fs::remove_file(&link).unwrap();
    let other = f.path("other/git-carto");
    f.write(f.root.path(), "other/git-carto", "#!/bin/sh\nexit 0\n");
    std::os::unix::fs::symlink(&other, &link).unwrap();
    f.carto(&["hooks", "uninstall"]).ok();
    assert!(link.symlink_metadata().is_err());
    assert!(other.exists());
}

#[test]
fn commit_msg_rejects_bad_messages_and_says_where_the_message_is() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let before = head(&f, &f.work);
    let out = rejected(&f, "Add login page", "commit message rejected");
    assert!(
        out.stderr.contains("line 1: Add login page"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("  feat: add login page"),
        "{}",
        out.stderr
    );
    let saved = f.work.join(".git/COMMIT_EDITMSG");
    assert!(
        out.stderr
            .contains(&format!("git commit -e -F {}", saved.display())),
        "{}",
        out.stderr
    );
    assert!(std::fs::read_to_string(&saved)
        .unwrap()
        .contains("Add login page"));
    assert_eq!(head(&f, &f.work), before, "nothing committed");

    let out = commit(&f, &f.work, "feature: add login").fails(1);
    assert!(
        out.stderr.contains("unknown type `feature`") && out.stderr.contains("resolve"),
        "{}",
        out.stderr
    );
    commit(&f, &f.work, "feat(auth): add login page").ok();
    commit(&f, &f.work, "resolve: conflicts from upstream sync").ok();
    // Upper-case type, missing space: said precisely.
    let out = commit(&f, &f.work, "Fix: typo").fails(1);
    assert!(out.stderr.contains("lower case"), "{}", out.stderr);
    let out = commit(&f, &f.work, "fix:typo").fails(1);
    assert!(out.stderr.contains("space must follow"), "{}", out.stderr);

    // git's own messages pass: fixup, revert, merge.
    f.write(&f.work, "file.txt", "fixup\n");
    f.git(&f.work, &["add", "file.txt"]);
    f.git(&f.work, &["commit", "--quiet", "--fixup", "HEAD"]);
    f.git(&f.work, &["revert", "--no-edit", "HEAD"]);
    f.git(
        &f.work,
        &["switch", "--quiet", "-c", "feature/side", "HEAD~1"],
    );
    f.write(&f.work, "side.txt", "side\n");
    f.git(&f.work, &["add", "side.txt"]);
    f.git(&f.work, &["commit", "--quiet", "-m", "docs: side work"]);
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);
    f.git(&f.work, &["merge", "--no-ff", "--no-edit", "feature/side"]);
    let subject = f.git(&f.work, &["log", "-1", "--format=%s"]);
    assert_eq!(subject, "Merge branch 'feature/side' into carto/main");

    // Escape hatches.
    commit(&f, &f.work, "whatever").fails(1);
    f.git(
        &f.work,
        &["commit", "--quiet", "--no-verify", "-m", "whatever"],
    );
    f.write(&f.work, "file.txt", "skip\n");
    f.git(&f.work, &["add", "file.txt"]);
    let out = Run::from_output(
        f.command("git", &f.work)
            .args(["commit", "--quiet", "-m", "also whatever"])
            .env("CARTO_SKIP_HOOKS", "1")
            .output()
            .unwrap(),
    )
    .ok();
    let notice: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        notice,
        ["git carto: CARTO_SKIP_HOOKS is set: commit-msg checks skipped"]
    );
}

#[test]
fn commit_verbose_with_an_editor_ignores_comments_and_the_diff() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    // An editor that types a message above git's template and keeps the rest
    // (comments and, with -v, the scissors line and the diff).
    let editor = f.path("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\n{ printf 'feat: typed in the editor\\r\\n\\r\\nBody.\\r\\n'; cat \"$1\"; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n",
    )
    .unwrap();
    make_executable(&editor);
    f.write(&f.work, "notes.md", "Not A Conventional Line: at all\n");
    f.git(&f.work, &["add", "notes.md"]);
    let out = Run::from_output(
        f.command("git", &f.work)
            .args(["commit", "--quiet", "-v"])
            .env("GIT_EDITOR", &editor)
            .output()
            .unwrap(),
    )
    .ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let msg = f.git(&f.work, &["log", "-1", "--format=%B"]);
    assert_eq!(msg, "feat: typed in the editor\n\nBody.");

    // Only comments: git would abort anyway; the hook says why first.
    let empty = f.path("empty-editor.sh");
    std::fs::write(&empty, "#!/bin/sh\nexit 0\n").unwrap();
    make_executable(&empty);
    let out = Run::from_output(
        f.command("git", &f.work)
            .args(["commit", "--quiet", "--allow-empty"])
            .env("GIT_EDITOR", &empty)
            .output()
            .unwrap(),
    )
    .fails(1);
    assert!(out.stderr.contains("only comment lines"), "{}", out.stderr);
}

#[test]
fn an_existing_hook_keeps_running_and_uninstall_restores_it_exactly() {
    let f = Fixture::new();
    let hooks = f.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let log = f.path("hook.log");
    let theirs = format!(
        "#!/bin/sh\necho \"their commit-msg $(head -n1 \"$1\")\" >> {}\nexit 0\n",
        log.display()
    );
    std::fs::write(hooks.join("commit-msg"), &theirs).unwrap();
    std::fs::set_permissions(
        hooks.join("commit-msg"),
        std::os::unix::fs::PermissionsExt::from_mode(0o750),
    )
    .unwrap();
    let their_push = format!(
        "#!/bin/sh\nwhile read l; do echo \"their pre-push $1 $l\" >> {}; done\n",
        log.display()
    );
    std::fs::write(hooks.join("pre-push"), &their_push).unwrap();
    make_executable(&hooks.join("pre-push"));

    let out = f.carto(&["hooks", "install"]).ok();
    assert!(
        out.stdout.contains("existing hook still runs first"),
        "{}",
        out.stdout
    );
    f.carto(&["hooks", "install"]).ok(); // idempotent: nothing moved twice
    assert_eq!(
        std::fs::read_to_string(hooks.join("commit-msg.carto-chained")).unwrap(),
        theirs
    );
    let j = f.carto(&["hooks", "status", "--json"]).ok().json();
    assert!(j["hooks"][0]["chained"]
        .as_str()
        .unwrap()
        .ends_with("commit-msg.carto-chained"));

    commit(&f, &f.work, "feat: both hooks run").ok();
    commit(&f, &f.work, "not conventional").fails(1);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        logged,
        "their commit-msg feat: both hooks run\ntheir commit-msg not conventional\n"
    );
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("their pre-push origin refs/heads/carto/main "),
        "{logged}"
    );

    // A failing existing hook still stops the commit, with its own exit code.
    std::fs::write(
        hooks.join("commit-msg.carto-chained"),
        "#!/bin/sh\necho 'their hook says no' >&2\nexit 3\n",
    )
    .unwrap();
    let out = commit(&f, &f.work, "feat: fine by us").fails(1);
    assert!(out.stderr.contains("their hook says no"), "{}", out.stderr);
    std::fs::write(hooks.join("commit-msg.carto-chained"), &theirs).unwrap();

    f.carto(&["hooks", "uninstall"]).ok();
    assert_eq!(
        std::fs::read_to_string(hooks.join("commit-msg")).unwrap(),
        theirs
    );
    assert_eq!(mode(&hooks.join("commit-msg")), 0o750);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        their_push
    );
    assert!(!hooks.join("commit-msg.carto-chained").exists());
    assert!(!hooks.join("pre-push.carto-chained").exists());
    // Uninstalled: their hook alone runs; ours no longer does.
    commit(&f, &f.work, "not conventional again").ok();
}

#[test]
fn linked_worktrees_share_the_hooks_of_the_repository() {
    let f = Fixture::new();
    let wt = f.path("wt");
    f.git(
        &f.work,
        &[
            "worktree",
            "add",
            "--quiet",
            "-b",
            "feature/wt",
            wt.to_str().unwrap(),
        ],
    );
    let out = f.carto_in(&wt, &["hooks", "install"]).ok();
    assert!(
        out.stdout
            .contains(&f.work.join(".git/hooks").display().to_string()),
        "{}",
        out.stdout
    );
    assert!(f.work.join(".git/hooks/commit-msg").exists());
    let out = commit(&f, &wt, "wip").fails(1);
    assert!(
        out.stderr.contains("worktrees/wt/COMMIT_EDITMSG"),
        "{}",
        out.stderr
    );
    commit(&f, &wt, "feat: from a worktree").ok();
    commit(&f, &f.work, "wip").fails(1);
}

#[test]
fn core_hooks_path_local_relative_and_global() {
    let f = Fixture::new();
    // Local and relative to the working tree, with a hook already there.
    f.git(&f.work, &["config", "core.hooksPath", ".githooks"]);
    let log = f.path("local.log");
    f.write(
        &f.work,
        ".githooks/commit-msg",
        &format!("#!/bin/sh\necho ran >> {}\n", log.display()),
    );
    make_executable(&f.work.join(".githooks/commit-msg"));
    let j = f.carto(&["hooks", "install", "--json"]).ok().json();
    assert_eq!(j["hooks_path"], ".githooks");
    assert!(
        j["dir"].as_str().unwrap().ends_with("work/.githooks"),
        "{j}"
    );
    assert!(!f.work.join(".git/hooks/commit-msg").exists());
    commit(&f, &f.work, "bad one").fails(1);
    commit(&f, &f.work, "fix: good one").ok();
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\nran\n");
    f.git(&f.work, &["config", "--unset", "core.hooksPath"]);

    // Global, shared with every repository: said so.
    let global = f.path("global-hooks");
    f.git(
        &f.work,
        &[
            "config",
            "--global",
            "core.hooksPath",
            global.to_str().unwrap(),
        ],
    );
    let out = f.carto(&["hooks", "install"]).ok();
    assert!(
        out.stdout.contains("outside the repository"),
        "{}",
        out.stdout
    );
    assert!(global.join("commit-msg").exists());
    commit(&f, &f.work, "bad again").fails(1);
    // Another repository using the same global hooks path is checked too.
    let other = f.clone_origin("teammate");
    commit(&f, &other, "bad elsewhere").fails(1);
}

#[test]
fn submodules_get_hooks_in_their_own_git_directory() {
    let f = Fixture::new();
    let lib = f.path("lib-src");
    f.git(f.root.path(), &["init", "--quiet", lib.to_str().unwrap()]);
    f.commit_file(&lib, "lib.txt", "lib\n", "chore: lib");
    f.git(
        &f.work,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "--quiet",
            &Fixture::url(&lib),
            "lib",
        ],
    );
    let sub = f.work.join("lib");
    let j = f
        .carto_in(&sub, &["hooks", "install", "--json"])
        .ok()
        .json();
    assert!(
        j["dir"]
            .as_str()
            .unwrap()
            .ends_with(".git/modules/lib/hooks"),
        "{j}"
    );
    commit(&f, &sub, "nope").fails(1);
    commit(&f, &sub, "feat: submodule change").ok();
}

// ---------------------------------------------------------------- pre-push

fn push(f: &Fixture, dir: &Path, args: &[&str]) -> Run {
    let mut a = vec!["push", "--quiet"];
    a.extend_from_slice(args);
    f.run_git(dir, &a)
}

#[test]
fn pre_push_refuses_fork_commits_on_the_mirror_but_allows_mirror_merges() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let w = &f.work;
    let before = remote_ref(&f, "main");

    // Fork commits already on origin's production are still refused on main.
    let out = push(&f, w, &["origin", "carto/main:main"]).fails(1);
    assert!(
        out.stderr.contains("fix(docker): run as non-root"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("feat: add carto config"),
        "{}",
        out.stderr
    );
    assert_eq!(remote_ref(&f, "main"), before);

    // A mirror merge: parents (old mirror, stable tag), tree exactly the tag's.
    f.git(w, &["switch", "--quiet", "main"]);
    let merge = f.git(
        w,
        &[
            "commit-tree",
            "v1.77.4-stable^{tree}",
            "-p",
            "main",
            "-p",
            "v1.77.4-stable^{commit}",
            "-m",
            "Merge tag 'v1.77.4-stable' into main",
        ],
    );
    f.git(w, &["merge", "--quiet", "--ff-only", &merge]);
    push(&f, w, &["origin", "main"]).ok();
    assert_eq!(remote_ref(&f, "main"), merge);

    // A fork commit on the mirror, however well written, is refused.
    commit(&f, w, "feat: belongs on production").ok();
    let out = push(&f, w, &["origin", "main"]).fails(1);
    assert!(
        out.stderr.contains("main: 1 commit(s) are not upstream's"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("feat: belongs on production"),
        "{}",
        out.stderr
    );
    assert_eq!(remote_ref(&f, "main"), merge);
    // A merge that changes the tree is not a mirror merge either.
    f.git(w, &["reset", "--quiet", "--hard", "origin/main"]);
    f.git(
        w,
        &[
            "merge",
            "--quiet",
            "--no-ff",
            "--no-edit",
            "-X",
            "theirs",
            "v1.78.5-stable",
        ],
    );
    f.write(w, "extra.txt", "fork content\n");
    f.git(w, &["add", "extra.txt"]);
    f.git(
        w,
        &["commit", "--quiet", "--amend", "--no-edit", "--no-verify"],
    );
    let out = push(&f, w, &["origin", "main"]).fails(1);
    assert!(
        out.stderr.contains("Merge tag 'v1.78.5-stable'"),
        "{}",
        out.stderr
    );
    assert_eq!(remote_ref(&f, "main"), merge);
}

#[test]
fn pre_push_refuses_deleting_and_force_pushing_protected_branches() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let w = &f.work;
    let prod = remote_ref(&f, "carto/main");
    let out = push(&f, w, &["--force", "origin", "carto/main~1:carto/main"]).fails(1);
    assert!(
        out.stderr
            .contains("force-pushing the production branch `carto/main` is refused"),
        "{}",
        out.stderr
    );
    let out = push(&f, w, &["origin", ":carto/main"]).fails(1);
    assert!(
        out.stderr.contains("deleting the production branch"),
        "{}",
        out.stderr
    );
    let out = push(&f, w, &["origin", "--delete", "main"]).fails(1);
    assert!(
        out.stderr.contains("deleting the mirror branch `main`"),
        "{}",
        out.stderr
    );
    assert_eq!(remote_ref(&f, "carto/main"), prod);
    assert!(f.run_git(&f.origin, &["rev-parse", "main"]).code == 0);

    // Feature branches: force-push and delete are the user's business.
    f.git(w, &["switch", "--quiet", "-c", "feature/x"]);
    commit(&f, w, "feat: one").ok();
    commit(&f, w, "feat: two").ok();
    push(&f, w, &["origin", "feature/x"]).ok();
    push(&f, w, &["--force", "origin", "feature/x~1:feature/x"]).ok();
    push(&f, w, &["origin", "--delete", "feature/x"]).ok();
    // And --no-verify skips everything, as in git.
    push(&f, w, &["--no-verify", "origin", ":carto/main"]).ok();
    assert!(
        f.run_git(&f.origin, &["rev-parse", "--verify", "-q", "carto/main"])
            .code
            != 0
    );
}

#[test]
fn pre_push_checks_fork_commits_the_commit_msg_hook_never_saw() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "-c", "feature/y"]);
    commit(&f, w, "feat: fine").ok();
    f.write(w, "file.txt", "sneaky\n");
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "-a",
            "--no-verify",
            "-m",
            "Sneaky change",
        ],
    );
    let out = push(&f, w, &["-u", "origin", "feature/y"]).fails(1);
    assert!(
        out.stderr.contains("feature/y: 1 of 2 new fork commit(s)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Sneaky change"), "{}", out.stderr);
    assert!(
        out.stderr.contains("must start with a type"),
        "{}",
        out.stderr
    );
    assert!(
        f.run_git(&f.origin, &["rev-parse", "--verify", "-q", "feature/y"])
            .code
            != 0
    );
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--amend",
            "--no-verify",
            "-m",
            "fix: sneaky change",
        ],
    );
    push(&f, w, &["-u", "origin", "feature/y"]).ok();

    // fixup! is fine on a feature branch, refused on production.
    f.write(w, "file.txt", "fixup\n");
    f.git(w, &["commit", "--quiet", "-a", "--fixup", "HEAD"]);
    push(&f, w, &["origin", "feature/y"]).ok();
    let out = push(&f, w, &["origin", "feature/y:carto/main"]).fails(1);
    assert!(
        out.stderr.contains("`fixup!` commit must be squashed"),
        "{}",
        out.stderr
    );
    // Squashed, it goes.
    f.git(w, &["reset", "--quiet", "--soft", "HEAD~1"]);
    f.git(w, &["commit", "--quiet", "--amend", "--no-edit"]);
    push(&f, w, &["--force", "origin", "feature/y"]).ok();
    push(&f, w, &["origin", "feature/y:carto/main"]).ok();

    // Tags and other remotes carry no branch rules.
    f.git(w, &["tag", "scratch-tag", "HEAD"]);
    push(&f, w, &["origin", "scratch-tag"]).ok();
    let personal = f.path("personal.git");
    f.git(
        f.root.path(),
        &["init", "--quiet", "--bare", personal.to_str().unwrap()],
    );
    f.git(w, &["remote", "add", "personal", &Fixture::url(&personal)]);
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--allow-empty",
            "--no-verify",
            "-m",
            "wip",
        ],
    );
    push(&f, w, &["personal", "HEAD:main"]).ok();
    // ...but pushing to origin's URL directly is judged like origin.
    let out = push(
        &f,
        w,
        &[&Fixture::url(&f.origin), "HEAD:refs/heads/feature/z"],
    )
    .fails(1);
    assert!(out.stderr.contains("wip"), "{}", out.stderr);
}

#[test]
fn upstream_commits_pushed_on_a_sync_branch_are_not_judged() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let w = &f.work;
    // Upstream's history carries `bump: version ...` (not an allowed type).
    f.git(
        w,
        &[
            "switch",
            "--quiet",
            "-c",
            "upstream-sync/v1.78.5",
            "v1.78.5-stable",
        ],
    );
    f.git(
        w,
        &["merge", "--quiet", "--no-edit", "-X", "ours", "carto/main"],
    );
    push(&f, w, &["origin", "upstream-sync/v1.78.5"]).ok();
}

fn hook_with_input(f: &Fixture, dir: &Path, args: &[&str], input: &str) -> Run {
    Run::with_input(
        f.command("git", dir)
            .args(["carto", "hook", "pre-push"])
            .args(args),
        input,
    )
}

#[test]
fn pre_push_bad_input_and_missing_upstream_refs() {
    let f = Fixture::new();
    let url = Fixture::url(&f.origin);
    let out = hook_with_input(&f, &f.work, &["origin", &url], "this is not git\n").fails(2);
    assert!(out.stderr.contains("line 1"), "{}", out.stderr);
    let z = "0".repeat(40);
    let out = hook_with_input(
        &f,
        &f.work,
        &["origin", &url],
        &format!("refs/heads/carto/main {z} refs/heads/carto/main\n"),
    )
    .fails(2);
    assert!(out.stderr.contains("<remote sha>"), "{}", out.stderr);
    // Empty input (nothing to push) is fine.
    hook_with_input(&f, &f.work, &["origin", &url], "").ok();

    // A teammate's clone without the upstream remote: refused with how to fix.
    let mate = f.path("mate");
    f.git(
        f.root.path(),
        &["clone", "--quiet", &url, mate.to_str().unwrap()],
    );
    f.carto_in(&mate, &["hooks", "install"]).ok();
    f.git(&mate, &["switch", "--quiet", "-c", "feature/m"]);
    commit(&f, &mate, "feat: teammate work").ok();
    let out = push(&f, &mate, &["origin", "feature/m"]).fails(1);
    assert!(
        out.stderr
            .contains("git remote add upstream <url> && git fetch upstream --tags"),
        "{}",
        out.stderr
    );
    f.git(
        &mate,
        &["remote", "add", "upstream", &Fixture::url(&f.upstream)],
    );
    let out = push(&f, &mate, &["origin", "feature/m"]).fails(1);
    assert!(
        out.stderr.contains("git fetch upstream --tags"),
        "{}",
        out.stderr
    );
    f.git(&mate, &["fetch", "--quiet", "upstream", "--tags"]);
    push(&f, &mate, &["origin", "feature/m"]).ok();
}

#[test]
fn pre_push_under_the_pre_commit_framework_reads_its_variables() {
    let f = Fixture::new();
    let w = &f.work;
    f.git(w, &["switch", "--quiet", "-c", "feature/pc"]);
    f.git(
        w,
        &[
            "commit",
            "--quiet",
            "--allow-empty",
            "--no-verify",
            "-m",
            "Bad",
        ],
    );
    let head = head(&f, w);
    let base = f.rev("carto/main");
    let run = |to: &str| {
        Run::from_output(
            f.command("git", w)
                .args(["carto", "hook", "pre-push"])
                .env("PRE_COMMIT_REMOTE_NAME", "origin")
                .env("PRE_COMMIT_REMOTE_URL", Fixture::url(&f.origin))
                .env("PRE_COMMIT_FROM_REF", &base)
                .env("PRE_COMMIT_TO_REF", to)
                .env("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/feature/pc")
                .env("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/feature/pc")
                .output()
                .unwrap(),
        )
    };
    let out = run(&head).fails(1);
    assert!(out.stderr.contains("Bad"), "{}", out.stderr);
    run(&base).ok();
}

#[test]
fn commit_rules_come_from_the_config() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    f.write(
        &f.work,
        ".gitcarto",
        "[commit]\n\ttypes = feat\n\ttypes = fix\n\tsubjectMaxLength = 30\n\tscopes = api\n",
    );
    rejected(&f, "docs: explain", "allowed types are feat, fix");
    rejected(
        &f,
        "fix(api): a subject that is much too long",
        "more than the 30 allowed",
    );
    rejected(&f, "fix(web): short", "allowed scopes are api");
    commit(&f, &f.work, "fix(api): short").ok();
    // A bad config is a configuration error, not a silent pass.
    f.git(
        &f.work,
        &["config", "carto.commit.subjectMaxLength", "many"],
    );
    let out = commit(&f, &f.work, "fix(api): short again").fails(1);
    assert!(
        out.stderr.to_lowercase().contains("subjectmaxlength") && out.stderr.contains("many"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_commit_msg_hook_reports_bad_input_without_crashing() {
    let f = Fixture::new();
    let file = f.path("msg.txt");
    let hook = |bytes: &[u8]| {
        std::fs::write(&file, bytes).unwrap();
        f.carto(&["hook", "commit-msg", file.to_str().unwrap()])
    };
    let out = hook(b"feat: caf\xe9 au lait\n").fails(1);
    assert!(
        out.stderr
            .contains("not valid UTF-8 (byte 0xE9 at line 1, column 10)"),
        "{}",
        out.stderr
    );
    let mut big = b"feat: a large message\n\n".to_vec();
    while big.len() < 1_048_576 {
        big.extend_from_slice(b"Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n");
    }
    hook(&big).ok();
    let mut big_line = b"feat: ".to_vec();
    big_line.extend(std::iter::repeat_n(b'x', 1_048_576));
    let out = hook(&big_line).fails(1);
    assert!(
        out.stderr.len() < 2000,
        "the line is shown cut: {} bytes",
        out.stderr.len()
    );
    hook(b"fix(@carto/proxy): scoped\r\n\r\nBody.\r\nRefs: #1\r\n").ok();
    hook(b"fix(api/v2): scoped\n").ok();
    let out = hook(b"").fails(1);
    assert!(
        out.stderr.contains("the message is empty"),
        "{}",
        out.stderr
    );
    let out = f
        .carto(&["hook", "commit-msg", f.path("missing").to_str().unwrap()])
        .fails(2);
    assert!(
        out.stderr.contains("cannot read the commit message file"),
        "{}",
        out.stderr
    );
}
