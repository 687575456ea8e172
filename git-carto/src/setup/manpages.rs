//! Man pages, generated from the same clap definition as the binary.
//!
//! `git help carto` runs `man git-carto`, so the main page must be named
//! `git-carto.1`; each command gets its own page (`git-carto-status.1`), the
//! way git's own commands do.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result, ResultExt};

/// Write `git-carto.1` and one page per visible command into `dir` (created
/// if missing). Returns the files written, main page first.
pub fn write(cmd: clap::Command, dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "{} exists and is not a directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).context(format!("creating {}", dir.display()))?;
    let mut cmd = cmd.name("git-carto").disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    page(&cmd, dir, &mut written)?;
    Ok(written)
}

fn page(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut text = Vec::new();
    man.render(&mut text)?;
    std::fs::write(&path, text).context(format!("writing {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page(sub, dir, written)?;
    }
    Ok(())
}
