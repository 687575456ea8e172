//! `git carto release` = `cargo xtask release`, for people who do not use
//! cargo: the flags and printing live in the library (`release::console`).

use git_carto::error::Result;
pub use git_carto::release::console::Args;

use super::Global;

pub fn run(g: &Global, a: Args) -> Result<u8> {
    git_carto::release::console::run(g.open()?, a)?;
    Ok(0)
}
