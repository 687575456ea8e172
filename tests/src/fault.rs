//! A fault-injecting `git` for the fault suite: a small shell script put
//! first on PATH that calls the real git, except at one chosen subcommand
//! (its n-th call), where it fails, half-runs, or blocks until released.
//!
//! Only processes given [`FaultGit::env`] see a fault; the script counts calls
//! in its own directory, so one [`FaultGit`] serves one scenario at a time.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Fixture, Run};

/// What the wrapper does at the chosen call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exit 128 without running git: a failure before anything was written.
    Fail,
    /// Run git, then exit 128: it wrote, then "failed" (a disk full at the end).
    After,
    /// Run git, drop `MERGE_HEAD`, exit 128: a merge that wrote the index and
    /// files but died before recording itself (disk full during the merge).
    Half,
    /// Wait until [`FaultGit::release`], then run git.
    Block,
    /// Run git, then kill the process that called it (`SIGKILL`): the caller
    /// dies right after git wrote, before it could note anything.
    Kill,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Fail => "fail",
            Mode::After => "after",
            Mode::Half => "half",
            Mode::Block => "block",
            Mode::Kill => "kill",
        }
    }
}

const SCRIPT: &str = r#"#!/bin/sh
# Fault-injecting git (carto-tests fault suite).
real=@REAL@
sub= skip=
for a in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case $a in
    -C|-c) skip=1 ;;
    -*) ;;
    *) sub=$a; break ;;
  esac
done
if [ -n "$CARTO_FAULT_AT" ] && [ "$sub" = "$CARTO_FAULT_AT" ]; then
  n=$(( $(cat "$CARTO_FAULT_DIR/count" 2>/dev/null || echo 0) + 1 ))
  echo "$n" >"$CARTO_FAULT_DIR/count"
  if [ "$n" = "${CARTO_FAULT_NTH:-1}" ]; then
    case $CARTO_FAULT_MODE in
      fail) echo "fatal: injected failure at git $sub" >&2; exit 128 ;;
      after) "$real" "$@"; echo "fatal: injected failure after git $sub" >&2; exit 128 ;;
      half) "$real" "$@"; rm -f "$("$real" rev-parse --git-dir)/MERGE_HEAD"
            echo "fatal: No space left on device (injected)" >&2; exit 128 ;;
      kill) "$real" "$@"; kill -9 "$PPID"; exit 128 ;;
      block) echo $$ >"$CARTO_FAULT_DIR/blocked"
             while [ ! -e "$CARTO_FAULT_DIR/release" ]; do sleep 0.05; done ;;
    esac
  fi
fi
exec "$real" "$@"
"#;

/// The wrapper installed in a fixture's sandbox.
pub struct FaultGit {
    bin: PathBuf,
    state: PathBuf,
}

impl FaultGit {
    pub fn install(f: &Fixture) -> FaultGit {
        let real = f.git(&f.work, &["--exec-path"]);
        let real = Path::new(&real).join("git");
        let real = if real.exists() {
            real
        } else {
            PathBuf::from("/usr/bin/git")
        };
        let bin = f.path("fault-bin");
        let state = f.path("fault-state");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&state).unwrap();
        let script = SCRIPT.replace("@REAL@", &shell_quote(&real.display().to_string()));
        let path = bin.join("git");
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        FaultGit { bin, state }
    }

    /// Forget previous calls and releases (before the next scenario).
    pub fn reset(&self) {
        for name in ["count", "blocked", "release"] {
            let _ = std::fs::remove_file(self.state.join(name));
        }
    }

    /// `git-carto <args>` in `f.work` with the wrapper as its git, faulting at the
    /// `nth` call of `git <at>` (`at = None`: no fault, wrapper still first).
    pub fn command(&self, f: &Fixture, at: Option<(&str, u32, Mode)>, args: &[&str]) -> Command {
        // `git carto` would put git's exec-path first on PATH and hide the
        // wrapper from git-carto: run the binary itself.
        self.program(f, "git-carto", at, args)
    }

    /// `<binary> <args>` (`git-carto` or `xtask`, from the build) in `f.work`
    /// with the wrapper as its git.
    pub fn program(
        &self,
        f: &Fixture,
        binary: &str,
        at: Option<(&str, u32, Mode)>,
        args: &[&str],
    ) -> Command {
        let bin = crate::bin_dir().join(binary);
        let mut cmd = f.command(bin.to_str().unwrap(), &f.work);
        let path = cmd
            .get_envs()
            .find(|(k, _)| *k == "PATH")
            .and_then(|(_, v)| v.map(|v| v.to_os_string()))
            .unwrap_or_default();
        let mut paths = vec![self.bin.clone()];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap())
            .env("CARTO_FAULT_DIR", &self.state)
            .args(args);
        if let Some((sub, nth, mode)) = at {
            cmd.env("CARTO_FAULT_AT", sub)
                .env("CARTO_FAULT_NTH", nth.to_string())
                .env("CARTO_FAULT_MODE", mode.name());
        }
        cmd
    }

    pub fn carto(&self, f: &Fixture, at: Option<(&str, u32, Mode)>, args: &[&str]) -> Run {
        self.reset();
        Run::from(self.command(f, at, args).output().expect("run git carto"))
    }

    /// Start `git carto <args>` blocking at the first `git <at>`; returns once
    /// it is blocked there.
    pub fn spawn_blocked(&self, f: &Fixture, at: &str, args: &[&str]) -> Child {
        self.reset();
        let mut child = self
            .command(f, Some((at, 1, Mode::Block)), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn git carto");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.state.join("blocked").exists() {
            if let Ok(Some(status)) = child.try_wait() {
                let out = child.wait_with_output().unwrap();
                panic!(
                    "git carto ended ({status}) before reaching `git {at}`:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert!(Instant::now() < deadline, "never reached `git {at}`");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    /// Let a blocked process go on.
    pub fn release(&self) {
        std::fs::write(self.state.join("release"), "").unwrap();
    }

    /// How often the chosen subcommand ran in the last scenario.
    pub fn calls(&self) -> u32 {
        std::fs::read_to_string(self.state.join("count"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
