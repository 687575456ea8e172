//! Turning decisions into files: a side's whole file, its hunks, or a deletion.
//!
//! Hunk merges run in process (libgit2's file merge favouring one side, as a
//! merge tool's "accept incoming/current" does); the results are written as
//! blobs and handed to git in one batch: `git rm` for deletions, `update-index
//! --index-info` to stage, `checkout-index --stdin` to write the working tree
//! through the user's filters. A 2,000-path resolution costs three processes.

use git2::{FileFavor, MergeFileInput, MergeFileOptions, Oid, Repository};
use serde::{Deserialize, Serialize};

use super::conflicts::{Conflict, Entry};
use super::policy::Side;
use crate::error::{Result, ResultExt};
use crate::repo::git::Git;

/// How one conflict was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// Conflicting hunks from one side, the other side's other changes kept.
    Hunks(Side),
    /// One side's whole file (or its deletion).
    File(Side),
}

impl Choice {
    pub fn side(self) -> Side {
        match self {
            Choice::Hunks(s) | Choice::File(s) => s,
        }
    }
}

/// What a conflict becomes: new content at one path, every other path deleted.
#[derive(Debug, Clone)]
pub struct Change {
    pub keep: Option<(String, Oid, u32)>,
    /// Content of `keep` when it is a new blob (a hunk merge), written by [`apply`].
    pub content: Option<Vec<u8>>,
    pub delete: Vec<String>,
    /// What the result is, for people ("upstream side", "deleted as on the fork side", ...).
    pub result: String,
}

/// Work out what `choice` makes of `c`, without touching the repository's files.
pub fn plan(repo: &Repository, c: &Conflict, choice: Choice) -> Result<Change> {
    let side = choice.side();
    let Some(chosen) = c.side(side) else {
        return Ok(Change {
            keep: None,
            content: None,
            delete: c.paths.clone(),
            result: format!("deleted, as on the {}", side.label()),
        });
    };
    let delete = c
        .paths
        .iter()
        .filter(|p| **p != chosen.path)
        .cloned()
        .collect();
    let other = c.side(side.other());
    let hunks = matches!(choice, Choice::Hunks(_))
        && c.kind.has_hunks()
        && !c.binary
        && other.is_some_and(|o| o.path == chosen.path);
    if hunks {
        let other = other.expect("checked above");
        let (up, fk) = match side {
            Side::Upstream => (chosen, other),
            Side::Fork => (other, chosen),
        };
        let merged = merge_text(repo, c.base.as_ref(), up, fk, Some(side), None)
            .context(format!("merging {}", c.path))?;
        let id = Oid::hash_object(git2::ObjectType::Blob, &merged.content)?;
        let result = if id == chosen.id {
            side.label().to_string()
        } else {
            format!(
                "{} in conflicting hunks, {}'s other changes kept",
                side.label(),
                side.other().label()
            )
        };
        let content = (id != chosen.id && id != other.id).then_some(merged.content);
        return Ok(Change {
            keep: Some((chosen.path.clone(), id, chosen.mode)),
            content,
            delete,
            result,
        });
    }
    Ok(Change {
        keep: Some((chosen.path.clone(), chosen.id, chosen.mode)),
        content: None,
        delete,
        result: format!("{} (whole file)", side.label()),
    })
}

pub struct Merged {
    pub content: Vec<u8>,
    pub clean: bool,
}

