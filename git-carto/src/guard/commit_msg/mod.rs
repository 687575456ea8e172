//! Commit message rules: Conventional Commits 1.0 with the fork's types.
//!
//! One parser serves the commit-msg hook, `lint`, pre-push and `next-tag
//! auto`, so "what is a valid message" and "what bump does it imply" cannot
//! drift apart. It is plain string work with no regex and no allocation per
//! line beyond the result, because it runs on every commit, and it never
//! panics: every index below is a char boundary found by `find`/`char_indices`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::repo::config::Config;
use crate::repo::tag::Bump;
use crate::term::safe::{printable, shell_quote};

/// The configured rules (`commit.*` keys).
#[derive(Debug, Clone)]
pub struct Rules {
    pub types: Vec<String>,
    /// Allowed scopes; empty means any.
    pub scopes: Vec<String>,
    pub max_subject: usize,
}

impl Rules {
    pub fn from_config(config: &Config) -> Result<Self> {
        let max_subject = config
            .get("commit.subjectMaxLength")
            .unwrap_or("100")
            .parse()
            .map_err(|_| Error::usage("commit.subjectMaxLength is not a number"))?;
        Ok(Rules {
            types: config.get_all("commit.types").to_vec(),
            scopes: config
                .get_all("commit.scopes")
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect(),
            max_subject,
        })
    }
}

/// Where the text comes from, which decides what is stripped before checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The file git hands to commit-msg: comment lines and the scissors
    /// section of `git commit -v` are still in it (git strips them after the
    /// hook), so they must not be judged.
    Editor { comment: &'a str },
    /// A recorded commit: the message is final.
    Commit,
}

/// What an accepted message is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Conventional(Conventional),
    /// git's own `Merge branch ...` / GitHub's `Merge pull request #N ...`.
    Merge,
    /// `Revert "..."` / `Reapply "..."` as written by `git revert`.
    Revert,
    /// `fixup!`, `squash!` or `amend!`: meant to be squashed away by
    /// `git rebase --autosquash` before it reaches a protected branch.
    Autosquash {
        marker: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conventional {
    #[serde(rename = "type")]
    pub kind: String,
    pub scope: Option<String>,
    /// `!` in the header or a `BREAKING CHANGE:` footer.
    pub breaking: bool,
    pub subject: String,
    pub footers: Vec<Footer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Footer {
    pub token: String,
    pub value: String,
}

impl Message {
    /// The release bump this message implies (DESIGN 5): breaking → major,
    /// `feat` → minor, anything else → patch.
    pub fn bump(&self) -> Bump {
        match self {
            Message::Conventional(c) if c.breaking => Bump::Major,
            Message::Conventional(c) if c.kind == "feat" => Bump::Minor,
            _ => Bump::Patch,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Message::Conventional(_) => "conventional",
            Message::Merge => "merge",
            Message::Revert => "revert",
            Message::Autosquash { .. } => "autosquash",
        }
    }
}

/// Why a message was rejected: what is wrong, the offending line as the user
/// wrote it, and a corrected example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub what: String,
    /// 1-based line in the text as given (comments included), 0 when the
    /// problem is the message as a whole.
    pub line: usize,
    pub text: String,
    pub example: Option<String>,
}

const SCISSORS: &str = " ------------------------ >8 ------------------------";
/// Lines longer than this are cut when shown back to the user.
const SHOW_MAX: usize = 160;

/// Check a message and say what it is.
pub fn check(raw: &[u8], rules: &Rules, origin: Origin<'_>) -> Result<Message, Problem> {
    check_inner(raw, rules, origin).map_err(|mut p| {
        // Examples quote the user's text, which may be a 1 MB line.
        p.example = p
            .example
            .map(|e| e.lines().map(show).collect::<Vec<_>>().join("\n"));
        p
    })
}

/// Check a commit that exists: a commit with two or more parents is a merge
/// by structure, whatever its message says ("Merge carto/main into fix/x" is
/// a merge, not a broken conventional commit).
pub fn check_commit(commit: &git2::Commit<'_>, rules: &Rules) -> Result<Message, Problem> {
    if commit.parent_count() >= 2 {
        return Ok(Message::Merge);
    }
    check(commit.message_bytes(), rules, Origin::Commit)
}

fn check_inner(raw: &[u8], rules: &Rules, origin: Origin<'_>) -> Result<Message, Problem> {
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t,
        Err(e) => return Err(not_utf8(raw, e.valid_up_to())),
    };
    let lines = clean(text, origin);
    let Some(&(header_no, header)) = lines.first() else {
        let had_text = text.lines().any(|l| !l.trim().is_empty());
        return Err(Problem {
            what: if had_text {
                "the message has only comment lines, which git drops: it is empty".into()
            } else {
                "the message is empty".into()
            },
            line: 0,
            text: String::new(),
            example: Some("feat(scope): describe the change".into()),
        });
    };

    if let Some(m) = let_through(header) {
        return Ok(m);
    }
    let parsed = parse_header(header, header_no, rules)?;

    let width = header.chars().count();
    if width > rules.max_subject {
        return Err(Problem {
            what: format!(
                "the first line is {width} characters, more than the {} allowed \
                 (commit.subjectMaxLength): keep it short and put details in the body",
                rules.max_subject
            ),
            line: header_no,
            text: show(header),
            example: Some(format!(
                "{}\n\n{}",
                shorten(header, rules.max_subject),
                "the details, in the body after a blank line"
            )),
        });
    }

    if let Some(&(no, second)) = lines.get(1) {
        if !second.trim().is_empty() {
            return Err(Problem {
                what: "the second line must be blank: it separates the subject from the body"
                    .into(),
                line: no,
                text: show(second),
                example: Some(format!("{header}\n\n{}", show(second))),
            });
        }
    }

    let footers = footers(&lines);
    for (no, f) in &footers {
        if is_breaking_token(&f.token) && f.value.trim().is_empty() {
            return Err(Problem {
                what: format!("`{}:` needs a description of what breaks", f.token),
                line: *no,
                text: show(&format!("{}:", f.token)),
                example: Some(format!(
                    "{header}\n\nBREAKING CHANGE: the `foo` option is removed; use `bar`"
                )),
            });
        }
    }
    let breaking = parsed.bang || footers.iter().any(|(_, f)| is_breaking_token(&f.token));
    Ok(Message::Conventional(Conventional {
        kind: parsed.kind,
        scope: parsed.scope,
        breaking,
        subject: parsed.subject,
        footers: footers.into_iter().map(|(_, f)| f).collect(),
    }))
}

