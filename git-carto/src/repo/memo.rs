//! Answers about history remembered between runs, under a key made of
//! everything the answer depends on (`<git common dir>/carto/<name>`).
//!
//! Why it is safe: the questions asked here are functions of commit ids,
//! which name their whole history, and of refs. The key hashes the ids and
//! the refs, and the shallow boundary (the one thing that changes what a
//! commit id's history is in this clone); any change to one of them is a
//! different key, so the remembered answer is simply not found. The first
//! line names the writing version, so an answer from other code is never
//! reused. A missing, damaged or foreign file means "not remembered", never
//! an error; a file that cannot be written (a read-only clone) costs only
//! speed.
//!
//! Why it exists: without a commit-graph, some answers `status` prints on
//! every run cost hundreds of commit reads (the mirror's upstream version on
//! the real-fork shape: half of `status`'s own time), and their inputs move
//! only when someone fetches.

use std::path::{Path, PathBuf};

use git2::Oid;

use crate::repo::git::Git;

/// The first line: what wrote the file (see [`crate::repo::checked`]).
const HEADER: &str = concat!("git-carto memo v1 ", env!("CARGO_PKG_VERSION"));

/// What an answer depends on, hashed as it is fed.
pub struct Key {
    text: Vec<u8>,
}

impl Key {
    /// A key for the question `name`, in this clone: starts with the shallow
    /// boundary, since deepening a clone changes every walk's answer.
    pub fn new(git: &Git, name: &str) -> Key {
        let mut text = format!("{name}\n").into_bytes();
        if git.is_shallow() {
            text.extend(std::fs::read(git.repo.commondir().join("shallow")).unwrap_or_default());
        }
        Key { text }
    }

    /// One input: a line of text (a ref name, a version).
    pub fn text(&mut self, part: &str) -> &mut Key {
        self.text.extend_from_slice(part.as_bytes());
        self.text.push(b'\n');
        self
    }

    /// One input: a commit id (or none, for a ref that names no commit).
    pub fn id(&mut self, id: Option<Oid>) -> &mut Key {
        match id {
            Some(id) => self.text.extend_from_slice(id.as_bytes()),
            None => self.text.push(b'-'),
        }
        self
    }

    fn digest(&self) -> Option<Oid> {
        Oid::hash_object(git2::ObjectType::Blob, &self.text).ok()
    }
}

fn path(git: &Git, name: &str) -> PathBuf {
    git.repo.commondir().join("carto").join(name)
}

/// The answer remembered for `name` under `key`, as the lines it was
/// remembered as; `None` when nothing is remembered for this key.
pub fn recall(git: &Git, name: &str, key: &Key) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(path(git, name)).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return None;
    }
    let digest = key.digest()?.to_string();
    if lines.next()?.strip_prefix("key ") != Some(digest.as_str()) {
        return None;
    }
    Some(lines.map(str::to_string).collect())
}

/// Remember `lines` as the answer for `name` under `key`, replacing what was
/// there (one key per name: the answer for the refs of today). Best effort.
pub fn remember(git: &Git, name: &str, key: &Key, lines: &[String]) {
    let Some(digest) = key.digest() else {
        return;
    };
    let mut text = format!("{HEADER}\nkey {digest}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    let _ = write_atomically(&path(git, name), &text);
}

/// Write through a temporary file and a rename, so a reader (another
/// command at the same moment) sees the old file or the new one, whole.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(path);
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("memo");
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
