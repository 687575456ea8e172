//! The commit-msg and pre-push hooks: where git looks for them, installing
//! and removing ours without losing anyone else's, and running them.
//!
//! Installing never overwrites: a hook that was already there is renamed to
//! `<name>.carto-chained` (git ignores that name) and our hook runs it first,
//! with the same arguments and input, so both keep working; `uninstall` renames
//! it back, byte for byte and with its mode.
//!
//! The commit-msg hook runs on every commit, so it is installed as a symbolic
//! link to a binary: no shell, no `git carto` dispatch through a second git
//! process. The link goes to `git-carto-commit-msg`, installed beside
//! git-carto, which holds only the message check: a third of git-carto's
//! size, so the kernel maps and relocates a third as much on every commit
//! (2.0 ms a hook run instead of 2.7 ms), and linked at a fixed address with
//! zlib built in (`build.rs`: no relocations, one library fewer to load; 1.8
//! ms). Without it the link goes to git-carto
//! itself, which knows from the name it was started by (`commit-msg`) what to
//! do. Where a link cannot be made (or the binary is not known) the shell shim
//! from `hooks/` is written instead; pre-push stays a shim (it walks history
//! anyway, a shell start is nothing there).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use crate::error::{Error, Result, ResultExt};
use crate::guard::commit_msg::{self, Origin, Rules};
use crate::repo::config::Config;
use crate::repo::git::Git;
use crate::term::output;

/// The hooks git carto installs.
pub const HOOKS: &[&str] = &["commit-msg", "pre-push"];

/// What a hook file of ours contains; how ours are told from others'.
const MARKER: &str = "git carto hook";
const CHAINED: &str = ".carto-chained";

/// The hooks installed as a link to the binary (see the module comment).
const LINKED: &[&str] = &["commit-msg"];

/// The small binary that runs only the commit-msg hook (see the module comment).
pub const HOOK_BINARY: &str = "git-carto-commit-msg";

/// The binary a linked hook points at: [`HOOK_BINARY`] beside this one, else
/// this one, when it is git-carto (the library also runs inside other
/// programs, which do not dispatch on their name; those install the shims).
fn own_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let name = exe.file_name()?.to_str()?;
    if !name.starts_with("git-carto") {
        return None;
    }
    let small = exe.with_file_name(HOOK_BINARY);
    Some(if small.is_file() { small } else { exe })
}

/// The shim installed for a hook: the files in the repository's `hooks/`.
pub fn shim(name: &str) -> Option<&'static str> {
    match name {
        "commit-msg" => Some(include_str!("../../../hooks/commit-msg")),
        "pre-push" => Some(include_str!("../../../hooks/pre-push")),
        _ => None,
    }
}

/// The directory git runs hooks from, as `git rev-parse --git-path hooks`
/// reports it: honours `core.hooksPath` and linked worktrees.
pub fn hooks_dir(git: &Git) -> Result<PathBuf> {
    let out = git.run(&["rev-parse", "--git-path", "hooks"])?;
    let p = PathBuf::from(out.stdout.trim());
    Ok(if p.is_absolute() {
        p
    } else {
        git.workdir().join(p)
    })
}

/// The same directory without starting git, for the hook path that runs on
/// every commit: `core.hooksPath` (relative to where hooks run: the working
/// tree, or the git directory of a bare repository), else the common git
/// directory's `hooks`, which linked worktrees share.
pub fn hooks_dir_in_process(repo: &git2::Repository) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok())
        .filter(|p| !p.as_os_str().is_empty());
    match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    }
}

/// Whether each of our hooks is installed (the file runs `git carto hook`).
pub fn installed(git: &Git) -> Result<Vec<(String, bool)>> {
    // `status` asks on every run: no git process for it.
    let dir = hooks_dir_in_process(&git.repo);
    Ok(HOOKS
        .iter()
        .map(|h| {
            let path = dir.join(h);
            // A link to a binary that is gone runs nothing.
            (h.to_string(), is_ours(&path) && path.metadata().is_ok())
        })
        .collect())
}

