//! Test fixture kit: real git repositories in a temp dir, driven through the
//! real `git-carto` and `xtask` binaries.
//!
//! A [`Fixture`] holds a bare `upstream.git` (release branches whose stable
//! tags are not ancestors of each other), a bare `origin.git` fork with `main`
//! (the mirror) and `carto/main` (production), and a working clone `work` with
//! both remotes. Every process runs with an isolated `HOME` and no system
//! config, so the developer's own git settings never leak into a test.

pub mod fault;
pub mod github_releases;
pub mod github_server;
pub mod registry;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub use tempfile::TempDir;

/// The upstream versions the standard fixture releases, in order.
pub const UPSTREAM_VERSIONS: &[&str] = &["1.75.2", "1.77.4", "1.78.5"];

/// Directory holding the built binaries (`target/debug`).
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("current exe");
        // target/debug/deps/<test> -> target/debug
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .to_path_buf();
        // Integration tests of one package do not build other packages'
        // binaries; build them once per test process (a no-op when fresh).
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        // Variables cargo set for this test: a build script that watches one
        // (ring watches CARGO_MANIFEST_DIR and CARGO_PKG_*) would otherwise
        // rebuild here and again in the developer's next `cargo build`.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let set_by_cargo = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_BIN_",
                "CARGO_CRATE_",
            ]
            .iter()
            .any(|p| k.starts_with(p))
                || [
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                ]
                .contains(&k.as_ref());
            if set_by_cargo {
                build.env_remove(&key);
            }
        }
        let out = build
            .args(["build", "--workspace", "--all-targets", "--quiet"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// Result of a process run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// From a process a test started itself (custom environment or input).
    pub fn from_output(out: Output) -> Self {
        Self::from(out)
    }

    /// Run `cmd` with `input` on its standard input, capturing its output.
    pub fn with_input(cmd: &mut Command, input: &str) -> Self {
        use std::io::Write;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        Self::from(child.wait_with_output().unwrap())
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

pub struct Fixture {
    pub root: TempDir,
    pub upstream: PathBuf,
    pub origin: PathBuf,
    pub work: PathBuf,
    home: PathBuf,
}

impl Fixture {
    /// An empty sandbox: isolated HOME, no repositories yet.
    pub fn empty() -> Self {
        let root = tempfile::Builder::new()
            .prefix("carto-test-")
            .tempdir()
            .expect("tempdir");
        let base = root.path().to_path_buf();
        let home = base.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join(".gitconfig"),
            "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n\
             [protocol \"file\"]\n\tallow = always\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        Fixture {
            upstream: base.join("upstream.git"),
            origin: base.join("origin.git"),
            work: base.join("work"),
            root,
            home,
        }
    }

    /// The standard fork: upstream released 1.75.2, 1.77.4 and 1.78.5 on
    /// release branches; the fork mirrors 1.75.2 and released
    /// `carto-v1.75.2-0.1.0`; `work` is a clone with both remotes, on `carto/main`.
    pub fn new() -> Self {
        let f = Fixture::empty();
        f.build_upstream();
        f.build_fork("1.75.2");
        f
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn url(path: &Path) -> String {
        format!("file://{}", path.display())
    }

    /// A command with the sandbox environment.
    pub fn command(&self, program: &str, dir: &Path) -> Command {
        let mut cmd = Command::new(program);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![bin_dir().to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        cmd.current_dir(dir)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("PATH", std::env::join_paths(paths).unwrap())
            .stdin(Stdio::null());
        cmd
    }

    /// Run git in `dir`, panicking with its output on failure.
    #[track_caller]
    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let run = self.run_git(dir, args);
        assert_eq!(
            run.code,
            0,
            "git {args:?} in {} failed:\n{}{}",
            dir.display(),
            run.stdout,
            run.stderr
        );
        run.stdout.trim_end().to_string()
    }

    pub fn run_git(&self, dir: &Path, args: &[&str]) -> Run {
        Run::from(
            self.command("git", dir)
                .args(args)
                .output()
                .expect("run git"),
        )
    }

    /// `git carto <args>` in the working clone, found on PATH as git finds it.
    pub fn carto(&self, args: &[&str]) -> Run {
        self.carto_in(&self.work, args)
    }

    /// `git carto <args>` in the working clone with extra environment (e.g.
    /// [`github_server::GitHubServer::env`]).
    pub fn carto_env(&self, env: &[(&str, String)], args: &[&str]) -> Run {
        let mut cmd = self.command("git", &self.work);
        cmd.arg("carto")
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)));
        Run::from(cmd.output().expect("run git carto"))
    }

    pub fn carto_in(&self, dir: &Path, args: &[&str]) -> Run {
        Run::from(
            self.command("git", dir)
                .arg("carto")
                .args(args)
                .output()
                .expect("run git carto"),
        )
    }

    /// The xtask binary in the working clone.
    pub fn xtask(&self, args: &[&str]) -> Run {
        let bin = bin_dir().join("xtask");
        Run::from(
            self.command(bin.to_str().unwrap(), &self.work)
                .args(args)
                .output()
                .expect("run xtask"),
        )
    }

    /// The xtask binary in `dir` with extra environment, not yet run (tests
    /// that race two releases spawn it).
    pub fn xtask_cmd(&self, dir: &Path, env: &[(&str, String)], args: &[&str]) -> Command {
        let bin = bin_dir().join("xtask");
        let mut cmd = self.command(bin.to_str().unwrap(), dir);
        cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The xtask binary in the working clone with extra environment.
    pub fn xtask_env(&self, env: &[(&str, String)], args: &[&str]) -> Run {
        Run::from(
            self.xtask_cmd(&self.work, env, args)
                .output()
                .expect("run xtask"),
        )
    }

    /// Write a file (creating parents) relative to `dir`.
    pub fn write(&self, dir: &Path, rel: &str, content: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// Write a file and commit it; returns the new commit id.
    #[track_caller]
    pub fn commit_file(&self, dir: &Path, rel: &str, content: &str, message: &str) -> String {
        self.write(dir, rel, content);
        self.git(dir, &["add", "--", rel]);
        self.git(dir, &["commit", "--quiet", "--no-verify", "-m", message]);
        self.git(dir, &["rev-parse", "HEAD"])
    }

    /// Release `version` upstream: a release branch off upstream's main with a
    /// version bump, tagged `v<version>-stable` (annotated), then more work on
    /// main so the next release branch forks later.
    pub fn upstream_release(&self, version: &str, tag: Option<&str>) -> String {
        let src = self.path("upstream-src");
        let branch = format!("release/v{version}");
        self.git(&src, &["switch", "--quiet", "-c", &branch, "main"]);
        self.commit_file(
            &src,
            "pyproject.toml",
            &pyproject(version),
            &format!("bump: version {version}"),
        );
        let tag = tag
            .map(str::to_string)
            .unwrap_or_else(|| format!("v{version}-stable"));
        self.git(
            &src,
            &["tag", "-a", "-m", &format!("Release {version}"), &tag],
        );
        self.git(&src, &["switch", "--quiet", "main"]);
        self.commit_file(
            &src,
            "litellm/core.py",
            &format!("# upstream core\nVERSION_AFTER = \"{version}\"\n"),
            &format!("feat: upstream work after {version}"),
        );
        self.git(
            &src,
            &[
                "push",
                "--quiet",
                "--follow-tags",
                "origin",
                "main",
                &branch,
            ],
        );
        self.git(&src, &["push", "--quiet", "origin", &tag]);
        tag
    }

    fn build_upstream(&self) {
        let src = self.path("upstream-src");
        self.git(
            self.root.path(),
            &["init", "--quiet", "--bare", self.upstream.to_str().unwrap()],
        );
        self.git(
            self.root.path(),
            &["init", "--quiet", src.to_str().unwrap()],
        );
        self.write(
            &src,
            "README.md",
            "# LiteLLM\n\nUpstream project.\n=======\n",
        );
        self.write(&src, "litellm/core.py", "# upstream core\n");
        self.write(&src, "Dockerfile", "FROM python:3.11\nRUN pip install .\n");
        self.commit_file(
            &src,
            "pyproject.toml",
            &pyproject("1.74.0"),
            "chore: initial upstream",
        );
        self.git(
            &src,
            &["remote", "add", "origin", &Self::url(&self.upstream)],
        );
        self.git(&src, &["push", "--quiet", "origin", "main"]);
        for v in UPSTREAM_VERSIONS {
            self.upstream_release(v, None);
        }
        // Names a real upstream used that are not stable versions.
        self.git(&src, &["tag", "v.1.32.34-stable", "main"]);
        self.git(&src, &["tag", "v1.55.8-stable-patched", "main"]);
        self.git(&src, &["push", "--quiet", "origin", "--tags"]);
    }

    /// The fork mirrors `version`, production has two fork commits and one release.
    fn build_fork(&self, version: &str) {
        let root = self.root.path();
        self.git(
            root,
            &["init", "--quiet", "--bare", self.origin.to_str().unwrap()],
        );
        self.git(
            root,
            &[
                "clone",
                "--quiet",
                &Self::url(&self.upstream),
                self.work.to_str().unwrap(),
            ],
        );
        let w = &self.work;
        self.git(w, &["remote", "rename", "origin", "upstream"]);
        self.git(w, &["remote", "add", "origin", &Self::url(&self.origin)]);
        let stable = format!("v{version}-stable");
        self.git(w, &["reset", "--quiet", "--hard", &stable]);
        self.git(w, &["push", "--quiet", "origin", "main"]);
        self.git(w, &["switch", "--quiet", "-c", "carto/main"]);
        self.commit_file(
            w,
            "carto_config.yaml",
            "carto: true\n",
            "feat: add carto config",
        );
        self.commit_file(
            w,
            "Dockerfile",
            "FROM python:3.11\n# CARTO: non-root user\nUSER 1000\nRUN pip install .\n",
            "fix(docker): run as non-root",
        );
        self.git(
            w,
            &[
                "tag",
                "-a",
                "-m",
                &format!("Release carto-v{version}-0.1.0"),
                &format!("carto-v{version}-0.1.0"),
            ],
        );
        self.git(
            w,
            &[
                "push",
                "--quiet",
                "-u",
                "origin",
                "carto/main",
                &format!("carto-v{version}-0.1.0"),
            ],
        );
        self.git(
            w,
            &["branch", "--quiet", "--set-upstream-to=origin/main", "main"],
        );
        self.git(
            w,
            &[
                "symbolic-ref",
                "refs/remotes/origin/HEAD",
                "refs/remotes/origin/main",
            ],
        );
        self.git(w, &["fetch", "--quiet", "origin"]);
    }

    /// A second clone of origin (a teammate), with the upstream remote too.
    pub fn clone_origin(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        self.git(
            self.root.path(),
            &[
                "clone",
                "--quiet",
                &Self::url(&self.origin),
                dir.to_str().unwrap(),
            ],
        );
        self.git(
            &dir,
            &["remote", "add", "upstream", &Self::url(&self.upstream)],
        );
        self.git(&dir, &["fetch", "--quiet", "upstream", "--tags"]);
        dir
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&self.work, &["rev-parse", rev])
    }

    /// Merge an upstream stable tag into production by hand (what a finished
    /// sync leaves behind), push it.
    pub fn merge_upstream_into_production(&self, tag: &str) {
        let w = &self.work;
        self.git(w, &["switch", "--quiet", "carto/main"]);
        self.git(w, &["merge", "--quiet", "--no-edit", "-X", "theirs", tag]);
        self.git(w, &["push", "--quiet", "origin", "carto/main"]);
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

pub fn pyproject(version: &str) -> String {
    format!("[tool.poetry]\nname = \"litellm\"\nversion = \"{version}\"\n")
}
