//! The one configuration loader.
//!
//! Values come from four layers, later wins: built-in defaults (the process
//! document, so the first user needs no file), the repository's `.gitcarto`
//! (git-config syntax, read with git2's parser like `.gitmodules`), the
//! repository's own git config under `carto.<key>`, so a single clone can differ,
//! and `git -c carto.<key>=...` for one run (git passes it in the environment,
//! which git2 does not read: [`crate::term::git_c`]).
//! Every key is declared once in [`KEYS`]; unknown keys and bad values are errors
//! that name the file and line, because a typo silently ignored is a wrong release.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

mod keys;
pub use keys::*;

/// Where a value came from, shown by `git carto config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum Source {
    Default,
    File(PathBuf),
    GitConfig,
    /// `git -c carto.<key>=...` (or `git --config-env`, `GIT_CONFIG_COUNT`).
    CommandLine,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::GitConfig => f.write_str("git config"),
            Source::CommandLine => f.write_str("git -c"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Value {
    pub values: Vec<String>,
    pub source: Source,
}

/// The effective configuration: every key of [`KEYS`] (subsection keys only
/// when set), lower-cased for lookup as git itself does.
#[derive(Debug, Clone)]
pub struct Config {
    entries: BTreeMap<String, (String, Value)>,
}

impl Config {
    /// Defaults only; what a repository without `.gitcarto` gets.
    pub fn defaults() -> Self {
        let mut entries = BTreeMap::new();
        for def in KEYS.iter().filter(|d| !d.name.contains('*')) {
            let value = Value {
                values: def.defaults.iter().map(|s| s.to_string()).collect(),
                source: Source::Default,
            };
            entries.insert(def.name.to_ascii_lowercase(), (def.name.to_string(), value));
        }
        Config { entries }
    }

    /// Load for a repository: defaults, then `<workdir>/.gitcarto`, then `carto.*`
    /// from the repository's git config, then `git -c carto.*`.
    pub fn load(repo: &git2::Repository) -> Result<Self> {
        let mut config = Config::defaults();
        let mut problems = Vec::new();
        if let Some(workdir) = repo.workdir() {
            let file = workdir.join(FILE_NAME);
            if file.exists() {
                if let Err(e) = config.apply_file(&file) {
                    problems.push(e.message().to_string());
                }
            }
        }
        let git_config = repo.config()?.snapshot()?;
        let mut layer = Vec::new();
        let mut entries = git_config.entries(Some(r"^carto\."))?;
        while let Some(entry) = entries.next() {
            let entry = entry?;
            let Ok(name) = entry.name() else {
                continue;
            };
            let key = name["carto.".len()..].to_string();
            match entry_value(entry) {
                Ok(value) => layer.push((key, value)),
                Err(why) => problems.push(format!("git config carto.{key}: {why}")),
            }
        }
        problems.extend(config.apply_layer(layer, Source::GitConfig, |key| {
            format!("git config carto.{key}")
        }));
        match crate::term::git_c::from_env() {
            Ok(settings) => {
                let layer = settings
                    .into_iter()
                    .filter_map(|(key, value)| {
                        let (section, rest) = key.split_once('.')?;
                        section
                            .eq_ignore_ascii_case("carto")
                            .then(|| (rest.to_string(), value))
                    })
                    .collect();
                problems.extend(config.apply_layer(layer, Source::CommandLine, |key| {
                    format!("git -c carto.{key}")
                }));
            }
            Err(e) => problems.push(e),
        }
        problems.extend(config.combination_problems());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(Error::usage(problems.join("\n")))
        }
    }

    /// Values that are fine alone but cannot work together.
    fn combination_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.mirror() == self.production() {
            out.push(format!(
                "{}: `branch.mirror` and `branch.production` are both `{}`: the mirror holds \
                 upstream's releases only and production the fork's work, they must differ",
                self.locate("branch.production"),
                self.mirror()
            ));
        }
        out
    }

    /// Where a key's effective value was set, as `file:line` when it can be told.
    fn locate(&self, key: &str) -> String {
        match self
            .entries
            .get(&key.to_ascii_lowercase())
            .map(|(_, v)| &v.source)
        {
            Some(Source::File(p)) => {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                match line_of(&text, key) {
                    Some(line) => format!("{}:{line}", p.display()),
                    None => p.display().to_string(),
                }
            }
            Some(Source::GitConfig) => format!("git config carto.{key}"),
            Some(Source::CommandLine) => format!("git -c carto.{key}"),
            _ => format!("default {key}"),
        }
    }

    /// Apply one `.gitcarto` file. git2 reports syntax errors with the line;
    /// for unknown keys and bad values we find the line ourselves.
    pub fn apply_file(&mut self, file: &Path) -> Result<()> {
        let parsed = git2::Config::open(file)
            .map_err(|e| Error::usage(format!("malformed {}: {}", file.display(), e.message())))?;
        let mut layer = Vec::new();
        let mut bad_values = Vec::new();
        let mut entries = parsed
            .entries(None)
            .map_err(|e| Error::usage(format!("malformed {}: {}", file.display(), e.message())))?;
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(|e| {
                Error::usage(format!("malformed {}: {}", file.display(), e.message()))
            })?;
            let Ok(name) = entry.name() else {
                return Err(Error::usage(format!(
                    "{}: a key name is not UTF-8",
                    file.display()
                )));
            };
            match entry_value(entry) {
                Ok(value) => layer.push((name.to_string(), value)),
                Err(why) => bad_values.push((name.to_string(), why)),
            }
        }
        let bytes = std::fs::read(file).unwrap_or_default();
        // git's parser ends a value at a NUL byte, silently: the value used
        // would not be the one written.
        let mut problems: Vec<String> = bytes
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, line)| line.contains(&0))
            .map(|(i, _)| format!("{}:{}: a NUL byte in a value", file.display(), i + 1))
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        let locate = |key: &str| match line_of(&text, key) {
            Some(line) => format!("{}:{line}", file.display()),
            None => file.display().to_string(),
        };
        for (key, why) in &bad_values {
            problems.push(format!("{}: `{key}`: {why}", locate(key)));
        }
        problems.extend(self.apply_layer(layer, Source::File(file.to_path_buf()), locate));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::usage(problems.join("\n")))
        }
    }

    fn apply_layer(
        &mut self,
        layer: Vec<(String, Option<String>)>,
        source: Source,
        locate: impl Fn(&str) -> String,
    ) -> Vec<String> {
        // Every problem of the layer is reported at once: fixing a file one
        // error per run is slow.
        let mut problems = Vec::new();
        // A multi-valued key set in a layer replaces the defaults rather than adding
        // to them, so a fork can drop a default pattern.
        let mut replaced: Vec<String> = Vec::new();
        for (key, raw) in layer {
            let lower = key.to_ascii_lowercase();
            let Some(def) = find_def(&lower) else {
                problems.push(format!(
                    "{}: unknown key `{key}` (see `git carto config --help` for the keys)",
                    locate(&key)
                ));
                continue;
            };
            // As git does, a key without `=` means true, which only a
            // boolean can take.
            let raw = match (raw, &def.kind) {
                (Some(raw), _) => raw,
                (None, Kind::Bool) => "true".to_string(),
                (None, _) => {
                    problems.push(format!(
                        "{}: `{}` has no value (only a boolean may be written without `= <value>`)",
                        locate(&key),
                        display_name(def, &key)
                    ));
                    continue;
                }
            };
            if let Err(why) = check_subsection(def, &key).and_then(|()| check_value(def, &raw)) {
                problems.push(format!("{}: bad value for `{key}`: {why}", locate(&key)));
                continue;
            }
            let display = display_name(def, &key);
            let entry = self.entries.entry(lower.clone()).or_insert_with(|| {
                (
                    display.clone(),
                    Value {
                        values: Vec::new(),
                        source: source.clone(),
                    },
                )
            });
            if def.multi && replaced.contains(&lower) {
                entry.1.values.push(raw);
            } else {
                entry.1.values = vec![raw];
                replaced.push(lower);
            }
            entry.1.source = source.clone();
        }
        problems
    }

    /// The single value of a key; `None` when unset (keys without a default).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .get(&key.to_ascii_lowercase())
            .and_then(|(_, v)| v.values.last())
            .map(String::as_str)
    }

    /// Every value of a multi-valued key.
    pub fn get_all(&self, key: &str) -> &[String] {
        self.entries
            .get(&key.to_ascii_lowercase())
            .map(|(_, v)| v.values.as_slice())
            .unwrap_or(&[])
    }

    /// Names of the subsections set for a section, e.g. the policies of `resolve`.
    pub fn subsections(&self, section: &str) -> Vec<String> {
        let prefix = format!("{}.", section.to_ascii_lowercase());
        let mut out: Vec<String> = Vec::new();
        for (display, _) in self.entries.values() {
            if display.to_ascii_lowercase().starts_with(&prefix) {
                let rest = &display[prefix.len()..];
                if let Some(dot) = rest.rfind('.') {
                    let sub = rest[..dot].to_string();
                    if !out.contains(&sub) {
                        out.push(sub);
                    }
                }
            }
        }
        out
    }

    /// Every entry as (display name, value), for `git carto config`.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.values().map(|(name, v)| (name.as_str(), v))
    }

    // Typed accessors for the keys every command needs.

    pub fn mirror(&self) -> &str {
        self.get("branch.mirror").unwrap_or("main")
    }
    pub fn production(&self) -> &str {
        self.get("branch.production").unwrap_or("carto/main")
    }
    pub fn feature_prefix(&self) -> &str {
        self.get("branch.featurePrefix").unwrap_or("feature/")
    }
    pub fn origin(&self) -> &str {
        self.get("remote.origin").unwrap_or("origin")
    }
    pub fn upstream(&self) -> &str {
        self.get("remote.upstream").unwrap_or("upstream")
    }

    /// A boolean key; values were checked at load time, so anything not
    /// true-like is false.
    pub fn get_bool(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1"))
    }
}

