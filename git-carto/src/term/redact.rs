//! The one redaction layer: every text that leaves the process and may hold
//! something a server sent back passes through [`redact`].
//!
//! Servers echo requests: a proxy, a GitHub Enterprise instance or a hostile
//! `GITHUB_API_URL` can put the `Authorization` header we sent into the error
//! body we print. So texts are cleaned by what they contain, not by where they
//! come from:
//! - the secret values in use, registered by the code that reads them
//!   ([`add_secret`]) and read from the token variables themselves (a `git`
//!   error may carry a token no client of ours ever saw), raw and in base64
//!   at any alignment, which also covers `user:secret` in Basic auth;
//! - any `Authorization` header value, any `Bearer`/`Basic` credential;
//! - anything shaped like a GitHub token (`ghp_...`, `github_pat_...`).
//!
//! It sits in `term/` so that everything above (the clients in `remote/`, the
//! binaries' error printing) can use it; it knows no client.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use regex::Regex;

/// What a removed secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Environment variables whose values are secrets wherever they show up.
pub const SECRET_VARS: &[&str] = &["GITHUB_TOKEN", "GH_TOKEN", "CARTO_REGISTRY_PASSWORD"];

/// Shorter values are not looked for: redacting every "abc" would garble
/// texts, and such a secret protects nothing anyway.
const MIN_SECRET: usize = 6;

/// The strings to remove: each secret raw and its base64 cores.
fn needles() -> &'static Mutex<Vec<String>> {
    static NEEDLES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    NEEDLES.get_or_init(|| {
        let mut v = Vec::new();
        for var in SECRET_VARS {
            if let Ok(value) = std::env::var(var) {
                push_forms(&mut v, value.trim());
            }
        }
        Mutex::new(v)
    })
}

/// Register a secret (a token, a password) so that no text printed from now
/// on contains it, in any of the forms a header carries it.
pub fn add_secret(secret: &str) {
    let mut needles = needles().lock().unwrap_or_else(|e| e.into_inner());
    push_forms(&mut needles, secret);
    push_forms(&mut needles, secret.trim());
}

fn push_forms(out: &mut Vec<String>, secret: &str) {
    if secret.len() < MIN_SECRET {
        return;
    }
    let mut push = |s: String| {
        // A needle inside the replacement would be found again forever.
        if !s.is_empty() && !REDACTED.contains(s.as_str()) && !out.contains(&s) {
            out.push(s);
        }
    };
    push(secret.to_string());
    // Base64 of a text containing the secret at offset 0, 1 or 2 (mod 3):
    // the characters that depend on the secret's bytes alone. `user:secret`
    // in Basic auth is one of these three alignments.
    let bytes = secret.as_bytes();
    for engine in [
        base64::engine::general_purpose::STANDARD_NO_PAD,
        base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for offset in 0..3usize {
            let mut padded = vec![0u8; offset];
            padded.extend_from_slice(bytes);
            let encoded = engine.encode(&padded);
            let start = if offset == 0 { 0 } else { 4 };
            let end = (padded.len() / 3) * 4;
            if end > start && end - start >= 8 {
                push(encoded[start..end].to_string());
            }
        }
    }
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("redaction pattern");
        vec![
            // `Authorization: Bearer x`, `"Authorization": "token x"`, `authorization=x`.
            (
                re(r#"(?i)(\bauthorization\b["']?\s*[:=]\s*["']?)[^"'\r\n,;}\]]+"#),
                "${1}[redacted]",
            ),
            // GitHub's token formats, whoever's they are.
            (
                re(r"\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})"),
                REDACTED,
            ),
        ]
    })
}

/// A credential after its scheme (`Bearer x`, `Basic x`).
fn scheme_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9+/=_.~-]{8,})").expect("redaction pattern")
    })
}

/// Whether a word after `Bearer`/`Basic` is a credential rather than prose
/// ("basic authentication"): tokens and base64 have digits, symbols or
/// capitals inside.
fn looks_like_credential(word: &str) -> bool {
    word.chars()
        .any(|c| c.is_ascii_digit() || "+/=_".contains(c))
        || (word.chars().skip(1).any(|c| c.is_ascii_uppercase())
            && word.chars().any(|c| c.is_ascii_lowercase()))
}

