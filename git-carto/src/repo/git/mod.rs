//! The one git access layer.
//!
//! Reads (refs, tags, revwalks, merge-bases, trees, config) go through git2 in
//! process: they are on hot paths such as the commit-msg hook and `next-tag`.
//! Anything that changes the working tree or talks to a remote goes through the
//! `git` CLI (xshell), so users' credential helpers, SSH config, hooks and LFS
//! behave exactly as with plain git.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use git2::{BranchType, Oid, Repository};

use crate::error::{Error, Result, ResultExt};
use crate::repo::commit_graph::CommitGraph;
use crate::repo::history::SLACK_SECONDS;
use crate::repo::refs_file::{Ref, Refs};

mod names;
mod release_refs;

pub struct Git {
    pub repo: Repository,
    workdir: PathBuf,
    /// Refs read in one pass (see `refs_file`), dropped whenever this process
    /// runs `git`; `Some(None)` when the ref format needs libgit2.
    refs: RefCell<Option<Option<Rc<Refs>>>>,
    /// The commit-graph, read on the first ancestry walk (see `history`).
    graph: OnceCell<Option<CommitGraph>>,
    /// Commits read so far, by walk index (see `commits`): commits never
    /// change.
    pub(crate) commits: RefCell<crate::repo::commits::Commits>,
    /// The shallow boundary, read on first use (see `history`).
    pub(crate) shallow: OnceCell<HashSet<Oid>>,
    /// Merge bases already computed (see `bases`), by pair.
    pub(crate) known_bases: RefCell<HashMap<(Oid, Oid), Vec<Oid>>>,
    /// The marks of the last merge-base walk (see `bases`).
    pub(crate) last_paint: RefCell<Option<crate::repo::bases::Painted>>,
    /// Helpers reading commit headers ahead (see `prefetch`).
    pub(crate) prefetch: RefCell<Option<crate::repo::prefetch::Prefetch>>,
}

/// Output of a git CLI call.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