fn find_def(lower: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|def| {
        let name = def.name.to_ascii_lowercase();
        match name.split_once(".*.") {
            None => name == lower,
            Some((section, key)) => lower
                .strip_prefix(section)
                .and_then(|r| r.strip_prefix('.'))
                .and_then(|r| r.rsplit_once('.'))
                .is_some_and(|(sub, k)| !sub.is_empty() && k == key),
        }
    })
}

/// The name to show: the declared camelCase with the user's subsection kept.
fn display_name(def: &KeyDef, key: &str) -> String {
    match def.name.split_once(".*.") {
        None => def.name.to_string(),
        Some((section, k)) => {
            let sub = &key[section.len() + 1..key.len() - k.len() - 1];
            format!("{section}.{sub}.{k}")
        }
    }
}

/// The subsection of a `section.*.key` key, where its names are fixed.
fn check_subsection(def: &KeyDef, key: &str) -> std::result::Result<(), String> {
    if def.name != "resolve.*.path" {
        return Ok(());
    }
    let sub = &key["resolve.".len()..key.len() - ".path".len()];
    if POLICIES.contains(&sub) {
        Ok(())
    } else {
        Err(format!(
            "unknown resolve policy `{sub}` (`[resolve \"{sub}\"]`): use one of {}",
            POLICIES.join(", ")
        ))
    }
}

