//! Human output: colour decisions and small styling helpers. Colour follows
//! the conventions users expect from git: `NO_COLOR` wins, `CLICOLOR_FORCE`
//! forces, then git's `color.ui` (`git -c` first), then whether stdout is a terminal.

use std::io::IsTerminal;

use owo_colors::OwoColorize;

use crate::error::{Error, Result};
use crate::term::{git_c, safe};

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect(repo: Option<&git2::Repository>) -> Self {
        Style {
            color: color_enabled(repo, std::io::stdout().is_terminal()),
        }
    }

    pub fn plain() -> Self {
        Style { color: false }
    }

    pub fn ok(&self, s: &str) -> String {
        if self.color {
            s.green().to_string()
        } else {
            s.to_string()
        }
    }
    pub fn warn(&self, s: &str) -> String {
        if self.color {
            s.yellow().to_string()
        } else {
            s.to_string()
        }
    }
    pub fn bad(&self, s: &str) -> String {
        if self.color {
            s.red().to_string()
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
    pub fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
}

fn color_enabled(repo: Option<&git2::Repository>, tty: bool) -> bool {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    // `git -c color.ui=...` first: git2 does not read it (see `git_c`); a
    // bare `-c color.ui` is git's implicit true, i.e. `auto`.
    let ui = match git_c::lookup("color.ui") {
        Some(value) => value,
        None => repo
            .and_then(|r| r.config().ok())
            .and_then(|c| c.get_string("color.ui").ok()),
    }
    .map(|s| s.to_ascii_lowercase());
    match ui.as_deref() {
        Some("false" | "never" | "no" | "off" | "0") => false,
        Some("always") => true,
        _ => tty,
    }
}

/// The version of every `--json` shape (docs/json.md). A script checks it
/// before reading: it goes up when a field is removed, renamed or changes
/// meaning; new fields do not change it.
pub const JSON_VERSION: u64 = 1;

/// Print a JSON document on stdout (serde escapes control characters itself);
/// a top-level object gets the `version` field here, in one place, so no
/// command can forget it.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut doc = serde_json::to_value(value)
        .map_err(|e| Error::refused(format!("cannot encode JSON: {e}")))?;
    if let serde_json::Value::Object(map) = &mut doc {
        map.insert("version".into(), JSON_VERSION.into());
    }
    let s = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::refused(format!("cannot encode JSON: {e}")))?;
    write_stdout(&format!("{s}\n"))
}

/// The exit status of a process whose reader went away: what a shell reports
/// for git, which dies of SIGPIPE (128 + 13).
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Write command output to stdout. Every `print!` of the binaries goes here
/// (through [`crate::out!`] and [`crate::outln!`]) because Rust's `print!`
/// panics on a write error: a reader that went away (`| head -1`) ends the
/// process quietly as it ends git, any other failure (`> /dev/full`) is an
/// error the user sees. Control characters other than our colours are escaped
/// on the way ([`safe::terminal_text`]).
pub fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let text = safe::terminal_text(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(BROKEN_PIPE_EXIT)
        }
        Err(e) => Err(Error::refused(format!("cannot write the output: {e}"))),
    }
}

/// Write a message to stderr (errors, hook rejections), escaped like
/// [`write_stdout`]. A stderr nobody reads is not worth a panic: ignored.
pub fn write_stderr(text: &str) {
    use std::io::Write;
    let text = safe::terminal_text(text);
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// How a binary ends on an error: `error: <message>` on stderr, secrets
/// redacted, and the exit code of the error's kind to return from `main`.
pub fn report_error(e: &Error) -> u8 {
    write_stderr(&format!(
        "error: {}\n",
        crate::term::redact::redact(&e.to_string())
    ));
    e.code.exit_code() as u8
}

/// `print!` that cannot panic: see [`write_stdout`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::term::output::write_stdout(&format!($($arg)*))
    };
}

/// `println!` that cannot panic: see [`write_stdout`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::term::output::write_stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::term::output::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// Short commit id for display.
pub fn short(oid: git2::Oid) -> String {
    oid.to_string()[..7].to_string()
}

/// How much commands say, set once from the global `--quiet`/`--verbose`
/// flags. A process-wide setting because every layer (git calls, progress,
/// command summaries) must agree, and threading a flag through each would
/// touch every signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

pub fn set_verbosity(v: Verbosity) {
    VERBOSITY.store(v as u8, std::sync::atomic::Ordering::Relaxed);
}

pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// `--quiet`: only errors and the output that was asked for.
pub fn quiet() -> bool {
    verbosity() == Verbosity::Quiet
}

/// `--verbose`: also the git commands run and what was skipped.
pub fn verbose() -> bool {
    verbosity() == Verbosity::Verbose
}
