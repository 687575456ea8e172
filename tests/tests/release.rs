//! `cargo xtask release` and `cargo xtask notes` on real repositories, with
//! GitHub played by an in-process server that checks each request as GitHub
//! documents it.

use carto_tests::github_releases::Releases;
use carto_tests::github_server::{assert_no_secret, bodies, GitHubServer, TOKEN};
use std::process::Stdio;

use carto_tests::{Fixture, Run};

const NEXT: &str = "carto-v1.75.2-0.1.1";

/// The standard fork with GitHub slugs configured and two unreleased fork
/// commits on production, pushed.
fn fork() -> Fixture {
    let f = Fixture::new();
    f.git(&f.work, &["config", "carto.github.repo", "acme/litellm"]);
    f.git(
        &f.work,
        &["config", "carto.github.upstreamRepo", "BerriAI/litellm"],
    );
    f.commit_file(
        &f.work,
        "carto_proxy.py",
        "timeout = 30\n",
        "fix(proxy): handle timeouts (#12)",
    );
    f.commit_file(&f.work, "CARTO_NOTES.md", "notes\n", "Update the runbook");
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    f
}

fn refs(f: &Fixture) -> (String, String) {
    (
        f.git(&f.work, &["for-each-ref"]),
        f.git(&f.origin, &["for-each-ref"]),
    )
}

fn github(f: &Fixture, tags: &[&str]) -> (GitHubServer, Releases) {
    let server = GitHubServer::start();
    let releases = Releases::mount(&server, "acme", "litellm", f.origin.clone(), tags);
    (server, releases)
}

#[test]
fn dry_run_prints_the_whole_plan_and_changes_nothing() {
    let f = fork();
    let before = refs(&f);
    let out = f
        .xtask(&["release", "patch", "--upstream", "1.75.2", "--dry-run"])
        .ok();
    let text = &out.stdout;
    for want in [
        "Release carto-v1.75.2-0.1.1 (upstream 1.75.2, fork 0.1.1, after carto-v1.75.2-0.1.0)",
        "check",
        "create annotated tag carto-v1.75.2-0.1.1",
        "push carto-v1.75.2-0.1.1 to origin",
        "github-release",
        "create ghcr.io/cartodb/litellm-non_root:carto-v1.75.2-0.1.1",
        "move   ghcr.io/cartodb/litellm-non_root:carto-v1.75.2-latest (from carto-v1.75.2-0.1.0)",
        "move   ghcr.io/cartodb/litellm-non_root:carto-stable (from carto-v1.75.2-0.1.0)",
        "### Bug Fixes",
        "- **proxy:** handle timeouts ([#12](https://github.com/acme/litellm/pull/12))",
        "### Other",
        "- Update the runbook",
        "Dry run: nothing was changed.",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(
        !text.contains("add carto config"),
        "released commits listed:\n{text}"
    );
    assert_eq!(refs(&f), before);
    assert!(f.run_git(&f.work, &["rev-parse", "--verify", NEXT]).code != 0);
}

#[test]
fn dry_run_json_has_the_documented_shape() {
    let f = fork();
    let j = f
        .xtask(&[
            "release",
            "patch",
            "--upstream",
            "1.75.2",
            "--dry-run",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["tag"], NEXT);
    assert_eq!(j["upstream"], "1.75.2");
    assert_eq!(j["fork_version"], "0.1.1");
    assert_eq!(j["previous"], "carto-v1.75.2-0.1.0");
    assert_eq!(j["commit"], f.rev("HEAD"));
    assert!(j["notes"].as_str().unwrap().contains("handle timeouts"));
    let steps: Vec<(&str, &str)> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("check", "done"),
            ("tag", "todo"),
            ("push-tag", "todo"),
            ("github-release", "todo"),
            ("images", "todo")
        ]
    );
    let images = j["images"].as_array().unwrap();
    assert_eq!(images.len(), 3);
    assert_eq!(images[0]["tag"], NEXT);
    assert_eq!(images[0]["action"], "create");
    assert!(images[0]["moves_from"].is_null());
    assert_eq!(images[1]["tag"], "carto-v1.75.2-latest");
    assert_eq!(images[1]["action"], "move");
    assert_eq!(images[1]["moves_from"], "carto-v1.75.2-0.1.0");
    assert_eq!(images[2]["tag"], "carto-stable");
    let keys: Vec<&String> = images[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["action", "moves_from", "tag"]);
}