/// Three-way merge of one file's text. `favor` decides conflicting hunks;
/// without it they are written between markers labelled by side, for a person.
pub fn merge_text(
    repo: &Repository,
    base: Option<&Entry>,
    upstream: &Entry,
    fork: &Entry,
    favor: Option<Side>,
    labels: Option<(&str, &str)>,
) -> Result<Merged> {
    let read = |e: Option<&Entry>| -> Result<Vec<u8>> {
        match e {
            Some(e) => Ok(repo.find_blob(e.id)?.content().to_vec()),
            None => Ok(Vec::new()),
        }
    };
    let (b, u, f) = (read(base)?, read(Some(upstream))?, read(Some(fork))?);
    let mut bi = MergeFileInput::new();
    bi.content(&b)
        .path(base.map_or(upstream.path.as_str(), |e| e.path.as_str()));
    let mut ui = MergeFileInput::new();
    ui.content(&u).path(upstream.path.as_str());
    let mut fi = MergeFileInput::new();
    fi.content(&f).path(fork.path.as_str());
    let mut opts = MergeFileOptions::new();
    match favor {
        Some(Side::Upstream) => {
            opts.favor(FileFavor::Ours);
        }
        Some(Side::Fork) => {
            opts.favor(FileFavor::Theirs);
        }
        None => {}
    }
    if let Some((up, fk)) = labels {
        opts.our_label(up).their_label(fk).ancestor_label("base");
    }
    let r = git2::merge_file(&bi, &ui, &fi, Some(&mut opts))?;
    Ok(Merged {
        content: r.content().to_vec(),
        clean: r.is_automergeable(),
    })
}

/// Apply planned changes in one batch.
pub fn apply(git: &Git, changes: &[&Change]) -> Result<()> {
    let blobs: Vec<&[u8]> = changes
        .iter()
        .filter_map(|c| c.content.as_deref())
        .collect();
    write_blobs(git, &blobs).context("writing merged files")?;
    let mut deletes = Vec::new();
    let mut info = Vec::new();
    let mut checkout = Vec::new();
    for ch in changes {
        for p in &ch.delete {
            deletes.extend_from_slice(p.as_bytes());
            deletes.push(0);
        }
        if let Some((path, id, mode)) = &ch.keep {
            info.extend_from_slice(format!("{mode:o} {id} 0\t{path}").as_bytes());
            info.push(0);
            checkout.extend_from_slice(path.as_bytes());
            checkout.push(0);
        }
    }
    if !deletes.is_empty() {
        git.remove_paths(&deletes)
            .context("deleting resolved paths")?;
    }
    if !info.is_empty() {
        git.run_input(&["update-index", "-z", "--index-info"], &info)
            .context("staging resolved paths")?;
        git.run_input(&["checkout-index", "-f", "-u", "-z", "--stdin"], &checkout)
            .context("writing resolved paths")?;
    }
    Ok(())
}

/// Write new blobs. Many go into one pack through `git fast-import` (objects
/// stored whole, no delta search) instead of thousands of loose object files;
/// a few go in loose as usual.
fn write_blobs(git: &Git, blobs: &[&[u8]]) -> Result<()> {
    if blobs.len() < 64 {
        for b in blobs {
            git.repo.blob(b)?;
        }
        return Ok(());
    }
    let mut stream = Vec::with_capacity(blobs.iter().map(|b| b.len() + 24).sum());
    for b in blobs {
        stream.extend_from_slice(format!("blob\ndata {}\n", b.len()).as_bytes());
        stream.extend_from_slice(b);
        stream.push(b'\n');
    }
    stream.extend_from_slice(b"done\n");
    git.run_input(&["fast-import", "--quiet", "--done"], &stream)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_blobs_land_in_one_readable_pack() {
        let dir = std::env::temp_dir().join(format!("carto-pack-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Repository::init(&dir).unwrap();
        let git = Git::discover(&dir).unwrap();
        let blobs: Vec<Vec<u8>> = (0..200)
            .map(|i| format!("blob {i}\n").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
        write_blobs(&git, &refs).unwrap();
        let fresh = Repository::open(&dir).unwrap();
        for b in &blobs {
            let id = Oid::hash_object(git2::ObjectType::Blob, b).unwrap();
            assert_eq!(fresh.find_blob(id).unwrap().content(), &b[..]);
        }
        let packs = std::fs::read_dir(dir.join(".git/objects/pack"))
            .unwrap()
            .count();
        assert_eq!(packs, 2, "one .pack and one .idx");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
