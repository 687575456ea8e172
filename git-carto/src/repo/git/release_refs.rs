//! What release automation asks of git: the remote's refs (`ls-remote`),
//! tags made, deleted only where we left them, and `tag.gpgSign`.

use super::*;

impl Git {
    /// Refs of `remote` matching `patterns` (as `git ls-remote` matches them),
    /// each with the commit it names: annotated tags are peeled. Read-only,
    /// so dry runs may ask it: it tells what the remote really holds now,
    /// without fetching into local refs.
    pub fn ls_remote(&self, remote: &str, patterns: &[&str]) -> Result<Vec<(String, Oid)>> {
        let mut args = vec!["ls-remote", remote];
        args.extend_from_slice(patterns);
        let out = self
            .run(&args)
            .context(format!("listing refs of `{remote}`"))?;
        let mut refs: Vec<(String, Oid)> = Vec::new();
        for line in out.stdout.lines() {
            let Some((id, name)) = line.split_once('\t') else {
                continue;
            };
            let Ok(oid) = Oid::from_str(id.trim()) else {
                continue;
            };
            match name.strip_suffix("^{}") {
                Some(base) => match refs.iter_mut().find(|(n, _)| n == base) {
                    Some(entry) => entry.1 = oid,
                    None => refs.push((base.to_string(), oid)),
                },
                None => refs.push((name.to_string(), oid)),
            }
        }
        Ok(refs)
    }

    /// Create an annotated tag (signed when `sign`) at `commit`.
    pub fn create_tag(&self, name: &str, commit: Oid, message: &str, sign: bool) -> Result<()> {
        let id = commit.to_string();
        let flag = if sign { "-s" } else { "-a" };
        self.run(&["tag", flag, "-m", message, "--", name, &id])
            .map(|_| ())
            .context(format!("creating tag {name}"))
    }

    /// Delete a local tag, only if it still points where we left it.
    pub fn delete_tag(&self, name: &str, expected: Oid) -> Result<()> {
        let r = format!("refs/tags/{name}");
        self.run(&["update-ref", "-d", &r, &expected.to_string()])
            .map(|_| ())
    }

    /// The object a tag ref points at (the tag object for annotated tags).
    pub fn tag_target(&self, name: &str) -> Option<Oid> {
        if let Some(refs) = self.refs() {
            return refs.get(&format!("refs/tags/{name}")).map(|r| r.target);
        }
        self.repo
            .find_reference(&format!("refs/tags/{name}"))
            .ok()
            .and_then(|r| r.target())
    }

    /// A boolean from git config as git reads it (`tag.gpgSign`), false when unset.
    pub fn config_bool(&self, key: &str) -> bool {
        self.repo
            .config()
            .and_then(|mut c| c.snapshot())
            .and_then(|c| c.get_bool(key))
            .unwrap_or(false)
    }
}
