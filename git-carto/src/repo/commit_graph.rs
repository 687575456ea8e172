//! git's commit-graph file (`objects/info/commit-graph`, or the split chain
//! in `objects/info/commit-graphs/`), read as git documents it in
//! `gitformat-commit-graph(5)`. libgit2 does not use it; git does, and so
//! must we: with it an ancestry walk reads parents, commit times, trees and
//! generation numbers from a table instead of inflating every commit, and a
//! generation number bounds a walk exactly where dates only bound it by
//! heuristic. Part of the git access layer (`repo::history` walks with it).
//!
//! The file is mapped, as git maps it (`filebuffer`, so this crate keeps
//! forbidding `unsafe`): a walk reads only the pages it touches, and the
//! kernel maps sixteen at a time. Reading the whole 6 MB graph of a
//! 100k-commit history into fresh memory was a third of a 3-commit `notes`;
//! reading it a kilobyte block at a time into fresh buffers still made a
//! third of its page faults. Only the chunks a walk needs are used (the
//! fan-out, ids, commit data, generation data and extra edges); Bloom filters
//! are left alone. Positions are in id order, so a walk's commits are
//! scattered: an id lookup guesses where in its fan-out bucket the id sits.

use std::path::Path;
use std::rc::Rc;

use filebuffer::FileBuffer;

use git2::Oid;

/// SHA-1 only: libgit2 as built here reads no other object format.
const HASH_LEN: usize = 20;
const NO_PARENT: u32 = 0x7000_0000;
const EXTRA_EDGES: u32 = 0x8000_0000;
const LAST_EDGE: u32 = 0x8000_0000;
/// The width of one CDAT record: tree id, two parent slots, generation+time.
const CDAT_LEN: usize = HASH_LEN + 16;

/// A chunk of fixed-size records in the mapped file.
struct Chunk {
    map: Rc<FileBuffer>,
    start: usize,
    record: usize,
    len: usize,
}

impl Chunk {
    fn new(map: &Rc<FileBuffer>, start: u64, end: u64, record: usize) -> Option<Chunk> {
        let start = usize::try_from(start).ok()?;
        let bytes = usize::try_from(end).ok()?.checked_sub(start)?;
        if bytes % record != 0 {
            return None;
        }
        Some(Chunk {
            map: Rc::clone(map),
            start,
            record,
            len: bytes / record,
        })
    }

    /// Record `i` (zeros past the end: callers check bounds first).
    fn get(&self, i: usize) -> &[u8] {
        if i >= self.len {
            return &ZEROS[..self.record.min(ZEROS.len())];
        }
        let at = self.start + i * self.record;
        &self.map[at..at + self.record]
    }
}

const ZEROS: [u8; 64] = [0; 64];

/// One file of the graph (the whole graph, or one layer of a split chain).
struct Layer {
    fanout: Vec<u8>,
    oids: Chunk,
    cdat: Chunk,
    edges: Vec<u8>,
    /// GDA2: corrected commit date offsets; empty when the file has none.
    gda: Option<Chunk>,
    /// GDO2: offsets too large for GDA2.
    gdo: Vec<u8>,
    /// Commits in the layers below this one (positions are global).
    base: u32,
    len: u32,
}

/// What a generation number means in this graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generation {
    /// Corrected commit dates (GDA2 in every layer).
    CorrectedDate,
    /// Topological levels (generation v1).
    Level,
    /// Written by a git that stored no generation numbers: parents and dates only.
    None,
}

/// A loaded commit-graph. Commits are named by their position in it.
pub struct CommitGraph {
    layers: Vec<Layer>,
    generation: Generation,
}

