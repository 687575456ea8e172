//! Human output: colour decisions and small styling helpers. Colour follows
//! the conventions users expect from git: `NO_COLOR` wins, `CLICOLOR_FORCE`
//! forces, then git's `color.ui`, then whether stdout is a terminal.

use std::io::IsTerminal;

use owo_colors::OwoColorize;

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
    let ui = repo
        .and_then(|r| r.config().ok())
        .and_then(|c| c.get_string("color.ui").ok())
        .map(|s| s.to_ascii_lowercase());
    match ui.as_deref() {
        Some("false" | "never") => false,
        Some("always") => true,
        _ => tty,
    }
}

/// The version of every `--json` shape (docs/json.md). A script checks it
/// before reading: it goes up when a field is removed, renamed or changes
/// meaning; new fields do not change it.
pub const JSON_VERSION: u64 = 1;

/// Print a JSON document on stdout; a top-level object gets the `version`
/// field here, in one place, so no command can forget it.
pub fn print_json<T: serde::Serialize>(value: &T) {
    let mut doc = match serde_json::to_value(value) {
        Ok(v) => v,
        Err(e) => return eprintln!("error: cannot encode JSON: {e}"),
    };
    if let serde_json::Value::Object(map) = &mut doc {
        map.insert("version".into(), JSON_VERSION.into());
    }
    match serde_json::to_string_pretty(&doc) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
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
