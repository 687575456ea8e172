//! The interactive walk over manual paths (`sync --resolve` on a terminal).
//!
//! For each path it shows the upstream side against the fork side as a
//! coloured diff with fork-marker lines highlighted, and offers: take the
//! upstream side, keep the fork side, edit both in `$EDITOR`, or skip. Input
//! and output are plain streams so that scripted input and a pseudo-terminal
//! drive exactly what a person at a terminal drives.

use std::io::{BufRead, Write};

use similar::{ChangeTag, TextDiff};

use super::conflicts::Conflict;
use super::policy::Side;
use super::resolve::{self, Choice};
use super::state::{By, Resolution, State};
use super::verify::conflict_markers;
use crate::error::{Error, Result, ResultExt};
use crate::repo::fork::Fork;
use crate::term::output::Style;

pub struct Walk<'a> {
    pub input: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
    pub style: Style,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub resolved: Vec<String>,
    pub skipped: Vec<String>,
}

/// Longest diff shown before it is cut (the file is one keypress away in `e`).
const MAX_DIFF_LINES: usize = 400;

enum Answer {
    Side(Side),
    Edit,
    Skip,
    Quit,
}

/// Walk every unresolved path of `state` that is still unmerged in `unmerged`.
pub fn run(
    fork: &Fork,
    state: &mut State,
    unmerged: &std::collections::HashSet<String>,
    w: &mut Walk<'_>,
) -> Result<Summary> {
    let todo: Vec<usize> = state
        .conflicts
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.resolution.is_none() && r.conflict.paths.iter().any(|p| unmerged.contains(p))
        })
        .map(|(i, _)| i)
        .collect();
    let mut summary = Summary::default();
    let total = todo.len();
    let io = |e: std::io::Error| Error::refused(format!("writing to the terminal: {e}"));
    for (n, i) in todo.into_iter().enumerate() {
        let record = state.conflicts[i].clone();
        let c = &record.conflict;
        show(fork, state, c, n + 1, total, &record.policy.to_string(), w).map_err(io)?;
        loop {
            let editable = !c.binary
                && c.kind != super::conflicts::Kind::RenameRename
                && c.kind != super::conflicts::Kind::Submodule
                && (c.upstream.is_some() || c.fork.is_some());
            write!(
                w.out,
                "{} take [u]pstream side, keep [f]ork side, {}[s]kip, [q]uit? ",
                w.style.bold(&c.path),
                if editable {
                    "[e]dit both in $EDITOR, "
                } else {
                    ""
                }
            )
            .map_err(io)?;
            w.out.flush().map_err(io)?;
            let mut line = String::new();
            let read = w.input.read_line(&mut line).map_err(io)?;
            let answer = match (read, line.trim()) {
                (0, _) => Answer::Quit,
                (_, "u" | "upstream") => Answer::Side(Side::Upstream),
                (_, "f" | "fork") => Answer::Side(Side::Fork),
                (_, "e" | "edit") if editable => Answer::Edit,
                (_, "s" | "skip") => Answer::Skip,
                (_, "q" | "quit") => Answer::Quit,
                (_, other) => {
                    writeln!(
                        w.out,
                        "`{other}`: answer u, f, {}s or q.",
                        if editable { "e, " } else { "" }
                    )
                    .map_err(io)?;
                    continue;
                }
            };
            match answer {
                Answer::Side(side) => {
                    let choice = Choice::File(side);
                    let change = resolve::plan(&fork.git.repo, c, choice)?;
                    if side == Side::Upstream && !confirm_loss(fork, state, &record, &change, w)? {
                        continue;
                    }
                    resolve::apply(&fork.git, &[&change])?;
                    writeln!(w.out, "{}: {}", c.path, w.style.ok(&change.result)).map_err(io)?;
                    state.conflicts[i].resolution = Some(Resolution {
                        by: By::Hand,
                        choice: Some(choice),
                        result: change.result,
                    });
                    state.save(&fork.git)?;
                    summary.resolved.push(c.path.clone());
                    break;
                }
                Answer::Edit => match edit(fork, state, c, w)? {
                    true => {
                        state.conflicts[i].resolution = Some(Resolution {
                            by: By::Hand,
                            choice: None,
                            result: "edited by hand".into(),
                        });
                        state.save(&fork.git)?;
                        writeln!(
                            w.out,
                            "{}: {}",
                            c.path,
                            w.style.ok("edited, marked resolved")
                        )
                        .map_err(io)?;
                        summary.resolved.push(c.path.clone());
                        break;
                    }
                    false => continue,
                },
                Answer::Skip => {
                    summary.skipped.push(c.path.clone());
                    break;
                }
                Answer::Quit => {
                    summary.skipped.push(c.path.clone());
                    let rest: Vec<String> = state
                        .conflicts
                        .iter()
                        .filter(|r| {
                            r.resolution.is_none()
                                && r.conflict.paths.iter().any(|p| unmerged.contains(p))
                                && !summary.skipped.contains(&r.conflict.path)
                                && !summary.resolved.contains(&r.conflict.path)
                        })
                        .map(|r| r.conflict.path.clone())
                        .collect();
                    summary.skipped.extend(rest);
                    return Ok(summary);
                }
            }
        }
    }
    Ok(summary)
}