fn check_value(def: &KeyDef, raw: &str) -> std::result::Result<(), String> {
    match def.kind {
        Kind::Text => Ok(()),
        Kind::RefName => {
            if git2::Reference::is_valid_name(&format!("refs/heads/{raw}")) && !raw.starts_with('-')
            {
                Ok(())
            } else {
                Err(format!("`{raw}` is not a valid ref name"))
            }
        }
        Kind::Template(required) => {
            for p in required {
                if !raw.contains(p) {
                    return Err(format!("`{raw}` must contain {p}"));
                }
            }
            Ok(())
        }
        Kind::OneOf(words) => {
            if words.contains(&raw) {
                Ok(())
            } else {
                Err(format!("`{raw}` is not one of {}", words.join(", ")))
            }
        }
        Kind::Version => semver::Version::parse(raw)
            .map(|_| ())
            .map_err(|e| format!("`{raw}` is not a version X.Y.Z: {e}")),
        Kind::Number(lo, hi) => match raw.parse::<u64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(()),
            Ok(_) => Err(format!("`{raw}` is outside {lo}..{hi}")),
            Err(_) => Err(format!("`{raw}` is not a number")),
        },
        Kind::Word => {
            if raw.is_empty() {
                Err("empty: list at least one".to_string())
            } else if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err(format!("`{raw}` is not one word"))
            } else {
                Ok(())
            }
        }
        Kind::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0" => Ok(()),
            _ => Err(format!("`{raw}` is not a boolean")),
        },
        Kind::Glob => crate::repo::glob::PathGlob::new(raw)
            .map(|_| ())
            .map_err(|e| format!("`{raw}` is not a path glob: {e}")),
        Kind::Regex => regex::Regex::new(raw)
            .map(|_| ())
            .map_err(|e| format!("`{raw}` is not a regular expression: {e}")),
    }
}

