//! Merge bases and ahead/behind counts, by git's own paint walk
//! (`paint_down_to_common` in git's `commit-reach.c`). Part of the git access
//! layer.
//!
//! Why not libgit2's: it parses every commit it meets in full (both
//! signatures, the message), and it cannot read the commit-graph. Its walks
//! were half of a sync's own time on the 32k-commit real-fork shape, and with
//! a graph `git merge-base` and `git rev-list --count` processes were cheaper
//! than it. This walk reads commits through [`Node`]: graph positions where
//! there is a graph, and commit headers read once per process otherwise.
//!
//! The order is git's: highest generation first, then newest commit date,
//! then first queued. So with generation numbers the answers are exact, and
//! without them they are what git and libgit2 answer on the same history,
//! clock skew included.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use git2::Oid;

use crate::error::Result;
use crate::repo::git::Git;
use crate::repo::history::{Key, Node};

const PARENT1: u8 = 1;
const PARENT2: u8 = 2;
const STALE: u8 = 4;
const RESULT: u8 = 8;
const COUNTED: u8 = 16;

impl Git {
    /// The best common ancestor of two commits, if they share history
    /// (the first of [`Git::merge_bases`], as git chooses it).
    pub fn merge_base(&self, a: Oid, b: Oid) -> Option<Oid> {
        self.merge_bases(a, b).first().copied()
    }

    /// Every best common ancestor, newest first: more than one after
    /// criss-cross merges, where `git merge` merges the bases first. Empty
    /// when the two share no history or cannot be read. One walk per pair:
    /// a sync asks for the same pair from several places.
    pub fn merge_bases(&self, a: Oid, b: Oid) -> Vec<Oid> {
        let key = (a.min(b), a.max(b));
        if let Some(known) = self.known_bases.borrow().get(&key) {
            return known.clone();
        }
        let bases = self.walk_merge_bases(a, b).unwrap_or_default();
        self.known_bases.borrow_mut().insert(key, bases.clone());
        bases
    }

    /// (ahead, behind) of `local` against `upstream`: the commits only
    /// `local` reaches, and those only `upstream` reaches.
    pub fn ahead_behind(&self, local: Oid, upstream: Oid) -> Result<(usize, usize)> {
        if local == upstream {
            return Ok((0, 0));
        }
        let (one, two) = (self.node(local), self.node(upstream));
        let mut paint = Paint::new(self);
        let kept = self.last_paint.borrow_mut().take();
        let swapped = match kept {
            Some(p)
                if (p.one, p.two) == (local, upstream) || (p.two, p.one) == (local, upstream) =>
            {
                paint.queue.marks = p.marks;
                p.one != local
            }
            _ => {
                paint.down(one, &[two], 0)?;
                false
            }
        };
        paint.count(one, two, swapped)
    }

    /// `get_merge_bases` in git: the paint walk's results, then the ones
    /// that are ancestors of another dropped.
    fn walk_merge_bases(&self, a: Oid, b: Oid) -> Result<Vec<Oid>> {
        if a == b {
            return Ok(vec![a]);
        }
        let (one, two) = (self.node(a), self.node(b));
        let mut paint = Paint::new(self);
        let found = paint.down(one, &[two], 0)?;
        let mut bases: Vec<Node> = found
            .into_iter()
            .filter(|n| paint.flags(*n) & STALE == 0)
            .collect();
        *self.last_paint.borrow_mut() = Some(Painted {
            one: a,
            two: b,
            marks: paint.queue.marks,
        });
        if bases.len() > 1 {
            bases = self.remove_redundant(&bases)?;
        }
        let mut dated = Vec::with_capacity(bases.len());
        for node in bases {
            dated.push((self.node_key(node)?.1, self.node_id(node)));
        }
        // Newest first, ties in the order found (git's insert by date).
        dated.sort_by_key(|&(time, _)| Reverse(time));
        Ok(dated.into_iter().map(|(_, id)| id).collect())
    }