/// A hook of ours: a link to a git-carto binary, or a script that runs
/// `git carto hook` (the shims, and copies of them made by hand).
pub fn is_ours(path: &Path) -> bool {
    if link_to_binary(path).is_some() {
        return true;
    }
    std::fs::read(path)
        .map(|t| {
            let t = String::from_utf8_lossy(&t[..t.len().min(4096)]).into_owned();
            t.contains(MARKER) || t.contains("git-carto hook")
        })
        .unwrap_or(false)
}

/// The target of a hook that is a symbolic link to a git-carto binary. A
/// link to anything else (a hooks folder kept in a repository) is judged by
/// the file it points at.
fn link_to_binary(path: &Path) -> Option<PathBuf> {
    let target = std::fs::read_link(path).ok()?;
    let name = target.file_name()?.to_str()?;
    name.starts_with("git-carto").then_some(target)
}

/// The hook at `path` is a link to `binary` (both resolved: links in the
/// binary's own path, such as `~/.cargo/bin` behind a link, compare equal).
fn links_to(path: &Path, binary: &Path) -> bool {
    link_to_binary(path).is_some()
        && matches!(
            (std::fs::canonicalize(path), std::fs::canonicalize(binary)),
            (Ok(a), Ok(b)) if a == b
        )
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

fn chained_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{CHAINED}"))
}

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Ours, current.
    Installed,
    /// Ours, from another version of git carto.
    Outdated,
    /// Someone else's hook (not chained by us).
    Foreign,
    Missing,
}

#[derive(Debug, Serialize)]
pub struct HookReport {
    pub name: String,
    pub path: String,
    pub state: State,
    /// The previous hook ours runs first, when there is one.
    pub chained: Option<String>,
    /// What `install`/`uninstall` did; absent for `status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HooksReport {
    pub dir: String,
    /// `core.hooksPath` when set (locally or globally).
    pub hooks_path: Option<String>,
    /// The directory is outside this repository (a shared `core.hooksPath`):
    /// hooks there apply to every repository that uses it.
    pub shared: bool,
    pub hooks: Vec<HookReport>,
}

fn report(git: &Git, binary: Option<&Path>) -> Result<(PathBuf, HooksReport)> {
    let dir = hooks_dir(git)?;
    let hooks_path = git
        .repo
        .config()
        .ok()
        .and_then(|c| c.get_string("core.hooksPath").ok());
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let dir_c = canon(&dir);
    let inside = [git.workdir(), git.repo.commondir()]
        .iter()
        .any(|root| dir_c.starts_with(canon(root)));
    let hooks = HOOKS
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let chained = chained_path(&dir, name);
            let state = if !exists(&path) {
                State::Missing
            } else if !is_ours(&path) {
                State::Foreign
            } else if link_to_binary(&path).is_some() {
                // A link to another git-carto (or to one that is gone).
                match binary {
                    Some(b) if links_to(&path, b) => State::Installed,
                    _ => State::Outdated,
                }
            } else if std::fs::read_to_string(&path).ok().as_deref() == shim(name) {
                // The current shim works, if slower: `install` still turns
                // it into a link where it can.
                State::Installed
            } else {
                State::Outdated
            };
            HookReport {
                name: name.to_string(),
                path: path.display().to_string(),
                state,
                chained: exists(&chained).then(|| chained.display().to_string()),
                action: None,
            }
        })
        .collect();
    Ok((
        dir.clone(),
        HooksReport {
            dir: dir.display().to_string(),
            hooks_path,
            shared: !inside,
            hooks,
        },
    ))
}

/// `git carto hooks status`.
pub fn status(git: &Git) -> Result<HooksReport> {
    Ok(report(git, own_binary().as_deref())?.1)
}

