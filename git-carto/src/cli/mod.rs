//! One file per command: its arguments (the doc comments are the help text),
//! the call into the library, and its text or JSON printing. Nothing else.

pub mod completions;
pub mod config;
pub mod doctor;
pub mod feature;
pub mod hook;
pub mod hooks;
pub mod init;
pub mod lint;
pub mod manpages;
pub mod next_tag;
pub mod protect;
pub mod prune;
pub mod release;
pub mod status;
pub mod sync;
pub mod verify;

use std::path::PathBuf;

use git_carto::error::{Error, Result};
use git_carto::Fork;

/// The global options every command sees.
#[derive(Default)]
pub struct Global {
    pub dir: Option<PathBuf>,
    pub verbose: bool,
    pub quiet: bool,
}

impl Global {
    /// The directory to work in: `-C <path>` or the current one.
    pub fn cwd(&self) -> Result<PathBuf> {
        match &self.dir {
            Some(d) => Ok(d.clone()),
            None => std::env::current_dir()
                .map_err(|e| Error::usage(format!("no current directory: {e}"))),
        }
    }

    /// The fork, kept for the rest of the process (see [`Fork::open_for_process`]).
    pub fn open(&self) -> Result<&'static Fork> {
        Fork::open_for_process(&self.cwd()?)
    }
}

/// How long ago the last fetch was, when it is more than a day: `status`
/// and `sync --no-fetch` answer from the remote-tracking refs and say how
/// old they are, as git's own "Your branch is up to date" does not.
pub fn stale_fetch(fork: &Fork) -> Option<String> {
    const STALE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    let age = fork.git.last_fetch()?.elapsed().ok()?;
    if age <= STALE {
        return None;
    }
    Some(match age.as_secs() / (24 * 3600) {
        1 => "1 day".to_string(),
        days => format!("{days} days"),
    })
}
