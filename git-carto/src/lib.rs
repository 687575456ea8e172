//! git-carto: keep a long-running fork of an upstream project healthy.
//!
//! All logic lives here; the `git-carto` binary and the `xtask` binary only
//! parse arguments and print. The folders are the layers (ARCHITECTURE.md):
//! a folder uses only the folders listed before it.

pub mod branch;
pub mod error;
pub mod guard;
pub mod release;
pub mod remote;
pub mod repo;
pub mod setup;
pub mod sync;
pub mod term;

pub use error::{Error, Result};
pub use repo::fork::Fork;