/// Taking the upstream side of a path whose fork side has lines only fork
/// commits wrote (or marker/feature lines): say how many and ask first. The
/// first user's team lost a non-root `USER` line to one unexplained keystroke.
fn confirm_loss(
    fork: &Fork,
    state: &State,
    record: &super::state::Record,
    change: &resolve::Change,
    w: &mut Walk<'_>,
) -> Result<bool> {
    let io = |e: std::io::Error| Error::refused(format!("writing to the terminal: {e}"));
    let repo = &fork.git.repo;
    let stake = super::settle::at_stake(repo, record, change);
    if stake.lines.is_empty() {
        return Ok(true);
    }
    let mut guard = super::provenance::Guard::new(fork, &state.sides)?;
    let protected = guard.protected(repo, std::slice::from_ref(&stake))?;
    let lines = protected.into_iter().next().unwrap_or_default();
    if lines.is_empty() {
        return Ok(true);
    }
    write!(
        w.out,
        "{} the upstream side drops {} fork line(s) only fork commits wrote or marked (fork side lines {}). Take it anyway? [y/N] ",
        w.style.warn("Careful:"),
        lines.len(),
        super::verify::ranges(&lines)
    )
    .map_err(io)?;
    w.out.flush().map_err(io)?;
    let mut answer = String::new();
    w.input.read_line(&mut answer).map_err(io)?;
    Ok(matches!(answer.trim(), "y" | "yes"))
}

fn text_of(fork: &Fork, e: Option<&super::conflicts::Entry>) -> Option<String> {
    let blob = fork.git.repo.find_blob(e?.id).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

fn show(
    fork: &Fork,
    state: &State,
    c: &Conflict,
    n: usize,
    total: usize,
    policy: &str,
    w: &mut Walk<'_>,
) -> std::io::Result<()> {
    let s = w.style;
    let sides = &state.sides;
    writeln!(w.out)?;
    writeln!(
        w.out,
        "{} {} — {} conflict: {} (policy {policy})",
        s.dim(&format!("[{n}/{total}]")),
        s.bold(&c.path),
        c.kind,
        c.kind.describe()
    )?;
    let where_ = |side: Side, e: Option<&super::conflicts::Entry>| match e {
        Some(e) if e.path != c.path => format!("{}: {}", side.label(), e.path),
        Some(_) => format!("{}: present", side.label()),
        None => format!("{}: deleted", side.label()),
    };
    writeln!(
        w.out,
        "  {} ({}); {} ({})",
        where_(Side::Upstream, c.upstream.as_ref()),
        sides.upstream_label,
        where_(Side::Fork, c.fork.as_ref()),
        sides.fork_label
    )?;
    if c.binary {
        let size = |e: Option<&super::conflicts::Entry>| match e {
            Some(e) => fork
                .git
                .repo
                .find_blob(e.id)
                .map(|b| format!("{} bytes ({})", b.size(), &e.id.to_string()[..7]))
                .unwrap_or_else(|_| "unreadable".into()),
            None => "deleted".into(),
        };
        writeln!(
            w.out,
            "  binary file, no diff: upstream side {}, fork side {}",
            size(c.upstream.as_ref()),
            size(c.fork.as_ref())
        )?;
        return Ok(());
    }
    let up = text_of(fork, c.upstream.as_ref()).unwrap_or_default();
    let fk = text_of(fork, c.fork.as_ref()).unwrap_or_default();
    let markers = fork.config.get_all("resolve.marker").to_vec();
    let diff = TextDiff::from_lines(&up, &fk);
    writeln!(
        w.out,
        "{}",
        s.bad(&format!("--- upstream side ({})", sides.upstream_label))
    )?;
    writeln!(
        w.out,
        "{}",
        s.ok(&format!("+++ fork side ({})", sides.fork_label))
    )?;
    let mut shown = 0;
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        writeln!(w.out, "{}", s.dim(&hunk.header().to_string()))?;
        for change in hunk.iter_changes() {
            if shown >= MAX_DIFF_LINES {
                writeln!(
                    w.out,
                    "{}",
                    s.dim("... (diff cut; use [e] to see the whole file)")
                )?;
                return Ok(());
            }
            shown += 1;
            let text = change.value().trim_end_matches('\n');
            let marked = markers
                .iter()
                .any(|m| !m.is_empty() && text.contains(m.as_str()));
            let (sign, line) = match change.tag() {
                ChangeTag::Delete => ("-", s.bad(&format!("-{text}"))),
                ChangeTag::Insert => ("+", s.ok(&format!("+{text}"))),
                ChangeTag::Equal => (" ", format!(" {text}")),
            };
            if marked {
                writeln!(w.out, "{}", highlight(s, &format!("{sign}{text}")))?;
            } else {
                writeln!(w.out, "{line}")?;
            }
        }
    }
    if shown == 0 {
        writeln!(w.out, "  (the two sides have the same content)")?;
    }
    Ok(())
}

