//! The one tag model: release tags (`carto-v{upstream}-{fork}`) and upstream
//! stable tags (`v{version}-stable`), both described by templates. Parsing is
//! derived from the same template as formatting, so the two cannot disagree.

use semver::Version;
use serde::Serialize;

use crate::error::{Error, Result};

/// A template split into literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    text: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Hole(String),
}

impl Template {
    /// Parse a template whose placeholders are exactly `holes`, each once.
    pub fn new(text: &str, holes: &[&str]) -> Result<Self> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('{') {
                Some(0) => {
                    let end = rest
                        .find('}')
                        .ok_or_else(|| Error::usage(format!("template `{text}`: unclosed `{{`")))?;
                    let name = &rest[1..end];
                    if !holes.contains(&name) {
                        return Err(Error::usage(format!(
                            "template `{text}`: unknown placeholder {{{name}}}"
                        )));
                    }
                    if matches!(parts.last(), Some(Part::Hole(_))) {
                        return Err(Error::usage(format!(
                            "template `{text}`: two placeholders need text between them"
                        )));
                    }
                    parts.push(Part::Hole(name.to_string()));
                    rest = &rest[end + 1..];
                }
                Some(i) => {
                    parts.push(Part::Lit(rest[..i].to_string()));
                    rest = &rest[i..];
                }
                None => {
                    parts.push(Part::Lit(rest.to_string()));
                    rest = "";
                }
            }
        }
        for hole in holes {
            let n = parts
                .iter()
                .filter(|p| matches!(p, Part::Hole(h) if h == hole))
                .count();
            if n != 1 {
                return Err(Error::usage(format!(
                    "template `{text}` must contain {{{hole}}} exactly once"
                )));
            }
        }
        Ok(Template {
            text: text.to_string(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Fill the placeholders.
    pub fn format(&self, values: &[(&str, &Version)]) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Hole(h) => {
                    if let Some((_, v)) = values.iter().find(|(n, _)| n == h) {
                        out.push_str(&v.to_string());
                    }
                }
            }
        }
        out
    }

    /// The literal text before the first placeholder: every matching name
    /// starts with it, so listing candidates is a prefix scan.
    pub fn prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Lit(s)) => s,
            _ => "",
        }
    }

    /// [`Template::prefix`] as a glob, for `git` commands that take patterns.
    pub fn glob(&self) -> String {
        format!("{}*", self.prefix())
    }

    /// Match a name; each placeholder must be a plain `X.Y.Z` version.
    pub fn parse(&self, name: &str) -> Option<Vec<(String, Version)>> {
        let mut out = Vec::new();
        self.visit(name, |h, v| out.push((h.to_string(), v)))
            .then_some(out)
    }
}

