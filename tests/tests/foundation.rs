//! Foundation scenarios: next-tag, config, status, feature, prune on real
//! repositories through the real `git carto` binary.

use carto_tests::Fixture;

#[test]
fn next_tag_bumps_the_highest_release_on_the_line() {
    let f = Fixture::new();
    let out = f.carto(&["next-tag", "patch", "--upstream", "1.75.2"]).ok();
    assert_eq!(out.stdout, "carto-v1.75.2-0.1.1\n");
    assert_eq!(
        f.carto(&["next-tag", "minor", "--upstream", "v1.75.2"])
            .ok()
            .stdout,
        "carto-v1.75.2-0.2.0\n"
    );
    assert_eq!(
        f.carto(&["next-tag", "major"]).ok().stdout,
        "carto-v1.75.2-1.0.0\n"
    );
    // Tags on other lines and higher fork versions elsewhere do not interfere.
    f.git(&f.work, &["tag", "carto-v1.75.2-0.1.7", "HEAD"]);
    assert_eq!(
        f.carto(&["next-tag", "patch"]).ok().stdout,
        "carto-v1.75.2-0.1.8\n"
    );
}

#[test]
fn first_release_on_a_new_upstream_version_is_the_initial_version() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.78.5-stable");
    for bump in ["patch", "minor", "major"] {
        let out = f.carto(&["next-tag", bump, "--upstream", "1.78.5"]).ok();
        assert_eq!(out.stdout, "carto-v1.78.5-0.1.0\n", "{bump}");
    }
    // Derived from ancestry when not given.
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.78.5-0.1.0\n");
    // --at an older commit still sees 1.75.2.
    let out = f
        .carto(&["next-tag", "patch", "--at", "carto-v1.75.2-0.1.0"])
        .ok();
    assert_eq!(out.stdout, "carto-v1.75.2-0.1.1\n");
}

#[test]
fn next_tag_json_has_the_documented_shape() {
    let f = Fixture::new();
    let j = f.carto(&["next-tag", "minor", "--json"]).ok().json();
    assert_eq!(j["tag"], "carto-v1.75.2-0.2.0");
    assert_eq!(j["upstream"], "1.75.2");
    assert_eq!(j["fork_version"], "0.2.0");
    assert_eq!(j["previous"], "carto-v1.75.2-0.1.0");
    assert_eq!(j["bump"], "minor");
    assert_eq!(j["policy"], "reset");
}

#[test]
fn upstream_that_disagrees_with_ancestry_is_refused_naming_both() {
    let f = Fixture::new();
    let out = f
        .carto(&["next-tag", "patch", "--upstream", "1.77.4"])
        .fails(1);
    assert!(
        out.stderr.contains("1.77.4") && out.stderr.contains("1.75.2"),
        "{}",
        out.stderr
    );
}

#[test]
fn malformed_upstream_versions_are_usage_errors() {
    let f = Fixture::new();
    for bad in ["1.75", "latest", "1.75.2.1"] {
        let out = f.carto(&["next-tag", "patch", "--upstream", bad]).fails(2);
        assert!(
            out.stderr.contains(bad) && out.stderr.contains("X.Y.Z"),
            "{}",
            out.stderr
        );
    }
    f.carto(&["next-tag", "sideways"]).fails(2);
}

#[test]
fn version_file_is_checked_against_the_ancestry() {
    let f = Fixture::new();
    f.commit_file(
        &f.work,
        ".gitcarto",
        "[release]\n\tversionFile = pyproject.toml\n",
        "chore: configure carto",
    );
    // pyproject says 1.75.2 on the stable tag: agrees.
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.75.2-0.1.1\n");
    f.commit_file(
        &f.work,
        "pyproject.toml",
        &carto_tests::pyproject("1.78.5"),
        "chore: drift",
    );
    let out = f.carto(&["next-tag", "--upstream", "1.75.2"]).fails(1);
    for v in ["1.75.2", "1.78.5", "pyproject.toml"] {
        assert!(out.stderr.contains(v), "{v} missing in {}", out.stderr);
    }
}

