//! docs/json.md against what the commands print: every documented command is
//! run on a fork, and its top-level fields must be the documented ones, with
//! `version` 1. `protect` (needs GitHub) is checked in protect.rs and
//! `verify` (needs a sync merge) in verify.rs; their fields are listed here
//! for the documentation only.

use std::collections::BTreeSet;
use std::path::Path;

use carto_tests::{Fixture, Run};

/// (command line as documented, required fields, optional fields)
fn documented() -> Vec<(String, BTreeSet<String>, BTreeSet<String>)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/json.md"))
            .unwrap();
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(cmd) = line.strip_prefix("### `").and_then(|l| l.strip_suffix('`')) else {
            continue;
        };
        let fields = lines.find(|l| !l.trim().is_empty()).unwrap();
        let (mut required, mut optional) = (BTreeSet::new(), BTreeSet::new());
        for (i, part) in fields.split('`').enumerate() {
            if i % 2 == 1 {
                match part.strip_suffix('?') {
                    Some(p) => optional.insert(p.to_string()),
                    None => required.insert(part.to_string()),
                };
            }
        }
        out.push((cmd.to_string(), required, optional));
    }
    out
}

#[test]
fn every_documented_json_shape_is_what_the_command_prints() {
    let f = Fixture::new();
    f.commit_file(
        &f.work,
        "docker/Dockerfile.non_root",
        "FROM python:3.11\n",
        "build: image",
    );
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let docs = documented();
    assert!(docs.len() >= 15, "{docs:?}");
    let mut checked = 0;
    for (cmd, required, optional) in docs {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let run: Run = match words.as_slice() {
            ["git", "carto", "protect" | "verify", ..] => continue,
            ["git", "carto", rest @ ..] => f.carto(rest),
            ["cargo", "xtask", "images", rest @ ..] => {
                let mut args = vec!["images", "carto-v1.75.2-0.1.0"];
                args.extend(rest);
                f.xtask(&args)
            }
            ["cargo", "xtask", "release", rest @ ..] => {
                let mut args = vec!["release", "patch"];
                args.extend(rest);
                f.xtask(&args)
            }
            ["cargo", "xtask", rest @ ..] => f.xtask(rest),
            _ => panic!("unknown command in docs/json.md: {cmd}"),
        };
        assert_eq!(run.code, 0, "{cmd}: {}{}", run.stdout, run.stderr);
        let j = run.json();
        assert_eq!(j["version"], 1, "{cmd}: {j:#}");
        let keys: BTreeSet<String> = j.as_object().unwrap().keys().cloned().collect();
        if words[2] == "config" {
            assert!(keys.contains("branch.mirror"), "{cmd}: {keys:?}");
        } else {
            let missing: Vec<&String> = required.difference(&keys).collect();
            let extra: Vec<&String> = keys
                .iter()
                .filter(|k| !required.contains(*k) && !optional.contains(*k))
                .collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{cmd}: documented but not printed {missing:?}, printed but not documented {extra:?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 13, "{checked}");
}

/// `--json` as `<cmd> --help` shows it: its line, or `None` without the flag.
fn json_help(run: Run) -> Option<String> {
    run.ok()
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("--json"))
        .map(|l| l.trim().to_string())
}

#[test]
fn every_json_flag_says_what_it_prints() {
    let f = Fixture::new();
    let mut seen = 0;
    let carto = [
        "status", "prune", "next-tag", "sync", "verify", "lint", "config", "init", "doctor",
        "protect", "release",
    ];
    for cmd in carto {
        let line = json_help(f.carto(&[cmd, "-h"])).unwrap_or_else(|| panic!("{cmd}: no --json"));
        assert!(line.len() > "--json".len() + 5, "{cmd}: `{line}`");
        seen += 1;
    }
    let line = json_help(f.carto(&["hooks", "status", "-h"])).unwrap();
    assert!(line.len() > 12, "hooks status: `{line}`");
    for cmd in ["release", "notes", "images", "build"] {
        let line = json_help(f.xtask(&[cmd, "-h"])).unwrap_or_else(|| panic!("{cmd}: no --json"));
        assert!(line.len() > "--json".len() + 5, "xtask {cmd}: `{line}`");
        seen += 1;
    }
    assert_eq!(seen, 15);
}