impl Template {
    /// Match a name, handing each placeholder's version to `hole`; whether
    /// the whole name matched. Nothing is allocated: most names listed under
    /// a prefix are someone else's tags (`status` reads 20k of them), and the
    /// trailing text rejects most at once.
    fn visit(&self, name: &str, mut hole: impl FnMut(&str, Version)) -> bool {
        if let Some(Part::Lit(last)) = self.parts.last() {
            if !name.ends_with(last.as_str()) {
                return false;
            }
        }
        let mut rest = name;
        for part in &self.parts {
            let next = match part {
                Part::Lit(s) => rest.strip_prefix(s.as_str()),
                Part::Hole(h) => take_version(rest).map(|(v, tail)| {
                    hole(h, v);
                    tail
                }),
            };
            match next {
                Some(tail) => rest = tail,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

/// Take a leading `X.Y.Z` (digits only, no leading zeros beyond `0`).
fn take_version(s: &str) -> Option<(Version, &str)> {
    let mut nums = [0u64; 3];
    let mut rest = s;
    for (i, n) in nums.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix('.')?;
        }
        let digits = rest.as_bytes();
        let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || (len > 1 && digits[0] == b'0') {
            return None;
        }
        for d in &digits[..len] {
            *n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        rest = &rest[len..];
    }
    // `1.75.2.1` must not parse as 1.75.2 followed by literal text.
    if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((Version::new(nums[0], nums[1], nums[2]), rest))
}

/// Parse a user-given upstream version: `1.75.2` or `v1.75.2`; anything else
/// (`1.75`, `latest`, `1.75.2.1`) is a usage error.
pub fn parse_upstream_arg(s: &str) -> Result<Version> {
    let t = s.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    match take_version(t) {
        Some((v, "")) => Ok(v),
        _ => Err(Error::usage(format!(
            "`{s}` is not an upstream version: expected X.Y.Z such as 1.75.2 (a leading v is allowed)"
        ))),
    }
}

/// One parsed release tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseTag {
    pub name: String,
    #[serde(serialize_with = "ser_version")]
    pub upstream: Version,
    #[serde(serialize_with = "ser_version")]
    pub fork: Version,
}

pub(crate) fn ser_version<S: serde::Serializer>(v: &Version, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The release tag format of a fork.
#[derive(Debug, Clone)]
pub struct ReleaseFormat(Template);

impl ReleaseFormat {
    pub fn new(template: &str) -> Result<Self> {
        Ok(ReleaseFormat(Template::new(
            template,
            &["upstream", "fork"],
        )?))
    }

    pub fn format(&self, upstream: &Version, fork: &Version) -> String {
        self.0.format(&[("upstream", upstream), ("fork", fork)])
    }

    pub fn glob(&self) -> String {
        self.0.glob()
    }

    pub fn prefix(&self) -> &str {
        self.0.prefix()
    }

    pub fn parse(&self, name: &str) -> Option<ReleaseTag> {
        let (mut upstream, mut fork) = (None, None);
        let matched = self.0.visit(name, |h, v| match h {
            "upstream" => upstream = Some(v),
            _ => fork = Some(v),
        });
        if !matched {
            return None;
        }
        Some(ReleaseTag {
            name: name.to_string(),
            upstream: upstream?,
            fork: fork?,
        })
    }
}

/// The upstream stable-tag patterns (several may apply).
#[derive(Debug, Clone)]
pub struct StablePatterns(Vec<Template>);

impl StablePatterns {
    pub fn new(patterns: &[String]) -> Result<Self> {
        patterns
            .iter()
            .map(|p| Template::new(p, &["version"]))
            .collect::<Result<Vec<_>>>()
            .map(StablePatterns)
    }

    /// The version a tag name stands for, by the first pattern that matches.
    pub fn parse(&self, name: &str) -> Option<Version> {
        self.0.iter().find_map(|t| {
            let mut version = None;
            t.visit(name, |_, v| version = Some(v)).then_some(version)?
        })
    }

    /// Globs to list candidates with, deduplicated.
    pub fn globs(&self) -> Vec<String> {
        self.prefixes().iter().map(|p| format!("{p}*")).collect()
    }

    /// Literal prefixes of the patterns; none is a prefix of another, so each
    /// tag is listed once.
    pub fn prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = self.0.iter().map(|t| t.prefix().to_string()).collect();
        out.sort();
        out.dedup();
        let all = out.clone();
        out.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q.as_str())));
        out
    }

    /// The tag name for a version under the first pattern.
    pub fn format(&self, v: &Version) -> String {
        self.0
            .first()
            .map(|t| t.format(&[("version", v)]))
            .unwrap_or_default()
    }
}

/// How the next version is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Patch,
    Minor,
    Major,
    Auto,
}

