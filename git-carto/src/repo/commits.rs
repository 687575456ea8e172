//! The commits a process read as objects, each by a dense index. Part of the
//! git access layer.
//!
//! Why: a walk touches each commit several times (its key when queued, its
//! parents when popped, its marks for every edge), and over a 30k-commit
//! history without a commit-graph, looking up 20-byte ids in hash tables at
//! every touch was most of a paint once the headers were read. An id is
//! interned once, when first met; from then on a walk's [`Node`] is an index,
//! and headers and marks are vectors.

use git2::Oid;

use crate::repo::commit_graph::CommitGraph;
use crate::repo::history::{Header, Id, IdMap, Node};

/// What the walks keep of a commit: its tree, parents (as walk nodes) and
/// committer time.
pub(crate) struct Entry {
    pub tree: Oid,
    pub parents: Box<[Node]>,
    pub time: i64,
}

#[derive(Default)]
pub(crate) struct Commits {
    index: IdMap<Id, u32>,
    ids: Vec<Id>,
    read: Vec<Option<Entry>>,
}

impl Commits {
    pub fn reserve(&mut self, more: usize) {
        self.index.reserve(more);
        self.ids.reserve(more);
        self.read.reserve(more);
    }

    /// The index of `id`, given one if it has none yet.
    pub fn intern(&mut self, id: Id) -> u32 {
        let (ids, read) = (&mut self.ids, &mut self.read);
        *self.index.entry(id).or_insert_with(|| {
            ids.push(id);
            read.push(None);
            (ids.len() - 1) as u32
        })
    }

    pub fn id(&self, i: u32) -> Id {
        self.ids[i as usize]
    }

    pub fn entry(&self, i: u32) -> Option<&Entry> {
        self.read.get(i as usize)?.as_ref()
    }

    /// Keep the header read for `id` (the first one kept wins: commits never
    /// change), its parents named as walk nodes: graph positions where
    /// `graph` holds them. Returns the commit's index.
    pub fn keep(&mut self, graph: Option<&CommitGraph>, id: Id, header: Header) -> u32 {
        let i = self.intern(id);
        if self.read[i as usize].is_none() {
            let parents = header
                .parents
                .iter()
                .map(|&p| match graph.and_then(|g| g.position(p)) {
                    Some(pos) => Node::Graph(pos),
                    None => Node::Loose(self.intern(p.into())),
                })
                .collect();
            self.read[i as usize] = Some(Entry {
                tree: header.tree,
                parents,
                time: header.time,
            });
        }
        i
    }
}
