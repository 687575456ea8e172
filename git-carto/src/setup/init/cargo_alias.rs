//! The fork's `.cargo/config.toml`: `cargo xtask` in the fork's own checkout.
//!
//! The release front end is installed with git-carto as the cargo subcommand
//! `cargo-carto`. A repo-local alias `xtask = "carto"` gives the fork the
//! familiar `cargo xtask release ...` without a global `cargo-xtask` (which
//! makes cargo warn in every project that has its own `xtask` alias,
//! rust-lang/cargo#10049) and without compiling anything in the fork.
//!
//! The file is edited as text, line by line, so whatever else it says (and
//! its comments) stays exactly as it was; an `xtask` alias that is already
//! there and points elsewhere is never replaced.

/// Where cargo looks for project configuration, relative to the work tree.
pub(crate) const PATH: &str = ".cargo/config.toml";
/// The line init wants in the `[alias]` table.
const LINE: &str = "xtask = \"carto\"";

/// What init does to the file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// The alias is there already.
    Unchanged,
    /// Another `xtask` alias is there (e.g. upstream's own xtask crate): kept.
    Foreign(String),
    /// Write this text (the old file plus the alias, or a new file).
    Write(String),
}

/// The change that puts the alias into `old` (the file's text, if any).
pub(crate) fn change(old: Option<&str>) -> Change {
    let Some(old) = old else {
        return Change::Write(format!(
            "[alias]\n# `cargo xtask release ...`: the release front end installed with \
             git-carto (`cargo-carto`).\n{LINE}\n"
        ));
    };
    let mut table = String::new();
    let mut alias_header = None;
    for (i, line) in old.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            table = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if table == "alias" && !t.starts_with("[[") {
                alias_header = Some(i);
            }
            continue;
        }
        let Some((key, value)) = t.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        let ours =
            (table == "alias" && key == "xtask") || (table.is_empty() && key == "alias.xtask");
        if ours {
            let value = value.trim();
            return if value == "\"carto\"" || value == "'carto'" || value == "[\"carto\"]" {
                Change::Unchanged
            } else {
                Change::Foreign(value.to_string())
            };
        }
    }
    let mut lines: Vec<&str> = old.lines().collect();
    match alias_header {
        Some(i) => lines.insert(i + 1, LINE),
        None => {
            if lines.last().is_some_and(|l| !l.trim().is_empty()) {
                lines.push("");
            }
            lines.push("[alias]");
            lines.push(LINE);
        }
    }
    Change::Write(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_has_the_alias() {
        let Change::Write(text) = change(None) else {
            panic!()
        };
        assert!(text.starts_with("[alias]\n") && text.ends_with("xtask = \"carto\"\n"));
    }

    #[test]
    fn an_alias_table_gets_the_line_and_keeps_the_rest() {
        let old = "[build]\njobs = 2 # two\n\n[alias]\nb = \"build\"\n";
        assert_eq!(
            change(Some(old)),
            Change::Write(
                "[build]\njobs = 2 # two\n\n[alias]\nxtask = \"carto\"\nb = \"build\"\n".into()
            )
        );
    }

    #[test]
    fn a_file_without_aliases_gets_a_table() {
        assert_eq!(
            change(Some("[net]\nretry = 3")),
            Change::Write("[net]\nretry = 3\n\n[alias]\nxtask = \"carto\"\n".into())
        );
    }

    #[test]
    fn an_existing_alias_is_recognised_or_kept() {
        assert_eq!(
            change(Some("[alias]\nxtask = \"carto\"\n")),
            Change::Unchanged
        );
        assert_eq!(change(Some("alias.xtask = \"carto\"\n")), Change::Unchanged);
        assert_eq!(
            change(Some("[alias]\nxtask = \"run --package xtask --\"\n")),
            Change::Foreign("\"run --package xtask --\"".into())
        );
        // A key named xtask in another table is not the alias.
        assert!(matches!(
            change(Some("[env]\nxtask = \"1\"\n")),
            Change::Write(_)
        ));
    }
}
