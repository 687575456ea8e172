use std::ffi::OsString;
use std::path::{Path, PathBuf};

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

/// Started as an installed hook: `hooks install` links `<hooks>/commit-msg`
/// to this binary, and git starts it by that name with the hook's own
/// arguments (no options to parse).
pub fn installed_as(argv: &[OsString]) -> Option<Result<Args>> {
    let name = Path::new(argv.first()?).file_name()?;
    if name != "commit-msg" {
        return None;
    }
    Some(match &argv[1..] {
        [file] => Ok(Args {
            hook: Name::CommitMsg { file: file.into() },
        }),
        _ => Err(Error::usage(
            "usage: commit-msg <file> (git's commit-msg hook, a link to git-carto)",
        )),
    })
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
    if let Some(m) = outcome.message {
        git_carto::term::output::write_stderr(&format!(
            "{m}{}",
            if m.ends_with('\n') { "" } else { "\n" }
        ));
    }
    Ok(outcome.code)
}
