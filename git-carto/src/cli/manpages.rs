use std::path::PathBuf;

use git_carto::error::Result;
use git_carto::setup::manpages;

use super::Global;

/// Write man pages (git-carto.1 and one per command) into a directory.
#[derive(clap::Args)]
#[command(
    after_help = "Without <dir>, the pages go to share/man/man1 beside the bin directory of \
                  this git-carto (~/.cargo/share/man/man1 after `cargo install`), where `man` \
                  finds them through PATH: then `git carto --help`, `git help carto` and \
                  `man git-carto` show them."
)]
pub struct Args {
    /// Directory to write the pages into (created if missing).
    dir: Option<PathBuf>,
}

pub fn run(g: &Global, a: Args, cmd: clap::Command) -> Result<u8> {
    let dir = match (&g.dir, a.dir) {
        (_, None) => manpages::beside_binary()?,
        (Some(base), Some(dir)) if dir.is_relative() => base.join(dir),
        (_, Some(dir)) => dir,
    };
    for page in manpages::write(cmd, &dir)? {
        if !g.quiet {
            git_carto::outln!("{}", page.display())?;
        }
    }
    Ok(0)
}