#[test]
fn cumulative_policy_and_other_tag_format_work_from_the_config_file() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.78.5-stable");
    f.write(&f.work, ".gitcarto", "[release]\n\tpolicy = cumulative\n");
    assert_eq!(
        f.carto(&["next-tag", "patch"]).ok().stdout,
        "carto-v1.78.5-0.1.1\n"
    );
    assert_eq!(
        f.carto(&["next-tag", "minor"]).ok().stdout,
        "carto-v1.78.5-0.2.0\n"
    );

    f.write(
        &f.work,
        ".gitcarto",
        "[release]\n\ttagFormat = v{upstream}-carto.{fork}\n",
    );
    assert_eq!(
        f.carto(&["next-tag", "patch"]).ok().stdout,
        "v1.78.5-carto.0.1.0\n"
    );
    f.git(&f.work, &["tag", "v1.78.5-carto.0.1.0"]);
    let j = f.carto(&["next-tag", "minor", "--json"]).ok().json();
    assert_eq!(j["tag"], "v1.78.5-carto.0.2.0");
    assert_eq!(j["previous"], "v1.78.5-carto.0.1.0");
}

#[test]
fn never_backwards_on_upstream() {
    let f = Fixture::new();
    f.merge_upstream_into_production("v1.78.5-stable");
    f.git(&f.work, &["tag", "carto-v1.78.5-0.1.0"]);
    // Released 1.78.5 from here; asking for 1.75.2 at an old commit is fine
    // (another line), but not at HEAD.
    let out = f.carto(&["next-tag", "--upstream", "1.75.2"]).fails(1);
    assert!(out.stderr.contains("1.78.5"), "{}", out.stderr);
}

#[test]
fn unparsable_release_tags_are_listed_by_status_and_ignored_by_next_tag() {
    let f = Fixture::new();
    f.git(&f.work, &["tag", "carto-vfoo"]);
    f.git(&f.work, &["tag", "carto-v1.2-0.1.0"]);
    f.git(&f.work, &["tag", "carto-v1.75.2-9.9"]);
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.75.2-0.1.1\n");
    let j = f.carto(&["status", "--json"]).ok().json();
    let listed: Vec<&str> = j["unparsed_release_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["carto-v1.2-0.1.0", "carto-v1.75.2-9.9", "carto-vfoo"]
    );
    let text = f.carto(&["status"]).ok().stdout;
    assert!(text.contains("carto-vfoo"), "{text}");
}

#[test]
fn no_stable_tag_in_ancestry_says_how_to_fetch() {
    let f = Fixture::new();
    let tags = f.git(&f.work, &["tag", "-l", "v*"]);
    for t in tags.lines() {
        f.git(&f.work, &["tag", "-d", t]);
    }
    let out = f.carto(&["next-tag"]).fails(1);
    assert!(
        out.stderr.contains("git fetch upstream --tags"),
        "{}",
        out.stderr
    );
}

