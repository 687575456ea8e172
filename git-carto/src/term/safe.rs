//! Text from outside (commit subjects, branch names, file names, server
//! messages) shown on a terminal. A terminal obeys the control characters it
//! receives: an OSC sequence in a commit subject retitles the window, writes
//! the clipboard or hides the rest of the line. So such text is shown with its
//! control characters escaped, the way `git` quotes odd path names.

use std::borrow::Cow;
use std::fmt::Write as _;

/// One line of outside text: every control character (C0, DEL, C1, and the
/// line breaks too, so a subject cannot fake a second line) escaped as `\xNN`
/// or `\u{NNNN}`.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape(s, |_| true)
}

/// Several lines of outside text (a commit message body): like [`printable`]
/// but newlines and tabs are kept.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape(s, |c| c != '\n' && c != '\t')
}

/// The last guard before bytes reach a terminal: escapes every control
/// character except newlines, tabs and our own colour codes (SGR sequences,
/// `ESC [ <digits;...> m`). Render functions already escape outside text with
/// [`printable`]; this catches what a render forgot.
pub fn terminal_text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' {
            if let Some(len) = sgr_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        if is_control(c) && c != '\n' && c != '\t' {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Quote a word for a POSIX shell when it needs it (a path in a hint the user
/// copies: `git commit -e -F '<path with spaces>'`).
pub fn shell_quote(s: &str) -> Cow<'_, str> {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b));
    if plain {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(format!("'{}'", s.replace('\'', r"'\''")))
    }
}

fn is_control(c: char) -> bool {
    c.is_control()
}

fn escape(s: &str, escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && escaped(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) && escaped(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Length of an SGR sequence (`ESC [` digits and `;` then `m`) at the start.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_osc_and_keeps_colours() {
        assert_eq!(printable("a\x1b]0;PWNED\x07b"), "a\\x1b]0;PWNED\\x07b");
        assert_eq!(printable("x\ny"), "x\\ny");
        assert_eq!(printable_lines("x\ny\u{9b}"), "x\ny\\u{9b}");
        assert_eq!(
            terminal_text("\x1b[32mok\x1b[0m \x1b]0;t\x07"),
            "\x1b[32mok\x1b[0m \\x1b]0;t\\x07"
        );
        assert_eq!(shell_quote(".git/COMMIT_EDITMSG"), ".git/COMMIT_EDITMSG");
        assert_eq!(shell_quote("/tmp/a b/it's"), r"'/tmp/a b/it'\''s'");
    }

    proptest! {
        #[test]
        fn no_control_character_but_colour_survives(s in any::<String>()) {
            prop_assert!(!printable(&s).chars().any(char::is_control));
            prop_assert!(!printable_lines(&s).chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
            // Whatever passes the last guard is text, tabs, newlines or SGR.
            let t = terminal_text(&s);
            let mut rest: &str = &t;
            while let Some(c) = rest.chars().next() {
                if c == '\x1b' {
                    let len = sgr_len(rest);
                    prop_assert!(len.is_some());
                    rest = &rest[len.unwrap_or(1)..];
                    continue;
                }
                prop_assert!(!c.is_control() || c == '\n' || c == '\t');
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}