#[test]
fn release_tags_pushes_publishes_and_a_rerun_does_nothing_twice() {
    let f = fork();
    let (server, releases) = github(&f, &[NEXT]);
    let head = f.rev("HEAD");
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .ok();
    assert!(
        out.stdout.contains("Released carto-v1.75.2-0.1.1."),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("pushed to origin"), "{}", out.stdout);
    // The annotated tag is on origin, on the released commit.
    assert_eq!(
        f.git(&f.origin, &["rev-parse", &format!("{NEXT}^{{commit}}")]),
        head
    );
    assert_eq!(f.git(&f.origin, &["cat-file", "-t", NEXT]), "tag");
    let message = f.git(
        &f.origin,
        &["tag", "-l", "--format=%(contents:subject)", NEXT],
    );
    assert_eq!(message, format!("Release {NEXT}"));
    // One GitHub release, created after the tag reached origin, with the notes.
    let all = releases.all();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].tag, NEXT);
    assert!(all[0].body.contains("### Bug Fixes"), "{}", all[0].body);
    assert!(all[0]
        .body
        .contains("[#12](https://github.com/acme/litellm/pull/12)"));
    assert!(releases.untagged_creates().is_empty());
    server.assert_documented();
    assert!(!out.stdout.contains(TOKEN) && !out.stderr.contains(TOKEN));

    // The same command again: everything is found done.
    let tag_object = f.git(&f.origin, &["rev-parse", NEXT]);
    let again = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .ok();
    assert!(
        again.stdout.contains("already points at"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("already has these notes"),
        "{}",
        again.stdout
    );
    assert_eq!(f.git(&f.origin, &["rev-parse", NEXT]), tag_object);
    assert_eq!(releases.all().len(), 1);
    let tags = f.git(&f.origin, &["tag", "-l", "carto-v*"]);
    assert_eq!(tags.lines().count(), 2, "{tags}");
    assert_eq!(
        server.bodies("POST", "/repos/acme/litellm/releases").len(),
        1
    );
}

