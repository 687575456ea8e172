//! The interactive walk of `sync --resolve`, driven by scripted answers on
//! stdin (`--interactive`) and through a real pseudo-terminal (`script`).

mod sync_support;

use std::io::Write;
use std::process::Stdio;

use carto_tests::{Fixture, Run};
use sync_support::*;

fn carto_input(f: &Fixture, args: &[&str], input: &str, env: &[(&str, String)]) -> Run {
    let mut cmd = f.command("git", &f.work);
    cmd.arg("carto")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)));
    Run::with_input(&mut cmd, input)
}

/// An editor that checks it was given both sides, then writes the merged file.
fn editor(f: &Fixture) -> String {
    let path = f.path("editor.sh");
    std::fs::write(
        &path,
        "#!/bin/sh\n\
         grep -q '^<<<<<<< upstream side' \"$1\" || exit 3\n\
         grep -q '^>>>>>>> fork side' \"$1\" || exit 4\n\
         printf 'FROM python:3.12\\n# CARTO: non-root user\\nUSER 1000\\nRUN pip install --no-cache-dir .\\nCMD [\"litellm\"]\\n' > \"$1\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", path.to_str().unwrap()])
        .status()
        .unwrap();
    path.display().to_string()
}

#[test]
fn scripted_walk_takes_sides_edits_and_skips() {
    let f = conflicted();
    f.carto(&["sync", "--no-push"]).fails(1);
    let env = [("GIT_EDITOR", editor(&f))];
    // Dockerfile: a typo, then edit; Makefile: keep fork; logo: take upstream; c.txt: skip.
    let out = carto_input(
        &f,
        &["sync", "--resolve", "--interactive"],
        "x\ne\nf\nu\ns\n",
        &env,
    )
    .fails(1);
    let o = &out.stdout;
    assert!(o.contains("[1/4] Dockerfile"), "{o}");
    assert!(
        o.contains("--- upstream side (v1.1.0-stable via main)"),
        "{o}"
    );
    assert!(o.contains("+++ fork side (carto/main)"), "{o}");
    assert!(
        o.contains("+# CARTO: non-root user    <== fork marker"),
        "{o}"
    );
    assert!(o.contains("-FROM python:3.12"), "{o}");
    assert!(o.contains("`x`: answer u, f, e, s or q."), "{o}");
    assert!(o.contains("Dockerfile: edited, marked resolved"), "{o}");
    assert!(o.contains("Makefile — delete/modify conflict"), "{o}");
    assert!(o.contains("Makefile: fork side (whole file)"), "{o}");
    assert!(o.contains("binary file, no diff: upstream side"), "{o}");
    assert!(
        o.contains("assets/logo.png: upstream side (whole file)"),
        "{o}"
    );
    assert!(!o.contains("ours") && !o.contains("theirs"), "{o}");
    assert!(o.contains("1 left for a person:\n  c.txt"), "{o}");

    assert!(file(&f, "Dockerfile").starts_with("FROM python:3.12\n# CARTO: non-root user\n"));
    assert!(file(&f, "Makefile").contains("pytest -x"));
    assert_eq!(
        std::fs::read(f.work.join("assets/logo.png")).unwrap(),
        b"\0PNG upstream\0\x02"
    );
    let unmerged = f.git(&f.work, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged, "c.txt");
    let j = f.carto(&["sync", "--status", "--json"]).ok().json();
    let dockerfile = j["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == "Dockerfile")
        .unwrap()
        .clone();
    assert_eq!(dockerfile["by"], "hand");
    assert_eq!(dockerfile["result"], "edited by hand");
    assert_eq!(j["left"], serde_json::json!(["c.txt"]));

    // Second walk: only c.txt is asked about.
    // Taking upstream drops the fork's own line 2: asked, then confirmed.
    let out = carto_input(&f, &["sync", "--resolve", "--interactive"], "u\ny\n", &[]).ok();
    assert!(out.stdout.contains("[1/1] c.txt"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("drops 1 fork line(s) only fork commits wrote or marked (fork side lines 2)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Nothing left"), "{}", out.stdout);

    let out = f.carto(&["sync", "--continue"]).ok();
    assert!(out.stdout.contains("Synced"), "{}", out.stdout);
    let msg = f.git(&f.work, &["log", "-1", "--format=%B"]);
    assert!(
        msg.starts_with("Merge branch 'carto/main' into upstream-sync/v1.1.0"),
        "{msg}"
    );
    for t in [
        "Carto-Resolved: fork Makefile",
        "Carto-Resolved: upstream assets/logo.png",
        "Carto-Resolved: upstream c.txt",
        "Carto-Resolved: edited Dockerfile",
    ] {
        assert!(msg.contains(t), "{t}: {msg}");
    }
    // CI's view of the committed merge: the person's choice is an outcome, not a finding.
    let j = f.carto(&["verify", "--json"]).ok().json();
    assert_eq!(j["ok"], true, "{j}");
    let outcome = j["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "Makefile")
        .unwrap_or_else(|| panic!("{j}"))
        .clone();
    assert_eq!(outcome["check"], "upstream_dropped");
    assert_eq!(outcome["decided_by"], "by hand");
}

#[test]
fn colour_highlights_fork_markers_and_the_editor_can_leave_markers() {
    let f = conflicted();
    f.carto(&["sync", "--no-push"]).fails(1);
    let lazy = f.path("lazy-editor.sh");
    std::fs::write(&lazy, "#!/bin/sh\nexit 0\n").unwrap();
    std::process::Command::new("chmod")
        .args(["+x", lazy.to_str().unwrap()])
        .status()
        .unwrap();
    let env = [
        ("CLICOLOR_FORCE", "1".to_string()),
        ("GIT_EDITOR", lazy.display().to_string()),
    ];
    // Edit without removing the markers: not resolved, asked again; then quit.
    let out = carto_input(&f, &["sync", "--resolve", "--interactive"], "e\nq\n", &env).fails(1);
    assert!(
        out.stdout
            .contains("\x1b[1;30;43m+# CARTO: non-root user\x1b[0m"),
        "{:?}",
        out.stdout
    );
    assert!(
        out.stdout.contains("conflict markers left in Dockerfile"),
        "{}",
        out.stdout
    );
    let text = file(&f, "Dockerfile");
    assert!(
        text.contains("<<<<<<< upstream side (v1.1.0-stable via main)"),
        "{text}"
    );
    assert!(text.contains(">>>>>>> fork side (carto/main)"), "{text}");
    let unmerged = f.git(&f.work, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged.lines().count(), 4, "{unmerged}");
}

#[test]
fn without_a_terminal_only_policies_apply_and_what_is_left_is_listed() {
    let f = conflicted();
    f.carto(&["sync", "--no-push"]).fails(1);
    // stdin is not a terminal: no questions, even with answers waiting.
    let out = carto_input(&f, &["sync", "--resolve"], "u\nu\nu\nu\n", &[]).fails(1);
    assert!(!out.stdout.contains("[1/4]"), "{}", out.stdout);
    assert!(
        out.stdout.contains("4 left for a person:"),
        "{}",
        out.stdout
    );
    let unmerged = f.git(&f.work, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged.lines().count(), 4);
}

/// A command on a real pseudo-terminal (`script`), answered expect-style:
/// each answer is sent only once its prompt has been printed, as a person
/// at the keyboard would.
struct Terminal {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    seen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: std::thread::JoinHandle<()>,
}

impl Terminal {
    fn start(f: &Fixture, command: &str) -> Terminal {
        let mut cmd = f.command("script", &f.work);
        cmd.args(["-q", "-e", "-c", command, "/dev/null"])
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            child,
            stdin,
            seen,
            reader,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// Wait until `prompt` has been printed `nth` times, then type `answer`.
    fn answer(&mut self, prompt: &str, nth: usize, answer: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.text().matches(prompt).count() < nth {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "ended ({status}) before prompt {nth} `{prompt}`:\n{}",
                    self.text()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no prompt {nth} `{prompt}`:\n{}",
                self.text()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // Nothing more may be asked before the answer.
        assert_eq!(self.text().matches(prompt).count(), nth, "{}", self.text());
        self.stdin
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        self.stdin.flush().unwrap();
    }

    fn finish(self) -> (i32, String) {
        let Terminal {
            mut child,
            stdin,
            seen,
            reader,
        } = self;
        drop(stdin);
        let status = child.wait().unwrap();
        // The reader ends when `script` closes its output: every byte is in.
        reader.join().unwrap();
        let text = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
        (status.code().unwrap_or(-1), text)
    }
}

#[test]
fn a_pseudo_terminal_gets_the_walk_without_flags() {
    let f = conflicted();
    f.carto(&["sync", "--no-push"]).fails(1);
    let mut t = Terminal::start(&f, "git carto sync --resolve");
    let side = "[q]uit? ";
    let confirm = "[y/N] ";
    // Dockerfile: upstream drops the `# CARTO:` lines: `n` declines and the
    // same path is asked again, then `u` and `y` confirm.
    t.answer(side, 1, "u");
    t.answer(confirm, 1, "n");
    t.answer(side, 2, "u");
    t.answer(confirm, 2, "y");
    t.answer(side, 3, "f");
    t.answer(side, 4, "u");
    t.answer(side, 5, "s");
    let (code, o) = t.finish();
    assert!(o.contains("[1/4] Dockerfile"), "{o}");
    assert!(o.contains("take [u]pstream side, keep [f]ork side"), "{o}");
    assert!(o.contains("[4/4] c.txt"), "{o}");
    assert_eq!(o.matches("Careful:").count(), 2, "{o}");
    assert_eq!(o.matches(side).count(), 5, "{o}");
    // One path skipped: the walk ends with it left for a person, exit 1.
    assert_eq!(code, 1, "{o}");
    assert!(o.contains("1 left for a person"), "{o}");
    let unmerged = f.git(&f.work, &["diff", "--name-only", "--diff-filter=U"]);
    assert_eq!(unmerged, "c.txt");
    assert!(file(&f, "Dockerfile").starts_with("FROM python:3.12\nRUN pip install --no-cache-dir"));
}

#[test]
fn resolve_takes_over_a_merge_started_with_plain_git() {
    let f = conflicted();
    f.git(&f.work, &["fetch", "--quiet", "--tags", "upstream"]);
    // A person merges the stable tag into production: here HEAD is the fork side.
    let r = f.run_git(&f.work, &["merge", "v1.1.0-stable"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let out = f.carto(&["sync", "--resolve"]).fails(1);
    assert!(
        out.stdout.contains("4 left for a person:"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    // Sides by ancestry: the policies still favour the right sides.
    let router = file(&f, "litellm/router.py");
    assert!(
        router.contains("router UPSTREAM 3") && router.contains("router FORK 7"),
        "{router}"
    );
    let settings = file(&f, "carto_settings.yaml");
    assert!(settings.contains("setting FORK 2") && settings.contains("setting UPSTREAM 10"));
    let j = f.carto(&["sync", "--status", "--json"]).ok().json();
    assert_eq!(j["started_by_carto"], false);
    assert_eq!(j["upstream_side"], "v1.1.0-stable");
    assert_eq!(j["fork_side"], "carto/main");

    let out = carto_input(
        &f,
        &["sync", "--resolve", "--interactive"],
        "f\nf\nu\nu\ny\n",
        &[],
    )
    .ok();
    assert!(out.stdout.contains("Nothing left"), "{}", out.stdout);
    assert!(file(&f, "Dockerfile").contains("# CARTO: non-root user"));
    f.carto(&["sync", "--continue"]).ok();
    let msg = f.git(&f.work, &["log", "-1", "--format=%B"]);
    assert!(msg.starts_with("Merge tag 'v1.1.0-stable'"), "{msg}");
    assert!(msg.contains("Carto-Resolved: fork Dockerfile"), "{msg}");
    assert_eq!(
        f.git(&f.work, &["symbolic-ref", "--short", "HEAD"]),
        "carto/main"
    );
    assert!(!f.work.join(".git/carto/sync.json").exists());
    f.carto(&["verify"]).ok();
}
