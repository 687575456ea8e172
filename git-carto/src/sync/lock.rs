//! One sync at a time per clone: `<git-dir>/carto/sync.lock`.
//!
//! Two syncs racing in one clone each believe the refs and the index are
//! theirs; the loser's rollback then undoes the winner's work. The lock is a
//! file created with `O_CREAT|O_EXCL` (atomic on every local file system git
//! supports) holding the owner's pid and start time, removed when the owner
//! ends. A lock whose process is gone (killed: `sync --abort` must still work
//! afterwards) is stale and taken over; the take-over itself is guarded by a
//! second exclusive file so two processes never both break the same lock.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::repo::git::Git;

/// Held while a sync step runs; the file goes when this is dropped.
#[derive(Debug)]
pub struct SyncLock {
    path: PathBuf,
}

/// Who holds a lock, as written in the file.
#[derive(Debug, PartialEq, Eq)]
struct Owner {
    pid: u32,
    /// The process's start (clock ticks since boot, from `/proc`) when known:
    /// tells a live owner from a new process that reused its pid.
    start: Option<u64>,
    /// When the lock was taken (seconds since the epoch).
    since: u64,
}

impl SyncLock {
    /// Take the lock, or refuse naming the process that holds it.
    pub fn take(git: &Git) -> Result<SyncLock> {
        let path = git.git_dir().join("carto").join("sync.lock");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::refused(format!("creating {}: {e}", dir.display())))?;
        }
        // Twice at most: once more after breaking a stale lock.
        for _ in 0..2 {
            if create(&path)? {
                return Ok(SyncLock { path });
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let owner = parse(&text);
            match &owner {
                Some(o) if !alive(o) => break_stale(&path, &text)?,
                // Unreadable: the owner is between create and write (or the
                // file is damaged); never guess, say how to clear it.
                _ => return Err(held(&path, owner.as_ref())),
            }
        }
        Err(held(
            &path,
            parse(&std::fs::read_to_string(&path).unwrap_or_default()).as_ref(),
        ))
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Create the lock file exclusively with our owner line; false if it exists.
fn create(path: &Path) -> Result<bool> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            let me = Owner {
                pid: std::process::id(),
                start: start_ticks(std::process::id()),
                since: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            };
            f.write_all(format(&me).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| {
                    let _ = std::fs::remove_file(path);
                    Error::refused(format!("writing {}: {e}", path.display()))
                })?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::refused(format!("creating {}: {e}", path.display()))),
    }
}

/// Remove a stale lock, but only the one we judged stale: under a second
/// exclusive file, and only if its text is still what we read.
fn break_stale(path: &Path, seen: &str) -> Result<()> {
    let guard = path.with_extension("lock.break");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&guard)
    {
        Ok(_) => {}
        // Another process is breaking it right now: let the next create decide.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(Error::refused(format!("creating {}: {e}", guard.display()))),
    }
    if std::fs::read_to_string(path).unwrap_or_default() == seen {
        let _ = std::fs::remove_file(path);
    }
    let _ = std::fs::remove_file(&guard);
    Ok(())
}

fn held(path: &Path, owner: Option<&Owner>) -> Error {
    match owner {
        Some(o) => Error::refused(format!(
            "another `git carto sync` is running in this clone (pid {}, since {}): wait for it to \
             finish, then see `git carto sync --status`. If pid {} is not a git carto process, \
             the lock is left over: remove {}",
            o.pid,
            utc(o.since),
            o.pid,
            path.display()
        )),
        None => Error::refused(format!(
            "another `git carto sync` is starting in this clone (lock {}): wait for it; if no \
             git carto runs, remove that file",
            path.display()
        )),
    }
}

fn format(o: &Owner) -> String {
    let mut s = format!("pid {}\nsince {}\n", o.pid, o.since);
    if let Some(t) = o.start {
        s.push_str(&format!("start {t}\n"));
    }
    s
}

fn parse(text: &str) -> Option<Owner> {
    let mut pid = None;
    let mut start = None;
    let mut since = 0;
    for line in text.lines() {
        match line.split_once(' ') {
            Some(("pid", v)) => pid = v.trim().parse().ok(),
            Some(("start", v)) => start = v.trim().parse().ok(),
            Some(("since", v)) => since = v.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    Some(Owner {
        pid: pid?,
        start,
        since,
    })
}

/// Whether the owner still runs: its pid exists and, where `/proc` tells,
/// started when the lock says (a reused pid is another process).
fn alive(o: &Owner) -> bool {
    if o.pid == std::process::id() {
        return true;
    }
    if Path::new("/proc/self/stat").exists() {
        if !Path::new(&format!("/proc/{}", o.pid)).exists() {
            return false;
        }
        return match (o.start, start_ticks(o.pid)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
    }
    // No /proc (macOS, BSD): `kill -0` asks whether the pid exists.
    std::process::Command::new("kill")
        .args(["-0", &o.pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map_or(true, |s| s.success())
}

/// Field 22 of `/proc/<pid>/stat`: when the process started.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// `2026-12-01 10:41:29 UTC` without a date crate.
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_lines_round_trip_and_dates_are_civil() {
        let o = Owner {
            pid: 42,
            start: Some(7),
            since: 1_796_035_289,
        };
        assert_eq!(parse(&format(&o)), Some(o));
        assert_eq!(parse("garbage"), None);
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn a_dead_pid_is_stale_and_our_own_is_alive() {
        let me = Owner {
            pid: std::process::id(),
            start: start_ticks(std::process::id()),
            since: 0,
        };
        assert!(alive(&me));
        let gone = Owner {
            pid: u32::MAX - 1,
            start: None,
            since: 0,
        };
        assert!(!alive(&gone));
    }
}