/// The lines that count, with their 1-based numbers in the given text:
/// CRLF folded, comments and the scissors section dropped (editor text only),
/// blank lines at both ends removed, trailing whitespace ignored.
fn clean<'t>(text: &'t str, origin: Origin<'_>) -> Vec<(usize, &'t str)> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Origin::Editor { comment } = origin {
            if let Some(rest) = line.strip_prefix(comment) {
                if rest == SCISSORS {
                    break;
                }
                continue;
            }
        }
        out.push((i + 1, line.trim_end()));
    }
    while out.last().is_some_and(|(_, l)| l.is_empty()) {
        out.pop();
    }
    let first = out.iter().position(|(_, l)| !l.is_empty()).unwrap_or(0);
    out.drain(..first);
    out
}

/// Messages git or GitHub write themselves, and autosquash markers.
fn let_through(header: &str) -> Option<Message> {
    for marker in ["fixup!", "squash!", "amend!"] {
        if header.starts_with(marker) {
            return Some(Message::Autosquash {
                marker: marker.to_string(),
            });
        }
    }
    if header.starts_with("Revert \"") || header.starts_with("Reapply \"") {
        return Some(Message::Revert);
    }
    let rest = header.strip_prefix("Merge ")?;
    const GIT_MERGES: &[&str] = &[
        "branch '",
        "branches '",
        "remote-tracking branch '",
        "remote-tracking branches '",
        "tag '",
        "tags '",
        "commit '",
        "commits '",
        "pull request #",
        "'",
    ];
    GIT_MERGES
        .iter()
        .any(|p| rest.starts_with(p))
        .then_some(Message::Merge)
}

struct Header {
    kind: String,
    scope: Option<String>,
    bang: bool,
    subject: String,
}