    /// git's `remove_redundant_no_gen`: a candidate that another one reaches
    /// is not a best base. Exact with or without generation numbers, since a
    /// path down to an ancestor is never stale.
    fn remove_redundant(&self, candidates: &[Node]) -> Result<Vec<Node>> {
        let mut redundant = vec![false; candidates.len()];
        for i in 0..candidates.len() {
            if redundant[i] {
                continue;
            }
            let others: Vec<usize> = (0..candidates.len())
                .filter(|&j| j != i && !redundant[j])
                .collect();
            let twos: Vec<Node> = others.iter().map(|&j| candidates[j]).collect();
            let mut min_generation = self.node_key(candidates[i])?.0;
            for &two in &twos {
                min_generation = min_generation.min(self.node_key(two)?.0);
            }
            let mut paint = Paint::new(self);
            paint.down(candidates[i], &twos, min_generation)?;
            if paint.flags(candidates[i]) & PARENT2 != 0 {
                redundant[i] = true;
            }
            for (&j, &two) in others.iter().zip(&twos) {
                if paint.flags(two) & PARENT1 != 0 {
                    redundant[j] = true;
                }
            }
        }
        Ok(candidates
            .iter()
            .zip(redundant)
            .filter(|(_, r)| !r)
            .map(|(n, _)| *n)
            .collect())
    }
}

/// A paint's marks per commit: flags, and its entries in the queue. By
/// graph position or walk index, in tables: hashing each of 30k commits at
/// every touch was most of a walk.
#[derive(Default)]
pub(crate) struct Marks {
    graph: Vec<(u8, u32)>,
    loose: Vec<(u8, u32)>,
}

impl Marks {
    pub(crate) fn get(&self, node: Node) -> (u8, u32) {
        match node {
            Node::Graph(pos) => self.graph.get(pos as usize).copied().unwrap_or_default(),
            Node::Loose(i) => self.loose.get(i as usize).copied().unwrap_or_default(),
        }
    }

    pub(crate) fn slot(&mut self, node: Node) -> &mut (u8, u32) {
        match node {
            Node::Graph(pos) => {
                let pos = pos as usize;
                if pos >= self.graph.len() {
                    self.graph.resize(pos + 1, (0, 0));
                }
                &mut self.graph[pos]
            }
            Node::Loose(i) => {
                let i = i as usize;
                if i >= self.loose.len() {
                    self.loose.resize(i + 1, (0, 0));
                }
                &mut self.loose[i]
            }
        }
    }
}

/// The marks of the last merge-base paint, kept for a count of the same
/// pair: git's paint and libgit2's count mark commits the same way, and a
/// sync asks both of production and the upstream release.
pub(crate) struct Painted {
    one: Oid,
    two: Oid,
    marks: Marks,
}

/// A walk's marks and queue, in git's order: highest key (generation, then
/// date) first, then first queued. It counts the entries of commits that do
/// not carry the `done` flag (stale, hidden): a walk ends when none are left
/// (git scans the whole queue for that after every step).
pub(crate) struct Queue<'g> {
    git: &'g Git,
    pub(crate) marks: Marks,
    heap: BinaryHeap<(Key, Reverse<u64>, Node)>,
    queued: u64,
    pub(crate) live: usize,
    done: u8,
}

impl<'g> Queue<'g> {
    pub(crate) fn new(git: &'g Git, done: u8) -> Self {
        Queue {
            git,
            marks: Marks::default(),
            heap: BinaryHeap::new(),
            queued: 0,
            live: 0,
            done,
        }
    }

    pub(crate) fn flags(&self, node: Node) -> u8 {
        self.marks.get(node).0
    }

    /// Add `flags` to a commit and queue it.
    pub(crate) fn mark(&mut self, node: Node, flags: u8) -> Result<()> {
        self.add(node, None, flags)
    }

    /// [`Queue::mark`], unless the commit already has every flag of `has`:
    /// one lookup of its marks where asking first took two more.
    pub(crate) fn mark_unless(&mut self, node: Node, has: u8, flags: u8) -> Result<()> {
        self.add(node, Some(has), flags)
    }

