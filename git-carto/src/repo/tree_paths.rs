//! Many paths looked up in trees one directory at a time: `Tree::get_path`
//! re-reads every parent tree for each path, which on a 900-path sync was
//! most of `verify`'s time and a third of provenance's.

use std::collections::HashMap;

use git2::{ObjectType, Oid, Repository, Tree};

use crate::error::Result;

/// The wanted paths as a directory tree.
#[derive(Default)]
pub struct Paths<'p> {
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
        root
    }

    /// Calls `found(path, id, kind)` for each wanted path `tree` has. A
    /// subtree is read only when `enter(directory, subtree id)` says so (a
    /// caller reading many versions skips subtrees it has read before).
    pub fn visit(
        &self,
        repo: &Repository,
        tree: &Tree<'_>,
        enter: &mut impl FnMut(*const Paths<'p>, Oid) -> bool,
        found: &mut impl FnMut(&'p str, Oid, Option<ObjectType>),
    ) -> Result<()> {
        for (name, path) in &self.files {
            if let Some(e) = tree.get_name(name) {
                found(path, e.id(), e.kind());
            }
        }
        for (name, dir) in &self.dirs {
            if let Some(e) = tree.get_name(name) {
                if e.kind() == Some(ObjectType::Tree) && enter(dir as *const Paths<'p>, e.id()) {
                    let sub = repo.find_tree(e.id())?;
                    dir.visit(repo, &sub, enter, found)?;
                }
            }
        }
        Ok(())
    }
}

/// The entry id of each wanted path `tree` has (blobs, links, submodules).
pub fn ids<'p>(
    repo: &Repository,
    tree: Option<&Tree<'_>>,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<HashMap<&'p str, Oid>> {
    let mut out = HashMap::new();
    if let Some(tree) = tree {
        Paths::of(paths).visit(repo, tree, &mut |_, _| true, &mut |p, id, kind| {
            if kind != Some(ObjectType::Tree) {
                out.insert(p, id);
            }
        })?;
    }
    Ok(out)
}