impl Git {
    /// Open the repository containing `dir`, the way git finds it (honours
    /// `GIT_DIR`, `GIT_WORK_TREE` and `GIT_CEILING_DIRECTORIES`).
    pub fn discover(dir: &Path) -> Result<Self> {
        // libgit2 re-hashes every object it reads by default (SHA-1 with
        // collision detection): a third of `next-tag`'s time on a large
        // repository. git itself does not; objects come from git's own store.
        git2::opts::strict_hash_verification(false);
        // Nor keep every object it reads in its cache: the walks read each
        // commit once into their own header table, and storing 30k raw
        // commits (hashing, growing, evicting) was an eighth of a sync on the
        // real-fork shape; status and next-tag measured the same either way.
        git2::opts::enable_caching(false);
        let repo = if std::env::var_os("GIT_DIR").is_some() {
            Repository::open_from_env()
        } else {
            Repository::open_ext(
                dir,
                git2::RepositoryOpenFlags::empty(),
                std::env::var_os("GIT_CEILING_DIRECTORIES")
                    .as_deref()
                    .map(|c| std::env::split_paths(c).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
        }
        .map_err(|_| match crate::repo::format::unsupported(dir) {
            Some(why) => Error::refused(why),
            None => Error::usage(format!("not a git repository: {}", dir.display())),
        })?;
        let workdir = repo
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| repo.path().to_path_buf());
        Ok(Git {
            repo,
            workdir,
            refs: RefCell::new(None),
            graph: OnceCell::new(),
            commits: RefCell::default(),
            shallow: OnceCell::new(),
            known_bases: RefCell::default(),
            last_paint: RefCell::default(),
            prefetch: RefCell::default(),
        })
    }

    /// The version of the `git` program on PATH (`git --version`), as
    /// (major, minor, patch) and the text git printed.
    pub fn cli_version() -> Result<((u64, u64, u64), String)> {
        let sh = xshell::Shell::new().map_err(|e| Error::refused(e.to_string()))?;
        let text = xshell::cmd!(sh, "git --version")
            .quiet()
            .read()
            .map_err(|e| Error::refused(format!("cannot run git: {e}")))?;
        let number = text
            .split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or("");
        let mut parts = number.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
        let version = (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        );
        Ok((version, text.trim().to_string()))
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Run `git <args>` in the working tree, capturing its output. A non-zero exit
    /// becomes an error carrying git's own message.
    pub fn run(&self, args: &[&str]) -> Result<Output> {
        match self.run_status(args)? {
            (true, o) => Ok(o),
            (false, o) => Err(failed(args, &o)),
        }
    }

    /// Like [`Git::run`] but returns whether git succeeded instead of failing.
    pub fn run_status(&self, args: &[&str]) -> Result<(bool, Output)> {
        self.forget_refs();
        Git::run_status_in(&self.workdir, args)
    }

    /// [`Git::run_status`] in `workdir`, without a `Git`: for a read-only git
    /// command run on another thread while this one goes on (`Git` is not
    /// `Sync`). It must not move refs: nothing forgets the cached ones.
    pub fn run_status_in(workdir: &Path, args: &[&str]) -> Result<(bool, Output)> {
        trace(args);
        let sh = xshell::Shell::new().map_err(|e| Error::refused(e.to_string()))?;
        sh.change_dir(workdir);
        let out = xshell::cmd!(sh, "git {args...}")
            .quiet()
            .ignore_status()
            .output()
            .map_err(|e| Error::refused(format!("cannot run git: {e}")))?;
        Ok((
            out.status.success(),
            Output {
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            },
        ))
    }

    /// Like [`Git::run`], for the long operations (fetch, push, merge): on a
    /// terminal git is asked for `--progress` and its meters are drawn as one
    /// bar named `what` (see [`crate::term::progress`]); piped or quiet, this is
    /// exactly [`Git::run`]. `args[0]` is the git subcommand.
    pub fn run_with_progress(&self, what: &str, args: &[&str]) -> Result<Output> {
        if args.is_empty() || !crate::term::progress::enabled() {
            return self.run(args);
        }
        let mut full: Vec<&str> = vec![args[0], "--progress"];
        full.extend(&args[1..]);
        trace(&full);
        self.forget_refs();
        let sh = xshell::Shell::new().map_err(|e| Error::refused(e.to_string()))?;
        sh.change_dir(&self.workdir);
        let mut cmd: std::process::Command = xshell::cmd!(sh, "git {full...}").into();
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Error::refused(format!("cannot run git: {e}")))?;
        let mut stdout_pipe = child.stdout.take();
        // stdout is drained on its own thread so a chatty git cannot block on
        // a full pipe while we read its stderr.
        let stdout_thread = std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = stdout_pipe.as_mut() {
                let _ = std::io::Read::read_to_end(p, &mut buf);
            }
            buf
        });
        let bar = crate::term::progress::Bar::new(what);
        let mut messages = String::new();
        if let Some(mut err) = child.stderr.take() {
            let mut pending = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = match std::io::Read::read(&mut err, &mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                pending.extend_from_slice(&chunk[..n]);
                while let Some(end) = pending.iter().position(|b| *b == b'\r' || *b == b'\n') {
                    let segment: Vec<u8> = pending.drain(..=end).collect();
                    let text = String::from_utf8_lossy(&segment[..segment.len() - 1]).into_owned();
                    match crate::term::progress::parse(&text) {
                        Some(report) => bar.update(&report),
                        None if !text.trim().is_empty() => {
                            messages.push_str(&text);
                            messages.push('\n');
                        }
                        None => {}
                    }
                }
            }
            messages.push_str(&String::from_utf8_lossy(&pending));
        }
        let status = child
            .wait()
            .map_err(|e| Error::refused(format!("cannot run git: {e}")))?;
        bar.finish();
        let stdout =
            String::from_utf8_lossy(&stdout_thread.join().unwrap_or_default()).into_owned();
        if status.success() {
            return Ok(Output {
                stdout,
                stderr: messages,
            });
        }
        let msg = messages.trim();
        Err(Error::refused(format!(
            "`git {}` failed{}{}",
            args.join(" "),
            if msg.is_empty() { "" } else { ": " },
            msg
        )))
    }

    /// The checked-out branch name, or an error on a detached HEAD.
    pub fn current_branch(&self) -> Result<String> {
        let head = self
            .repo
            .head()
            .map_err(|_| Error::refused("HEAD does not point at a commit yet"))?;
        if !head.is_branch() {
            return Err(Error::refused(
                "HEAD is detached: switch to a branch first (git switch <branch>)",
            ));
        }
        Ok(head.shorthand().unwrap_or_default().to_string())
    }

    /// Names of branches or files with uncommitted changes (untracked files ignored).
    pub fn dirty_paths(&self) -> Result<Vec<String>> {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(false)
            .include_ignored(false)
            .exclude_submodules(true);
        let statuses = self.repo.statuses(Some(&mut opts))?;
        // libgit2 reports skip-worktree paths (sparse checkouts) as deleted;
        // git does not, and neither do we.
        let mut index = self.repo.index()?;
        index.read(false)?;
        let skipped: HashSet<Vec<u8>> = index
            .iter()
            .filter(|e| e.flags_extended & (1 << 14) != 0)
            .map(|e| e.path)
            .collect();
        Ok(statuses
            .iter()
            .filter(|s| s.status() != git2::Status::WT_DELETED || !skipped.contains(s.path_bytes()))
            .filter_map(|s| s.path().ok().map(str::to_string))
            .collect())
    }

    /// Refuse to go on with uncommitted changes.
    pub fn require_clean(&self) -> Result<()> {
        let dirty = self.dirty_paths()?;
        if dirty.is_empty() {
            return Ok(());
        }
        let shown: Vec<_> = dirty.iter().take(5).map(String::as_str).collect();
        Err(Error::refused(format!(
            "the working tree has uncommitted changes ({}{}): commit or stash them first",
            shown.join(", "),
            if dirty.len() > 5 { ", ..." } else { "" }
        )))
    }

    pub fn require_remote(&self, name: &str) -> Result<()> {
        match self.repo.find_remote(name) {
            Ok(_) => Ok(()),
            Err(_) => Err(Error::usage(format!(
                "no remote named `{name}`: add it with `git remote add {name} <url>`"
            ))),
        }
    }

    pub fn remote_url(&self, name: &str) -> Option<String> {
        self.repo
            .find_remote(name)
            .ok()
            .and_then(|r| r.url().ok().map(str::to_string))
    }

    pub fn is_ancestor(&self, ancestor: Oid, of: Oid) -> Result<bool> {
        if ancestor == of {
            return Ok(true);
        }
        // With generation numbers a walk is exact and reads no objects.
        if self.commit_graph().is_some_and(|g| g.has_generations()) {
            return self.reach(&[of])?.contains(ancestor);
        }
        // libgit2 answers this with a merge-base walk: through the cached
        // one, `sync`'s "is production already in?" and its merge base for
        // the same pair cost one walk of a long history, not two.
        Ok(self.merge_base(ancestor, of) == Some(ancestor))
    }

    /// Whether `tip` extends `ancestor` (equal or a descendant). Follows the
    /// first-parent chain first, since a push or a mirror merge nearly always
    /// extends the old tip along it; that answers at once where a merge-base
    /// walk would read everything in between (50k upstream commits for a
    /// mirror merge). The chain is read like every walk (see `history`).
    pub fn extends(&self, tip: Oid, ancestor: Oid) -> Result<bool> {
        if tip == ancestor {
            return Ok(true);
        }
        let floor = self.commit_time(ancestor)? - SLACK_SECONDS;
        let mut node = self.node(tip);
        let mut parents = Vec::with_capacity(2);
        for _ in 0..10_000 {
            parents.clear();
            if self.node_parents(node, &mut parents).is_err() {
                break;
            }
            let Some(&parent) = parents.first() else {
                break;
            };
            if self.node_id(parent) == ancestor {
                return Ok(true);
            }
            match self.node_time(parent) {
                Ok(time) if time >= floor => node = parent,
                _ => break,
            }
        }
        self.is_ancestor(ancestor, tip)
    }

    /// The ref table, read on first use after the last `git` run.
    fn refs(&self) -> Option<Rc<Refs>> {
        self.refs
            .borrow_mut()
            .get_or_insert_with(|| Refs::read(self.repo.commondir()).map(Rc::new))
            .clone()
    }

    /// `git` may have moved any ref: read them again next time.
    fn forget_refs(&self) {
        self.refs.borrow_mut().take();
    }

    /// The commit-graph, when the repository has one git would use.
    pub fn commit_graph(&self) -> Option<&CommitGraph> {
        self.graph
            .get_or_init(|| {
                // git ignores the graph where parents are rewritten (grafts,
                // replace refs), cut (shallow) or when told to.
                let common = self.repo.commondir();
                let rewritten = self.repo.is_shallow()
                    || common.join("info/grafts").exists()
                    || self
                        .refs()
                        .is_some_and(|r| r.with_prefix("refs/replace/").next().is_some());
                let disabled = self
                    .repo
                    .config()
                    .and_then(|c| c.get_bool("core.commitGraph"))
                    .is_ok_and(|on| !on);
                if rewritten || disabled {
                    return None;
                }
                let objects = std::env::var_os("GIT_OBJECT_DIRECTORY")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| common.join("objects"));
                CommitGraph::open(&objects)
            })
            .as_ref()
    }

    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The shallow boundary: commits whose parents this clone does not have
    /// (`<common dir>/shallow`). A walk that reaches one cannot be complete.
    pub fn shallow_commits(&self) -> Result<HashSet<Oid>> {
        let path = self.repo.commondir().join("shallow");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
            Err(e) => return Err(Error::from(e).context(format!("reading {}", path.display()))),
        };
        Ok(text
            .lines()
            .filter_map(|l| Oid::from_str(l.trim()).ok())
            .collect())
    }

    /// Content of a file at a commit, if present and UTF-8.
    pub fn file_at(&self, commit: Oid, path: &str) -> Result<Option<String>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Ok(entry) = tree.get_path(Path::new(path)) else {
            return Ok(None);
        };
        let blob = self
            .repo
            .find_blob(entry.id())
            .context(format!("reading {path}"))?;
        Ok(std::str::from_utf8(blob.content()).ok().map(str::to_string))
    }
}