/// Characters a token or its base64 is made of: a match is widened over
/// them so that no edge of the secret stays behind.
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+/=_-.~".contains(c)
}

/// `text` without secrets: see the module documentation for what goes.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for (re, with) in patterns() {
        if let Cow::Owned(s) = re.replace_all(&out, *with) {
            out = Cow::Owned(s);
        }
    }
    let schemes = scheme_pattern().replace_all(&out, |c: &regex::Captures<'_>| {
        if looks_like_credential(&c[3]) {
            format!("{}{}{REDACTED}", &c[1], &c[2])
        } else {
            c[0].to_string()
        }
    });
    if let Cow::Owned(s) = schemes {
        out = Cow::Owned(s);
    }
    {
        let needles = needles().lock().unwrap_or_else(|e| e.into_inner());
        for needle in needles.iter() {
            while let Some(i) = out.find(needle.as_str()) {
                let s = out.as_ref();
                let start = s[..i]
                    .char_indices()
                    .rev()
                    .take_while(|(_, c)| token_char(*c))
                    .last()
                    .map_or(i, |(j, _)| j);
                let after = i + needle.len();
                let end = s[after..]
                    .char_indices()
                    .find(|(_, c)| !token_char(*c))
                    .map_or(s.len(), |(j, _)| after + j);
                out = Cow::Owned(format!("{}{REDACTED}{}", &s[..start], &s[end..]));
            }
        }
    }
    out
}

/// Every string in a JSON value (a server's answer) redacted in place.
pub fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(r) = redact(s) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_in_every_form() {
        let token = "tok_9f8e7d6c5b4a3210abcdef";
        add_secret(token);
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        for text in [
            format!("you sent {token}."),
            format!("you sent x{token}y"),
            format!("basic {}", b64(&format!("user:{token}"))),
            format!("header {}!", b64(&format!("ab:{token}"))),
            format!("header {}!", b64(&format!("abc:{token}"))),
            format!("header {}!", b64(token)),
        ] {
            let r = redact(&text);
            assert!(!r.contains("9f8e7d6c5b4a"), "{r}");
            assert!(r.contains(REDACTED), "{r}");
            for forms in [b64(token), b64(&format!("user:{token}"))] {
                assert!(!r.contains(&forms[4..forms.len() - 8]), "{r}");
            }
        }
    }

    #[test]
    fn authorization_values_and_token_shapes_go_prose_stays() {
        let cases = [
            (
                r#"{"Authorization": "Bearer tok_9f8e7d6c5b4a3210abcdef"}"#,
                r#"{"Authorization": "[redacted]"}"#,
            ),
            (
                r#"{"Authorization": "Bearer abc"}"#,
                r#"{"Authorization": "[redacted]"}"#,
            ),
            (
                "Authorization: token abc\nnext",
                "Authorization: [redacted]\nnext",
            ),
            ("sent Bearer x1y2z3w4v5", "sent Bearer [redacted]"),
            (
                "authorization: Bearer x1y2z3w4v5; next",
                "authorization: [redacted]; next",
            ),
            (
                "sent Basic dXNlcjpwYXNzMQ==, bye",
                "sent Basic [redacted], bye",
            ),
            ("a ghp_ABCDEFGHIJKLMNOP0123 b", "a [redacted] b"),
            (
                "basic authentication required; the token was rejected",
                "basic authentication required; the token was rejected",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want);
        }
    }

    #[test]
    fn short_values_are_not_secrets() {
        add_secret("abc");
        add_secret("");
        assert_eq!(redact("abc abc"), "abc abc");
    }

    #[test]
    fn json_strings_are_redacted() {
        let mut v = serde_json::json!({"message": "you sent Bearer zz99zz99zz", "n": [ "Authorization: x" ]});
        redact_json(&mut v);
        assert_eq!(v["message"], "you sent Bearer [redacted]");
        assert_eq!(v["n"][0], "Authorization: [redacted]");
    }
}
