//! `git-carto-commit-msg`: the commit-msg hook on its own. git starts it on
//! every commit through the link `git carto hooks install` makes, so it holds
//! the message check and nothing else (no command line parser, no HTTP, no
//! runtime): see `guard/hooks.rs` for what that saves.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    ExitCode::from(git_carto::guard::hooks::run_linked_commit_msg(&args))
}
