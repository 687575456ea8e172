//! Ancestry walks: the commit-graph when the repository has one, objects
//! otherwise. Part of the git access layer.
//!
//! A walk names commits by [`Node`]: a commit the graph holds is its position
//! there, so walking it is table lookups (no inflating, no id hashing), and
//! a generation number bounds the walk exactly. Commits newer than the graph
//! are read as objects and bounded by date, as git does without a graph.

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use git2::{ObjectType, Odb, Oid};

use crate::error::{Error, Result};
use crate::repo::commits::Entry;
use crate::repo::git::Git;

/// A commit in a walk: its commit-graph position when the graph holds it
/// (parents of such a commit always are too), else its index among the
/// commits this process read as objects (see `commits`). Indexes are given
/// in the order commits are met, which threads may change: nothing may be
/// ordered by them that a user sees ([`Git::node_rank`] orders by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Graph(u32),
    Loose(u32),
}

/// A commit id as the walks' tables key it. `git2::Oid` compares and
/// orders through calls into libgit2 (`git_oid_equal`, `git_oid_cmp`), one
/// per probe of a table: a tenth of a sync's walks over 30k commits. These
/// bytes compare inline, in the same order, and hash by their first word
/// (they are SHA-1 already).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Id([u8; 20]);

impl Id {
    pub fn oid(self) -> Oid {
        Oid::from_bytes(&self.0).unwrap_or(Oid::ZERO_SHA1)
    }
}

impl From<Oid> for Id {
    fn from(oid: Oid) -> Id {
        let mut bytes = [0; 20];
        let raw = oid.as_bytes();
        let n = raw.len().min(20);
        bytes[..n].copy_from_slice(&raw[..n]);
        Id(bytes)
    }
}

impl std::hash::Hash for Id {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut word = [0; 8];
        word.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(word));
    }
}

/// Clock-skew allowance for date-bounded walks (git uses the same day).
pub const SLACK_SECONDS: i64 = 86_400;

/// Where a walk may stop: every commit that could reach the target is
/// ordered above it.
#[derive(Debug, Clone, Copy)]
enum Bound {
    /// Graph commits with a generation above this, and every loose commit.
    Generation(u64),
    /// Loose commits at or after this date; graph commits never reach a
    /// loose one.
    LooseSince(i64),
    /// Commits at or after this date (no generation numbers).
    Since(i64),
}

/// A walk's ordering of commits: (generation class, commit time). Loose
/// commits sort above every graph commit, as git gives them an infinite
/// generation; without generations every class is 0 and dates order alone.
pub(crate) type Key = (u64, i64);

/// Maps keyed by commit ids (or walk nodes). The ids are SHA-1 already, so
/// folding their words is hash enough, as git's own object hash is their
/// first bytes; SipHash of every lookup was a tenth of a walk.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
}

/// What walks read of a commit: its tree, parents and committer time, from
/// its raw header, once per process. libgit2 parses whole commits (both
/// signatures, the message) on every lookup it has not cached, and that was
/// most of a merge-base walk of a long history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub tree: Oid,
    pub parents: Box<[Oid]>,
    pub time: i64,
}

impl Bound {
    fn admits(self, (generation, time): Key) -> bool {
        match self {
            Bound::Generation(g) => generation > g,
            Bound::LooseSince(t) => generation == u64::MAX && time >= t,
            Bound::Since(t) => time >= t,
        }
    }
}

impl Git {
    /// The walk name of a commit.
    pub fn node(&self, oid: Oid) -> Node {
        match self.commit_graph().and_then(|g| g.position(oid)) {
            Some(pos) => Node::Graph(pos),
            None => Node::Loose(self.commits.borrow_mut().intern(oid.into())),
        }
    }

    pub fn node_id(&self, node: Node) -> Oid {
        match (node, self.commit_graph()) {
            (Node::Graph(pos), Some(g)) => g.oid(pos),
            (Node::Loose(i), _) => self.commits.borrow().id(i).oid(),
            (Node::Graph(_), None) => Oid::ZERO_SHA1,
        }
    }

