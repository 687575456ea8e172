//! Release notes (DESIGN 7.1 step 3): the fork's own commits of a range,
//! grouped by conventional type with breaking changes first, PR links, an
//! "Upstream" section when the upstream version moved, and the authors.
//!
//! Fork commits are chosen by ancestry (`Fork::fork_commits`), never by
//! message: a non-conventional fork commit is listed under "Other", never
//! dropped (git-cliff's default drops them, which hid half of a real fork's
//! changes). The range is walked once with git2, in process: notes over 20k
//! commits must stay within a small factor of `git log --format=%s`.

use git2::Oid;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::guard::commit_msg::{self, Message, Origin, Rules};
use crate::repo::fork::Fork;

/// What the notes are about: `from` (exclusive) to `to` (inclusive).
#[derive(Debug, Clone)]
pub struct Range {
    pub from: Option<Oid>,
    pub from_name: Option<String>,
    pub to: Oid,
    pub to_name: String,
}

/// Web links for PRs and the upstream compare view; `None` parts print as text.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// `https://github.com/owner/fork`
    pub fork: Option<String>,
    /// `https://github.com/owner/upstream`
    pub upstream: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notes {
    pub from: Option<String>,
    pub to: String,
    /// Number of fork commits listed (merges are not listed).
    pub commits: usize,
    pub sections: Vec<Section>,
    pub upstream: Option<UpstreamMove>,
    pub authors: Vec<Author>,
    pub markdown: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub commit: String,
    /// Conventional type, `None` for commits listed under "Other".
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub scope: Option<String>,
    pub description: String,
    pub breaking: bool,
    pub prs: Vec<u64>,
    pub author: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpstreamMove {
    pub from: String,
    pub to: String,
    pub from_tag: String,
    pub to_tag: String,
    pub compare: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Author {
    pub name: String,
    pub commits: usize,
}

/// Section titles of the known types, in the order they are printed after
/// "Breaking Changes". Other configured types follow in alphabetical order,
/// then "Other".
const TITLES: &[(&str, &str)] = &[
    ("feat", "Features"),
    ("fix", "Bug Fixes"),
    ("perf", "Performance"),
    ("revert", "Reverts"),
    ("refactor", "Refactoring"),
    ("docs", "Documentation"),
    ("test", "Tests"),
    ("build", "Build"),
    ("ci", "CI"),
    ("chore", "Chores"),
    ("style", "Style"),
    ("resolve", "Conflict Resolutions"),
];

const BREAKING: &str = "Breaking Changes";
const OTHER: &str = "Other";

/// Resolve the user's range argument: `A..B`, `A..` (to HEAD), `..B` (from
/// the last release before B), a single revision (the release notes of that
/// revision: from the last release before it), or nothing (from the last
/// release reachable from HEAD to HEAD).
pub fn resolve_range(fork: &Fork, spec: Option<&str>) -> Result<Range> {
    let git = &fork.git;
    let (from, to) = match spec {
        None => (None, "HEAD"),
        Some(s) => match s.split_once("..") {
            Some((_, b)) if b.starts_with('.') => {
                return Err(Error::usage(format!(
                    "`{s}`: symmetric ranges (A...B) are not supported; use A..B"
                )))
            }
            Some((a, b)) => (
                (!a.is_empty()).then_some(a),
                if b.is_empty() { "HEAD" } else { b },
            ),
            None => (None, s),
        },
    };
    let to_id = git.commit_id(to)?;
    let (from_id, from_name) = match from {
        Some(a) => (Some(git.commit_id(a)?), Some(a.to_string())),
        None => match previous_release(fork, to_id)? {
            Some(t) => (git.tag_commit(&t), Some(t)),
            None => (None, None),
        },
    };
    Ok(Range {
        from: from_id,
        from_name,
        to: to_id,
        to_name: to.to_string(),
    })
}

/// The last release strictly before `commit` (a release tag on `commit`
/// itself is the release being described, not the previous one).
pub fn previous_release(fork: &Fork, commit: Oid) -> Result<Option<String>> {
    let releases = fork.release_tags()?.parsed;
    let before: Vec<_> = releases
        .into_iter()
        .filter(|t| fork.git.tag_commit(&t.name) != Some(commit))
        .collect();
    Ok(fork.last_release_on(commit, &before)?.map(|t| t.name))
}

/// Build the notes of a range.
pub fn notes(fork: &Fork, range: &Range, links: &Links) -> Result<Notes> {
    let (stable, _) = fork.stable_tags()?;
    let tips = fork.upstream_tips(&stable)?;
    // Missing upstream refs or a shallow history would list wrong commits.
    crate::repo::upstream_refs::require_known(fork, &tips)?;
    let hidden: Vec<Oid> = tips.iter().copied().chain(range.from).collect();
    crate::guard::lint::require_complete(fork, range.to, &hidden)?;
    let ids = fork.fork_commits(range.to, range.from.as_slice(), &tips)?;
    crate::repo::upstream_refs::require_not_older(fork, &ids)?;
    let types: Vec<String> = fork
        .config
        .get_all("commit.types")
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .collect();
    let rules = Rules::from_config(&fork.config)?;

    let repo = &fork.git.repo;
    let mut entries = Vec::with_capacity(ids.len());
    let mut authors: Vec<Author> = Vec::new();
    for oid in ids {
        let commit = repo.find_commit(oid)?;
        if commit.parent_count() > 1 {
            // Merges (pull requests, syncs) carry no change of their own to list;
            // the commits they bring are listed one by one.
            continue;
        }
        let message = String::from_utf8_lossy(commit.message_bytes());
        let author = commit.author();
        let name = String::from_utf8_lossy(author.name_bytes()).into_owned();
        match authors.iter_mut().find(|a| a.name == name) {
            Some(a) => a.commits += 1,
            None => authors.push(Author {
                name: name.clone(),
                commits: 1,
            }),
        }
        entries.push(entry(oid, &message, name, &rules));
    }
    authors.sort_by(|a, b| b.commits.cmp(&a.commits).then_with(|| a.name.cmp(&b.name)));

    let upstream = match range.from {
        Some(from) => {
            let old = fork.upstream_of(from, &stable)?;
            let new = fork.upstream_of(range.to, &stable)?;
            match (old, new) {
                (Some(old), Some(new)) if old.version != new.version => Some(UpstreamMove {
                    from: old.version.to_string(),
                    to: new.version.to_string(),
                    compare: links
                        .upstream
                        .as_ref()
                        .map(|u| format!("{u}/compare/{}...{}", old.name, new.name)),
                    from_tag: old.name,
                    to_tag: new.name,
                }),
                _ => None,
            }
        }
        None => None,
    };

    let commits = entries.len();
    let sections = group(entries, &types);
    let markdown = render(&sections, upstream.as_ref(), &authors, links);
    Ok(Notes {
        from: range.from_name.clone(),
        to: range.to_name.clone(),
        commits,
        sections,
        upstream,
        authors,
        markdown,
    })
}

/// One listed commit, classified by the commit rules' parser (the same one
/// the commit-msg hook and lint use); anything it does not accept as a
/// conventional commit is listed under "Other", never dropped.
fn entry(oid: Oid, message: &str, author: String, rules: &Rules) -> Entry {
    let subject = message.lines().next().unwrap_or("").trim().to_string();
    let prs = pr_numbers(&subject);
    match commit_msg::check(message.as_bytes(), rules, Origin::Commit) {
        Ok(Message::Conventional(c)) => Entry {
            commit: oid.to_string(),
            breaking: c.breaking,
            kind: Some(c.kind),
            scope: c.scope,
            description: c.subject,
            prs,
            author,
        },
        _ => Entry {
            commit: oid.to_string(),
            kind: None,
            scope: None,
            description: subject,
            breaking: false,
            prs,
            author,
        },
    }
}

fn group(entries: Vec<Entry>, types: &[String]) -> Vec<Section> {
    let mut order: Vec<(String, String)> = TITLES
        .iter()
        .map(|(k, t)| (k.to_string(), t.to_string()))
        .collect();
    let mut custom: Vec<&String> = types
        .iter()
        .filter(|t| !TITLES.iter().any(|(k, _)| k == t))
        .collect();
    custom.sort();
    order.extend(custom.into_iter().map(|t| (t.clone(), capitalise(t))));

    let mut breaking = Vec::new();
    let mut by_type: Vec<Vec<Entry>> = vec![Vec::new(); order.len()];
    let mut other = Vec::new();
    for e in entries {
        if e.breaking {
            breaking.push(e);
            continue;
        }
        match e
            .kind
            .as_ref()
            .and_then(|k| order.iter().position(|(t, _)| t == k))
        {
            Some(i) => by_type[i].push(e),
            None => other.push(e),
        }
    }
    let mut sections = Vec::new();
    if !breaking.is_empty() {
        sections.push(Section {
            title: BREAKING.into(),
            entries: breaking,
        });
    }
    for ((_, title), entries) in order.into_iter().zip(by_type) {
        if !entries.is_empty() {
            sections.push(Section { title, entries });
        }
    }
    if !other.is_empty() {
        sections.push(Section {
            title: OTHER.into(),
            entries: other,
        });
    }
    sections
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The markdown body used for the GitHub release and printed by `notes`.
pub fn render(
    sections: &[Section],
    upstream: Option<&UpstreamMove>,
    authors: &[Author],
    links: &Links,
) -> String {
    let mut out = String::new();
    if sections.is_empty() {
        out.push_str("No fork changes.\n");
    }
    for s in sections {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("### {}\n\n", s.title));
        for e in &s.entries {
            out.push_str("- ");
            if s.title == BREAKING {
                if let Some(k) = &e.kind {
                    out.push_str(&format!("{k}: "));
                }
            }
            if let Some(scope) = &e.scope {
                out.push_str(&format!("**{scope}:** "));
            }
            out.push_str(&link_prs(&e.description, links.fork.as_deref()));
            out.push_str(&format!(" ({})\n", &e.commit[..7]));
        }
    }
    if let Some(u) = upstream {
        out.push_str("\n### Upstream\n\n");
        let range = format!("{}...{}", u.from_tag, u.to_tag);
        match &u.compare {
            Some(url) => out.push_str(&format!(
                "Upstream moved from {} to {} ([{range}]({url})).\n",
                u.from, u.to
            )),
            None => out.push_str(&format!(
                "Upstream moved from {} to {} ({range}).\n",
                u.from, u.to
            )),
        }
    }
    if !authors.is_empty() {
        out.push_str("\n### Authors\n\n");
        let names: Vec<&str> = authors.iter().map(|a| a.name.as_str()).collect();
        out.push_str(&names.join(", "));
        out.push('\n');
    }
    out
}

/// `(#12)` → `([#12](<fork>/pull/12))`.
fn link_prs(text: &str, fork: Option<&str>) -> String {
    let Some(base) = fork else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(i) = rest.find("(#") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(')') {
            let n = &after[..digits];
            out.push_str(&format!("([#{n}]({base}/pull/{n}))"));
            rest = &after[digits + 1..];
        } else {
            out.push_str("(#");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn pr_numbers(subject: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = subject;
    while let Some(i) = rest.find("(#") {
        let after = &rest[i + 2..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(')') {
            if let Ok(n) = after[..digits].parse() {
                out.push(n);
            }
        }
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(message: &str) -> Entry {
        let rules = Rules::from_config(&crate::repo::config::Config::defaults()).unwrap();
        entry(Oid::ZERO_SHA1, message, "a".into(), &rules)
    }

    #[test]
    fn classifies_with_the_commit_rules() {
        let e = classify("feat(proxy)!: drop v1 (#12)");
        assert_eq!(
            (e.kind.as_deref(), e.scope.as_deref(), e.breaking),
            (Some("feat"), Some("proxy"), true)
        );
        assert_eq!(e.description, "drop v1 (#12)");
        assert_eq!(e.prs, vec![12]);
        assert!(classify("fix: x\n\nBREAKING CHANGE: y").breaking);
        assert!(!classify("fix: x\n\nthe BREAKING CHANGE: mention in a body").breaking);
        for other in [
            "Update README",
            "feat(): x",
            "feat: ",
            "Merge branch 'x'",
            "wip: unknown type",
        ] {
            let e = classify(other);
            assert!(e.kind.is_none(), "{other}");
            assert_eq!(e.description, other.lines().next().unwrap().trim());
        }
    }

    #[test]
    fn links_prs() {
        assert_eq!(
            link_prs("add x (#12)", Some("https://github.com/a/b")),
            "add x ([#12](https://github.com/a/b/pull/12))"
        );
        assert_eq!(link_prs("odd (#x) (#", Some("u")), "odd (#x) (#");
        assert_eq!(pr_numbers("a (#1) b (#23)"), vec![1, 23]);
    }
}
