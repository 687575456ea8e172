//! Repository formats git-carto cannot read yet. libgit2 refuses to open a
//! repository whose `extensions.*` it does not know (SHA-256 objects, the
//! reftable ref store); without this check that refusal read "not a git
//! repository", which sends the user looking for the wrong problem.

use std::path::Path;

/// When the repository around `dir` exists but uses a format we cannot read:
/// the sentence to show. `None` when there is no repository or its format is
/// fine (the open failed for another reason).
pub fn unsupported(dir: &Path) -> Option<String> {
    let git_dir = git2::Repository::discover_path(dir, std::iter::empty::<&Path>()).ok()?;
    let config = git2::Config::open(&git_dir.join("config")).ok()?;
    let get = |k: &str| config.get_string(k).ok().map(|v| v.to_ascii_lowercase());
    let (what, way_out) = match (get("extensions.objectformat"), get("extensions.refstorage")) {
        (Some(f), _) if f != "sha1" => (
            format!("{f} object ids (extensions.objectFormat)"),
            "only SHA-1 repositories can be read for now",
        ),
        (_, Some(r)) if r != "files" => (
            format!("the {r} ref store (extensions.refStorage)"),
            "convert it with `git refs migrate --ref-format=files`, or clone with \
             `git clone --ref-format=files <url>`",
        ),
        _ => return None,
    };
    Some(format!(
        "{} uses {what}, which git-carto does not support yet: {way_out}",
        git_dir.display()
    ))
}
