//! Reading refs the way git does: `packed-refs` plus loose files under
//! `refs/`, in one pass per process. libgit2 copies its whole packed-refs
//! cache for every ref iteration and stats a loose path for every packed ref
//! (80k syscalls for 20k tags); git reads one file. The packed file is sorted
//! and records each annotated tag's peeled commit (`^<id>` lines), so listing
//! by prefix is a binary search and peeling thousands of tags reads no
//! objects. Part of the git access layer; `Git` falls back to libgit2 when
//! refs are not in this format (reftable), and drops the table whenever it
//! runs `git`, which may have moved a ref.

use std::collections::BTreeMap;
use std::path::Path;

use git2::Oid;

#[derive(Debug, Clone, Copy)]
pub struct Ref {
    pub target: Oid,
    /// The commit an annotated tag peels to; `None` when unknown.
    pub peeled: Option<Oid>,
}

#[derive(Debug, Clone)]
enum Entry {
    Direct(Ref),
    /// A loose symbolic ref (`ref: refs/remotes/origin/main`).
    Symbolic(String),
}

/// The mapped packed-refs file, if there is one.
#[derive(Default)]
struct Packed(Option<filebuffer::FileBuffer>);

impl Packed {
    fn bytes(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "packed-refs ({} bytes)", self.bytes().len())
    }
}

/// How a packed record peels.
#[derive(Debug, Clone, Copy)]
enum Peel {
    /// The offset of its `^<id>` line's id.
    Line(u32),
    /// Not an annotated tag: it peels to itself.
    Itself,
    Unknown,
}

/// One ref: a record of the packed file (its ids parsed only when asked
/// for: most listed tags are only looked at by name) or a loose file.
#[derive(Debug, Clone, Copy)]
enum Record {
    Packed {
        name: (u32, u32),
        target: u32,
        peel: Peel,
    },
    Loose(u32),
}

/// The common directory's refs (branches, remote-tracking branches, tags),
/// by full name.
#[derive(Debug, Default)]
pub struct Refs {
    /// The packed-refs file, mapped as git maps it; packed records point
    /// into it. git replaces the file by renaming a new one over it, never
    /// writes into it, so the mapping stays what was read.
    packed: Packed,
    /// Loose refs by full name.
    loose: Vec<(String, Entry)>,
    /// Every ref, sorted by name, loose files overriding packed records.
    records: Vec<Record>,
}

impl Refs {
    /// `None` when the repository does not use packed-refs/loose refs.
    pub fn read(common_dir: &Path) -> Option<Refs> {
        if common_dir.join("reftable").exists() {
            return None;
        }
        let packed = match filebuffer::FileBuffer::open(common_dir.join("packed-refs")) {
            Ok(map) => Packed(Some(map)),
            Err(_) => Packed(None),
        };
        let mut refs = Refs {
            packed,
            ..Refs::default()
        };
        let text = refs.packed.bytes();
        let header = text.split(|b| *b == b'\n').next().unwrap_or_default();
        let has = |word: &[u8]| header.windows(word.len()).any(|w| w == word);
        let fully_peeled = header.starts_with(b"#") && has(b" fully-peeled");
        let sorted = header.starts_with(b"#") && has(b" sorted");
        let mut records = parse_packed(text, fully_peeled);
        if !sorted {
            records.sort_by(|a, b| refs.name(a).cmp(refs.name(b)));
        }
        let mut loose = BTreeMap::new();
        read_loose(&common_dir.join("refs"), "refs/", &mut loose);
        refs.loose = loose.into_iter().collect();
        refs.records = if refs.loose.is_empty() {
            records
        } else {
            refs.merge(records)
        };
        Some(refs)
    }

    /// Packed records and loose refs in one sorted list, loose winning.
    fn merge(&self, packed: Vec<Record>) -> Vec<Record> {
        let mut out = Vec::with_capacity(packed.len() + self.loose.len());
        let mut packed = packed.into_iter().peekable();
        for (i, (name, _)) in self.loose.iter().enumerate() {
            while let Some(p) = packed.next_if(|p| self.name(p) < name.as_str()) {
                out.push(p);
            }
            packed.next_if(|p| self.name(p) == name.as_str());
            out.push(Record::Loose(i as u32));
        }
        out.extend(packed);
        out
    }

    fn name(&self, r: &Record) -> &str {
        match *r {
            // Names were checked to be UTF-8 when parsed.
            Record::Packed { name: (a, b), .. } => {
                std::str::from_utf8(&self.packed.bytes()[a as usize..b as usize]).unwrap_or("")
            }
            Record::Loose(i) => &self.loose[i as usize].0,
        }
    }

