//! Generate a large fork repository fast, through `git fast-import`, for the
//! benchmarks in `bench/run.sh`.
//!
//! Shape (defaults): 100k commits; 300 upstream versions, each released on its
//! own branch off upstream's main with a stable tag (`v1.K.2-stable`, the last
//! 20 as plain `v1.K.2`, as upstream did in 2026) so stable tags are not
//! ancestors of each other; a mirror branch `main` of mirror merges; a
//! production branch `carto/main` that merged all but the newest 4 versions,
//! carrying 20k fork commits and 5k release tags; junk tags up to 20k tags.
//! A commit-graph is written, as `git gc` and `fetch.writeCommitGraph` do.
//!
//! `--shape real-fork` is a real fork's history instead: 32k commits, 100
//! upstream versions, 2k fork commits, 1k tags, and upstream's tags stop 20k
//! commits behind HEAD, as they do when a fork stops fetching upstream's tags
//! (the newer versions are still merged, untagged; releases since then carry
//! the last tagged version), with no commit-graph.
//!
//! Usage: carto-gen <dir> [--shape generated|real-fork] [--commits N]
//!        [--versions N] [--fork-commits N] [--releases N] [--tags N]
//!        [--upstream-tags-behind N] [--no-commit-graph]

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Args {
    dir: PathBuf,
    commits: usize,
    versions: usize,
    fork_commits: usize,
    releases: usize,
    tags: usize,
    /// Upstream tags on the newest N commits are not in the repository.
    tags_behind: usize,
    commit_graph: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        dir: PathBuf::new(),
        commits: 100_000,
        versions: 300,
        fork_commits: 20_000,
        releases: 5_000,
        tags: 20_000,
        tags_behind: 0,
        commit_graph: true,
    };
    let mut dir = None;
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--commits" => a.commits = num("--commits")?,
            "--versions" => a.versions = num("--versions")?,
            "--fork-commits" => a.fork_commits = num("--fork-commits")?,
            "--releases" => a.releases = num("--releases")?,
            "--tags" => a.tags = num("--tags")?,
            "--upstream-tags-behind" => a.tags_behind = num("--upstream-tags-behind")?,
            "--no-commit-graph" => a.commit_graph = false,
            "--shape" => match it.next().as_deref() {
                Some("generated") => {}
                Some("real-fork") => {
                    a.commits = 32_000;
                    a.versions = 100;
                    a.fork_commits = 2_000;
                    a.releases = 200;
                    a.tags = 1_000;
                    a.tags_behind = 20_000;
                    a.commit_graph = false;
                }
                _ => return Err("--shape takes generated or real-fork".into()),
            },
            "-h" | "--help" => return Err(String::new()),
            other if dir.is_none() && !other.starts_with('-') => dir = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    a.dir = dir.ok_or("missing <dir>")?;
    if a.versions < 5 || a.commits < a.fork_commits + a.versions * 4 {
        return Err("too few commits for that many versions and fork commits".into());
    }
    Ok(a)
}

struct Stream<W: Write> {
    out: W,
    mark: usize,
    time: u64,
    commits: usize,
}

const MERGED_BEHIND: usize = 4;

impl<W: Write> Stream<W> {
    fn commit(
        &mut self,
        branch: &str,
        from: Option<usize>,
        merge: Option<usize>,
        msg: &str,
        path: &str,
        content: &str,
    ) -> usize {
        self.commit_files(
            branch,
            from,
            merge,
            msg,
            &[(path.to_string(), content.to_string())],
        )
    }

    fn commit_files(
        &mut self,
        branch: &str,
        from: Option<usize>,
        merge: Option<usize>,
        msg: &str,
        files: &[(String, String)],
    ) -> usize {
        self.mark += 1;
        self.time += 60;
        self.commits += 1;
        let (m, t) = (self.mark, self.time);
        let who = if branch.starts_with("refs/heads/carto") {
            "Fork Dev <dev@carto.example>"
        } else {
            "Upstream Dev <dev@upstream.example>"
        };
        let _ = write!(self.out, "commit {branch}\nmark :{m}\nauthor {who} {t} +0000\ncommitter {who} {t} +0000\ndata {}\n{msg}\n", msg.len() + 1);
        if let Some(f) = from {
            let _ = writeln!(self.out, "from :{f}");
        }
        if let Some(g) = merge {
            let _ = writeln!(self.out, "merge :{g}");
        }
        for (path, content) in files {
            let _ = write!(
                self.out,
                "M 100644 inline {path}\ndata {}\n{content}\n",
                content.len()
            );
        }
        m
    }

    fn annotated_tag(&mut self, name: &str, target: usize, msg: &str) {
        self.time += 1;
        let _ = write!(
            self.out,
            "tag {name}\nfrom :{target}\ntagger Release Bot <bot@example.com> {} +0000\ndata {}\n{msg}\n",
            self.time,
            msg.len() + 1
        );
    }

