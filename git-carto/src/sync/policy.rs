//! Path policies: which side wins a conflicted path (DESIGN 6.3).
//!
//! Rules come from `resolve "<policy>"` sections (`path` globs); the first user's
//! rules are the defaults, so they apply with no `.gitcarto`. As in
//! `.gitattributes` thinking, the most specific matching glob wins: a literal
//! path beats any pattern, a longer literal part beats a shorter one, so an
//! `artifact` rule for `litellm/proxy/_experimental/out/**` applies inside
//! `upstream`'s `litellm/**`, and a fork file inside an upstream tree
//! (`litellm/carto_x.yaml` by `carto_*.yaml`) keeps the fork side. Equally
//! specific globs fall back to the fixed order (fork, fork-file, upstream,
//! upstream-force, upstream-file, artifact, manual). Unmatched paths need a person.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::repo::config::{Config, Source};
pub use crate::repo::glob::PathGlob;

/// One side of the merge, in the words users expect (never ours/theirs: the
/// merge direction makes those mean the opposite of what people think).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Upstream,
    Fork,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Upstream => "upstream side",
            Side::Fork => "fork side",
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::Upstream => Side::Fork,
            Side::Fork => Side::Upstream,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Conflicting hunks keep the fork side; upstream's other changes survive.
    Fork,
    /// The fork side's whole file (or its deletion).
    ForkFile,
    /// Conflicting hunks take the upstream side; the fork's other changes survive.
    /// Hunks that would drop the fork's own lines go to a person.
    Upstream,
    /// Like `upstream`, and dropping the fork's own lines is intended (opt-in).
    UpstreamForce,
    /// The upstream side's whole file (or its deletion).
    UpstreamFile,
    /// Generated output: upstream's whole file, or deleted with it.
    Artifact,
    /// Needs a person.
    Manual,
}

/// The order in which rules are tried.
pub const ORDER: [Policy; 7] = [
    Policy::Fork,
    Policy::ForkFile,
    Policy::Upstream,
    Policy::UpstreamForce,
    Policy::UpstreamFile,
    Policy::Artifact,
    Policy::Manual,
];

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Fork => "fork",
            Policy::ForkFile => "fork-file",
            Policy::Upstream => "upstream",
            Policy::UpstreamForce => "upstream-force",
            Policy::UpstreamFile => "upstream-file",
            Policy::Artifact => "artifact",
            Policy::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Policy> {
        ORDER.into_iter().find(|p| p.name() == s)
    }

    /// The side this policy favours; `None` for `manual`.
    pub fn side(self) -> Option<Side> {
        match self {
            Policy::Fork | Policy::ForkFile => Some(Side::Fork),
            Policy::Upstream | Policy::UpstreamForce | Policy::UpstreamFile | Policy::Artifact => {
                Some(Side::Upstream)
            }
            Policy::Manual => None,
        }
    }

    /// Whether the policy takes one side's whole file rather than deciding hunks.
    pub fn whole_file(self) -> bool {
        matches!(
            self,
            Policy::ForkFile | Policy::UpstreamFile | Policy::Artifact
        )
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone)]
struct Rule {
    policy: Policy,
    globs: Vec<PathGlob>,
    source: Source,
}

/// The path policy of a fork.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// Which rule decided a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub policy: Policy,
    /// The glob that matched; `None` when no rule matched (manual by default).
    pub glob: Option<String>,
}

impl Rules {
    pub fn from_config(config: &Config) -> Result<Rules> {
        let mut rules = Vec::new();
        for sub in config.subsections("resolve") {
            let Some(policy) = Policy::parse(&sub) else {
                let names: Vec<_> = ORDER.iter().map(|p| p.name()).collect();
                return Err(Error::usage(format!(
                    "unknown resolve policy `{sub}` (resolve.{sub}.path): use one of {}",
                    names.join(", ")
                )));
            };
            let key = format!("resolve.{sub}.path");
            let source = config
                .entries()
                .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                .map(|(_, v)| v.source.clone())
                .unwrap_or(Source::Default);
            let mut globs = Vec::new();
            for text in config.get_all(&key) {
                let g = PathGlob::new(text).map_err(|e| {
                    Error::usage(format!("{key}: `{text}` is not a path glob: {e}"))
                })?;
                if !g.is_empty() {
                    globs.push(g);
                }
            }
            rules.push(Rule {
                policy,
                globs,
                source,
            });
        }
        rules.sort_by_key(|r| ORDER.iter().position(|p| *p == r.policy));
        Ok(Rules { rules })
    }