/// `git carto hooks install`: idempotent; an existing hook is chained.
pub fn install(git: &Git) -> Result<HooksReport> {
    let binary = own_binary();
    let (dir, mut rep) = report(git, binary.as_deref())?;
    // Check everything before changing anything.
    for h in &rep.hooks {
        if h.state == State::Foreign && h.chained.is_some() {
            return Err(Error::refused(format!(
                "{} is not ours and {} already holds a chained hook: \
                 move one of them away, then install again",
                h.path,
                h.chained.as_deref().unwrap_or_default()
            )));
        }
    }
    std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
    for h in &mut rep.hooks {
        let path = dir.join(&h.name);
        let binary = binary.as_deref();
        let action = match h.state {
            State::Installed => {
                // The shim becomes the link where one can be made now.
                let to_link = link_to_binary(&path).is_none() && LINKED.contains(&h.name.as_str());
                match binary.filter(|_| to_link) {
                    Some(b) if write_link(&dir, &h.name, b).is_ok() => "updated".to_string(),
                    _ => "already installed".to_string(),
                }
            }
            State::Outdated => {
                write_hook(&dir, &h.name, binary)?;
                "updated".to_string()
            }
            State::Missing => {
                write_hook(&dir, &h.name, binary)?;
                "installed".to_string()
            }
            State::Foreign => {
                let chained = chained_path(&dir, &h.name);
                std::fs::rename(&path, &chained)
                    .context(format!("moving {} aside", path.display()))?;
                if let Err(e) = write_hook(&dir, &h.name, binary) {
                    let _ = std::fs::rename(&chained, &path);
                    return Err(e);
                }
                h.chained = Some(chained.display().to_string());
                format!(
                    "installed; the existing hook still runs first (kept as {})",
                    chained.display()
                )
            }
        };
        h.state = State::Installed;
        h.action = Some(action);
    }
    Ok(rep)
}

/// `git carto hooks uninstall`: remove ours, put back what was there.
pub fn uninstall(git: &Git) -> Result<HooksReport> {
    let (dir, mut rep) = report(git, own_binary().as_deref())?;
    for h in &rep.hooks {
        if h.state == State::Foreign && h.chained.is_some() {
            return Err(Error::refused(format!(
                "{} was replaced by another hook since install, so {} cannot be put back \
                 without losing one of them: restore it by hand",
                h.path,
                h.chained.as_deref().unwrap_or_default()
            )));
        }
    }
    for h in &mut rep.hooks {
        let path = dir.join(&h.name);
        let chained = chained_path(&dir, &h.name);
        let action = match h.state {
            State::Installed | State::Outdated => {
                std::fs::remove_file(&path).context(format!("removing {}", path.display()))?;
                if exists(&chained) {
                    std::fs::rename(&chained, &path)
                        .context(format!("restoring {}", path.display()))?;
                    h.state = State::Foreign;
                    h.chained = None;
                    "removed; the previous hook is back in place"
                } else {
                    h.state = State::Missing;
                    "removed"
                }
            }
            State::Foreign => "not ours; left alone",
            State::Missing => "not installed",
        };
        h.action = Some(action.to_string());
    }
    Ok(rep)
}

/// Our hook `name` in `dir`: a link to `binary` for the linked hooks, the
/// shim where that is not possible (no link support, binary unknown).
fn write_hook(dir: &Path, name: &str, binary: Option<&Path>) -> Result<()> {
    if let Some(b) = binary.filter(|_| LINKED.contains(&name)) {
        if write_link(dir, name, b).is_ok() {
            return Ok(());
        }
    }
    write_shim(dir, name)
}

/// Replace `dir/name` with a symbolic link to `binary`, atomically (a link
/// made aside, then renamed over).
fn write_link(dir: &Path, name: &str, binary: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let tmp = dir.join(format!(".{name}.carto-tmp"));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(binary, &tmp).context(format!("linking {}", tmp.display()))?;
        let path = dir.join(name);
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::from(e).context(format!("installing {}", path.display()))
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, name, binary);
        Err(Error::refused("hooks are linked only on unix"))
    }
}