    fn add(&mut self, node: Node, unless: Option<u8>, flags: u8) -> Result<()> {
        let slot = self.marks.slot(node);
        let (old, entries) = *slot;
        if unless.is_some_and(|has| old & has == has) {
            return Ok(());
        }
        *slot = (old | flags, entries + 1);
        if flags & self.done != 0 && old & self.done == 0 {
            self.live -= entries as usize;
        }
        if (old | flags) & self.done == 0 {
            self.live += 1;
        }
        self.queued += 1;
        let key = self.git.node_key(node)?;
        self.heap.push((key, Reverse(self.queued), node));
        Ok(())
    }

    /// The next entry: its key, commit and the commit's flags now.
    pub(crate) fn pop(&mut self) -> Option<(Key, Node, u8)> {
        let (key, _, node) = self.heap.pop()?;
        let slot = self.marks.slot(node);
        slot.1 -= 1;
        let flags = slot.0;
        if flags & self.done == 0 {
            self.live -= 1;
        }
        Some((key, node, flags))
    }
}

/// One paint walk.
struct Paint<'g> {
    git: &'g Git,
    queue: Queue<'g>,
    parents: Vec<Node>,
}

impl<'g> Paint<'g> {
    fn new(git: &'g Git) -> Self {
        Paint {
            git,
            queue: Queue::new(git, STALE),
            parents: Vec::new(),
        }
    }

    fn flags(&self, node: Node) -> u8 {
        self.queue.flags(node)
    }

    fn mark(&mut self, node: Node, flags: u8) -> Result<()> {
        self.queue.mark(node, flags)
    }

    /// `paint_down_to_common`: marks what `one` reaches PARENT1, what the
    /// `twos` reach PARENT2, and everything below a commit both reach
    /// STALE, until only stale commits are queued or the walk is below
    /// `min_generation`. Returns the commits both reach first, as found.
    fn down(&mut self, one: Node, twos: &[Node], min_generation: u64) -> Result<Vec<Node>> {
        let mut found = Vec::new();
        self.mark(one, PARENT1)?;
        for &two in twos {
            self.mark(two, PARENT2)?;
        }
        while self.queue.live > 0 {
            let Some((key, node, mut flags)) = self.queue.pop() else {
                break;
            };
            if key.0 < min_generation {
                break;
            }
            flags &= PARENT1 | PARENT2 | STALE;
            if flags == PARENT1 | PARENT2 {
                let slot = self.queue.marks.slot(node);
                if slot.0 & RESULT == 0 {
                    slot.0 |= RESULT;
                    found.push(node);
                }
                flags |= STALE;
            }
            let mut parents = std::mem::take(&mut self.parents);
            parents.clear();
            self.git.node_parents(node, &mut parents)?;
            for &parent in &parents {
                self.queue.mark_unless(parent, flags, flags)?;
            }
            self.parents = parents;
        }
        Ok(found)
    }

    /// libgit2's count after its paint: commits either tip reaches through
    /// commits only one of them reaches, by which one. `swapped` when
    /// `one` was painted PARENT2.
    fn count(&mut self, one: Node, two: Node, swapped: bool) -> Result<(usize, usize)> {
        let (mut ahead, mut behind) = (0, 0);
        let mine = if swapped { PARENT2 } else { PARENT1 };
        let mut queue = BinaryHeap::new();
        for node in [one, two] {
            queue.push((self.git.node_key(node)?, node));
        }
        let mut parents = Vec::new();
        while let Some((_, node)) = queue.pop() {
            // Unpainted: below where the paint stopped, reached by neither.
            let slot = self.queue.marks.slot(node);
            let sides = slot.0 & (PARENT1 | PARENT2);
            if sides == 0 || sides == PARENT1 | PARENT2 || slot.0 & COUNTED != 0 {
                continue;
            }
            slot.0 |= COUNTED;
            if sides == mine {
                ahead += 1;
            } else {
                behind += 1;
            }
            parents.clear();
            self.git.node_parents(node, &mut parents)?;
            for &parent in &parents {
                queue.push((self.git.node_key(parent)?, parent));
            }
        }
        Ok((ahead, behind))
    }
}