#[test]
fn a_failed_step_says_what_ran_and_the_same_command_resumes() {
    let f = fork();
    let (server, releases) = github(&f, &[NEXT]);
    releases.fail_with(401, bodies::bad_credentials(), &[]);
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .fails(1);
    assert!(
        out.stderr.contains("step github-release failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(out.stderr.contains("GITHUB_TOKEN"), "{}", out.stderr);
    assert!(
        out.stderr.contains("steps done: check, tag, push-tag"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("run the same command again"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(TOKEN) && !out.stdout.contains(TOKEN));
    let tag_object = f.git(&f.origin, &["rev-parse", NEXT]);

    releases.fail_with(
        403,
        bodies::forbidden("Resource not accessible by personal access token"),
        &[("x-accepted-github-permissions", "contents=write")],
    );
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .fails(1);
    assert!(
        out.stderr.contains("403") && out.stderr.contains("contents=write"),
        "{}",
        out.stderr
    );

    releases.fail_with(502, bodies::server_error(), &[]);
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .fails(1);
    assert!(out.stderr.contains("502"), "{}", out.stderr);

    releases.fail_with(
        422,
        bodies::validation_failed("Release", "body", "custom"),
        &[],
    );
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .fails(1);
    assert!(
        out.stderr.contains("422") && out.stderr.contains("Validation Failed"),
        "{}",
        out.stderr
    );

    releases.recover();
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .ok();
    assert!(
        out.stdout
            .contains("created https://github.com/acme/litellm/releases/tag/carto-v1.75.2-0.1.1"),
        "{}",
        out.stdout
    );
    // Resumed: the tag was not made again, the release exists once.
    assert_eq!(f.git(&f.origin, &["rev-parse", NEXT]), tag_object);
    assert_eq!(releases.all().len(), 1);
    server.assert_documented();
}

#[test]
fn an_existing_release_gets_its_body_updated() {
    let f = fork();
    let (server, releases) = github(&f, &[NEXT]);
    // A release made by hand after the tag was pushed by a failed run.
    f.git(
        &f.work,
        &["tag", "-a", "-m", &format!("Release {NEXT}"), NEXT],
    );
    f.git(&f.work, &["push", "--quiet", "origin", NEXT]);
    let created = server_create(&server, NEXT, "hand-written");
    assert_eq!(created, 201);
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .ok();
    assert!(
        out.stdout.contains("updated the notes of"),
        "{}",
        out.stdout
    );
    let all = releases.all();
    assert_eq!(all.len(), 1);
    assert!(all[0].body.contains("handle timeouts"));
    let patches = server.bodies("PATCH", "/repos/acme/litellm/releases/1");
    assert_eq!(patches.len(), 1);
    assert!(patches[0]["body"]
        .as_str()
        .unwrap()
        .contains("### Bug Fixes"));
}

/// Create a release through the server as another client would.
fn server_create(server: &GitHubServer, tag: &str, body: &str) -> u16 {
    let github =
        git_carto::remote::github::GitHub::new(&server.uri(), Some(TOKEN.to_string())).unwrap();
    let slug = git_carto::remote::github::Slug::parse("acme/litellm").unwrap();
    match github.create_release(&slug, tag, tag, body).unwrap() {
        Ok(_) => 201,
        Err(reply) => reply.status,
    }
}

#[test]
fn no_token_dry_run_works_and_a_real_run_names_the_variable() {
    let f = fork();
    let before = refs(&f);
    f.xtask(&["release", "patch", "--dry-run", "--no-images"])
        .ok();
    let out = f.xtask(&["release", "patch", "--no-images"]).fails(2);
    assert!(
        out.stderr.contains("GITHUB_TOKEN") && out.stderr.contains("GH_TOKEN"),
        "{}",
        out.stderr
    );
    assert_eq!(refs(&f), before, "a refused release changed refs");
}

/// A teammate's clone of the fork, on production, releasing to the same repository.
fn teammate(f: &Fixture) -> std::path::PathBuf {
    let mate = f.clone_origin("mate");
    f.git(&mate, &["switch", "--quiet", "carto/main"]);
    f.git(&mate, &["config", "carto.github.repo", "acme/litellm"]);
    mate
}

#[test]
fn two_releases_at_once_end_with_one_tag_and_one_release() {
    let f = fork();
    let (server, releases) = github(&f, &[NEXT]);
    let mate = teammate(&f);
    let env = server.env();
    let args = ["release", "patch", "--no-images"];
    let spawn = |dir: &std::path::Path| {
        f.xtask_cmd(dir, &env, &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&f.work), spawn(&mate));
    let a = Run::from(a.wait_with_output().unwrap());
    let b = Run::from(b.wait_with_output().unwrap());
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
    assert_eq!(b.code, 0, "{}{}", b.stdout, b.stderr);
    let tags = f.git(&f.origin, &["tag", "-l", "carto-v*"]);
    assert_eq!(tags, format!("carto-v1.75.2-0.1.0\n{NEXT}"));
    assert_eq!(releases.all().len(), 1);
    assert!(releases.untagged_creates().is_empty());
    // Both clones end with origin's tag object.
    let origin_tag = f.git(&f.origin, &["rev-parse", NEXT]);
    assert_eq!(f.git(&f.work, &["rev-parse", NEXT]), origin_tag);
    assert_eq!(f.git(&mate, &["rev-parse", NEXT]), origin_tag);
    server.assert_documented();
}

/// The same race, forced to collide: one release is held at its tag push
/// (after it created the tag locally) while the other releases the same
/// commit to the end; the held one then finds origin's tag and must adopt it,
/// not fail and not make a second GitHub release.
#[test]
fn a_release_that_loses_the_tag_push_adopts_the_winners_tag() {
    use carto_tests::fault::{FaultGit, Mode};
    let f = fork();
    let (server, releases) = github(&f, &[NEXT]);
    let mate = teammate(&f);
    let env = server.env();
    let args = ["release", "patch", "--no-images"];
    let fault = FaultGit::install(&f);
    fault.reset();
    let held = fault
        .program(&f, "xtask", Some(("push", 1, Mode::Block)), &args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let blocked = f.path("fault-state").join("blocked");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !blocked.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached git push"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The held release has made its tag, not pushed it.
    assert_ne!(f.git(&f.work, &["tag", "-l", NEXT]), "");
    assert_eq!(f.git(&f.origin, &["tag", "-l", NEXT]), "");

    // Another person: the winner's tag object differs from the held one's
    // even when both are made in the same second.
    f.git(&mate, &["config", "user.name", "Team Mate"]);
    let winner = f.xtask_cmd(&mate, &env, &args).output().unwrap();
    let winner = Run::from(winner);
    assert_eq!(winner.code, 0, "{}{}", winner.stdout, winner.stderr);
    fault.release();
    let loser = Run::from(held.wait_with_output().unwrap());
    assert_eq!(loser.code, 0, "{}{}", loser.stdout, loser.stderr);
    assert!(
        loser.stdout.contains("released concurrently")
            || loser.stderr.contains("released concurrently"),
        "{}{}",
        loser.stdout,
        loser.stderr
    );
    let tags = f.git(&f.origin, &["tag", "-l", "carto-v*"]);
    assert_eq!(tags, format!("carto-v1.75.2-0.1.0\n{NEXT}"));
    assert_eq!(releases.all().len(), 1);
    let origin_tag = f.git(&f.origin, &["rev-parse", NEXT]);
    assert_eq!(f.git(&f.work, &["rev-parse", NEXT]), origin_tag);
    server.assert_documented();
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let f = fork();
    let before = refs(&f);
    let dry = |args: &[&str]| {
        let mut all = vec!["release"];
        all.extend_from_slice(args);
        all.push("--dry-run");
        f.xtask(&all)
    };

    // --upstream that disagrees with the merged stable tag: every value named.
    f.write(
        &f.work,
        ".gitcarto",
        "[release]\n\tversionFile = pyproject.toml\n",
    );
    let out = dry(&["patch", "--upstream", "1.77.4"]).fails(1);
    for v in ["1.77.4", "1.75.2", "pyproject.toml"] {
        assert!(out.stderr.contains(v), "{v}: {}", out.stderr);
    }
    std::fs::remove_file(f.work.join(".gitcarto")).unwrap();

    // `auto` comes from the fork commits since the last release: a `fix` and
    // a non-conventional commit imply a patch.
    let j = dry(&["auto", "--json"]).ok().json();
    assert_eq!(j["tag"], "carto-v1.75.2-0.1.1");

    // Dirty tree.
    f.write(&f.work, "carto_proxy.py", "timeout = 31\n");
    let out = dry(&["patch"]).fails(1);
    assert!(out.stderr.contains("uncommitted"), "{}", out.stderr);
    f.git(&f.work, &["checkout", "--", "carto_proxy.py"]);

    // Not on production, no --ref.
    f.git(&f.work, &["switch", "--quiet", "main"]);
    let out = dry(&["patch"]).fails(1);
    assert!(
        out.stderr
            .contains("not on the production branch carto/main")
            && out.stderr.contains("--ref"),
        "{}",
        out.stderr
    );
    // --ref names what to release instead.
    let j = f
        .xtask(&[
            "release",
            "patch",
            "--ref",
            "carto/main",
            "--dry-run",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(j["tag"], NEXT);
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);

    // Local production ahead of origin (unpushed work).
    f.commit_file(&f.work, "carto_more.py", "x\n", "feat: unpushed");
    let out = dry(&["patch"]).fails(1);
    assert!(
        out.stderr.contains("1 commit(s) that origin does not"),
        "{}",
        out.stderr
    );
    f.git(&f.work, &["reset", "--quiet", "--hard", "HEAD~1"]);

    // Local production behind origin.
    let mate = f.clone_origin("mate");
    f.git(&mate, &["switch", "--quiet", "carto/main"]);
    f.commit_file(&mate, "carto_mate.py", "x\n", "fix: teammate");
    f.git(&mate, &["push", "--quiet", "origin", "carto/main"]);
    let out = dry(&["patch"]).fails(1);
    assert!(
        out.stderr.contains("behind origin/carto/main"),
        "{}",
        out.stderr
    );
    assert_eq!(
        f.git(&f.work, &["for-each-ref"]),
        before.0,
        "a refused release fetched"
    );

    // The tag exists on origin at another commit (someone released meanwhile).
    f.git(&mate, &["tag", "-a", "-m", "Release", NEXT]);
    f.git(&mate, &["push", "--quiet", "origin", NEXT]);
    f.git(
        &f.work,
        &["pull", "--quiet", "--ff-only", "origin", "carto/main"],
    );
    f.commit_file(&f.work, "carto_new.py", "x\n", "fix: newer");
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let out = dry(&["patch"]).fails(1);
    assert!(
        out.stderr
            .contains(&format!("tag {NEXT} already exists on origin")),
        "{}",
        out.stderr
    );

    // Shallow clone.
    let shallow = f.path("shallow");
    f.git(
        f.root.path(),
        &[
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            "carto/main",
            &Fixture::url(&f.origin),
            shallow.to_str().unwrap(),
        ],
    );
    let out = Run::from(
        f.xtask_cmd(&shallow, &[], &["release", "patch", "--dry-run"])
            .output()
            .unwrap(),
    )
    .fails(1);
    assert!(out.stderr.contains("shallow"), "{}", out.stderr);
}

#[test]
fn signed_tag_when_tag_gpgsign_is_set() {
    let f = fork();
    let (server, _releases) = github(&f, &[NEXT]);
    let key = f.path("signing_key");
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f", key.to_str().unwrap()])
        .status()
        .expect("ssh-keygen is needed to sign tags with an SSH key");
    assert!(keygen.success());
    f.git(&f.work, &["config", "tag.gpgSign", "true"]);
    f.git(&f.work, &["config", "gpg.format", "ssh"]);
    f.git(
        &f.work,
        &["config", "user.signingKey", key.to_str().unwrap()],
    );
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .ok();
    assert!(out.stdout.contains("created (signed)"), "{}", out.stdout);
    let raw = f.git(&f.origin, &["cat-file", "tag", NEXT]);
    assert!(raw.contains("-----BEGIN SSH SIGNATURE-----"), "{raw}");
}

#[test]
fn xtask_finds_the_repository_from_a_subfolder_or_repo_flag() {
    let f = fork();
    let sub = f.work.join("tools/release");
    std::fs::create_dir_all(&sub).unwrap();
    let run = |dir: &std::path::Path, args: &[&str]| {
        Run::from(f.xtask_cmd(dir, &[], args).output().unwrap())
    };
    let j = run(&sub, &["release", "patch", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(j["tag"], NEXT);
    let elsewhere = f.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = run(&elsewhere, &["notes"]).fails(2);
    assert!(
        out.stderr.contains("not a git repository"),
        "{}",
        out.stderr
    );
    let j = run(
        &elsewhere,
        &[
            "--repo",
            f.work.to_str().unwrap(),
            "release",
            "patch",
            "--dry-run",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["tag"], NEXT);
}

#[test]
fn a_bad_token_is_found_before_the_tag_is_made() {
    let f = fork();
    let (server, releases) = github(&f, &[NEXT]);
    let before = refs(&f);
    let mut env = server.env();
    env.push((
        "GITHUB_TOKEN",
        "ghp_revokedTOKEN000000000000000000000".into(),
    ));
    let out = f
        .xtask_env(&env, &["release", "patch", "--no-images"])
        .fails(1);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(out.stderr.contains("GITHUB_TOKEN"), "{}", out.stderr);
    assert!(out.stderr.contains("acme/litellm"), "{}", out.stderr);
    assert_eq!(refs(&f), before, "a release with a bad token changed refs");
    assert!(f.run_git(&f.origin, &["rev-parse", "--verify", NEXT]).code != 0);
    assert!(releases.all().is_empty());
    // One read, nothing else tried.
    let calls: Vec<String> = server
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(calls, ["GET /repos/acme/litellm"]);

    // The good token: the same command goes through.
    f.xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .ok();
    assert_eq!(releases.all().len(), 1);
}

#[test]
fn a_server_echoing_the_authorization_header_never_gets_the_token_printed() {
    let f = fork();
    let (server, _releases) = github(&f, &[NEXT]);
    server.echo_authorization(401, bodies::echoed_credentials);
    let before = refs(&f);
    let out = f
        .xtask_env(&server.env(), &["release", "patch", "--no-images"])
        .fails(1);
    assert!(out.stderr.contains("Bad credentials"), "{}", out.stderr);
    assert_no_secret(&format!("{}{}", out.stdout, out.stderr), TOKEN);
    assert_eq!(refs(&f), before);
}
