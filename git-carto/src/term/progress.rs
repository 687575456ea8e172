//! Progress bars for long git operations (fetching upstream's tags, pushing,
//! big merges), drawn only on a terminal.
//!
//! git already measures its own progress; asked with `--progress` it writes
//! lines such as `Receiving objects:  45% (450/1000)` to stderr, separated by
//! carriage returns. We parse those and redraw them as one bar, so the user
//! sees a steady display instead of git's interleaved local and `remote:`
//! meters. Piped or under `--quiet` nothing is drawn and git is not asked for
//! progress at all, so logs stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether to draw progress: stderr is a terminal and the user did not ask
/// for quiet. `CARTO_PROGRESS=never|always` overrides the terminal check
/// (for CI logs that are terminals, and for tests that record one).
pub fn enabled() -> bool {
    if crate::term::output::quiet() {
        return false;
    }
    match std::env::var("CARTO_PROGRESS").as_deref() {
        Ok("never") => false,
        Ok("always") => true,
        _ => std::io::stderr().is_terminal(),
    }
}

/// One progress report from git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// What git is doing: `Receiving objects`, `Resolving deltas`, ...
    pub phase: String,
    pub done: u64,
    /// Known for percentage meters; `None` for counters such as
    /// `Enumerating objects: 5`.
    pub total: Option<u64>,
}

/// Parse one segment of git's stderr (between `\r`/`\n`). Anything that is
/// not a progress meter returns `None` and is kept as a message.
pub fn parse(segment: &str) -> Option<Report> {
    let s = segment.trim();
    let s = s.strip_prefix("remote: ").unwrap_or(s).trim();
    let (phase, rest) = s.split_once(": ")?;
    // git's meters are capitalised (`Receiving objects`); its messages are not
    // (`fatal:`, `error:`, `hint:`).
    if !phase.starts_with(|c: char| c.is_ascii_uppercase())
        || !phase.chars().all(|c| c.is_ascii_alphabetic() || c == ' ')
    {
        return None;
    }
    let rest = rest.trim_start();
    if let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) {
        let inner = rest.get(open + 1..close)?;
        let (done, total) = inner.split_once('/')?;
        if !rest[..open].trim().ends_with('%') {
            return None;
        }
        return Some(Report {
            phase: phase.to_string(),
            done: done.trim().parse().ok()?,
            total: Some(total.trim().parse().ok()?),
        });
    }
    let count = rest.split([',', ' ']).next()?;
    Some(Report {
        phase: phase.to_string(),
        done: count.parse().ok()?,
        total: None,
    })
}

/// A bar for one git operation; `what` names the operation (`fetching
/// upstream`). Nothing is drawn until git reports progress, so a fetch with
/// nothing to transfer leaves no trace on the screen.
pub struct Bar {
    what: String,
    bar: std::cell::OnceCell<ProgressBar>,
}

impl Bar {
    pub fn new(what: &str) -> Self {
        Bar {
            what: what.to_string(),
            bar: std::cell::OnceCell::new(),
        }
    }

    fn bar(&self) -> &ProgressBar {
        self.bar.get_or_init(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            // The template is fixed and valid; fall back to indicatif's default
            // rather than fail a fetch over a cosmetic.
            let style =
                ProgressStyle::with_template("{prefix} {msg:<20} [{bar:30}] {pos}/{len} {elapsed}")
                    .map(|s| s.progress_chars("=> "))
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(self.what.clone());
            bar
        })
    }

    pub fn update(&self, report: &Report) {
        let bar = self.bar();
        bar.set_message(report.phase.clone());
        let total = report.total.unwrap_or(report.done).max(report.done);
        bar.set_length(total);
        bar.set_position(report.done);
    }

    /// Remove the bar: the command prints its own summary.
    pub fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gits_meters() {
        assert_eq!(
            parse("Receiving objects:  45% (450/1000), 1.20 MiB | 2.00 MiB/s"),
            Some(Report {
                phase: "Receiving objects".into(),
                done: 450,
                total: Some(1000)
            })
        );
        assert_eq!(
            parse("remote: Counting objects: 100% (3/3), done."),
            Some(Report {
                phase: "Counting objects".into(),
                done: 3,
                total: Some(3)
            })
        );
        assert_eq!(
            parse("remote: Enumerating objects: 5, done."),
            Some(Report {
                phase: "Enumerating objects".into(),
                done: 5,
                total: None
            })
        );
        assert_eq!(parse("From file:///tmp/upstream.git"), None);
        assert_eq!(parse(" * [new tag]         v1.2.3 -> v1.2.3"), None);
        assert_eq!(parse("fatal: repository 'x' does not exist"), None);
        assert_eq!(parse("error: failed to push some refs to 'x'"), None);
    }
}
