//! Many paths looked up in trees one directory at a time: `Tree::get_path`
//! re-reads every parent tree for each path, which on a 900-path sync was
//! most of `verify`'s time and a third of provenance's.
//!
//! Trees are scanned raw, as stored (`<mode> <name>\0<20-byte id>` per
//! entry), not parsed by libgit2: it turns every entry of a directory into
//! a parsed mode and an allocation, and provenance reads a thousand versions
//! of a 300-entry directory for a few dozen names (a third of its time).

use std::collections::HashMap;

use git2::{ObjectType, Odb, Oid};

use crate::error::{Error, Result};

/// The wanted paths as a directory tree.
#[derive(Default)]
pub struct Paths<'p> {
    /// (name, path), sorted by name, as a tree's entries are.
    files: Vec<(&'p str, &'p str)>,
    dirs: HashMap<&'p str, Paths<'p>>,
}

impl<'p> Paths<'p> {
    pub fn of(paths: impl IntoIterator<Item = &'p str>) -> Paths<'p> {
        let mut root = Paths::default();
        for p in paths {
            let mut node = &mut root;
            let mut parts = p.split('/').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    node.files.push((part, p));
                } else {
                    node = node.dirs.entry(part).or_default();
                }
            }
        }
        root.sort();
        root
    }

    fn sort(&mut self) {
        self.files.sort_unstable();
        for dir in self.dirs.values_mut() {
            dir.sort();
        }
    }

    /// Calls `found(path, id, kind)` for each wanted path the tree `tree`
    /// has. A subtree is read only when `enter(directory, subtree id)` says
    /// so (a caller reading many versions skips subtrees it has read before).
    pub fn visit(
        &self,
        odb: &Odb<'_>,
        tree: Oid,
        enter: &mut impl FnMut(*const Paths<'p>, Oid) -> bool,
        found: &mut impl FnMut(&'p str, Oid, Option<ObjectType>),
    ) -> Result<()> {
        let object = odb.read(tree)?;
        if object.kind() != ObjectType::Tree {
            return Err(Error::refused(format!("{tree} is not a tree")));
        }
        let mut subtrees = Vec::new();
        // git sorts a tree's entries by name (a directory's as if it ended
        // in `/`), so its files come in byte order, as `files` are sorted:
        // one pass over both.
        let mut next = 0;
        for (mode, name, id) in entries(object.data()) {
            let kind = kind_of(mode);
            if kind == Some(ObjectType::Tree) {
                if !self.dirs.is_empty() {
                    if let Some(dir) = std::str::from_utf8(name)
                        .ok()
                        .and_then(|n| self.dirs.get(n))
                    {
                        subtrees.push((dir, Oid::from_bytes(id)?));
                    }
                }
                continue;
            }
            while self
                .files
                .get(next)
                .is_some_and(|(n, _)| n.as_bytes() < name)
            {
                next += 1;
            }
            while let Some(&(n, path)) = self.files.get(next) {
                if n.as_bytes() != name {
                    break;
                }
                found(path, Oid::from_bytes(id)?, kind);
                next += 1;
            }
            if next == self.files.len() && self.dirs.is_empty() {
                break;
            }
        }
        for (dir, id) in subtrees {
            if enter(dir as *const Paths<'p>, id) {
                dir.visit(odb, id, enter, found)?;
            }
        }
        Ok(())
    }
}

/// A raw tree's entries: (mode, name, id bytes). A damaged entry ends the
/// list. Ids stay bytes until a wanted name needs one (`Oid::from_bytes`
/// calls into libgit2).
fn entries(mut data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8], &[u8])> {
    std::iter::from_fn(move || {
        let space = data.iter().position(|&b| b == b' ')?;
        let nul = space + 1 + data[space + 1..].iter().position(|&b| b == 0)?;
        let id = data.get(nul + 1..nul + 21)?;
        let entry = (&data[..space], &data[space + 1..nul], id);
        data = &data[nul + 21..];
        Some(entry)
    })
}

/// What an entry's mode says it is, as libgit2 reads it: directories are
/// trees, gitlinks commits, anything else a blob.
fn kind_of(mode: &[u8]) -> Option<ObjectType> {
    Some(match mode {
        b"40000" | b"040000" => ObjectType::Tree,
        b"160000" => ObjectType::Commit,
        _ => ObjectType::Blob,
    })
}

/// The entry id of each wanted path the tree `tree` has (blobs, links,
/// submodules).
pub fn ids<'p>(
    odb: &Odb<'_>,
    tree: Option<Oid>,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<HashMap<&'p str, Oid>> {
    let mut out = HashMap::new();
    if let Some(tree) = tree {
        Paths::of(paths).visit(odb, tree, &mut |_, _| true, &mut |p, id, kind| {
            if kind != Some(ObjectType::Tree) {
                out.insert(p, id);
            }
        })?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{entries, kind_of};
    use git2::ObjectType;

    #[test]
    fn raw_entries_are_split_at_their_separators() {
        let mut raw = b"100644 a b.py\0".to_vec();
        raw.extend([1u8; 20]);
        raw.extend(b"40000 dir\0");
        raw.extend([2u8; 20]);
        let got: Vec<_> = entries(&raw)
            .map(|(m, n, id)| (m.to_vec(), n.to_vec(), id[0]))
            .collect();
        assert_eq!(
            got,
            vec![
                (b"100644".to_vec(), b"a b.py".to_vec(), 1),
                (b"40000".to_vec(), b"dir".to_vec(), 2)
            ]
        );
        // A cut entry ends the list instead of reading past the end.
        assert_eq!(entries(&raw[..raw.len() - 3]).count(), 1);
        assert_eq!(kind_of(b"120000"), Some(ObjectType::Blob));
        assert_eq!(kind_of(b"160000"), Some(ObjectType::Commit));
    }
}
