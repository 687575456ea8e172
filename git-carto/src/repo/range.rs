//! The commits one tip reaches and others do not (`git rev-list tip ^hide`),
//! by git's own walk over [`Node`]s. Part of the git access layer.
//!
//! libgit2's revwalk parses every commit it meets again, in full and through
//! its own cache, after the merge-base walk of the same command has read
//! their headers already, and it cannot read the commit-graph: choosing a
//! sync's base spent a tenth of the sync in it on the 32k-commit real-fork
//! shape. This walk reads the header table and the graph that the other
//! walks share.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use git2::Oid;

use crate::error::Result;
use crate::repo::bases::Queue;
use crate::repo::git::Git;
use crate::repo::history::Node;

const SEEN: u8 = 1;
const UNINTERESTING: u8 = 2;
const LISTED: u8 = 4;

/// Commits popped after only hidden ones are queued, against clock skew
/// (git's `SLOP` in `limit_list`).
const SLOP: usize = 5;

impl Git {
    /// The commits `tip` reaches and none of `hide` reaches, children before
    /// parents and otherwise newest first (`git rev-list --date-order`).
    pub fn walk(&self, tip: Oid, hide: &[Oid]) -> Result<Vec<Oid>> {
        let mut walk = Walk {
            git: self,
            queue: Queue::new(self, UNINTERESTING),
        };
        walk.queue.mark(self.node(tip), SEEN)?;
        for h in hide {
            walk.queue.mark(self.node(*h), SEEN | UNINTERESTING)?;
        }
        let listed = walk.run()?;
        let kept: Vec<Node> = listed
            .into_iter()
            .filter(|n| walk.queue.flags(*n) & UNINTERESTING == 0)
            .collect();
        let ordered = self.date_order(&kept)?;
        Ok(ordered.into_iter().map(|n| self.node_id(n)).collect())
    }

    /// git's `--date-order`: no parent before its children in `nodes`,
    /// otherwise the newest commit first.
    fn date_order(&self, nodes: &[Node]) -> Result<Vec<Node>> {
        let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut children = vec![0usize; nodes.len()];
        let mut parents = Vec::new();
        let mut parents_of = Vec::with_capacity(nodes.len());
        for n in nodes {
            parents.clear();
            self.node_parents(*n, &mut parents)?;
            let inside: Vec<usize> = parents
                .iter()
                .filter_map(|p| index.get(p).copied())
                .collect();
            for &p in &inside {
                children[p] += 1;
            }
            parents_of.push(inside);
        }
        let mut ready = BinaryHeap::new();
        for (i, n) in nodes.iter().enumerate() {
            if children[i] == 0 {
                ready.push((self.node_time(*n)?, Reverse(i)));
            }
        }
        let mut out = Vec::with_capacity(nodes.len());
        while let Some((_, Reverse(i))) = ready.pop() {
            out.push(nodes[i]);
            for &p in &parents_of[i] {
                children[p] -= 1;
                if children[p] == 0 {
                    ready.push((self.node_time(nodes[p])?, Reverse(p)));
                }
            }
        }
        Ok(out)
    }
}

struct Walk<'g> {
    git: &'g Git,
    queue: Queue<'g>,
}

impl Walk<'_> {
    /// Walk until only hidden commits are queued; the commits listed on the
    /// way, some of which may have turned out hidden since.
    fn run(&mut self) -> Result<Vec<Node>> {
        let mut listed = Vec::new();
        let mut parents = Vec::new();
        let mut slop = SLOP;
        while let Some((_, node, flags)) = self.queue.pop() {
            parents.clear();
            self.git.node_parents(node, &mut parents)?;
            if flags & UNINTERESTING != 0 {
                for &p in &parents {
                    // Again if it was walked: its parents must learn it too.
                    self.queue
                        .mark_unless(p, UNINTERESTING, SEEN | UNINTERESTING)?;
                }
            } else if flags & LISTED == 0 {
                self.queue.marks.slot(node).0 |= LISTED;
                listed.push(node);
                for &p in &parents {
                    self.queue.mark_unless(p, SEEN, SEEN)?;
                }
            }
            if self.queue.live == 0 {
                slop -= 1;
                if slop == 0 {
                    break;
                }
            } else {
                slop = SLOP;
            }
        }
        Ok(listed)
    }
}
