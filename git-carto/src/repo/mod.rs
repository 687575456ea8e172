//! Questions about history and configuration: the one git access layer, the
//! packed-refs reader, the config loader, the tag model and `Fork`. Nothing here
//! moves a branch of the user's; capabilities above decide that.

pub mod config;
pub mod fork;
pub mod format;
pub mod git;
pub mod glob;
pub mod next_tag;
pub mod tag;
pub mod tags_file;
pub mod upstream_refs;
