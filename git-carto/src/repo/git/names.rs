//! What names lead to: revisions, branches, tags and remote tips, read
//! through the ref table (`refs_file`) where the repository has one, else
//! through libgit2.

use super::*;

impl Git {
    /// Resolve a revision to a commit id.
    pub fn commit_id(&self, rev: &str) -> Result<Oid> {
        if let Some(id) = self.plain_name_commit(rev) {
            return Ok(id);
        }
        let obj = self
            .repo
            .revparse_single(rev)
            .map_err(|_| Error::usage(format!("unknown revision `{rev}`")))?;
        let commit = obj
            .peel_to_commit()
            .map_err(|_| Error::usage(format!("`{rev}` does not name a commit")))?;
        Ok(commit.id())
    }

    /// A plain name (`HEAD`, a branch, a tag, a full id) through the ref
    /// table, in git's order (gitrevisions(7)): libgit2 parses the whole
    /// packed-refs file to look one name up (2 ms over 20k tags, most of a
    /// 3-commit `notes`). Anything else, or a name this cannot settle, is
    /// left to libgit2, errors included.
    fn plain_name_commit(&self, rev: &str) -> Option<Oid> {
        let special = |b: u8| b"~^:@{}?*[\\ ".contains(&b) || b.is_ascii_control();
        if rev.is_empty() || rev.bytes().any(special) || rev.contains("..") {
            return None;
        }
        let peel = |id: Oid| {
            let commit = self
                .repo
                .find_object(id, None)
                .ok()?
                .peel_to_commit()
                .ok()?;
            Some(commit.id())
        };
        if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return peel(Oid::from_str(rev).ok()?);
        }
        let refs = self.refs()?;
        if rev == "HEAD" {
            // HEAD is the worktree's; detached, it is libgit2's to read.
            let head = std::fs::read_to_string(self.git_dir().join("HEAD")).ok()?;
            let target = head.strip_prefix("ref: ")?.trim_end();
            return self.peel(refs.get(target)?);
        }
        // `$GIT_DIR/<name>` comes first (FETCH_HEAD, ORIG_HEAD, ...).
        if self.git_dir().join(rev).exists() || self.repo.commondir().join(rev).exists() {
            return None;
        }
        let full = [
            format!("refs/{rev}"),
            format!("refs/tags/{rev}"),
            format!("refs/heads/{rev}"),
            format!("refs/remotes/{rev}"),
            format!("refs/remotes/{rev}/HEAD"),
        ];
        let found = full.iter().find_map(|name| refs.get(name))?;
        self.peel(found)
    }

    pub fn local_branch(&self, name: &str) -> Option<Oid> {
        self.ref_target(&format!("refs/heads/{name}"))
    }

    pub fn remote_branch(&self, remote: &str, name: &str) -> Option<Oid> {
        self.ref_target(&format!("refs/remotes/{remote}/{name}"))
    }

    /// The object a ref names directly, by full name.
    fn ref_target(&self, full: &str) -> Option<Oid> {
        match self.refs() {
            Some(refs) => refs.get(full).map(|r| r.target),
            None => self
                .repo
                .find_reference(full)
                .ok()
                .and_then(|r| r.resolve().ok())
                .and_then(|r| r.target()),
        }
    }

    /// Local branch names starting with `prefix`, with their tips.
    pub fn local_branches(&self, prefix: &str) -> Result<Vec<(String, Oid)>> {
        if let Some(refs) = self.refs() {
            let full = format!("refs/heads/{prefix}");
            return Ok(refs
                .with_prefix(&full)
                .map(|(n, r)| (n["refs/heads/".len()..].to_string(), r.target))
                .collect());
        }
        let mut out = Vec::new();
        for b in self.repo.branches(Some(BranchType::Local))? {
            let (b, _) = b?;
            if let (Ok(Some(name)), Some(oid)) = (b.name(), b.get().target()) {
                if name.starts_with(prefix) {
                    out.push((name.to_string(), oid));
                }
            }
        }
        Ok(out)
    }

    /// Tag names starting with `prefix`, sorted: listing is the hot path of
    /// `next-tag` and `status` over tens of thousands of tags.
    pub fn tag_names(&self, prefix: &str) -> Result<Vec<String>> {
        let mut names: Vec<String> = match self.refs() {
            Some(refs) => {
                let full = format!("refs/tags/{prefix}");
                return Ok(refs
                    .names_with_prefix(&full)
                    .map(|n| n["refs/tags/".len()..].to_string())
                    .collect());
            }
            None => {
                let glob = format!("{}*", glob_escape(prefix));
                let names = self.repo.tag_names(Some(&glob))?;
                names
                    .iter()
                    .filter_map(|n| n.ok().flatten().map(str::to_string))
                    .collect()
            }
        };
        names.sort_unstable();
        Ok(names)
    }

    /// Visit the tag names starting with `prefix`, in name order, without
    /// copying them: most are someone else's tags, dropped at once.
    pub fn for_each_tag(&self, prefix: &str, mut visit: impl FnMut(&str)) -> Result<()> {
        match self.refs() {
            Some(refs) => {
                let full = format!("refs/tags/{prefix}");
                for name in refs.names_with_prefix(&full) {
                    visit(&name["refs/tags/".len()..]);
                }
            }
            None => self.tag_names(prefix)?.iter().for_each(|n| visit(n)),
        }
        Ok(())
    }

    /// The commit a tag points at (annotated tags peeled).
    pub fn tag_commit(&self, name: &str) -> Option<Oid> {
        if let Some(refs) = self.refs() {
            return self.peel(refs.get(&format!("refs/tags/{name}"))?);
        }
        let r = self
            .repo
            .find_reference(&format!("refs/tags/{name}"))
            .ok()?;
        r.peel_to_commit().ok().map(|c| c.id())
    }

    /// The commit a ref leads to: packed-refs records it for tags.
    fn peel(&self, r: Ref) -> Option<Oid> {
        if let Some(peeled) = r.peeled {
            return Some(peeled);
        }
        self.repo
            .find_object(r.target, None)
            .ok()?
            .peel_to_commit()
            .ok()
            .map(|c| c.id())
    }

    /// Tips of `refs/remotes/<remote>/*`: what this clone last saw on a remote.
    pub fn remote_tips(&self, remote: &str) -> Result<Vec<Oid>> {
        if let Some(refs) = self.refs() {
            let prefix = format!("refs/remotes/{remote}/");
            return Ok(refs
                .with_prefix(&prefix)
                .filter_map(|(_, r)| self.peel(r))
                .collect());
        }
        let mut tips = Vec::new();
        for r in self
            .repo
            .references_glob(&format!("refs/remotes/{remote}/*"))?
        {
            if let Ok(c) = r?.peel_to_commit() {
                tips.push(c.id());
            }
        }
        Ok(tips)
    }
}

/// Escape fnmatch metacharacters so a literal prefix stays literal.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