    /// An order of nodes that does not depend on when they were met: graph
    /// positions first, then ids (as `git2::Oid` orders them).
    pub(crate) fn node_rank(&self, node: Node) -> (bool, u32, Id) {
        match node {
            Node::Graph(pos) => (false, pos, Id::default()),
            Node::Loose(i) => (true, 0, self.commits.borrow().id(i)),
        }
    }

    /// Parents of a commit, in order, appended to `out`.
    pub fn node_parents(&self, node: Node, out: &mut Vec<Node>) -> Result<()> {
        match (node, self.commit_graph()) {
            (Node::Graph(pos), Some(g)) => {
                let mut positions = Vec::with_capacity(2);
                g.parents(pos, &mut positions);
                out.extend(positions.into_iter().map(Node::Graph));
            }
            (Node::Loose(i), _) => {
                self.entry_with(i, |e| out.extend_from_slice(&e.parents))?;
            }
            (Node::Graph(_), None) => {}
        }
        Ok(())
    }

    pub fn node_time(&self, node: Node) -> Result<i64> {
        match (node, self.commit_graph()) {
            (Node::Graph(pos), Some(g)) => Ok(g.commit_time(pos)),
            _ => self.entry_with(self.loose(node)?, |e| e.time),
        }
    }

    pub fn node_tree(&self, node: Node) -> Result<Oid> {
        match (node, self.commit_graph()) {
            (Node::Graph(pos), Some(g)) => Ok(g.tree(pos)),
            _ => self.entry_with(self.loose(node)?, |e| e.tree),
        }
    }

    pub(crate) fn node_key(&self, node: Node) -> Result<Key> {
        Ok(self.node_entry(node)?.0)
    }

    /// A commit's walk key and whether it is a merge, from one read of it.
    fn node_entry(&self, node: Node) -> Result<(Key, bool)> {
        let graph = self.commit_graph();
        if let (Node::Graph(pos), Some(g)) = (node, graph) {
            let generation = if g.has_generations() {
                g.generation(pos)
            } else {
                0
            };
            return Ok(((generation, g.commit_time(pos)), g.is_merge(pos)));
        }
        let generation = match graph {
            Some(g) if g.has_generations() => u64::MAX,
            _ => 0,
        };
        self.entry_with(self.loose(node)?, |e| {
            ((generation, e.time), e.parents.len() > 1)
        })
    }

    /// A commit's committer time.
    pub fn commit_time(&self, oid: Oid) -> Result<i64> {
        self.node_time(self.node(oid))
    }

    /// The index of a commit read as an object; a graph position when there
    /// is no graph (never made) is an error, not a commit.
    fn loose(&self, node: Node) -> Result<u32> {
        match node {
            Node::Loose(i) => Ok(i),
            Node::Graph(_) => Err(Error::refused(
                "a commit-graph position without a commit-graph",
            )),
        }
    }

    /// `f` of a commit's entry, read on first use.
    fn entry_with<T>(&self, i: u32, f: impl FnOnce(&Entry) -> T) -> Result<T> {
        if let Some(entry) = self.commits.borrow().entry(i) {
            return Ok(f(entry));
        }
        let id = self.commits.borrow().id(i);
        let odb = self.repo.odb()?;
        if self.await_prefetched(&odb, id) {
            if let Some(entry) = self.commits.borrow().entry(i) {
                return Ok(f(entry));
            }
        }
        let header = self.read_header(&odb, id.oid())?;
        let graph = self.commit_graph();
        let mut commits = self.commits.borrow_mut();
        commits.keep(graph, id, header);
        let entry = commits
            .entry(i)
            .ok_or_else(|| Error::refused(format!("{} could not be kept", id.oid())))?;
        Ok(f(entry))
    }