impl CommitGraph {
    /// The repository's graph, if it has one this reader understands. Any
    /// surprise (another hash, a truncated file) means "no graph": callers
    /// then walk objects as before, never fail.
    pub fn open(objects_dir: &Path) -> Option<CommitGraph> {
        let info = objects_dir.join("info");
        let mut files = Vec::new();
        // git reads the single file when there is one, else the chain.
        let single = info.join("commit-graph");
        if single.exists() {
            files.push(single);
        } else {
            let chain_dir = info.join("commit-graphs");
            let chain = std::fs::read_to_string(chain_dir.join("commit-graph-chain")).ok()?;
            for hash in chain.lines().map(str::trim).filter(|l| !l.is_empty()) {
                files.push(chain_dir.join(format!("graph-{hash}.graph")));
            }
        }
        let mut layers: Vec<Layer> = Vec::with_capacity(files.len());
        let mut base = 0u32;
        for path in files {
            let layer = Layer::read(&path, base, layers.len())?;
            base = base.checked_add(layer.len)?;
            layers.push(layer);
        }
        let generation = if layers.iter().all(|l| l.gda.is_some()) {
            Generation::CorrectedDate
        } else if layers.iter().all(|l| l.len == 0 || l.level(0) != 0) {
            Generation::Level
        } else {
            Generation::None
        };
        Some(CommitGraph { layers, generation })
    }

    /// Whether [`CommitGraph::generation`] may bound a walk.
    pub fn has_generations(&self) -> bool {
        self.generation != Generation::None
    }

    /// The position of a commit, if the graph holds it.
    pub fn position(&self, oid: Oid) -> Option<u32> {
        let id = oid.as_bytes();
        // Newest layer first: new commits are most often asked about.
        self.layers
            .iter()
            .rev()
            .find_map(|l| l.find(id).map(|i| l.base + i))
    }

    pub fn oid(&self, pos: u32) -> Oid {
        let (l, i) = self.locate(pos);
        Oid::from_bytes(l.oids.get(i)).unwrap_or(Oid::ZERO_SHA1)
    }

    pub fn tree(&self, pos: u32) -> Oid {
        let r = self.record(pos);
        Oid::from_bytes(&r[..HASH_LEN]).unwrap_or(Oid::ZERO_SHA1)
    }

    /// Commit time in seconds (the committer date, as git sorts by).
    pub fn commit_time(&self, pos: u32) -> i64 {
        let r = self.record(pos);
        let high = u64::from(be32(&r[HASH_LEN + 8..]) & 0x3);
        let low = u64::from(be32(&r[HASH_LEN + 12..]));
        ((high << 32) | low) as i64
    }

    /// A generation number: a commit's is greater than each of its
    /// ancestors', so a walk down to a target's generation has seen every
    /// commit that could reach it. 0 when the graph has none.
    pub fn generation(&self, pos: u32) -> u64 {
        match self.generation {
            Generation::None => 0,
            Generation::Level => {
                let (l, i) = self.locate(pos);
                u64::from(l.level(i))
            }
            Generation::CorrectedDate => {
                let (l, i) = self.locate(pos);
                let offset = l.gda.as_ref().map_or(0, |g| be32(g.get(i)));
                let offset = if offset & 0x8000_0000 != 0 {
                    let at = (offset & 0x7fff_ffff) as usize * 8;
                    l.gdo.get(at..at + 8).map(be64).unwrap_or(0)
                } else {
                    u64::from(offset)
                };
                (self.commit_time(pos).max(0) as u64).saturating_add(offset)
            }
        }
    }

    /// The parents' positions, in order, appended to `out`.
    pub fn parents(&self, pos: u32, out: &mut Vec<u32>) {
        let start = out.len();
        self.raw_parents(pos, out);
        // A damaged file must not send a walk out of bounds.
        let len = self.len();
        if out[start..].iter().any(|p| *p >= len) {
            out.truncate(start);
        }
    }

    /// Whether the commit has more than one parent (no parent list built).
    pub fn is_merge(&self, pos: u32) -> bool {
        be32(&self.record(pos)[HASH_LEN + 4..]) != NO_PARENT
    }

