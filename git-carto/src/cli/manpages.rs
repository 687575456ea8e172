use std::path::PathBuf;

use git_carto::error::Result;
use git_carto::setup::manpages;

use super::Global;

/// Write man pages (git-carto.1 and one per command) into a directory.
#[derive(clap::Args)]
#[command(
    after_help = "Then `git help carto` and `man git-carto` work when <dir> is a man1 directory \
                  on the manual path, e.g. ~/.local/share/man/man1."
)]
pub struct Args {
    /// Directory to write the pages into (created if missing).
    dir: PathBuf,
}

pub fn run(g: &Global, a: Args, cmd: clap::Command) -> Result<u8> {
    let dir = match &g.dir {
        Some(base) if a.dir.is_relative() => base.join(a.dir),
        _ => a.dir,
    };
    for page in manpages::write(cmd, &dir)? {
        if !g.quiet {
            git_carto::outln!("{}", page.display())?;
        }
    }
    Ok(0)
}