    /// A commit's header from the object database. A shallow clone's
    /// boundary commits have no parents, as git sees them.
    fn read_header(&self, odb: &Odb<'_>, oid: Oid) -> Result<Header> {
        header_from(odb, oid, self.shallow())
    }

    /// The shallow boundary, read once.
    pub(crate) fn shallow(&self) -> &HashSet<Oid> {
        self.shallow
            .get_or_init(|| self.shallow_commits().unwrap_or_default())
    }

    /// The bound for a target, and for date bounds the target's own date:
    /// commits older than it can only reach it through clock skew, so they
    /// are walked last.
    fn bound(&self, target: Node) -> Result<(Bound, Option<i64>)> {
        let (generation, time) = self.node_key(target)?;
        Ok(match generation {
            u64::MAX => (Bound::LooseSince(time - SLACK_SECONDS), Some(time)),
            0 => (Bound::Since(time - SLACK_SECONDS), Some(time)),
            g => (Bound::Generation(g), None),
        })
    }

    /// A reachability oracle from one or more tips; see [`Reach`].
    pub fn reach(&self, tips: &[Oid]) -> Result<Reach<'_>> {
        let mut reach = Reach {
            git: self,
            stack: Vec::new(),
            parked: BinaryHeap::new(),
            seen: HashSet::new(),
            scratch: Vec::new(),
            children: Vec::new(),
            unread_tips: Vec::new(),
        };
        // Reversed so the first tip is walked first.
        for &tip in tips.iter().rev() {
            let node = self.node(tip);
            if reach.seen.insert(node) {
                reach.unread_tips.push(node);
            }
        }
        Ok(reach)
    }
}

/// Answers "is X an ancestor of the tips?" for many X with one shared walk.
///
/// Each question walks only commits that could still reach X: above X's
/// generation with a commit-graph, else down to a day before X's date (the
/// heuristic git itself uses without one). The walk is depth first, merges
/// first: a merge parent before a plain commit, the merged-in side before the
/// first parent, else first parents. So an old X reached through merges (a
/// stable tag behind production's sync merge of the mirror, then the mirror's
/// chain of merges) costs that chain of merges (tens of commits), not the
/// thousands of fork commits on production's first-parent line above it.
/// The order only decides how soon a commit is found: a "no" still walks
/// everything above the bound. Commits below one question's bound are
/// parked for the next question, so questions share the work.
pub struct Reach<'g> {
    git: &'g Git,
    /// Reached, not expanded yet; the last pushed is expanded next.
    stack: Vec<(Key, Node)>,
    /// Reached but below every bound asked so far; highest first.
    parked: BinaryHeap<(Key, Node)>,
    /// Every commit known reachable (queued, parked or expanded).
    seen: HashSet<Node>,
    scratch: Vec<Node>,
    /// The new parents of the commit being expanded: key, merge or not.
    children: Vec<(Key, bool, Node)>,
    /// Tips not read yet: a reach that is never asked beyond its tips (a
    /// hundred upstream branches and tags) reads none of them.
    unread_tips: Vec<Node>,
}

