//! Commit headers read ahead on another thread, in the order the packs hold
//! them. Part of the git access layer.
//!
//! Why: without a commit-graph a sync's first walks read nearly every commit
//! of a long fork (30k commits: 260 ms in `git merge-base` itself, and as
//! long here), and a walk cannot read in parallel: it learns a commit's
//! parents only by reading it. A pack already lists its commits, newest
//! first (git writes commits first, in the order `rev-list` meets them), so
//! the history can be read in slices of that list: a helper takes the next
//! slice nobody took while git fetches, and the walk, when it needs a
//! commit of a slice nobody took, reads that slice itself. So every core
//! reads, and no slice is read twice.
//!
//! The walk never depends on it: a commit no pack lists as a whole object
//! (loose, deltified, fetched after the list was made) or that a helper
//! could not read is read by the walk itself, as before.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use filebuffer::FileBuffer;
use git2::{Odb, Oid, Repository};

use crate::repo::commits::Commits;
use crate::repo::git::Git;
use crate::repo::history::{header_from, Header, Id, IdMap};

/// Commits per slice: small enough that the walk seldom waits long for the
/// one it needs, large enough that handing them over costs nothing.
const SLICE: usize = 256;

/// The packed commits in pack order, and which slices of them someone took.
struct Plan {
    ids: Vec<Oid>,
    taken: Vec<AtomicBool>,
}

impl Plan {
    fn slice(&self, s: usize) -> &[Oid] {
        let end = ((s + 1) * SLICE).min(self.ids.len());
        &self.ids[s * SLICE..end]
    }

    /// Take slice `s` unless someone did.
    fn take(&self, s: usize) -> bool {
        !self.taken[s].swap(true, Ordering::AcqRel)
    }
}

/// What a helper hands over: first the plan and each commit's slice, then
/// every slice it read, each commit with its header unless it could not be
/// read.
enum Delivery {
    Planned(Arc<Plan>, IdMap<Id, u32>),
    Slice(Vec<(Id, Option<Header>)>),
}

/// A helper reading headers ahead, and the commits not in the table yet by
/// slice (`None` until the helper has listed them).
pub(crate) struct Prefetch {
    plan: Option<(Arc<Plan>, IdMap<Id, u32>)>,
    delivered: Receiver<Delivery>,
    stop: Arc<AtomicBool>,
    helpers: Vec<JoinHandle<()>>,
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for helper in self.helpers.drain(..) {
            let _ = helper.join();
        }
    }
}

impl Git {
    /// Start reading every packed commit's header ahead on other threads
    /// (see the module comment): one fewer than the cores, as this thread
    /// reads too. Nothing with a commit-graph (walks read no commits then),
    /// on one core, or when already started.
    pub fn prefetch_headers(&self) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        if cores < 2 || self.commit_graph().is_some() || self.prefetch.borrow().is_some() {
            return;
        }
        let (deliver, delivered) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let shallow = Arc::new(self.shallow().clone());
        let path = self.repo.path().to_path_buf();
        let objects = self.repo.commondir().join("objects");
        // A lister reads the pack indexes (a few milliseconds this thread
        // spends fetching instead) and hands the plan to this thread and the
        // helpers.
        let mut plans = Vec::new();
        let mut helpers = Vec::new();
        for _ in 1..cores {
            let (plan_in, plan_out) = channel::<Arc<Plan>>();
            plans.push(plan_in);
            let (deliver, stop, shallow, path) =
                (deliver.clone(), stop.clone(), shallow.clone(), path.clone());
            helpers.push(std::thread::spawn(move || {
                if let Ok(plan) = plan_out.recv() {
                    read_slices(&path, &plan, &shallow, &stop, &deliver);
                }
            }));
        }
        helpers.push(std::thread::spawn(move || {
            let ids = commits_in_pack_order(&objects);
            let slice_of = ids
                .iter()
                .enumerate()
                .map(|(i, &id)| (Id::from(id), (i / SLICE) as u32))
                .collect();
            let taken = (0..ids.len().div_ceil(SLICE))
                .map(|_| AtomicBool::new(false))
                .collect();
            let plan = Arc::new(Plan { ids, taken });
            if deliver
                .send(Delivery::Planned(plan.clone(), slice_of))
                .is_ok()
            {
                for out in plans {
                    let _ = out.send(plan.clone());
                }
            }
        }));
        *self.prefetch.borrow_mut() = Some(Prefetch {
            plan: None,
            delivered,
            stop,
            helpers,
        });
    }

    /// The commits the helpers would read: those stored whole in the packs,
    /// in pack order.
    pub fn packed_commits(&self) -> Vec<Oid> {
        commits_in_pack_order(&self.repo.commondir().join("objects"))
    }

    /// Stop reading ahead (the walks that needed it are done), keeping what
    /// was read.
    pub fn stop_prefetch(&self) {
        let Some(prefetch) = self.prefetch.borrow_mut().take() else {
            return;
        };
        prefetch.stop.store(true, Ordering::Relaxed);
        let mut commits = self.commits.borrow_mut();
        for delivery in prefetch.delivered.try_iter() {
            if let Delivery::Slice(slice) = delivery {
                keep(&mut commits, slice);
            }
        }
    }

    /// Put `oid`'s header in the table if a slice holds it: read here when
    /// nobody took the slice yet, else awaited from the helper reading it.
    /// False when no slice holds it, or the helpers are gone.
    pub(crate) fn await_prefetched(&self, odb: &Odb<'_>, oid: Id) -> bool {
        let mut slot = self.prefetch.borrow_mut();
        let Some(prefetch) = slot.as_mut() else {
            return false;
        };
        let mut commits = self.commits.borrow_mut();
        loop {
            if let Some((plan, slice_of)) = &mut prefetch.plan {
                let Some(&s) = slice_of.get(&oid) else {
                    return false;
                };
                if plan.take(s as usize) {
                    let shallow = self.shallow();
                    for &oid in plan.slice(s as usize) {
                        let id = Id::from(oid);
                        slice_of.remove(&id);
                        if let Ok(header) = header_from(odb, oid, shallow) {
                            commits.keep(None, id, header);
                        }
                    }
                    return true;
                }
            }
            match prefetch.delivered.recv() {
                Ok(Delivery::Planned(plan, slice_of)) => {
                    // Grown once, not doubled (and every entry moved) five times.
                    commits.reserve(plan.ids.len());
                    prefetch.plan = Some((plan, slice_of));
                }
                Ok(Delivery::Slice(slice)) => {
                    let mut here = false;
                    if let Some((_, slice_of)) = &mut prefetch.plan {
                        for (id, _) in &slice {
                            slice_of.remove(id);
                            here |= *id == oid;
                        }
                    }
                    keep(&mut commits, slice);
                    if here {
                        return true;
                    }
                }
                // Every helper has ended: nothing more will come.
                Err(_) => {
                    *slot = None;
                    return false;
                }
            }
        }
    }
}