#[test]
fn config_shows_values_and_sources() {
    let f = Fixture::new();
    f.write(&f.work, ".gitcarto", "[branch]\n\tproduction = prod\n");
    f.git(&f.work, &["config", "carto.release.policy", "cumulative"]);
    let out = f.carto(&["config"]).ok().stdout;
    assert!(out.contains("branch.production = prod"), "{out}");
    assert!(out.contains(".gitcarto)"), "{out}");
    assert!(
        out.contains("release.policy = cumulative    (git config)"),
        "{out}"
    );
    assert!(out.contains("branch.mirror = main    (default)"), "{out}");
    let j = f.carto(&["config", "--json"]).ok().json();
    assert_eq!(j["branch.production"]["values"][0], "prod");
    assert_eq!(j["release.policy"]["source"]["kind"], "git_config");
    assert_eq!(
        j["upstream.stableTag"]["values"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn malformed_config_is_reported_with_its_line() {
    let f = Fixture::new();
    f.write(
        &f.work,
        ".gitcarto",
        "[branch]\n\tmirror = main\n[release\n\tpolicy = reset\n",
    );
    let out = f.carto(&["next-tag"]).fails(2);
    assert!(
        out.stderr.contains(".gitcarto") && out.stderr.contains('3'),
        "{}",
        out.stderr
    );

    f.write(
        &f.work,
        ".gitcarto",
        "[branch]\n\tmirror = main\n[release]\n\tpolicyy = reset\n",
    );
    let out = f.carto(&["status"]).fails(2);
    assert!(
        out.stderr.contains(".gitcarto:4") && out.stderr.contains("policyy"),
        "{}",
        out.stderr
    );

    f.write(&f.work, ".gitcarto", "[release]\n\tpolicy = sometimes\n");
    let out = f.carto(&["config"]).fails(2);
    assert!(
        out.stderr.contains(".gitcarto:2") && out.stderr.contains("reset, cumulative"),
        "{}",
        out.stderr
    );

    f.write(
        &f.work,
        ".gitcarto",
        "[release]\n\ttagFormat = carto-{upstream}\n",
    );
    f.carto(&["next-tag"]).fails(2);
}

#[test]
fn not_a_git_repository_is_a_usage_error() {
    let f = Fixture::empty();
    let dir = f.path("plain");
    std::fs::create_dir_all(&dir).unwrap();
    for cmd in [
        &["status"][..],
        &["next-tag"],
        &["feature", "x"],
        &["prune"],
    ] {
        let out = f.carto_in(&dir, cmd).fails(2);
        assert!(
            out.stderr.contains("not a git repository"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn feature_fast_forwards_production_and_switches() {
    let f = Fixture::new();
    // A teammate lands work on production.
    let mate = f.clone_origin("mate");
    f.git(&mate, &["switch", "--quiet", "carto/main"]);
    let landed = f.commit_file(&mate, "carto_feature.py", "x = 1\n", "feat: teammate work");
    f.git(&mate, &["push", "--quiet", "origin", "carto/main"]);
    f.git(&f.work, &["switch", "--quiet", "main"]);

    let out = f.carto(&["feature", "my-fix"]).ok();
    assert!(out.stderr.contains("feature/my-fix"), "{}", out.stderr);
    assert_eq!(
        f.git(&f.work, &["branch", "--show-current"]),
        "feature/my-fix"
    );
    assert_eq!(f.rev("HEAD"), landed);
    assert_eq!(f.rev("carto/main"), landed);
    // No tracking of production: a plain `git push` must not go to carto/main.
    assert!(
        f.run_git(&f.work, &["config", "branch.feature/my-fix.merge"])
            .code
            != 0
    );
    // Existing branch is refused.
    f.carto(&["feature", "my-fix"]).fails(1);
}

#[test]
fn feature_refuses_bad_names_and_changes_nothing() {
    let f = Fixture::new();
    let before = f.git(&f.work, &["for-each-ref"]);
    for bad in ["../x", "a..b", "-rf", "", "has space", "x.lock", "a~b"] {
        let out = f.carto(&["feature", "--", bad]).fails(2);
        assert!(
            out.stderr.contains("not a valid branch name"),
            "{bad}: {}",
            out.stderr
        );
    }
    assert_eq!(f.git(&f.work, &["for-each-ref"]), before);
}

#[test]
fn feature_refuses_a_dirty_tree_unless_carried() {
    let f = Fixture::new();
    f.write(&f.work, "carto_config.yaml", "carto: changed\n");
    let out = f.carto(&["feature", "dirty"]).fails(1);
    assert!(
        out.stderr.contains("uncommitted") && out.stderr.contains("carto_config.yaml"),
        "{}",
        out.stderr
    );
    assert!(
        f.run_git(&f.work, &["rev-parse", "--verify", "feature/dirty"])
            .code
            != 0
    );
    f.carto(&["feature", "dirty", "--carry"]).ok();
    assert_eq!(
        f.git(&f.work, &["branch", "--show-current"]),
        "feature/dirty"
    );
    assert_eq!(
        std::fs::read_to_string(f.work.join("carto_config.yaml")).unwrap(),
        "carto: changed\n"
    );
}

#[test]
fn feature_refuses_a_diverged_production_branch() {
    let f = Fixture::new();
    let mate = f.clone_origin("mate");
    f.git(&mate, &["switch", "--quiet", "carto/main"]);
    f.commit_file(&mate, "a.txt", "a\n", "fix: theirs");
    f.git(&mate, &["push", "--quiet", "origin", "carto/main"]);
    let local = f.commit_file(&f.work, "b.txt", "b\n", "fix: mine");
    let out = f.carto(&["feature", "x"]).fails(1);
    assert!(out.stderr.contains("diverged"), "{}", out.stderr);
    assert_eq!(f.rev("carto/main"), local);
    assert!(
        f.run_git(&f.work, &["rev-parse", "--verify", "feature/x"])
            .code
            != 0
    );
}

#[test]
fn feature_without_origin_remote_is_a_usage_error() {
    let f = Fixture::new();
    f.git(&f.work, &["remote", "remove", "origin"]);
    let out = f.carto(&["feature", "x"]).fails(2);
    assert!(
        out.stderr.contains("no remote named `origin`"),
        "{}",
        out.stderr
    );
}

#[test]
fn status_reports_the_fork_at_a_glance() {
    let f = Fixture::new();
    f.commit_file(&f.work, "carto_x.py", "x\n", "feat: unreleased work");
    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["branch"], "carto/main");
    assert_eq!(j["production"]["ahead"], 1);
    assert_eq!(j["production"]["behind"], 0);
    assert_eq!(j["mirror"]["upstream_version"], "1.75.2");
    assert_eq!(j["mirror"]["releases_behind"], 2);
    assert_eq!(j["mirror"]["newest_stable"], "v1.78.5-stable");
    assert_eq!(j["mirror"]["fork_commits"].as_array().unwrap().len(), 0);
    assert_eq!(j["release"]["last"], "carto-v1.75.2-0.1.0");
    // origin's production has no unreleased commits yet; local work is not pushed.
    assert_eq!(j["release"]["unreleased"].as_array().unwrap().len(), 0);
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let j = f.carto(&["status", "--json"]).ok().json();
    let unreleased = j["release"]["unreleased"].as_array().unwrap();
    assert_eq!(unreleased.len(), 1);
    assert_eq!(unreleased[0]["subject"], "feat: unreleased work");
    let text = f.carto(&["status"]).ok().stdout;
    assert!(
        text.contains("2 upstream release(s) behind (newest: v1.78.5-stable)"),
        "{text}"
    );
    assert!(text.contains("last carto-v1.75.2-0.1.0"), "{text}");
}

#[test]
fn status_flags_fork_commits_on_the_mirror_branch() {
    let f = Fixture::new();
    f.git(&f.work, &["switch", "--quiet", "main"]);
    f.commit_file(&f.work, "oops.txt", "x\n", "fix: wrong branch");
    // A proper mirror merge is upstream content, not a fork commit.
    f.git(
        &f.work,
        &[
            "merge",
            "--quiet",
            "--no-edit",
            "-s",
            "ours",
            "v1.77.4-stable",
        ],
    );
    let j = f.carto(&["status", "--json"]).ok().json();
    let commits = j["mirror"]["fork_commits"].as_array().unwrap();
    // Remote mirror is still clean: status looks at origin's mirror first.
    assert_eq!(commits.len(), 0);
    f.git(&f.work, &["push", "--quiet", "origin", "main"]);
    let j = f.carto(&["status", "--json"]).ok().json();
    let subjects: Vec<&str> = j["mirror"]["fork_commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    // `-s ours` keeps the old tree: not a mirror merge, so it counts too.
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects.contains(&"fix: wrong branch"));
    let text = f.carto(&["status"]).ok().stdout;
    assert!(
        text.contains("fork commit(s) on the mirror branch"),
        "{text}"
    );
}

#[test]
fn status_on_detached_head_says_so() {
    let f = Fixture::new();
    f.git(&f.work, &["switch", "--quiet", "--detach", "HEAD~1"]);
    let out = f.carto(&["status"]).ok();
    assert!(out.stdout.starts_with("HEAD detached at"), "{}", out.stdout);
    assert!(f.carto(&["status", "--json"]).ok().json()["branch"].is_null());
}

#[test]
fn prune_deletes_merged_feature_branches_only() {
    let f = Fixture::new();
    f.git(&f.work, &["branch", "feature/merged", "HEAD~1"]);
    f.git(&f.work, &["switch", "--quiet", "-c", "feature/open"]);
    f.commit_file(&f.work, "open.txt", "x\n", "feat: not merged");
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);
    f.git(&f.work, &["push", "--quiet", "origin", "feature/merged"]);

    let out = f.carto(&["prune", "--dry-run", "--remote"]).ok();
    assert!(
        out.stdout.contains("Would delete branch feature/merged"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Would delete remote branch origin/feature/merged"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("feature/open"));
    f.git(&f.work, &["rev-parse", "--verify", "feature/merged"]);

    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["prunable"][0], "feature/merged");

    f.carto(&["prune", "--remote"]).ok();
    assert!(
        f.run_git(&f.work, &["rev-parse", "--verify", "feature/merged"])
            .code
            != 0
    );
    f.git(&f.work, &["rev-parse", "--verify", "feature/open"]);
    assert!(
        f.run_git(
            &f.origin,
            &["rev-parse", "--verify", "refs/heads/feature/merged"]
        )
        .code
            != 0
    );
}

#[test]
fn xtask_help_lists_its_commands() {
    let f = Fixture::new();
    let out = f.xtask(&["--help"]).ok();
    for cmd in ["release", "notes", "images", "build"] {
        assert!(out.stdout.contains(cmd), "{}", out.stdout);
    }
}

#[test]
fn packed_and_loose_tags_are_read_like_git_reads_them() {
    let f = Fixture::new();
    f.git(&f.work, &["tag", "carto-v1.75.2-0.1.4", "HEAD~1"]);
    f.git(&f.work, &["pack-refs", "--all"]);
    assert!(!f.work.join(".git/refs/tags/carto-v1.75.2-0.1.4").exists());
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.75.2-0.1.5\n");
    // A loose tag written after packing wins over nothing and adds to the list.
    f.git(
        &f.work,
        &["tag", "-a", "-m", "r", "carto-v1.75.2-0.3.0", "HEAD"],
    );
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.75.2-0.3.1\n");
    // Peeled ids from packed-refs point at the commit, not the tag object.
    f.merge_upstream_into_production("v1.77.4-stable");
    f.git(&f.work, &["pack-refs", "--all"]);
    assert_eq!(
        f.carto(&["next-tag", "--upstream", "1.77.4"]).ok().stdout,
        "carto-v1.77.4-0.1.0\n"
    );
}

#[test]
fn one_packed_ref_that_is_not_utf8_hides_no_other() {
    let f = Fixture::new();
    f.git(&f.work, &["tag", "carto-v1.75.2-0.1.4", "HEAD~1"]);
    f.git(&f.work, &["pack-refs", "--all"]);
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.75.2-0.1.5\n");
    // git takes any byte above 0x7f in a ref name: a tag named in Latin-1,
    // last in the sorted file.
    let packed = f.work.join(".git/packed-refs");
    let mut text = std::fs::read(&packed).unwrap();
    let head = f.git(&f.work, &["rev-parse", "HEAD"]);
    text.extend_from_slice(format!("{head} refs/tags/zz-caf").as_bytes());
    text.extend_from_slice(b"\xe9\n");
    std::fs::write(&packed, text).unwrap();
    let listed = f.run_git(&f.work, &["for-each-ref", "refs/tags/zz-*"]).ok();
    assert!(
        listed.stdout.contains("refs/tags/zz-caf"),
        "{}",
        listed.stdout
    );
    // Before, the whole file was dropped: no release tags, so 0.1.0 again.
    assert_eq!(f.carto(&["next-tag"]).ok().stdout, "carto-v1.75.2-0.1.5\n");
    let j = f.carto(&["status", "--json"]).ok().json();
    assert_eq!(j["release"]["last"], "carto-v1.75.2-0.1.4", "{j}");
}