/// Fork-marker lines stand out: reverse video in colour, a tag without.
fn highlight(s: Style, line: &str) -> String {
    if s.color {
        format!("\x1b[1;30;43m{line}\x1b[0m")
    } else {
        format!("{line}    <== fork marker")
    }
}

/// Open the path in the editor with both sides in it. Returns whether the
/// path is now resolved (no markers left).
fn edit(fork: &Fork, state: &State, c: &Conflict, w: &mut Walk<'_>) -> Result<bool> {
    let git = &fork.git;
    let repo = &git.repo;
    let io = |e: std::io::Error| Error::refused(format!("writing to the terminal: {e}"));
    let (path, content) = match (&c.upstream, &c.fork) {
        (Some(u), Some(f)) if u.path == f.path => {
            let up_label = format!("upstream side ({})", state.sides.upstream_label);
            let fk_label = format!("fork side ({})", state.sides.fork_label);
            let merged = resolve::merge_text(
                repo,
                c.base.as_ref(),
                u,
                f,
                None,
                Some((&up_label, &fk_label)),
            )?;
            (u.path.clone(), merged.content)
        }
        (Some(e), None) | (None, Some(e)) => {
            (e.path.clone(), repo.find_blob(e.id)?.content().to_vec())
        }
        _ => return Ok(false),
    };
    let file = git.workdir().join(&path);
    // The working tree file may hold git's own markers; show ours, labelled by side.
    if !file.exists() || std::fs::read(&file).ok().as_deref() != Some(&content[..]) {
        std::fs::write(&file, &content).context(format!("writing {path}"))?;
    }
    let editor = git
        .run(&["var", "GIT_EDITOR"])
        .map(|o| o.stdout.trim().to_string())
        .unwrap_or_else(|_| "vi".into());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(&editor)
        .arg(&file)
        .current_dir(git.workdir())
        .status()
        .map_err(|e| Error::refused(format!("cannot start the editor `{editor}`: {e}")))?;
    if !status.success() {
        writeln!(
            w.out,
            "the editor failed ({status}): {path} is left as it is"
        )
        .map_err(io)?;
        return Ok(false);
    }
    let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
    let sides: Vec<Option<String>> = [c.upstream.as_ref(), c.fork.as_ref()]
        .into_iter()
        .map(|e| text_of(fork, e))
        .collect();
    let left = conflict_markers(&text, &sides);
    if !left.is_empty() {
        let lines: Vec<String> = left.iter().map(|(l, _)| l.to_string()).collect();
        writeln!(
            w.out,
            "{}",
            w.style.warn(&format!(
                "conflict markers left in {path} (lines {}): not marked resolved",
                lines.join(", ")
            ))
        )
        .map_err(io)?;
        return Ok(false);
    }
    let others: Vec<&str> = c
        .paths
        .iter()
        .filter(|p| **p != path)
        .map(String::as_str)
        .collect();
    if !others.is_empty() {
        let mut list = Vec::new();
        for p in &others {
            list.extend_from_slice(p.as_bytes());
            list.push(0);
        }
        git.remove_paths(&list)?;
    }
    git.run(&["--literal-pathspecs", "add", "--", &path])?;
    Ok(true)
}
