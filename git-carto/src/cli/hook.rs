use std::path::PathBuf;

use git_carto::error::{Error, Result};
use git_carto::guard::{hooks, pre_push};

use super::Global;

/// Run one hook's checks (what the installed hooks call).
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    hook: Name,
}

#[derive(clap::Subcommand)]
enum Name {
    /// Check a commit message file (Conventional Commits, commit.* config).
    CommitMsg {
        /// The file git passes (.git/COMMIT_EDITMSG).
        file: PathBuf,
    },
    /// Check a push; git's ref lines come on standard input.
    PrePush {
        /// Remote name (or URL when pushing to a URL).
        remote: Option<String>,
        /// Remote URL.
        url: Option<String>,
    },
}

pub fn run(g: &Global, a: Args) -> Result<u8> {
    let dir = g.cwd()?;
    let outcome = match a.hook {
        Name::CommitMsg { file } => hooks::commit_msg(&dir, &file)?,
        Name::PrePush { remote, url } => {
            let (remote, url, input) = match (remote, pre_push::from_pre_commit_env()) {
                (None, Some(env)) => env,
                (Some(remote), _) => {
                    let mut input = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                        .map_err(|e| Error::usage(format!("cannot read the ref lines: {e}")))?;
                    let url = url.unwrap_or_else(|| remote.clone());
                    (remote, url, input)
                }
                (None, None) => return Err(Error::usage(
                    "usage: git carto hook pre-push <remote> <url> (ref lines on standard input)",
                )),
            };
            hooks::pre_push(&dir, &remote, &url, input.as_bytes())?
        }
    };
    if let Some(m) = &outcome.message {
        hooks::outcome_message(m);
    }
    Ok(outcome.code)
}