    fn raw_parents(&self, pos: u32, out: &mut Vec<u32>) {
        let (l, i) = self.locate(pos);
        let r = l.cdat.get(i);
        let first = be32(&r[HASH_LEN..]);
        if first == NO_PARENT {
            return;
        }
        out.push(first);
        let second = be32(&r[HASH_LEN + 4..]);
        if second == NO_PARENT {
            return;
        }
        if second & EXTRA_EDGES == 0 {
            out.push(second);
            return;
        }
        // Octopus merges: the rest of the parents in the EDGE chunk, the last
        // one marked.
        let mut at = (second & !EXTRA_EDGES) as usize * 4;
        while let Some(bytes) = l.edges.get(at..at + 4) {
            let edge = be32(bytes);
            out.push(edge & !LAST_EDGE);
            if edge & LAST_EDGE != 0 {
                break;
            }
            at += 4;
        }
    }

    fn locate(&self, pos: u32) -> (&Layer, usize) {
        let l = self
            .layers
            .iter()
            .rev()
            .find(|l| pos >= l.base)
            .unwrap_or(&self.layers[0]);
        (l, (pos - l.base) as usize)
    }

    fn record(&self, pos: u32) -> &[u8] {
        let (l, i) = self.locate(pos);
        l.cdat.get(i)
    }

