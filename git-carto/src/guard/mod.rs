//! Commit and push guards: the commit rules, hook installation and entry points,
//! the pre-push checks, `lint`, and the bump implied by commit messages.

pub mod auto_bump;
pub mod commit_msg;
pub mod hooks;
pub mod lint;
pub mod pre_push;