fn parse_header(header: &str, no: usize, rules: &Rules) -> Result<Header, Problem> {
    let problem = |what: String, example: String| Problem {
        what,
        line: no,
        text: show(header),
        example: Some(example),
    };
    let allowed = || rules.types.join(", ");
    let end = header
        .find(|c: char| matches!(c, '(' | '!' | ':') || c.is_whitespace())
        .unwrap_or(header.len());
    let kind = &header[..end];
    let rest = &header[end..];

    // No `type:` at all: the most common mistake, so the example guesses a type
    // from the first word.
    if kind.is_empty() || !rest.starts_with(['(', '!', ':']) {
        if let Some(after) = rest.trim_start().strip_prefix(':') {
            if rest.starts_with(char::is_whitespace) && !kind.contains(char::is_whitespace) {
                return Err(problem(
                    "no space is allowed between the type and the colon".into(),
                    format!("{kind}: {}", after.trim_start()),
                ));
            }
        }
        return Err(problem(
            format!(
                "the first line must start with a type: `type(scope): subject` \
                 (types: {})",
                allowed()
            ),
            format!("{}: {}", guess_type(header, rules), lower_first(header)),
        ));
    }

    if !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(problem(
            format!("`{kind}` is not a type (types: {})", allowed()),
            format!("{}: {}", guess_type(header, rules), rest_after_colon(rest)),
        ));
    }
    if kind.chars().any(|c| c.is_ascii_uppercase()) {
        let lower = kind.to_ascii_lowercase();
        return Err(problem(
            format!("the type must be lower case: `{lower}`, not `{kind}`"),
            format!("{lower}{rest}"),
        ));
    }
    if !rules.types.iter().any(|t| t == kind) {
        return Err(problem(
            format!("unknown type `{kind}`: allowed types are {}", allowed()),
            format!("{}{rest}", closest(kind, &rules.types)),
        ));
    }

    let mut rest = rest;
    let mut scope = None;
    if let Some(after) = rest.strip_prefix('(') {
        let Some(close) = after.find(')') else {
            return Err(problem(
                "the scope is missing its closing `)`".into(),
                format!("{kind}(scope): subject"),
            ));
        };
        let s = &after[..close];
        if s.is_empty() {
            return Err(problem(
                "the scope `()` is empty: name one or drop the parentheses".into(),
                format!("{kind}{}", &after[close + 1..]),
            ));
        }
        if s.contains(char::is_whitespace) || s.contains('(') {
            return Err(problem(
                format!("the scope `{s}` must be one word (letters, digits, - _ . / @ ,)"),
                format!(
                    "{kind}({}){}",
                    s.split_whitespace().collect::<Vec<_>>().join("-"),
                    &after[close + 1..]
                ),
            ));
        }
        if !rules.scopes.is_empty() {
            if let Some(bad) = s.split(',').find(|p| !rules.scopes.iter().any(|a| a == p)) {
                return Err(problem(
                    format!(
                        "unknown scope `{bad}`: allowed scopes are {}",
                        rules.scopes.join(", ")
                    ),
                    format!("{kind}({}){}", rules.scopes[0], &after[close + 1..]),
                ));
            }
        }
        scope = Some(s.to_string());
        rest = &after[close + 1..];
    }
    let bang = rest.starts_with('!');
    if bang {
        rest = &rest[1..];
    }
    let Some(after_colon) = rest.strip_prefix(':') else {
        return Err(problem(
            "a colon and a space must follow the type and scope: `type(scope): subject`".into(),
            format!(
                "{}: {}",
                &header[..header.len() - rest.len()],
                rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':')
            ),
        ));
    };
    let prefix = &header[..header.len() - after_colon.len()];
    let subject = after_colon.trim();
    if subject.is_empty() {
        return Err(problem(
            "the subject after the colon is empty: say what the commit does".into(),
            format!("{prefix} describe the change"),
        ));
    }
    if !after_colon.starts_with(' ') {
        return Err(problem(
            "a space must follow the colon".into(),
            format!("{prefix} {subject}"),
        ));
    }
    Ok(Header {
        kind: kind.to_string(),
        scope,
        bang,
        subject: subject.to_string(),
    })
}

/// Footers per the spec: trailing paragraphs whose first line is
/// `Token: value` or `Token #value` (token without spaces, or `BREAKING
/// CHANGE`); lines that are not tokens continue the previous value. Anything
/// before the first such trailing paragraph is body, so a "BREAKING CHANGE:"
/// inside prose does not count.
fn footers(lines: &[(usize, &str)]) -> Vec<(usize, Footer)> {
    if lines.len() < 3 {
        return Vec::new();
    }
    let body = &lines[2..];
    // Start of each paragraph (index into body).
    let mut starts = Vec::new();
    for (i, (_, l)) in body.iter().enumerate() {
        if !l.is_empty() && (i == 0 || body[i - 1].1.is_empty()) {
            starts.push(i);
        }
    }
    let mut from = body.len();
    for &s in starts.iter().rev() {
        if footer_line(body[s].1).is_some() {
            from = s;
        } else {
            break;
        }
    }
    let mut out: Vec<(usize, Footer)> = Vec::new();
    for &(no, l) in &body[from..] {
        if let Some((token, value)) = footer_line(l) {
            out.push((
                no,
                Footer {
                    token: token.to_string(),
                    value: value.to_string(),
                },
            ));
        } else if let Some((_, last)) = out.last_mut() {
            last.value.push('\n');
            last.value.push_str(l);
        }
    }
    for (_, f) in &mut out {
        let trimmed = f.value.trim_end().len();
        f.value.truncate(trimmed);
    }
    out
}