    /// Every position is valid: parents point below their commit's layer end.
    pub fn len(&self) -> u32 {
        self.layers.last().map(|l| l.base + l.len).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Layer {
    fn read(path: &Path, base: u32, index: usize) -> Option<Layer> {
        // Mapped as git maps it: only the pages a walk touches are read. git
        // replaces a graph by renaming a new file over it, never writes into
        // one, so the mapping stays the file that was checked here.
        let map = Rc::new(FileBuffer::open(path).ok()?);
        let header = map.get(..8)?;
        // Signature, version 1, hash version 1 (SHA-1).
        if &header[..4] != b"CGPH" || header[4] != 1 || header[5] != 1 {
            return None;
        }
        let chunks = usize::from(header[6]);
        // A layer above the first names its bases; the chain file already
        // gives them in order.
        if usize::from(header[7]) != index {
            return None;
        }
        let table = map.get(8..8 + (chunks + 1) * 12)?;
        let size = map.len() as u64;
        let entry = |i: usize| {
            let e = &table[i * 12..i * 12 + 12];
            (
                [e[0], e[1], e[2], e[3]],
                u64::from(be32(&e[4..])) << 32 | u64::from(be32(&e[8..])),
            )
        };
        let bounds = |id: &[u8; 4]| -> Option<(u64, u64)> {
            let i = (0..chunks).find(|&i| &entry(i).0 == id)?;
            let (start, end) = (entry(i).1, entry(i + 1).1);
            (start <= end && end <= size).then_some((start, end))
        };
        let read = |id: &[u8; 4]| -> Option<Vec<u8>> {
            let (start, end) = bounds(id)?;
            Some(map[usize::try_from(start).ok()?..usize::try_from(end).ok()?].to_vec())
        };
        let lazy = |id: &[u8; 4], record: usize| -> Option<Chunk> {
            let (start, end) = bounds(id)?;
            Chunk::new(&map, start, end, record)
        };
        let fanout = read(b"OIDF")?;
        if fanout.len() != 256 * 4 {
            return None;
        }
        let len = be32(&fanout[255 * 4..]);
        let oids = lazy(b"OIDL", HASH_LEN)?;
        let cdat = lazy(b"CDAT", CDAT_LEN)?;
        if oids.len != len as usize || cdat.len != len as usize {
            return None;
        }
        let gda = match bounds(b"GDA2") {
            Some(_) => Some(lazy(b"GDA2", 4).filter(|g| g.len == len as usize)?),
            None => None,
        };
        Some(Layer {
            fanout,
            oids,
            cdat,
            edges: read(b"EDGE").unwrap_or_default(),
            gdo: read(b"GDO2").unwrap_or_default(),
            gda,
            base,
            len,
        })
    }

    /// Binary search within the fan-out bucket of the first byte.
    fn find(&self, id: &[u8]) -> Option<u32> {
        let b = usize::from(id[0]);
        let lo = if b == 0 {
            0
        } else {
            be32(&self.fanout[(b - 1) * 4..])
        } as usize;
        let hi = be32(&self.fanout[b * 4..]) as usize;
        let (mut lo, mut hi) = (lo, hi.min(self.len as usize));
        // Ids are uniform: the next two bytes say about where in the bucket
        // the id sits. Trying a small window there first keeps a lookup to
        // one block instead of a probe per halving.
        if hi - lo > 64 {
            let frac = usize::from(id[1]) << 8 | usize::from(id[2]);
            let guess = lo + (hi - lo) * frac / 65_536;
            let (wlo, whi) = (guess.saturating_sub(16).max(lo), (guess + 16).min(hi));
            if self.oids.get(wlo) <= id && id <= self.oids.get(whi - 1) {
                (lo, hi) = (wlo, whi);
            }
        }
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.oids.get(mid).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// Topological level: the top 30 bits of the generation/date word.
    fn level(&self, i: usize) -> u32 {
        be32(&self.cdat.get(i)[HASH_LEN + 8..]) >> 2
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph file with `ids` (sorted), each commit a root with its index
    /// as commit time, written as gitformat-commit-graph(5) lays it out.
    fn write_graph(dir: &Path, ids: &[[u8; 20]]) {
        let n = ids.len();
        let mut fanout = Vec::with_capacity(1024);
        for b in 0..256usize {
            let count = ids.iter().filter(|id| usize::from(id[0]) <= b).count() as u32;
            fanout.extend_from_slice(&count.to_be_bytes());
        }
        let oids: Vec<u8> = ids.iter().flatten().copied().collect();
        let mut cdat = Vec::with_capacity(n * CDAT_LEN);
        for (i, _) in ids.iter().enumerate() {
            cdat.extend_from_slice(&[0u8; HASH_LEN]);
            cdat.extend_from_slice(&NO_PARENT.to_be_bytes());
            cdat.extend_from_slice(&NO_PARENT.to_be_bytes());
            cdat.extend_from_slice(&(1u32 << 2).to_be_bytes());
            cdat.extend_from_slice(&(i as u32).to_be_bytes());
        }
        let chunks: [(&[u8; 4], &[u8]); 3] =
            [(b"OIDF", &fanout), (b"OIDL", &oids), (b"CDAT", &cdat)];
        let mut file = b"CGPH\x01\x01\x03\x00".to_vec();
        let mut offset = 8 + 12 * (chunks.len() as u64 + 1);
        for (id, data) in chunks {
            file.extend_from_slice(id);
            file.extend_from_slice(&offset.to_be_bytes());
            offset += data.len() as u64;
        }
        file.extend_from_slice(&[0u8; 4]);
        file.extend_from_slice(&offset.to_be_bytes());
        for (_, data) in chunks {
            file.extend_from_slice(data);
        }
        std::fs::create_dir_all(dir.join("info")).unwrap();
        std::fs::write(dir.join("info/commit-graph"), file).unwrap();
    }

    /// Buckets of hundreds of ids (a 100k-commit history) take the
    /// interpolated window; every id is found at its position, ids between
    /// them are not, and commit data is read back from the lazily read
    /// blocks, including across block edges.
    #[test]
    fn every_id_is_found_in_large_buckets() {
        let dir = std::env::temp_dir().join(format!("carto-graph-{}", std::process::id()));
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut ids: Vec<[u8; 20]> = (0..60_000)
            .map(|_| {
                let mut id = [0u8; 20];
                for b in id.iter_mut() {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    *b = state as u8;
                }
                id
            })
            .collect();
        ids.sort();
        ids.dedup();
        write_graph(&dir, &ids);
        let graph = CommitGraph::open(&dir).expect("the written graph opens");
        assert_eq!(graph.len() as usize, ids.len());
        for (i, id) in ids.iter().enumerate() {
            let oid = Oid::from_bytes(id).unwrap();
            assert_eq!(graph.position(oid), Some(i as u32), "id {i}");
            assert_eq!(graph.oid(i as u32), oid);
            assert_eq!(graph.commit_time(i as u32), i as i64);
            let mut missing = *id;
            missing[19] ^= 1;
            if ids.binary_search(&missing).is_err() {
                assert_eq!(graph.position(Oid::from_bytes(&missing).unwrap()), None);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