    /// The policy for a conflict touching `paths` (several for renames): the
    /// most specific glob matching any of them; equally specific ones in
    /// policy order.
    pub fn decide<'a>(&self, paths: impl IntoIterator<Item = &'a str> + Clone) -> Decision {
        let mut best: Option<((bool, usize), &Rule, &PathGlob)> = None;
        for rule in &self.rules {
            for glob in &rule.globs {
                if !paths.clone().into_iter().any(|p| glob.is_match(p)) {
                    continue;
                }
                let s = specificity(glob.as_str());
                if best.as_ref().is_none_or(|(b, _, _)| s > *b) {
                    best = Some((s, rule, glob));
                }
            }
        }
        match best {
            Some((_, rule, glob)) => Decision {
                policy: rule.policy,
                glob: Some(glob.as_str().to_string()),
            },
            None => Decision {
                policy: Policy::Manual,
                glob: None,
            },
        }
    }

    /// Where the rule for `policy` with `glob` comes from (for `git carto config`).
    pub fn source_of(&self, d: &Decision) -> Option<&Source> {
        self.rules
            .iter()
            .find(|r| {
                r.policy == d.policy
                    && r.globs
                        .iter()
                        .any(|g| Some(g.as_str()) == d.glob.as_deref())
            })
            .map(|r| &r.source)
    }

    /// Globs that match none of `paths`: likely typos, reported as warnings.
    pub fn unmatched_globs<'a>(&self, paths: impl Iterator<Item = &'a str>) -> Vec<String> {
        let mut pending: Vec<(&Rule, &PathGlob)> = self
            .rules
            .iter()
            .flat_map(|r| r.globs.iter().map(move |g| (r, g)))
            .collect();
        for p in paths {
            pending.retain(|(_, g)| !g.is_match(p));
            if pending.is_empty() {
                break;
            }
        }
        pending
            .into_iter()
            .map(|(r, g)| {
                format!(
                    "resolve.{}.path `{}` ({}) matches no file on either side",
                    r.policy,
                    g.as_str(),
                    r.source
                )
            })
            .collect()
    }
}

/// How specific a glob is: a path without wildcards beats any pattern; then
/// the more literal characters, the more specific.
fn specificity(glob: &str) -> (bool, usize) {
    let wild = |c: char| matches!(c, '*' | '?' | '[' | ']' | '{' | '}');
    let literal = glob.trim_matches('/').chars().filter(|c| !wild(*c)).count();
    (!glob.contains(wild), literal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_put_fork_files_before_upstream_trees() {
        let rules = Rules::from_config(&Config::defaults()).unwrap();
        let d = |p: &str| rules.decide([p]).policy;
        assert_eq!(d("litellm/carto_proxy.yaml"), Policy::Fork);
        assert_eq!(d("CARTO_NOTES.md"), Policy::Fork);
        assert_eq!(d("litellm/router.py"), Policy::Upstream);
        assert_eq!(d("pyproject.toml"), Policy::Upstream);
        assert_eq!(d("Dockerfile"), Policy::Manual);
        assert_eq!(rules.decide(["README.md"]).glob, None);
    }

    #[test]
    fn the_most_specific_glob_wins_over_policy_order() {
        let file = std::env::temp_dir().join(format!("carto-policy-{}", std::process::id()));
        std::fs::write(
            &file,
            "[resolve \"artifact\"]\n\tpath = litellm/proxy/_experimental/out/**\n\tpath = \
             litellm/core.py\n[resolve \"manual\"]\n\tpath = litellm/proxy/*.py\n",
        )
        .unwrap();
        let mut cfg = Config::defaults();
        cfg.apply_file(&file).unwrap();
        std::fs::remove_file(&file).unwrap();
        let rules = Rules::from_config(&cfg).unwrap();
        let d = |p: &str| rules.decide([p]).policy;
        assert_eq!(
            d("litellm/proxy/_experimental/out/index.html"),
            Policy::Artifact
        );
        assert_eq!(d("litellm/core.py"), Policy::Artifact);
        assert_eq!(d("litellm/proxy/server.py"), Policy::Manual);
        assert_eq!(d("litellm/router.py"), Policy::Upstream);
        assert_eq!(d("litellm/carto_x.yaml"), Policy::Fork);
    }
}