/// Under `--verbose`, show each git command as a shell would (`+ git ...`),
/// so a user can see and replay what was done.
fn trace(args: &[&str]) {
    if crate::term::output::verbose() {
        eprintln!("+ git {}", args.join(" "));
    }
}

/// Batch and merge helpers used by `sync`: feeding git many paths through stdin
/// keeps a 2,000-path resolution at a handful of processes instead of one per path.
impl Git {
    /// Run `git <args>` with `input` on stdin; a non-zero exit is an error.
    pub fn run_input(&self, args: &[&str], input: &[u8]) -> Result<Output> {
        self.forget_refs();
        let sh = xshell::Shell::new().map_err(|e| Error::refused(e.to_string()))?;
        sh.change_dir(&self.workdir);
        let out = xshell::cmd!(sh, "git {args...}")
            .quiet()
            .ignore_status()
            .stdin(input)
            .output()
            .map_err(|e| Error::refused(format!("cannot run git: {e}")))?;
        let o = Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if out.status.success() {
            Ok(o)
        } else {
            Err(failed(args, &o))
        }
    }

    /// `git rm` of many paths in one process: NUL-separated literal paths on
    /// stdin, so thousands of resolved paths cost one git start.
    pub fn remove_paths(&self, nul_separated: &[u8]) -> Result<Output> {
        self.run_input(
            &[
                "--literal-pathspecs",
                "rm",
                "-q",
                "-f",
                "--ignore-unmatch",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
            ],
            nul_separated,
        )
    }

