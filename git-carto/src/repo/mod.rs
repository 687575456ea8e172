//! Questions about history and configuration: the one git access layer, the
//! packed-refs reader, the config loader, the tag model and `Fork`. Nothing here
//! moves a branch of the user's; capabilities above decide that.

pub mod bases;
pub mod checked;
pub mod commit_graph;
pub(crate) mod commits;
pub mod config;
pub mod fork;
pub mod format;
pub mod git;
pub mod glob;
pub mod history;
pub mod memo;
pub mod next_tag;
pub mod prefetch;
pub mod range;
pub mod refs_file;
pub mod tag;
pub mod tree_paths;
pub mod upstream_refs;