    fn entry(&self, r: &Record) -> Option<Entry> {
        match *r {
            Record::Packed { target, peel, .. } => {
                let oid = |at: u32| hex_oid(&self.packed.bytes()[at as usize..]);
                let target = oid(target)?;
                let peeled = match peel {
                    Peel::Line(at) => oid(at),
                    Peel::Itself => Some(target),
                    Peel::Unknown => None,
                };
                Some(Entry::Direct(Ref { target, peeled }))
            }
            Record::Loose(i) => Some(self.loose[i as usize].1.clone()),
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// A ref by full name, symbolic refs followed.
    pub fn get(&self, name: &str) -> Option<Ref> {
        let mut name = name.to_string();
        // git's own limit on symbolic ref chains.
        for _ in 0..5 {
            let i = self
                .records
                .binary_search_by(|r| self.name(r).cmp(&name))
                .ok()?;
            match self.entry(&self.records[i])? {
                Entry::Direct(r) => return Some(r),
                Entry::Symbolic(target) => name = target,
            }
        }
        None
    }

    /// Refs whose full name starts with `prefix`, in name order, symbolic
    /// refs left out (they name a ref listed anyway).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, Ref)> + 'a {
        self.records_with_prefix(prefix)
            .filter_map(|(n, r)| match self.entry(r)? {
                Entry::Direct(r) => Some((n, r)),
                Entry::Symbolic(_) => None,
            })
    }

    /// Names of refs starting with `prefix`, in order, ids not parsed.
    pub fn names_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.records_with_prefix(prefix).map(|(n, _)| n)
    }

    fn records_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Record)> + 'a {
        let start = self.records.partition_point(|r| self.name(r) < prefix);
        self.records[start..]
            .iter()
            .map(|r| (self.name(r), r))
            .take_while(move |(n, _)| n.starts_with(prefix))
    }
}

/// Records of the packed file: `<40 hex> <name>` lines, each optionally
/// followed by `^<40 hex>`, the commit an annotated tag peels to. The end of
/// a line is searched for after the id only (20k tags make a 1.5 MB file).
fn parse_packed(text: &[u8], fully_peeled: bool) -> Vec<Record> {
    let mut out = Vec::with_capacity(text.len() / 64);
    let mut last_was_tag = false;
    let mut at = 0;
    while at < text.len() {
        let from = (at + 41).min(text.len());
        let end = text[from..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(text.len(), |i| from + i);
        let line = &text[at..end];
        let start = at;
        at = end + 1;
        match line.first() {
            None | Some(b'#') => continue,
            Some(b'^') => {
                if let (true, Some(Record::Packed { peel, .. })) = (last_was_tag, out.last_mut()) {
                    *peel = Peel::Line(start as u32 + 1);
                }
                continue;
            }
            _ => {}
        }
        last_was_tag = false;
        if line.len() < 42 || line[40] != b' ' {
            continue;
        }
        if std::str::from_utf8(&line[41..]).is_err() {
            continue;
        }
        let is_tag = line[41..].starts_with(b"refs/tags/");
        // With `fully-peeled`, a ref without a `^` line is not an annotated tag.
        // Without it, only tags may be annotated.
        out.push(Record::Packed {
            name: ((start + 41) as u32, end as u32),
            target: start as u32,
            peel: if fully_peeled || !is_tag {
                Peel::Itself
            } else {
                Peel::Unknown
            },
        });
        last_was_tag = is_tag;
    }
    out
}

/// A 40-hex-digit SHA-1 (the only object format libgit2 reads here).
fn hex_oid(hex: &[u8]) -> Option<Oid> {
    let hex = hex.get(..40)?;
    let mut bytes = [0u8; 20];
    for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Oid::from_bytes(&bytes).ok()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Loose ref files override packed ones.
fn read_loose(dir: &Path, prefix: &str, refs: &mut BTreeMap<String, Entry>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let full = format!("{prefix}{name}");
        match entry.file_type() {
            Ok(t) if t.is_dir() => read_loose(&entry.path(), &format!("{full}/"), refs),
            Ok(_) if !name.ends_with(".lock") => {
                let Ok(text) = std::fs::read(entry.path()) else {
                    continue;
                };
                let text = text.trim_ascii();
                if let Some(target) = text.strip_prefix(b"ref:") {
                    if let Ok(target) = std::str::from_utf8(target.trim_ascii()) {
                        refs.insert(full, Entry::Symbolic(target.to_string()));
                    }
                } else if let Some(target) = hex_oid(text) {
                    let peeled = (!full.starts_with("refs/tags/")).then_some(target);
                    refs.insert(full, Entry::Direct(Ref { target, peeled }));
                }
            }
            _ => {}
        }
    }
}
