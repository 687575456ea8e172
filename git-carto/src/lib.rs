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

/// How many cases a fuzzer runs: its own default, or `PROPTEST_CASES` when
/// set, so a wider search (README) reaches the fuzzers that set their own.
#[cfg(test)]
pub(crate) fn fuzz_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
pub use repo::fork::Fork;