impl Reach<'_> {
    pub fn contains(&mut self, oid: Oid) -> Result<bool> {
        let node = self.git.node(oid);
        self.contains_node(node)
    }

    pub fn contains_node(&mut self, target: Node) -> Result<bool> {
        if self.seen.contains(&target) {
            return Ok(true);
        }
        for tip in std::mem::take(&mut self.unread_tips) {
            self.stack.push((self.git.node_key(tip)?, tip));
        }
        let (bound, target_time) = self.git.bound(target)?;
        while self.parked.peek().is_some_and(|(k, _)| bound.admits(*k)) {
            if let Some(entry) = self.parked.pop() {
                self.stack.push(entry);
            }
        }
        // Commits in the skew allowance (older than the target, within a
        // day): walked only once everything newer is done.
        let mut skew_band = Vec::new();
        let mut in_band = false;
        loop {
            let Some((key, node)) = self.stack.pop() else {
                if in_band || skew_band.is_empty() {
                    break;
                }
                in_band = true;
                self.stack.append(&mut skew_band);
                continue;
            };
            if !bound.admits(key) {
                self.parked.push((key, node));
                continue;
            }
            if !in_band && target_time.is_some_and(|t| key.1 < t) {
                skew_band.push((key, node));
                continue;
            }
            self.scratch.clear();
            self.git.node_parents(node, &mut self.scratch)?;
            let mut found = false;
            self.children.clear();
            for &parent in &self.scratch {
                if self.seen.insert(parent) {
                    found |= parent == target;
                    let (key, merge) = self.git.node_entry(parent)?;
                    self.children.push((key, merge, parent));
                }
            }
            // Walked next = pushed last: merges (the last parent first), and
            // before them plain commits (the first parent first).
            for &(key, _, parent) in self.children.iter().rev().filter(|c| !c.1) {
                self.stack.push((key, parent));
            }
            for &(key, _, parent) in self.children.iter().filter(|c| c.1) {
                self.stack.push((key, parent));
            }
            if found {
                self.stack.append(&mut skew_band);
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A commit's header from the object database. A shallow clone's boundary
/// commits have no parents, as git sees them.
pub(crate) fn header_from(odb: &Odb<'_>, oid: Oid, shallow: &HashSet<Oid>) -> Result<Header> {
    let object = odb.read(oid)?;
    let header = match object.kind() {
        ObjectType::Commit => commit_header(object.data()),
        _ => None,
    };
    let mut header = header.ok_or_else(|| Error::refused(format!("{oid} is not a commit")))?;
    if !header.parents.is_empty() && shallow.contains(&oid) {
        header.parents = Box::new([]);
    }
    Ok(header)
}

/// A raw commit's header lines, up to the first empty line: `None` without
/// a tree; a committer time git cannot read either counts as 0.
fn commit_header(data: &[u8]) -> Option<Header> {
    let oid = |hex: &[u8]| {
        std::str::from_utf8(hex)
            .ok()
            .and_then(|h| Oid::from_str(h).ok())
    };
    let mut tree = None;
    let mut parents = Vec::new();
    let mut time = 0;
    for line in data.split(|b| *b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(hex) = line.strip_prefix(b"tree ") {
            tree = oid(hex);
        } else if let Some(hex) = line.strip_prefix(b"parent ") {
            parents.extend(oid(hex));
        } else if let Some(rest) = line.strip_prefix(b"committer ") {
            let mut fields = rest.rsplit(|b| *b == b' ');
            let _zone = fields.next();
            time = fields
                .next()
                .and_then(|t| std::str::from_utf8(t).ok()?.parse().ok())
                .unwrap_or(0);
        }
    }
    Some(Header {
        tree: tree?,
        parents: parents.into(),
        time,
    })
}

#[cfg(test)]
mod tests {
    use super::{commit_header, Header};
    use git2::Oid;

    #[test]
    fn a_raw_commit_header_gives_its_parents_and_committer_time() {
        let p1 = "0123456789abcdef0123456789abcdef01234567";
        let p2 = "89abcdef0123456789abcdef0123456789abcdef";
        let raw = format!(
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent {p1}\nparent {p2}\n\
             author A U Thor <a@example.com> 1700000000 +0100\n\
             committer C O Mitter <c@example.com> 1700000123 -0700\n\n\
             parent 1111111111111111111111111111111111111111 in the message\n"
        );
        let expected: Vec<Oid> = [p1, p2].iter().map(|p| Oid::from_str(p).unwrap()).collect();
        assert_eq!(
            commit_header(raw.as_bytes()),
            Some(Header {
                tree: Oid::from_str("4b825dc642cb6eb9a060e54bf8d69288fbee4904").unwrap(),
                parents: expected.into(),
                time: 1_700_000_123,
            })
        );
        assert_eq!(commit_header(b"tree x\n\ngarbage"), None);
    }
}
