//! `git carto sync` on real repositories: detection, the mirror merge, the
//! sync branch, re-runs, dry runs and bad input.

use carto_tests::Fixture;

fn heads(f: &Fixture, dir: &std::path::Path) -> String {
    f.git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
        ],
    )
}

#[test]
fn clean_sync_merges_the_mirror_and_production_and_pushes() {
    let f = Fixture::new();
    let old_mirror = f.rev("main");
    let prod = f.rev("carto/main");
    let out = f.carto(&["sync"]).ok();
    assert!(
        out.stdout.contains("Synced upstream v1.75.2 → v1.78.5"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Report: "), "{}", out.stdout);

    // Stage 1: a mirror merge whose tree is exactly the tag's, pushed.
    let origin_main = f.git(&f.origin, &["rev-parse", "main"]);
    assert_eq!(origin_main, f.rev("main"));
    let parents = f.git(&f.work, &["log", "-1", "--format=%P", "main"]);
    let tag = f.rev("v1.78.5-stable^{commit}");
    assert_eq!(parents, format!("{old_mirror} {tag}"));
    assert_eq!(f.rev("main^{tree}"), f.rev("v1.78.5-stable^{tree}"));

    // Stage 2: the sync branch from the mirror with production merged in.
    assert_eq!(
        f.git(&f.work, &["symbolic-ref", "--short", "HEAD"]),
        "upstream-sync/v1.78.5"
    );
    let parents = f.git(
        &f.work,
        &["log", "-1", "--format=%P", "upstream-sync/v1.78.5"],
    );
    assert_eq!(parents, format!("{} {prod}", f.rev("main")));
    assert_eq!(
        f.git(&f.origin, &["rev-parse", "upstream-sync/v1.78.5"]),
        f.rev("upstream-sync/v1.78.5")
    );
    let pyproject = f.git(&f.work, &["show", "HEAD:pyproject.toml"]);
    assert!(pyproject.contains("1.78.5"), "{pyproject}");
    let docker = f.git(&f.work, &["show", "HEAD:Dockerfile"]);
    assert!(docker.contains("# CARTO: non-root user"), "{docker}");
    assert!(f.work.join("carto_config.yaml").exists());
    assert_eq!(f.git(&f.work, &["status", "--porcelain"]), "");

    // The report exists in both forms.
    let md = std::fs::read_to_string(f.work.join(".git/carto/reports/upstream-sync-v1.78.5.md"))
        .unwrap();
    assert!(md.contains("Upstream sync: v1.78.5"), "{md}");
    assert!(md.contains("never squash"), "{md}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.work.join(".git/carto/reports/upstream-sync-v1.78.5.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["upstream"]["from"], "1.75.2");
    assert_eq!(json["upstream"]["to"], "1.78.5");
    assert_eq!(json["state"], "committed");
    assert_eq!(json["counts"]["conflicted"], 0);
}
