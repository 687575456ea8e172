//! `cargo xtask release`: the flags and printing are shared with `git carto
//! release` in the library (`release::console`).

pub use git_carto::release::console::{run, Args};
