//! The key table: every `.gitcarto` key, its kind, its default (the process document) and its help.

/// The file name at the repository root.
pub const FILE_NAME: &str = ".gitcarto";

/// The names `resolve "<policy>"` may take (the policies of `sync::policy`).
pub const POLICIES: &[&str] = &[
    "fork",
    "fork-file",
    "upstream",
    "upstream-file",
    "artifact",
    "manual",
];

/// How a value must look; checked at load time so commands can trust it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A branch or remote name: must be a valid ref component.
    RefName,
    /// A template that must contain every listed placeholder.
    Template(&'static [&'static str]),
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// A semantic version X.Y.Z.
    Version,
    /// A whole number within bounds (inclusive): a count that cannot work
    /// (no subject fits in 0 characters, GitHub allows at most 6 approvals)
    /// is refused at load time rather than at the first commit or API call.
    Number(u64, u64),
    /// A non-empty word without spaces or control characters.
    Word,
    Bool,
    /// A path glob (gitignore-like, see `sync::policy`).
    Glob,
    /// A regular expression (the `regex` crate's syntax).
    Regex,
}

/// One declared key. `name` is `section.key`, or `section.*.key` for keys of a
/// named subsection such as `resolve "upstream"`.
#[derive(Debug)]
pub struct KeyDef {
    pub name: &'static str,
    pub defaults: &'static [&'static str],
    pub multi: bool,
    pub kind: Kind,
    pub doc: &'static str,
}

macro_rules! key {
    ($name:literal, [$($d:literal),*], $multi:literal, $kind:expr, $doc:literal) => {
        KeyDef { name: $name, defaults: &[$($d),*], multi: $multi, kind: $kind, doc: $doc }
    };
}