/// Keep what a helper read. Its parents are loose commits: the helpers run
/// only without a commit-graph.
fn keep(commits: &mut Commits, slice: Vec<(Id, Option<Header>)>) {
    for (id, header) in slice {
        if let Some(header) = header {
            commits.keep(None, id, header);
        }
    }
}

/// A helper: every slice nobody took yet, in order, until told to stop or
/// nobody listens.
fn read_slices(
    path: &Path,
    plan: &Plan,
    shallow: &HashSet<Oid>,
    stop: &AtomicBool,
    deliver: &Sender<Delivery>,
) {
    let Some(repo) = Repository::open(path).ok() else {
        return;
    };
    let Ok(odb) = repo.odb() else {
        return;
    };
    for s in 0..plan.taken.len() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if !plan.take(s) {
            continue;
        }
        let slice = plan
            .slice(s)
            .iter()
            .map(|&oid| (Id::from(oid), header_from(&odb, oid, shallow).ok()))
            .collect();
        if deliver.send(Delivery::Slice(slice)).is_err() {
            return;
        }
    }
}

/// Objects whose pack entries the listing reads at most (16 bytes each
/// while it sorts them): a history of a few hundred thousand commits. The
/// packs beyond it (oldest first) are left to the walks: listing ten
/// million objects would cost more than it saves, and memory besides.
const MAX_LISTED: usize = 1_000_000;

/// The commits stored whole in the repository's packs, each pack's in file
/// order, newest pack first, up to [`MAX_LISTED`] objects. A pack or index
/// this cannot read (index version 1, truncated) adds nothing.
fn commits_in_pack_order(objects: &Path) -> Vec<Oid> {
    let mut indexes: Vec<(std::time::SystemTime, PathBuf)> =
        std::fs::read_dir(objects.join("pack"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .map(|p| {
                let modified = std::fs::metadata(&p)
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (modified, p)
            })
            .collect();
    indexes.sort_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    let mut budget = MAX_LISTED;
    for (_, idx) in indexes {
        out.extend(pack_commits(&idx, &mut budget).unwrap_or_default());
    }
    out
}

/// Pack entry type of a whole commit (git's `OBJ_COMMIT`).
const OBJ_COMMIT: u8 = 1;

/// A version 2 pack index (`gitformat-pack(5)`): the commits of its pack
/// that are stored whole, in pack order; nothing when it holds more
/// objects than `budget` has left (then no older pack is listed either).
fn pack_commits(idx_path: &Path, budget: &mut usize) -> Option<Vec<Oid>> {
    let idx = FileBuffer::open(idx_path).ok()?;
    let pack = FileBuffer::open(idx_path.with_extension("pack")).ok()?;
    let idx: &[u8] = &idx;
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(idx.get(at..at + 4)?.try_into().ok()?))
    };
    if idx.get(..8)? != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        return None;
    }
    let count = word(8 + 255 * 4)? as usize;
    if count > *budget {
        *budget = 0;
        return None;
    }
    *budget -= count;
    let ids_at = 8 + 256 * 4;
    let offsets_at = ids_at + count * 24;
    let large_at = offsets_at + count * 4;
    let mut entries = Vec::with_capacity(count);
    for i in 0..count {
        let raw = word(offsets_at + i * 4)?;
        let offset = match raw & 0x8000_0000 {
            0 => u64::from(raw),
            _ => {
                let at = large_at + (raw & 0x7fff_ffff) as usize * 8;
                u64::from_be_bytes(idx.get(at..at + 8)?.try_into().ok()?)
            }
        };
        entries.push((offset, i));
    }
    entries.sort_unstable();
    let mut out = Vec::new();
    for (offset, i) in entries {
        let Some(&first) = usize::try_from(offset).ok().and_then(|o| pack.get(o)) else {
            continue;
        };
        if (first >> 4) & 7 == OBJ_COMMIT {
            let at = ids_at + i * 20;
            out.push(Oid::from_bytes(idx.get(at..at + 20)?).ok()?);
        }
    }
    Some(out)
}
