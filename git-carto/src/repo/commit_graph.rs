//! git's commit-graph file (`objects/info/commit-graph`, or the split chain
//! in `objects/info/commit-graphs/`), read as git documents it in
//! `gitformat-commit-graph(5)`. libgit2 does not use it; git does, and so
//! must we: with it an ancestry walk reads parents, commit times, trees and
//! generation numbers from a table instead of inflating every commit, and a
//! generation number bounds a walk exactly where dates only bound it by
//! heuristic. Part of the git access layer (`repo::history` walks with it).
//!
//! Only the chunks a walk needs are read (the fan-out, ids, commit data,
//! generation data and extra edges); Bloom filters are left on disk.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use git2::Oid;

/// SHA-1 only: libgit2 as built here reads no other object format.
const HASH_LEN: usize = 20;
const NO_PARENT: u32 = 0x7000_0000;
const EXTRA_EDGES: u32 = 0x8000_0000;
const LAST_EDGE: u32 = 0x8000_0000;
/// The width of one CDAT record: tree id, two parent slots, generation+time.
const CDAT_LEN: usize = HASH_LEN + 16;

/// One file of the graph (the whole graph, or one layer of a split chain).
struct Layer {
    fanout: Vec<u8>,
    oids: Vec<u8>,
    cdat: Vec<u8>,
    edges: Vec<u8>,
    /// GDA2: corrected commit date offsets; empty when the file has none.
    gda: Vec<u8>,
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
        let generation = if layers.iter().all(|l| !l.gda.is_empty()) {
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
        Oid::from_bytes(&l.oids[i * HASH_LEN..(i + 1) * HASH_LEN]).unwrap_or(Oid::ZERO_SHA1)
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
                let offset = be32(&l.gda[i * 4..]);
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
        let (l, i) = self.locate(pos);
        let r = &l.cdat[i * CDAT_LEN..(i + 1) * CDAT_LEN];
        be32(&r[HASH_LEN + 4..]) != NO_PARENT
    }

    fn raw_parents(&self, pos: u32, out: &mut Vec<u32>) {
        let (l, i) = self.locate(pos);
        let r = &l.cdat[i * CDAT_LEN..(i + 1) * CDAT_LEN];
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
        &l.cdat[i * CDAT_LEN..(i + 1) * CDAT_LEN]
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
        let file = File::open(path).ok()?;
        let mut header = [0u8; 8];
        file.read_exact_at(&mut header, 0).ok()?;
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
        let mut table = vec![0u8; (chunks + 1) * 12];
        file.read_exact_at(&mut table, 8).ok()?;
        let size = file.metadata().ok()?.len();
        let entry = |i: usize| {
            let e = &table[i * 12..i * 12 + 12];
            (
                [e[0], e[1], e[2], e[3]],
                u64::from(be32(&e[4..])) << 32 | u64::from(be32(&e[8..])),
            )
        };
        let chunk = |id: &[u8; 4]| -> Option<Vec<u8>> {
            let i = (0..chunks).find(|&i| &entry(i).0 == id)?;
            let (start, end) = (entry(i).1, entry(i + 1).1);
            if end < start || end > size {
                return None;
            }
            let mut buf = vec![0u8; usize::try_from(end - start).ok()?];
            file.read_exact_at(&mut buf, start).ok()?;
            Some(buf)
        };
        let fanout = chunk(b"OIDF")?;
        let oids = chunk(b"OIDL")?;
        let cdat = chunk(b"CDAT")?;
        if fanout.len() != 256 * 4 {
            return None;
        }
        let len = be32(&fanout[255 * 4..]);
        if oids.len() != len as usize * HASH_LEN || cdat.len() != len as usize * CDAT_LEN {
            return None;
        }
        let gda = chunk(b"GDA2").unwrap_or_default();
        if !gda.is_empty() && gda.len() != len as usize * 4 {
            return None;
        }
        Some(Layer {
            fanout,
            oids,
            cdat,
            edges: chunk(b"EDGE").unwrap_or_default(),
            gdo: chunk(b"GDO2").unwrap_or_default(),
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
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.oids[mid * HASH_LEN..(mid + 1) * HASH_LEN].cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// Topological level: the top 30 bits of the generation/date word.
    fn level(&self, i: usize) -> u32 {
        be32(&self.cdat[i * CDAT_LEN + HASH_LEN + 8..]) >> 2
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