/// Every configuration key. Defaults follow the process document.
pub const KEYS: &[KeyDef] = &[
    key!(
        "fork.name",
        ["carto"],
        false,
        Kind::Text,
        "short name of the fork, used in image tags"
    ),
    key!(
        "branch.mirror",
        ["main"],
        false,
        Kind::RefName,
        "branch that tracks upstream releases only"
    ),
    key!(
        "branch.production",
        ["carto/main"],
        false,
        Kind::RefName,
        "the fork's released line"
    ),
    key!(
        "branch.featurePrefix",
        ["feature/"],
        false,
        Kind::Text,
        "prefix of feature branches"
    ),
    key!(
        "remote.origin",
        ["origin"],
        false,
        Kind::RefName,
        "remote of the fork"
    ),
    key!(
        "remote.upstream",
        ["upstream"],
        false,
        Kind::RefName,
        "remote of the upstream project"
    ),
    key!(
        "upstream.stableTag",
        ["v{version}-stable", "v{version}"],
        true,
        Kind::Template(&["{version}"]),
        "patterns of upstream stable release tags (several allowed)"
    ),
    key!(
        "release.tagFormat",
        ["carto-v{upstream}-{fork}"],
        true,
        Kind::Template(&["{upstream}", "{fork}"]),
        "release tag template; with several values the last is written and the earlier ones are older formats, still read"
    ),
    key!(
        "release.policy",
        ["reset"],
        false,
        Kind::OneOf(&["reset", "cumulative"]),
        "reset: fork version restarts on each upstream version; cumulative: never resets"
    ),
    key!(
        "release.initialVersion",
        ["0.1.0"],
        false,
        Kind::Version,
        "first fork version on a line"
    ),
    key!(
        "release.versionFile",
        [],
        false,
        Kind::Text,
        "file holding the upstream version, e.g. pyproject.toml"
    ),
    key!(
        "sync.branchFormat",
        ["upstream-sync/v{version}"],
        false,
        Kind::Template(&["{version}"]),
        "name of the branch that brings one upstream release in"
    ),
    key!(
        "sync.labels",
        ["upstream-sync"],
        true,
        Kind::Text,
        "labels every sync pull request gets"
    ),
    key!(
        "sync.cleanLabel",
        ["clean-merge"],
        false,
        Kind::Text,
        "label of a sync pull request that merged without manual paths"
    ),
    key!(
        "sync.conflictLabel",
        ["conflicts"],
        false,
        Kind::Text,
        "label of a sync pull request that needed (or needs) a person"
    ),
    key!(
        "sync.checklist",
        [
            "make lint",
            "make test-unit",
            "docker build -f docker/Dockerfile.non_root ."
        ],
        true,
        Kind::Text,
        "testing checklist of the sync report (one command per value)"
    ),
    key!(
        "resolve.fork.path",
        ["carto_*.yaml", "CARTO_*.md"],
        true,
        Kind::Glob,
        "paths whose conflicting hunks keep the fork side"
    ),
    key!(
        "resolve.upstream.path",
        ["litellm/**", "tests/**", "pyproject.toml"],
        true,
        Kind::Glob,
        "paths whose conflicting hunks take the upstream side"
    ),
    key!(
        "resolve.upstream-force.path",
        [],
        true,
        Kind::Glob,
        "paths whose conflicting hunks take the upstream side even when that drops the fork's own lines (opt-in)"
    ),
    key!(
        "resolve.manual.path",
        ["Dockerfile", "Makefile"],
        true,
        Kind::Glob,
        "paths that need a person (unmatched conflicted paths are manual too)"
    ),
    key!(
        "resolve.*.path",
        [],
        true,
        Kind::Glob,
        "paths of policy <name>: fork, fork-file, upstream, upstream-file, artifact, manual"
    ),
    key!(
        "resolve.regenerate",
        [],
        false,
        Kind::Text,
        "command (sh, from the repository root) that rebuilds the artifact paths; run by `sync --regenerate`"
    ),
    key!(
        "resolve.marker",
        ["# CARTO:"],
        true,
        Kind::Text,
        "text marking fork-specific lines; verify checks they survive a sync"
    ),
    key!(
        "feature.*.path",
        [],
        true,
        Kind::Glob,
        "files of fork feature <name> (verify: its patterns must match there)"
    ),
    key!(
        "feature.*.pattern",
        [],
        true,
        Kind::Regex,
        "regexes that must each match a line of feature <name>'s files"
    ),
    key!(
        "image.name",
        ["ghcr.io/cartodb/litellm-non_root"],
        false,
        Kind::Text,
        "container image repository"
    ),
    key!(
        "image.dockerfile",
        ["docker/Dockerfile.non_root"],
        false,
        Kind::Text,
        "Dockerfile used by builds"
    ),
    key!(
        "image.platforms",
        ["linux/amd64"],
        true,
        Kind::Text,
        "platforms of image builds"
    ),
    key!(
        "image.stableTag",
        ["carto-stable"],
        false,
        Kind::Text,
        "image tag of the highest release overall"
    ),
    key!(
        "image.lineTag",
        ["carto-v{upstream}-latest"],
        false,
        Kind::Template(&["{upstream}"]),
        "image tag of the highest release on one upstream version"
    ),
    key!(
        "image.mainTag",
        ["carto-main-latest"],
        false,
        Kind::Text,
        "image tag CI moves on every push to production"
    ),
    key!(
        "image.commitTag",
        ["carto-main-{sha7}"],
        false,
        Kind::Template(&["{sha7}"]),
        "image tag of one production commit; releases promote it"
    ),
    key!(
        "github.repo",
        [],
        false,
        Kind::Text,
        "owner/name of the fork on GitHub (default: from the origin URL)"
    ),
    key!(
        "github.upstreamRepo",
        [],
        false,
        Kind::Text,
        "owner/name of upstream on GitHub (default: from the upstream URL)"
    ),
    key!(
        "protect.statusChecks",
        [],
        true,
        Kind::Text,
        "status checks required on the production branch (git carto protect)"
    ),
    key!(
        "protect.approvals",
        ["1"],
        false,
        Kind::Number(0, 6),
        "approvals required on production pull requests"
    ),
    key!(
        "protect.pushUsers",
        [],
        true,
        Kind::Text,
        "users who may push to production (organisation repositories; empty: admins only)"
    ),
    key!(
        "protect.pushTeams",
        [],
        true,
        Kind::Text,
        "teams (slugs) who may push to production (organisation repositories)"
    ),
    key!(
        "protect.lockMirror",
        ["true"],
        false,
        Kind::Bool,
        "lock the mirror branch (only admin tokens can then update it)"
    ),
    key!(
        "protect.squashMerge",
        ["false"],
        false,
        Kind::Bool,
        "allow squash merges in the repository (a squashed sync PR loses upstream history)"
    ),
    key!(
        "protect.rebaseMerge",
        ["false"],
        false,
        Kind::Bool,
        "allow rebase merges in the repository (a rebased sync PR loses the merge)"
    ),
    key!(
        "ci.toolRepository",
        ["https://github.com/CartoDB/git-carto"],
        false,
        Kind::Text,
        "git repository generated workflows install git-carto from (at this version's tag)"
    ),
    key!(
        "commit.types",
        [
            "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore",
            "revert", "resolve"
        ],
        true,
        Kind::Word,
        "allowed conventional-commit types"
    ),
    key!(
        "commit.scopes",
        [],
        true,
        Kind::Text,
        "allowed scopes (empty: any)"
    ),
    key!(
        "commit.subjectMaxLength",
        ["100"],
        false,
        Kind::Number(10, 1000),
        "longest allowed subject line"
    ),
];
