//! git-carto: keep a long-running fork of an upstream project healthy.
//!
//! All logic lives here; the `git-carto` binary and the `xtask` binary only
//! parse arguments and print. See ARCHITECTURE.md for how commands flow.

pub mod auto_bump;
pub mod commit_msg;
pub mod completions;
pub mod config;
pub mod doctor;
pub mod error;
pub mod feature;
pub mod fork;
pub mod git;
pub mod github;
pub mod hooks;
pub mod init;
pub mod lint;
pub mod manpages;
pub mod next_tag;
pub mod output;
pub mod pre_push;
pub mod progress;
pub mod protect;
pub mod prune;
pub mod registry;
pub mod release;
pub mod status;
pub mod sync;
pub mod tag;
pub mod tags_file;
pub mod workflows;

pub use error::{Error, Result};
pub use fork::Fork;