    /// When a remote was last fetched: git rewrites `FETCH_HEAD` on every
    /// fetch (of any remote), and no ref records it. `None` before the first
    /// fetch after a clone.
    pub fn last_fetch(&self) -> Option<std::time::SystemTime> {
        let common = self.repo.commondir();
        std::fs::metadata(self.git_dir().join("FETCH_HEAD"))
            .or_else(|_| std::fs::metadata(common.join("FETCH_HEAD")))
            .and_then(|m| m.modified())
            .ok()
    }

    /// Fetch `remote` (with its tags when `tags`), with a progress bar on a
    /// terminal.
    pub fn fetch(&self, remote: &str, tags: bool) -> Result<()> {
        // No --quiet: output is captured anyway, and it would hide the
        // progress meters on a terminal.
        let mut args = vec!["fetch"];
        if tags {
            args.push("--tags");
        }
        args.push(remote);
        self.run_with_progress(&format!("fetching {remote}"), &args)?;
        Ok(())
    }

    /// The repository's git directory (per worktree), where carto keeps sync state.
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// The commit a merge in progress is merging (`MERGE_HEAD`), if any. git
    /// records an annotated tag's own id there (for the merge's `mergetag`), so
    /// it is peeled.
    pub fn merge_head(&self) -> Option<Oid> {
        let text = std::fs::read_to_string(self.git_dir().join("MERGE_HEAD")).ok()?;
        let oid = Oid::from_str(text.lines().next()?.trim()).ok()?;
        let commit = self
            .repo
            .find_object(oid, None)
            .ok()?
            .peel_to_commit()
            .ok()?;
        Some(commit.id())
    }

    /// The commit HEAD points at, if any.
    pub fn head_id(&self) -> Option<Oid> {
        self.repo.head().ok().and_then(|h| h.target())
    }
}

/// The error for a git command that exited non-zero, carrying git's message
/// (its first lines: a batch can fail on every one of thousands of paths).
fn failed(args: &[&str], out: &Output) -> Error {
    let lines: Vec<&str> = out.stderr.trim().lines().collect();
    let mut msg = lines.iter().take(8).copied().collect::<Vec<_>>().join("\n");
    if lines.len() > 8 {
        msg.push_str(&format!("\n... and {} more lines", lines.len() - 8));
    }
    Error::refused(format!(
        "`git {}` failed{}{}",
        args.join(" "),
        if msg.is_empty() { "" } else { ": " },
        msg
    ))
}