impl Bump {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "patch" => Ok(Bump::Patch),
            "minor" => Ok(Bump::Minor),
            "major" => Ok(Bump::Major),
            "auto" => Ok(Bump::Auto),
            _ => Err(Error::usage(format!(
                "`{s}` is not a bump: use patch, minor, major or auto"
            ))),
        }
    }

    /// Apply a concrete bump (`Auto` must be decided before).
    pub fn apply(self, v: &Version) -> Version {
        match self {
            Bump::Patch | Bump::Auto => Version::new(v.major, v.minor, v.patch + 1),
            Bump::Minor => Version::new(v.major, v.minor + 1, 0),
            Bump::Major => Version::new(v.major + 1, 0, 0),
        }
    }
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
            Bump::Auto => "auto",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn release_format_roundtrip() {
        let f = ReleaseFormat::new("carto-v{upstream}-{fork}").unwrap();
        let t = f.parse("carto-v1.75.2-0.2.1").unwrap();
        assert_eq!((t.upstream, t.fork), (v("1.75.2"), v("0.2.1")));
        assert_eq!(f.format(&v("1.75.2"), &v("0.2.1")), "carto-v1.75.2-0.2.1");
        assert!(f.parse("carto-vfoo").is_none());
        assert!(f.parse("carto-v1.2-0.1.0").is_none());
        assert!(f.parse("carto-v1.2.3-0.1.0-rc1").is_none());
        assert_eq!(f.glob(), "carto-v*");
        let g = ReleaseFormat::new("v{upstream}-carto.{fork}").unwrap();
        assert_eq!(g.parse("v1.80.0-carto.0.3.0").unwrap().fork, v("0.3.0"));
        assert!(g.parse("v1.80.0-stable").is_none());
    }

    #[test]
    fn templates_are_checked() {
        assert!(ReleaseFormat::new("carto-{upstream}").is_err());
        assert!(ReleaseFormat::new("{upstream}{fork}").is_err());
        assert!(ReleaseFormat::new("x{nope}{upstream}-{fork}").is_err());
    }

    #[test]
    fn stable_patterns() {
        let p = StablePatterns::new(&["v{version}-stable".into(), "v{version}".into()]).unwrap();
        assert_eq!(p.parse("v1.77.4-stable"), Some(v("1.77.4")));
        assert_eq!(p.parse("v1.80.0"), Some(v("1.80.0")));
        assert_eq!(p.parse("v.1.32.34-stable"), None);
        assert_eq!(p.parse("v1.55.8-stable-patched"), None);
        assert_eq!(p.globs(), vec!["v*".to_string()]);
    }

    #[test]
    fn upstream_args() {
        assert_eq!(parse_upstream_arg("v1.75.2").unwrap(), v("1.75.2"));
        for bad in ["1.75", "latest", "1.75.2.1", "", "01.2.3"] {
            assert!(parse_upstream_arg(bad).is_err(), "{bad}");
        }
    }
}

/// Tag names and templates come from config and from any remote: parsing
/// them never panics, and what a format writes it reads back.
#[cfg(test)]
mod outside_input {
    use super::*;
    use proptest::prelude::*;

    fn version() -> impl Strategy<Value = Version> {
        (0u64..2000, 0u64..2000, 0u64..2000).prop_map(|(a, b, c)| Version::new(a, b, c))
    }

    proptest! {
        #[test]
        fn templates_and_names(template in "[a-z{}.\\-]{0,12}(\\{upstream\\}|\\{fork\\}|\\{)?[a-z{}.\\-]{0,12}", name in ".{0,60}") {
            if let Ok(f) = ReleaseFormat::new(&template) {
                let _ = f.parse(&name);
                let _ = f.glob();
            }
            if let Ok(p) = StablePatterns::new(std::slice::from_ref(&template)) {
                let _ = p.parse(&name);
                let _ = p.globs();
            }
            let _ = parse_upstream_arg(&name);
            let _ = Bump::parse(&name);
        }

        #[test]
        fn a_release_format_reads_what_it_writes(
            // A bare `.` between two versions is ambiguous (`1.2.3.4.5.6`).
            sep in "([-_][-._]?|-carto\\.)",
            prefix in "[a-z]{0,6}-?v?",
            u in version(),
            f in version(),
        ) {
            let format = ReleaseFormat::new(&format!("{prefix}{{upstream}}{sep}{{fork}}")).unwrap();
            let name = format.format(&u, &f);
            let tag = format.parse(&name);
            prop_assert!(tag.is_some(), "{} not read back", name);
        }
    }
}
