//! Path globs as `.gitignore` reads them: one type for the config loader (to
//! check `resolve "<policy>"` and `feature` paths) and for the sync's policies.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A gitignore-like path glob: without a `/` it matches a name at any depth,
/// with one it is anchored at the repository root; `**` crosses directories, `*`
/// does not; a directory pattern covers everything below it. An empty glob
/// matches nothing (how a fork switches a default rule off).
#[derive(Debug, Clone)]
pub struct PathGlob {
    text: String,
    set: Option<GlobSet>,
}

impl PathGlob {
    pub fn new(text: &str) -> std::result::Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(PathGlob {
                text: String::new(),
                set: None,
            });
        }
        let anchored = t.trim_end_matches('/').contains('/');
        let t = t.trim_start_matches('/').trim_end_matches('/');
        let base = if anchored {
            t.to_string()
        } else {
            format!("**/{t}")
        };
        let mut b = GlobSetBuilder::new();
        for pat in [base.clone(), format!("{base}/**")] {
            let glob = GlobBuilder::new(&pat)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| e.kind().to_string())?;
            b.add(glob);
        }
        let set = b.build().map_err(|e| e.to_string())?;
        Ok(PathGlob {
            text: text.trim().to_string(),
            set: Some(set),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn is_match(&self, path: &str) -> bool {
        self.set.as_ref().is_some_and(|s| s.is_match(path))
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_gitignore_like() {
        let g = PathGlob::new("carto_*.yaml").unwrap();
        assert!(g.is_match("carto_config.yaml"));
        assert!(g.is_match("litellm/proxy/carto_x.yaml"));
        assert!(!g.is_match("carto_x.yml"));
        let g = PathGlob::new("litellm/**").unwrap();
        assert!(g.is_match("litellm/core.py"));
        assert!(g.is_match("litellm/a/b/c.py"));
        assert!(!g.is_match("tests/litellm/x.py"));
        let g = PathGlob::new("docs/*.md").unwrap();
        assert!(g.is_match("docs/a.md"));
        assert!(!g.is_match("docs/sub/a.md"));
        let g = PathGlob::new("build").unwrap();
        assert!(g.is_match("build/out.js"));
        assert!(g.is_match("ui/build/out.js"));
        assert!(PathGlob::new("").unwrap().is_empty());
        assert!(PathGlob::new("a[").is_err());
    }
}

/// Policy globs come from `.gitcarto`, paths from any tree: no panic.
#[cfg(test)]
mod outside_input {
    use super::PathGlob;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_glob_any_path(glob in "[a-z*?/\\[\\]!{},.\\\\ -]{0,24}", path in "[a-z*/. ]{0,30}") {
            if let Ok(g) = PathGlob::new(&glob) {
                let _ = g.is_match(&path);
            }
        }
    }
}