/// The value of a config entry; `None` for a key written without `=` (git's
/// shorthand for true). git2's `value()` panics on such a key, and a value
/// that is not UTF-8 would not be the one written, so both are asked first.
fn entry_value(entry: &git2::ConfigEntry<'_>) -> std::result::Result<Option<String>, String> {
    if !entry.has_value() {
        return Ok(None);
    }
    match std::str::from_utf8(entry.value_bytes()) {
        Ok(v) => Ok(Some(v.to_string())),
        Err(_) => Err("the value is not UTF-8".to_string()),
    }
}

/// Line (1-based) where `key` (`section.key` or `section.sub.key`) is set in a
/// git-config text. A small scan of section headers and `name =` lines: enough
/// to point at the right line, which git2 does not tell us for valid syntax.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (section_and_sub, name) = key.rsplit_once('.')?;
    let (section, sub) = match section_and_sub.split_once('.') {
        Some((s, sub)) => (s, Some(sub)),
        None => (section_and_sub, None),
    };
    let mut in_section = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(header) = t.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or("");
            let (h_section, h_sub) = match header.split_once(' ') {
                Some((s, rest)) => (s, Some(rest.trim().trim_matches('"'))),
                None => (header, None),
            };
            let h_section_lower = h_section.to_ascii_lowercase();
            in_section = h_section_lower == section.to_ascii_lowercase()
                && match (sub, h_sub) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a == b,
                    // `[section.sub]` old-style header
                    _ => false,
                };
            continue;
        }
        if in_section {
            let k = t.split(['=', ' ', '\t']).next().unwrap_or("");
            if k.eq_ignore_ascii_case(name) {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_subsection_keys() {
        assert!(find_def("branch.production").is_some());
        assert!(find_def("branch.nope").is_none());
    }

    #[test]
    fn locates_lines() {
        let text = "[branch]\n\tmirror = main\n[release]\n\tpolicy = weird\n";
        assert_eq!(line_of(text, "release.policy"), Some(4));
        assert_eq!(line_of(text, "branch.mirror"), Some(2));
    }

    mod outside_input {
        //! `.gitcarto` is any text a commit brings: loading it refuses or
        //! accepts, never panics, and every value check terminates.
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(100), ..ProptestConfig::default() })]
            #[test]
            fn any_file(text in "(\\[[a-z\" ]{0,12}\\]\n|\t?[a-zA-Z.]{0,16} ?= ?.{0,20}\n|.{0,20}\n){0,8}", nul in any::<bool>()) {
                let dir = std::env::temp_dir().join(format!("carto-prop-{}", std::process::id()));
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join(FILE_NAME);
                let mut bytes = text.into_bytes();
                if nul {
                    bytes.insert(bytes.len() / 2, 0);
                }
                std::fs::write(&file, &bytes).unwrap();
                let _ = Config::defaults().apply_file(&file);
                let _ = line_of(&String::from_utf8_lossy(&bytes), "branch.mirror");
            }

            #[test]
            fn any_value(raw in ".{0,40}") {
                for def in KEYS {
                    let _ = check_value(def, &raw);
                }
            }
        }
    }
}