    fn light_tag(&mut self, name: &str, target: usize) {
        let _ = write!(self.out, "reset refs/tags/{name}\nfrom :{target}\n\n");
    }

    fn reset(&mut self, refname: &str, target: usize) {
        let _ = write!(self.out, "reset {refname}\nfrom :{target}\n\n");
    }
}

fn version(k: usize) -> String {
    format!("1.{k}.2")
}

fn stable_name(k: usize, versions: usize) -> String {
    if k + 20 >= versions {
        format!("v{}", version(k))
    } else {
        format!("v{}-stable", version(k))
    }
}

type Files = std::collections::BTreeMap<String, String>;

/// The files that differ from `old` in `new`.
fn changes(old: &Files, new: &Files) -> Vec<(String, String)> {
    new.iter()
        .filter(|(p, c)| old.get(*p) != Some(*c))
        .map(|(p, c)| (p.clone(), c.clone()))
        .collect()
}

const TYPES: &[&str] = &[
    "feat", "fix", "fix", "chore", "docs", "refactor", "perf", "test", "ci",
];
const SCOPES: &[&str] = &["proxy", "auth", "docker", "mcp", "router"];

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{}usage: carto-gen <dir> [--shape generated|real-fork] [--commits N] [--versions N] [--fork-commits N] [--releases N] [--tags N] [--upstream-tags-behind N] [--no-commit-graph]", if e.is_empty() { String::new() } else { format!("error: {e}\n") });
            std::process::exit(2);
        }
    };
    if a.dir.exists() {
        eprintln!("error: {} exists", a.dir.display());
        std::process::exit(2);
    }
    let git = |args: &[&str]| {
        let st = Command::new("git")
            .args(args)
            .current_dir(&a.dir)
            .status()
            .expect("run git");
        assert!(st.success(), "git {args:?} failed");
    };
    std::fs::create_dir_all(&a.dir).unwrap();
    git(&["init", "--quiet", "--initial-branch=main"]);
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet", "--done"])
        .current_dir(&a.dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    let out = BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
    let mut s = Stream {
        out,
        mark: 0,
        time: 1_600_000_000,
        commits: 0,
    };

    let merged = a.versions - MERGED_BEHIND;
    let per_version_branch = 2;
    let mirror_and_prod_merges = a.versions + merged;
    let upstream_main =
        a.commits - a.fork_commits - a.versions * per_version_branch - mirror_and_prod_merges;
    let main_per_version = upstream_main / a.versions;

    let mut main_tip = s.commit(
        "refs/heads/upstream-main",
        None,
        None,
        "Initial commit",
        "pyproject.toml",
        "version = \"1.0.0\"",
    );
    // File contents of each line, so merges can carry exactly the tag's tree.
    let mut main_files: Files = Files::new();
    main_files.insert("pyproject.toml".into(), "version = \"1.0.0\"".into());
    let mut mirror_files = main_files.clone();
    let mut prod_files = main_files.clone();
    let mut mirror_tip: Option<usize> = None;
    let mut prod_tip: Option<usize> = None;
    let mut main_marks = vec![main_tip];
    let mut release_count = 0;
    let mut fork_count = 0;
    let mut stable_count = 0;
    // The upstream version releases are named after: the newest one tagged.
    let mut release_label = version(0);
    let mut per_label: std::collections::HashMap<String, usize> = Default::default();
    // Upstream tags are made only on commits older than this.
    let tag_cutoff = a.commits.saturating_sub(a.tags_behind);
    for k in 0..a.versions {
        let n_main = if k + 1 == a.versions {
            upstream_main - main_per_version * k - 1
        } else {
            main_per_version
        };
        for i in 0..n_main {
            let pr = 1000 + s.commits;
            let (path, content) = (format!("litellm/mod{}.py", i % 500), format!("# {pr}"));
            main_tip = s.commit(
                "refs/heads/upstream-main",
                Some(main_tip),
                None,
                &format!("Update proxy server handling (#{pr})"),
                &path,
                &content,
            );
            main_files.insert(path, content);
            main_marks.push(main_tip);
        }
        let v = version(k);
        let branch = format!("refs/heads/upstream-release/v{v}");
        let b1 = s.commit(
            &branch,
            Some(main_tip),
            None,
            &format!("release prep {v}"),
            "CHANGELOG.md",
            &v,
        );
        let tagged = s.commit(
            &branch,
            Some(b1),
            None,
            &format!("bump: version {v}"),
            "pyproject.toml",
            &format!("version = \"{v}\""),
        );
        let stable = stable_name(k, a.versions);
        if a.tags_behind == 0 || s.commits < tag_cutoff {
            s.annotated_tag(&stable, tagged, &format!("Release {v}"));
            stable_count += 1;
            release_label = v.clone();
        }
        if a.tags_behind > 0 {
            // The fork still fetches upstream's branches, so untagged release
            // commits are upstream's by ancestry.
            s.reset(&format!("refs/remotes/upstream/release/v{v}"), tagged);
        }
        let mut tag_files = main_files.clone();
        tag_files.insert("CHANGELOG.md".into(), v.clone());
        tag_files.insert("pyproject.toml".into(), format!("version = \"{v}\""));
        // A mirror merge: parents (old mirror, tag), tree exactly the tag's.
        let m = match mirror_tip {
            None => {
                s.reset("refs/heads/main", tagged);
                tagged
            }
            Some(old) => s.commit_files(
                "refs/heads/main",
                Some(old),
                Some(tagged),
                &format!("Merge tag '{stable}' into main"),
                &changes(&mirror_files, &tag_files),
            ),
        };
        mirror_files = tag_files.clone();
        mirror_tip = Some(m);
        if k >= merged {
            continue;
        }
        let from = prod_tip.or(Some(m));
        let p = if prod_tip.is_some() {
            let files = changes(&prod_files, &tag_files);
            s.commit_files(
                "refs/heads/carto/main",
                from,
                Some(m),
                &format!("Merge branch 'upstream-sync/v{v}' into carto/main"),
                &files,
            )
        } else {
            s.commit(
                "refs/heads/carto/main",
                Some(m),
                None,
                "feat: start the carto fork",
                "carto_config.yaml",
                "carto: true",
            )
        };
        prod_files.extend(tag_files.iter().map(|(p, c)| (p.clone(), c.clone())));
        prod_tip = Some(p);
        let forks_here = a.fork_commits / merged + usize::from(k < a.fork_commits % merged)
            - usize::from(k == 0);
        let releases_here = a.releases / merged + usize::from(k < a.releases % merged);
        let every = (forks_here / releases_here.max(1)).max(1);
        let mut released = 0;
        for j in 0..forks_here {
            let ty = TYPES[(fork_count * 7) % TYPES.len()];
            let msg = if fork_count % 97 == 5 {
                format!("Update carto docs {fork_count}")
            } else if fork_count % 50 == 3 {
                format!(
                    "{ty}({})!: rework {fork_count}\n\nBREAKING CHANGE: config moved",
                    SCOPES[fork_count % SCOPES.len()]
                )
            } else {
                format!(
                    "{ty}({}): carto change {fork_count} (#{})",
                    SCOPES[fork_count % SCOPES.len()],
                    5000 + fork_count
                )
            };
            fork_count += 1;
            let c = s.commit(
                "refs/heads/carto/main",
                prod_tip,
                None,
                &msg,
                &format!("carto/f{}.py", j % 200),
                &format!("# {fork_count}"),
            );
            prod_tip = Some(c);
            if released < releases_here && (j + 1) % every == 0 {
                let n = per_label.entry(release_label.clone()).or_default();
                let name = format!("carto-v{release_label}-0.{}.{}", 1 + *n / 5, *n % 5);
                *n += 1;
                s.annotated_tag(&name, c, &format!("Release {name}"));
                released += 1;
                release_count += 1;
            }
        }
    }
    // Junk: dev tags on upstream main and malformed names, up to the tag count.
    let stable_and_release = stable_count + release_count;
    let junk = a.tags.saturating_sub(stable_and_release);
    if a.tags_behind > 0 {
        main_marks.retain(|m| *m < tag_cutoff);
    }
    let fixed = [
        "v.1.32.34-stable",
        "v1.55.8-stable-patched",
        "carto-vfoo",
        "carto-v1.2-0.1.0",
    ];
    for (i, name) in fixed.iter().enumerate().take(junk) {
        let target = main_marks[i * 7 % main_marks.len()];
        s.light_tag(name, target);
    }
    for i in fixed.len()..junk {
        let target = main_marks[(i * 13) % main_marks.len()];
        s.light_tag(&format!("v1.{}.2.dev{i}", i % a.versions), target);
    }
    s.reset("refs/remotes/upstream/main", main_tip);
    s.reset("refs/remotes/origin/main", mirror_tip.unwrap());
    s.reset("refs/remotes/origin/carto/main", prod_tip.unwrap());
    let _ = writeln!(s.out, "done");
    let commits = s.commits;
    drop(s);
    let st = child.wait().expect("fast-import");
    assert!(st.success(), "fast-import failed");
    let origin = format!("file://{}", a.dir.display());
    git(&["remote", "add", "origin", &origin]);
    git(&["remote", "add", "upstream", &origin]);
    git(&["pack-refs", "--all"]);
    if a.commit_graph {
        git(&["commit-graph", "write", "--reachable"]);
    }
    git(&["checkout", "--quiet", "carto/main"]);
    println!(
        "{}: {commits} commits, {} stable tags, {release_count} release tags, {} other tags, {fork_count} fork commits",
        a.dir.display(),
        stable_count,
        junk
    );
}
