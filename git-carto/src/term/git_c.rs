//! The settings of `git -c key=value carto ...`. git hands them to a
//! subcommand only in the environment, and libgit2 reads none of it, so
//! without this module `git -c` would be silently ignored. One pure parser
//! for both of git's encodings, below `repo/config` because the colour
//! decision here in `term/` needs `color.ui` from it too.

/// One `git -c` setting; `None` is a key given without `=` (git's implicit
/// `true`).
pub type Setting = (String, Option<String>);

/// Every `git -c` setting of this process, in git's order (later wins).
pub fn from_env() -> Result<Vec<Setting>, String> {
    parse(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()))
}

/// The last value of `key` (case-insensitive, as git compares section and
/// name); a malformed environment counts as unset: the caller has no place
/// to report it (the config loader does).
pub fn lookup(key: &str) -> Option<Option<String>> {
    from_env()
        .ok()?
        .into_iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// As git's `git_config_from_parameters`: first `GIT_CONFIG_COUNT` with
/// `GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>` (`git --config-env`,
/// scripts), then `GIT_CONFIG_PARAMETERS` (`git -c`).
pub fn parse(var: impl Fn(&str) -> Option<String>) -> Result<Vec<Setting>, String> {
    let mut out = Vec::new();
    if let Some(count) = var("GIT_CONFIG_COUNT") {
        let count: u32 = match count.as_str() {
            "" => 0,
            n => n
                .parse()
                .ok()
                .filter(|n| *n <= i32::MAX as u32)
                .ok_or_else(|| format!("GIT_CONFIG_COUNT: `{count}` is not a count"))?,
        };
        for i in 0..count {
            let key = var(&format!("GIT_CONFIG_KEY_{i}"))
                .ok_or_else(|| format!("GIT_CONFIG_KEY_{i} is missing"))?;
            let value = var(&format!("GIT_CONFIG_VALUE_{i}"))
                .ok_or_else(|| format!("GIT_CONFIG_VALUE_{i} is missing"))?;
            out.push((checked_key(key)?, Some(value)));
        }
    }
    if let Some(params) = var("GIT_CONFIG_PARAMETERS") {
        out.extend(parse_parameters(&params)?);
    }
    Ok(out)
}

/// `GIT_CONFIG_PARAMETERS`: space-separated shell-quoted items, new style
/// `'key'='value'` (or `'key'=` for an implicit true) and old style
/// `'key=value'`, as git's `parse_config_env_list`.
pub fn parse_parameters(text: &str) -> Result<Vec<Setting>, String> {
    let bogus = || format!("GIT_CONFIG_PARAMETERS: bogus format: {text}");
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (first, after) = sq_dequote_step(rest).ok_or_else(bogus)?;
        rest = after;
        if rest.is_empty() || rest.starts_with(char::is_whitespace) {
            let (key, value) = match first.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (first, None),
            };
            out.push((checked_key(key)?, value));
        } else if let Some(after_eq) = rest.strip_prefix('=') {
            let value = if after_eq.starts_with('\'') {
                let (value, after) = sq_dequote_step(after_eq).ok_or_else(bogus)?;
                if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
                    return Err(bogus());
                }
                rest = after;
                Some(value)
            } else if after_eq.is_empty() || after_eq.starts_with(char::is_whitespace) {
                rest = after_eq;
                None
            } else {
                return Err(bogus());
            };
            out.push((checked_key(first)?, value));
        } else {
            return Err(bogus());
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

/// One single-quoted word from the start of `text` and what follows it, as
/// git's `sq_dequote_step`: `'\''` and `'\!'` resume the quote with the
/// escaped character; anything else after a closing quote ends the word.
fn sq_dequote_step(text: &str) -> Option<(String, &str)> {
    let mut word = String::new();
    let mut rest = text.strip_prefix('\'')?;
    loop {
        let close = rest.find('\'')?;
        word.push_str(&rest[..close]);
        rest = &rest[close + 1..];
        match rest.as_bytes() {
            [b'\\', c @ (b'\'' | b'!'), b'\'', ..] => {
                word.push(*c as char);
                rest = &rest[3..];
            }
            _ => return Some((word, rest)),
        }
    }
}

/// git refuses a key without a section or a name; so do we, rather than
/// guess what was meant.
fn checked_key(key: String) -> Result<String, String> {
    match key.split_once('.') {
        Some((section, _)) if !section.is_empty() && !key.ends_with('.') => Ok(key),
        _ => Err(format!("git -c: `{key}` is not a key (section.name)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn s(k: &str, v: Option<&str>) -> Setting {
        (k.to_string(), v.map(str::to_string))
    }

    #[test]
    fn reads_what_git_writes() {
        // Captured from git 2.47: `git -c a.b.C=1 -c x.y -c "q.z=it's!" -c e.f= -c 'k.l=a b'`.
        let text = r#"'a.b.C'='1' 'x.y'= 'q.z'='it'\''s'\!'' 'e.f'='' 'k.l'='a b'"#;
        assert_eq!(
            parse_parameters(text).unwrap(),
            vec![
                s("a.b.C", Some("1")),
                s("x.y", None),
                s("q.z", Some("it's!")),
                s("e.f", Some("")),
                s("k.l", Some("a b")),
            ]
        );
    }

    #[test]
    fn reads_the_old_style() {
        assert_eq!(
            parse_parameters("'color.ui=never' 'x.y' 'a.b=c=d'").unwrap(),
            vec![
                s("color.ui", Some("never")),
                s("x.y", None),
                s("a.b", Some("c=d"))
            ]
        );
    }

    #[test]
    fn refuses_what_git_refuses() {
        for bad in [
            "color.ui=never",
            "'color.ui'=never",
            "'color.ui",
            "'color.ui'x",
            "'a.b'='c'd",
            "'nokey'",
            "'.b=c'",
        ] {
            assert!(parse_parameters(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn count_first_then_parameters() {
        let vars = [
            ("GIT_CONFIG_COUNT", "2"),
            ("GIT_CONFIG_KEY_0", "color.ui"),
            ("GIT_CONFIG_VALUE_0", "always"),
            ("GIT_CONFIG_KEY_1", "carto.a.b"),
            ("GIT_CONFIG_VALUE_1", "it's"),
            ("GIT_CONFIG_PARAMETERS", "'color.ui'='never'"),
        ];
        assert_eq!(
            parse(env(&vars)).unwrap(),
            vec![
                s("color.ui", Some("always")),
                s("carto.a.b", Some("it's")),
                s("color.ui", Some("never")),
            ]
        );
        assert!(parse(env(&[("GIT_CONFIG_COUNT", "1")])).is_err());
        assert!(parse(env(&[("GIT_CONFIG_COUNT", "x")])).is_err());
        assert_eq!(parse(env(&[])).unwrap(), vec![]);
    }

    mod outside_input {
        //! The environment is whatever a script set: parsed or refused,
        //! never a panic.
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(500), ..ProptestConfig::default() })]
            #[test]
            fn any_parameters(text in "(['=\\\\! a.bé]|.){0,40}") {
                let _ = parse_parameters(&text);
            }

            #[test]
            fn any_count(count in ".{0,6}", key in ".{0,10}") {
                let vars = [("GIT_CONFIG_COUNT", count.as_str()), ("GIT_CONFIG_KEY_0", key.as_str()), ("GIT_CONFIG_VALUE_0", "v")];
                let _ = parse(env(&vars));
            }

            #[test]
            fn quoted_round_trip(key in "[a-z]{1,5}\\.[a-zA-Z.]{0,7}[a-zA-Z]", value in ".{0,20}") {
                let q = |s: &str| format!("'{}'", s.replace('\'', r"'\''").replace('!', r"'\!'"));
                let text = format!("{}={} {}", q(&key), q(&value), q(&format!("{key}={value}")));
                let parsed = parse_parameters(&text);
                prop_assert_eq!(parsed, Ok(vec![(key.clone(), Some(value.clone())), (key, Some(value))]));
            }
        }
    }
}