fn footer_line(line: &str) -> Option<(&str, &str)> {
    for token in ["BREAKING CHANGE", "BREAKING-CHANGE"] {
        if let Some(rest) = line.strip_prefix(token) {
            if let Some(v) = rest.strip_prefix(':') {
                return Some((token, v.trim_start()));
            }
        }
    }
    let end = line.find([':', ' '])?;
    let token = &line[..end];
    if token.is_empty()
        || !token.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return None;
    }
    let rest = &line[end..];
    if let Some(v) = rest.strip_prefix(": ") {
        return Some((token, v));
    }
    if rest == ":" {
        return Some((token, ""));
    }
    rest.strip_prefix(" #").map(|v| (token, v))
}

fn is_breaking_token(token: &str) -> bool {
    token == "BREAKING CHANGE" || token == "BREAKING-CHANGE"
}

fn not_utf8(raw: &[u8], at: usize) -> Problem {
    let line_start = raw[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end = raw[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(raw.len(), |p| at + p);
    let line = raw[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    Problem {
        what: format!(
            "the message is not valid UTF-8 (byte 0x{:02X} at line {line}, column {}): \
             save it as UTF-8",
            raw[at],
            at - line_start + 1
        ),
        line,
        text: show(&String::from_utf8_lossy(&raw[line_start..line_end])),
        example: None,
    }
}

/// A line as shown back: cut at a char boundary when very long.
fn show(line: &str) -> String {
    match line.char_indices().nth(SHOW_MAX) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

/// The header cut at a word boundary to fit `max` characters.
fn shorten(header: &str, max: usize) -> String {
    let cut = header
        .char_indices()
        .nth(max)
        .map_or(header.len(), |(i, _)| i);
    let head = &header[..cut];
    match head.rfind(' ') {
        Some(sp) if sp > head.find(": ").map_or(0, |c| c + 2) => head[..sp].to_string(),
        _ => head.to_string(),
    }
}

fn rest_after_colon(rest: &str) -> &str {
    rest.split_once(':').map_or(rest, |(_, r)| r).trim()
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() && !chars.clone().next().is_some_and(char::is_uppercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => s.to_string(),
    }
}

/// A plausible type for a message without one, from its first word.
fn guess_type(header: &str, rules: &Rules) -> String {
    let word = header
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_lowercase();
    let guess = match word.as_str() {
        "add" | "adds" | "added" | "implement" | "introduce" | "support" | "allow" | "new"
        | "feature" | "create" => "feat",
        "doc" | "docs" | "document" | "readme" => "docs",
        "refactor" | "rename" | "move" | "extract" | "simplify" | "cleanup" => "refactor",
        "test" | "tests" => "test",
        "bump" | "upgrade" | "update" => "chore",
        "resolve" => "resolve",
        _ => "fix",
    };
    if rules.types.iter().any(|t| t == guess) {
        guess.to_string()
    } else {
        closest(&word, &rules.types)
    }
}

/// The allowed type nearest to `word` (edit distance; ties keep list order).
fn closest(word: &str, types: &[String]) -> String {
    let word = word.to_ascii_lowercase();
    types
        .iter()
        .min_by_key(|t| {
            if word.starts_with(t.as_str()) || t.starts_with(word.as_str()) {
                0
            } else {
                edit_distance(&word, t)
            }
        })
        .cloned()
        .unwrap_or_else(|| "fix".into())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    // Long inputs (a 1 MB first line) need no exact answer.
    for (i, ca) in a.chars().take(64).enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The rejection as a person reads it, ending with where git kept the message.
/// The message's own text is escaped (it may carry terminal control
/// sequences) and the path is quoted so the hint can be pasted into a shell.
pub fn render(problem: &Problem, saved_at: Option<&str>) -> String {
    let mut s = format!("commit message rejected: {}\n", printable(&problem.what));
    if problem.line > 0 {
        let _ = writeln!(s, "  line {}: {}", problem.line, printable(&problem.text));
    }
    if let Some(example) = &problem.example {
        s.push_str("for example:\n");
        for l in example.lines() {
            let _ = writeln!(s, "  {l}");
        }
    }
    if let Some(path) = saved_at {
        let _ = writeln!(
            s,
            "Your message is kept in {}: edit and reuse it with\n  git commit -e -F {}",
            printable(path),
            shell_quote(path)
        );
    }
    s.push_str("(git commit --no-verify or CARTO_SKIP_HOOKS=1 skips this check)\n");
    s
}

#[cfg(test)]
mod tests;
