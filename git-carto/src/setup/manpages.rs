//! Man pages, generated from the same clap definition as the binary.
//!
//! `git help carto` runs `man git-carto`, so the main page must be named
//! `git-carto.1`; each command gets its own page (`git-carto-status.1`), the
//! way git's own commands do.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result, ResultExt};

/// `<prefix>/share/man/man1` for the binary running as `<prefix>/bin/...`.
/// man-db adds `<dir>/../share/man` to the manual path for every `<dir>` on
/// `PATH`, so pages there are found with no `MANPATH` set, wherever `cargo
/// install` put the binary (`~/.cargo/bin`, `--root`, `CARGO_INSTALL_ROOT`).
pub fn beside_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("finding the running git-carto")?;
    let prefix = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| Error::usage(format!("{} has no parent directory", exe.display())))?;
    Ok(prefix.join("share/man/man1"))
}

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

/// clap_mangen writes a short-only option that takes a value as `[-C ]` in
/// the synopsis; git's pages say `[-C <path>]`.
fn short_option_values(cmd: &clap::Command, mut text: String) -> String {
    for arg in cmd.get_arguments() {
        let (Some(short), None) = (arg.get_short(), arg.get_long()) else {
            continue;
        };
        if !arg.get_num_args().is_some_and(|n| n.takes_values()) {
            continue;
        }
        let name = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map(|n| n.to_string())
            .unwrap_or_else(|| arg.get_id().to_string());
        text = text.replace(
            &format!("[\\fB\\-{short} \\fR]"),
            &format!("[\\fB\\-{short}\\fR \\fI<{name}>\\fR]"),
        );
    }
    text
}

fn page(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut text = Vec::new();
    man.render(&mut text)?;
    let text = short_option_values(cmd, String::from_utf8_lossy(&text).into_owned());
    std::fs::write(&path, text).context(format!("writing {}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page(sub, dir, written)?;
    }
    Ok(())
}