fn write_shim(dir: &Path, name: &str) -> Result<()> {
    let text = shim(name).ok_or_else(|| Error::usage(format!("no hook named {name}")))?;
    let tmp = dir.join(format!(".{name}.carto-tmp"));
    let path = dir.join(name);
    std::fs::write(&tmp, text).context(format!("writing {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .context(format!("making {} executable", tmp.display()))?;
    }
    std::fs::rename(&tmp, &path).context(format!("installing {}", path.display()))
}

/// What a hook run ended with; the binary prints `message` on stderr and
/// exits with `code`.
#[derive(Debug)]
pub struct Outcome {
    pub code: u8,
    pub message: Option<String>,
}

impl Outcome {
    fn pass() -> Self {
        Outcome {
            code: 0,
            message: None,
        }
    }
}

/// `CARTO_SKIP_HOOKS=1`: the escape hatch users expect from hook tools.
pub fn skip_requested() -> bool {
    std::env::var_os("CARTO_SKIP_HOOKS")
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false" && v != "no")
}

fn skipped(name: &str) -> Outcome {
    Outcome {
        code: 0,
        message: Some(format!(
            "git carto: CARTO_SKIP_HOOKS is set: {name} checks skipped"
        )),
    }
}

/// Run the hook `install` moved aside, if any, as git would have: same
/// arguments, same input. Returns its exit code when it failed.
pub fn run_chained(
    repo: &git2::Repository,
    name: &str,
    args: &[OsString],
    stdin: Option<&[u8]>,
) -> Result<Option<u8>> {
    let path = chained_path(&hooks_dir_in_process(repo), name);
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(None);
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // git skips hooks that are not executable; so does the chain.
        if meta.permissions().mode() & 0o111 == 0 {
            return Ok(None);
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    // A copy of our own shim would call us again, forever.
    if is_ours(&path) {
        return Ok(None);
    }
    let spawn = |cmd: &mut Command| {
        cmd.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
    };
    let mut child = match spawn(&mut Command::new(&path)) {
        Ok(c) => c,
        // A script without `#!`: git runs those with sh too.
        Err(e) if e.raw_os_error() == Some(8) => {
            spawn(Command::new("sh").arg(&path)).context(format!("running {}", path.display()))?
        }
        Err(e) => return Err(Error::from(e).context(format!("running {}", path.display()))),
    };
    if let (Some(data), Some(mut input)) = (stdin, child.stdin.take()) {
        // A hook that does not read its input closes the pipe early: not an error.
        let _ = input.write_all(data);
    }
    let status = child
        .wait()
        .context(format!("running {}", path.display()))?;
    Ok(match status.code() {
        Some(0) => None,
        Some(c) => Some(u8::try_from(c).unwrap_or(1).max(1)),
        None => Some(1),
    })
}

/// The commit-msg hook started by git, through a link (see the module
/// comment): `args` are git's, after the program name. Prints what the user
/// must see and returns the exit code.
pub fn run_linked_commit_msg(args: &[OsString]) -> u8 {
    let result = match args {
        [file] => std::env::current_dir()
            .map_err(|e| Error::usage(format!("no current directory: {e}")))
            .and_then(|dir| commit_msg(&dir, Path::new(file))),
        _ => Err(Error::usage(
            "usage: commit-msg <file> (git's commit-msg hook, a link to git-carto-commit-msg or git-carto)",
        )),
    };
    match result {
        Ok(outcome) => {
            if let Some(m) = &outcome.message {
                outcome_message(m);
            }
            outcome.code
        }
        Err(e) => output::report_error(&e),
    }
}

/// A hook's message on standard error, ending in one newline.
pub fn outcome_message(m: &str) {
    output::write_stderr(&format!("{m}{}", if m.ends_with('\n') { "" } else { "\n" }));
}

/// `git carto hook commit-msg <file>`: opens only the repository and its
/// configuration; no git subprocess, no runtime.
pub fn commit_msg(dir: &Path, file: &Path) -> Result<Outcome> {
    read_fast();
    let git = Git::discover(dir)?;
    if let Some(code) = run_chained(&git.repo, "commit-msg", &[file.into()], None)? {
        return Ok(Outcome {
            code,
            message: None,
        });
    }
    if skip_requested() {
        return Ok(skipped("commit-msg"));
    }
    // The commit being made concludes a merge (MERGE_HEAD): a merge by
    // structure, whatever the message says, as lint and pre-push judge it.
    if git.repo.path().join("MERGE_HEAD").exists() {
        return Ok(Outcome::pass());
    }
    let rules = match Config::load(&git.repo).and_then(|c| Rules::from_config(&c)) {
        Ok(rules) => rules,
        Err(e) => return Ok(broken_config(&e)),
    };
    let raw = std::fs::read(file).map_err(|e| {
        Error::usage(format!(
            "cannot read the commit message file {}: {e}",
            file.display()
        ))
    })?;
    let comment = comment_string(&git.repo);
    match commit_msg::check(&raw, &rules, Origin::Editor { comment: &comment }) {
        Ok(_) => Ok(Outcome::pass()),
        Err(problem) => {
            let shown = if file.is_absolute() {
                file.to_path_buf()
            } else {
                dir.join(file)
            };
            Ok(Outcome {
                code: 1,
                message: Some(commit_msg::render(
                    &problem,
                    Some(&shown.display().to_string()),
                )),
            })
        }
    }
}

/// A configuration that does not load: say where, and how to commit anyway,
/// instead of a bare error that looks like the message was wrong.
fn broken_config(e: &Error) -> Outcome {
    Outcome {
        code: 1,
        message: Some(format!(
            "git carto: the configuration is broken, so this commit message cannot be checked:\n\
             {}\n\
             Fix it (`git carto config` checks it), or commit without the check: \
             `git commit --no-verify` or CARTO_SKIP_HOOKS=1",
            e.message()
                .lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )),
    }
}

/// Hooks only read: skip libgit2's re-hashing of every object it inflates,
/// which git itself does not do on reads (a tenth of a 50k-commit walk).
fn read_fast() {
    git2::opts::strict_hash_verification(false);
}

/// git's comment string for editor text: `core.commentString`, else
/// `core.commentChar`, else `#`. For `auto` git picks a character the message
/// does not start lines with; `#` is what it picks unless the message does.
fn comment_string(repo: &git2::Repository) -> String {
    let config = repo.config().ok();
    let get = |k: &str| config.as_ref().and_then(|c| c.get_string(k).ok());
    match get("core.commentString").or_else(|| get("core.commentChar")) {
        Some(s) if !s.is_empty() && s != "auto" => s,
        _ => "#".to_string(),
    }
}

/// `git carto hook pre-push <remote> <url>` with git's ref lines on stdin.
pub fn pre_push(dir: &Path, remote: &str, url: &str, stdin: &[u8]) -> Result<Outcome> {
    read_fast();
    let git = Git::discover(dir)?;
    let args: Vec<OsString> = vec![remote.into(), url.into()];
    if let Some(code) = run_chained(&git.repo, "pre-push", &args, Some(stdin))? {
        return Ok(Outcome {
            code,
            message: None,
        });
    }
    if skip_requested() {
        return Ok(skipped("pre-push"));
    }
    let updates = crate::guard::pre_push::parse_updates(stdin)?;
    let config = Config::load(&git.repo)?;
    let fork = crate::Fork::with(git, config)?;
    let refusals = crate::guard::pre_push::check(&fork, remote, url, &updates)?;
    if refusals.is_empty() {
        return Ok(Outcome::pass());
    }
    Ok(Outcome {
        code: 1,
        message: Some(crate::guard::pre_push::render(remote, &refusals)),
    })
}
