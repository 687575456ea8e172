//! ARCHITECTURE.md is checked against the tree: every library module is named
//! there, and no folder of the library imports one at its own layer or above.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers of ARCHITECTURE.md, lowest first. Folders on one layer may not
/// use each other either.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["term"],
    &["repo"],
    &["remote"],
    &["guard"],
    &["branch", "sync", "release"],
    &["setup"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../git-carto/src")
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn layer_of(room: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&room))
}

/// The room a source file belongs to: its top folder, or its stem at the top.
fn room(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn library_files() -> BTreeMap<PathBuf, String> {
    let mut files = Vec::new();
    rs_files(&src(), &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(src()).unwrap().to_path_buf();
            let text = std::fs::read_to_string(&p).unwrap();
            (rel, text)
        })
        .collect()
}

#[test]
fn no_folder_imports_its_own_layer_or_above() {
    let mut wrong = Vec::new();
    for (rel, text) in library_files() {
        let from = room(&rel);
        let Some(from_layer) = layer_of(&from) else {
            continue; // lib.rs, main.rs and the binary's cli/
        };
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + "crate::".len()..];
                let to: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let Some(to_layer) = layer_of(&to) else {
                    continue;
                };
                if to != from && to_layer >= from_layer {
                    wrong.push(format!("{}:{}: {from} uses {to}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_folder_of_the_library_is_a_known_layer() {
    for e in std::fs::read_dir(src()).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                name == "cli" || layer_of(&name).is_some(),
                "git-carto/src/{name}/ is on no layer of ARCHITECTURE.md"
            );
        }
    }
}

#[test]
fn architecture_md_names_every_module() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md"))
            .unwrap();
    let mut missing = Vec::new();
    for rel in library_files().keys() {
        let stem = rel.file_stem().unwrap().to_string_lossy().to_string();
        let parent = rel
            .parent()
            .and_then(|p| p.file_name())
            .map(|p| p.to_string_lossy().to_string());
        // A folder's mod.rs is named by the folder; `tests.rs` by its module.
        let name = match (stem.as_str(), &parent) {
            ("mod" | "tests", Some(p)) => format!("{p}/"),
            ("lib" | "main", None) => continue,
            _ => stem.clone(),
        };
        if !doc.contains(&format!("`{name}`"))
            && !doc.contains(&format!("`{name}/`"))
            && !doc.contains(&format!("{name}.rs"))
        {
            missing.push(rel.display().to_string());
        }
    }
    for e in std::fs::read_dir(src()).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            let name = format!("{}/", p.file_name().unwrap().to_string_lossy());
            if !doc.contains(&name) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {}",
        missing.join(", ")
    );
}

/// Small modules named for what they do: a source file past 700 lines is
/// two concepts (the layout issue's limit, kept by CI rather than found late).
#[test]
fn no_source_file_is_over_700_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["git-carto/src", "xtask/src", "tests/src"] {
        rs_files(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 700).then(|| format!("{} ({lines})", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over 700 lines: {long:?}");
}
