//! Output that cannot go where it should: a reader that went away (a closed
//! pipe, `| head -c1`) ends the process quietly as it ends git; a full disk is
//! an error the user sees. Never a panic (exit 101). Outside text (a commit
//! subject) never sends control sequences to the terminal.

use std::fs::OpenOptions;
use std::process::{Command, Stdio};

use carto_tests::{bin_dir, Fixture, Run};

/// The write end of a pipe whose reader has already exited: every write to it
/// fails with EPIPE, deterministically (no race with a `head` that may or may
/// not have read yet).
fn closed_pipe(f: &Fixture) -> Stdio {
    let mut reader = f
        .command("true", &f.work)
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn true");
    let write_end = reader.stdin.take().expect("pipe");
    reader.wait().expect("true ran");
    Stdio::from(write_end)
}

fn run_into(mut cmd: Command, stdout: Stdio) -> Run {
    Run::from(cmd.stdout(stdout).output().expect("run"))
}

fn carto_cmd(f: &Fixture, args: &[&str]) -> Command {
    let mut cmd = f.command("git", &f.work);
    cmd.arg("carto").args(args);
    cmd
}

#[test]
fn a_closed_pipe_ends_commands_quietly() {
    let f = Fixture::new();
    for args in [
        &["status"][..],
        &["completions", "zsh"],
        &["next-tag", "patch"],
    ] {
        let out = run_into(carto_cmd(&f, args), closed_pipe(&f));
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert_eq!(out.code, 141, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}");
    }
    let xtask = bin_dir().join("xtask");
    let mut notes = f.command(xtask.to_str().unwrap(), &f.work);
    notes.args(["notes", "v1.75.2-stable..carto/main"]);
    let out = run_into(notes, closed_pipe(&f));
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.code, 141, "{}", out.stderr);
}

#[test]
fn a_full_disk_is_reported_not_a_panic() {
    let f = Fixture::new();
    let full = || {
        Stdio::from(
            OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
        )
    };
    let out = run_into(carto_cmd(&f, &["status"]), full()).fails(1);
    assert!(
        out.stderr.contains("cannot write the output") && out.stderr.contains("No space left"),
        "{}",
        out.stderr
    );
    let out = run_into(carto_cmd(&f, &["status", "--json"]), full()).fails(1);
    assert!(out.stderr.contains("No space left"), "{}", out.stderr);
}

#[test]
fn control_sequences_in_a_subject_never_reach_the_terminal() {
    let f = Fixture::new();
    let msg = f.path("msg");
    std::fs::write(&msg, "bad \x1b]0;PWNED\x07 subject\n").unwrap();
    let out = f
        .carto(&["hook", "commit-msg", msg.to_str().unwrap()])
        .fails(1);
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
    assert!(!out.stderr.contains('\x07'), "{:?}", out.stderr);
    assert!(out.stderr.contains(r"\x1b]0;PWNED\x07"), "{}", out.stderr);

    // The same subject committed (hooks skipped) and listed by lint and status.
    f.git(
        &f.work,
        &["switch", "--quiet", "-c", "feature/x", "carto/main"],
    );
    f.git(
        &f.work,
        &[
            "commit",
            "--quiet",
            "--allow-empty",
            "-m",
            "fix: evil \x1b]52;c;cHduZWQ=\x07 subject",
        ],
    );
    let lint = f.carto(&["lint"]);
    let status = f.carto(&["status"]);
    for out in [lint, status] {
        assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
        assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
    }
}

#[test]
fn the_recovery_hint_is_quoted_for_the_shell() {
    let f = Fixture::new();
    let dir = f.path("odd dir");
    std::fs::create_dir_all(&dir).unwrap();
    let msg = dir.join("it's msg");
    std::fs::write(&msg, "not conventional\n").unwrap();
    let out = f
        .carto(&["hook", "commit-msg", msg.to_str().unwrap()])
        .fails(1);
    let quoted = format!("git commit -e -F '{}/it'\\''s msg'", dir.display());
    assert!(out.stderr.contains(&quoted), "{}", out.stderr);
}
