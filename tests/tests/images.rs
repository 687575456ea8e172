//! Image tags (`cargo xtask images`), promotion by digest at release against a
//! real registry (Debian's `docker-registry` on loopback), and `cargo xtask
//! build --dry-run`.

use carto_tests::github_releases::Releases;
use carto_tests::github_server::{assert_no_secret, bodies, GitHubServer, TOKEN};
use carto_tests::registry::{TestRegistry, OCI_INDEX, PASSWORD, USER};
use carto_tests::Fixture;

const REPO: &str = "carto/litellm";
const NEXT: &str = "carto-v1.75.2-0.1.1";

fn fork() -> Fixture {
    let f = Fixture::new();
    f.git(&f.work, &["config", "carto.github.repo", "acme/litellm"]);
    f.commit_file(
        &f.work,
        "carto_proxy.py",
        "timeout = 30\n",
        "fix(proxy): handle timeouts",
    );
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    f
}

fn sha7(f: &Fixture) -> String {
    f.rev("HEAD")[..7].to_string()
}

fn with_registry(f: &Fixture, reg: &TestRegistry) {
    f.git(&f.work, &["config", "carto.image.name", &reg.image(REPO)]);
}

fn github(f: &Fixture) -> (GitHubServer, Releases) {
    let server = GitHubServer::start();
    let releases = Releases::mount(&server, "acme", "litellm", f.origin.clone(), &[NEXT]);
    (server, releases)
}

/// A release on upstream 1.78.5 off a side branch: the highest release
/// overall, while production stays on the 1.75.2 line.
fn release_on_newer_line(f: &Fixture) {
    f.git(&f.work, &["switch", "--quiet", "-c", "next"]);
    f.git(
        &f.work,
        &[
            "merge",
            "--quiet",
            "--no-edit",
            "-X",
            "theirs",
            "v1.78.5-stable",
        ],
    );
    f.git(
        &f.work,
        &[
            "tag",
            "-a",
            "-m",
            "Release carto-v1.78.5-0.1.0",
            "carto-v1.78.5-0.1.0",
        ],
    );
    f.git(
        &f.work,
        &["push", "--quiet", "origin", "next", "carto-v1.78.5-0.1.0"],
    );
    f.git(&f.work, &["switch", "--quiet", "carto/main"]);
}

#[test]
fn images_plan_moves_latest_tags_only_forward() {
    let f = fork();
    let out = f.xtask(&["images", NEXT]).ok();
    assert!(
        out.stdout
            .contains(&format!("create ghcr.io/cartodb/litellm-non_root:{NEXT}")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "move   ghcr.io/cartodb/litellm-non_root:carto-stable (from carto-v1.75.2-0.1.0)"
        ),
        "{}",
        out.stdout
    );

    // A hotfix on an older line: carto-stable stays on the newer release.
    release_on_newer_line(&f);
    let out = f.xtask(&["images", NEXT]).ok();
    assert!(
        out.stdout.contains("keep   ghcr.io/cartodb/litellm-non_root:carto-stable (stays on carto-v1.78.5-0.1.0, a higher release)"),
        "{}",
        out.stdout
    );
    let j = f.xtask(&["images", NEXT, "--json"]).ok().json();
    let tags = j["tags"].as_array().unwrap();
    assert_eq!(tags[1]["tag"], "carto-v1.75.2-latest");
    assert_eq!(tags[1]["action"], "move");
    assert_eq!(tags[1]["moves_from"], "carto-v1.75.2-0.1.0");
    assert_eq!(tags[2]["tag"], "carto-stable");
    assert_eq!(tags[2]["action"], "keep");
    assert!(tags[2]["moves_from"].is_null());
    // The existing release: its source is the CI tag of its commit.
    let j = f
        .xtask(&["images", "carto-v1.78.5-0.1.0", "--json"])
        .ok()
        .json();
    let commit = f.rev("carto-v1.78.5-0.1.0^{commit}");
    assert_eq!(j["source"], format!("carto-main-{}", &commit[..7]));
    assert_eq!(j["tags"][2]["action"], "move");

    let out = f.xtask(&["images", "v1.75.2-stable"]).fails(2);
    assert!(out.stderr.contains("not a release tag"), "{}", out.stderr);
}

#[test]
fn release_promotes_the_ci_image_by_digest_and_resumes() {
    let reg = TestRegistry::start();
    let f = fork();
    with_registry(&f, &reg);
    let (server, _releases) = github(&f);
    let (source, _) = reg.push_image(
        REPO,
        Some(&format!("carto-main-{}", sha7(&f))),
        "build of HEAD",
        "linux/amd64",
    );

    let out = f.xtask_env(&server.env(), &["release", "patch"]).ok();
    assert!(out.stdout.contains(&source), "{}", out.stdout);
    for tag in [NEXT, "carto-v1.75.2-latest", "carto-stable"] {
        assert_eq!(
            reg.digest(REPO, tag).as_deref(),
            Some(source.as_str()),
            "{tag}"
        );
    }
    // Re-run: every tag already has the digest, nothing pushed again.
    let again = f
        .xtask_env(&server.env(), &["release", "patch", "--json"])
        .ok()
        .json();
    let promoted = again["promoted"].as_array().unwrap();
    assert_eq!(promoted.len(), 3);
    assert!(
        promoted
            .iter()
            .all(|p| p["result"] == "already" && p["digest"] == source.as_str()),
        "{promoted:?}"
    );
}

#[test]
fn a_multi_arch_index_is_promoted_whole() {
    let reg = TestRegistry::start();
    let f = fork();
    with_registry(&f, &reg);
    let (server, _releases) = github(&f);
    let index = reg.push_index(
        REPO,
        &format!("carto-main-{}", sha7(&f)),
        "build",
        &["linux/amd64", "linux/arm64"],
    );
    f.xtask_env(&server.env(), &["release", "patch"]).ok();
    assert_eq!(reg.digest(REPO, NEXT).as_deref(), Some(index.as_str()));
    let m = reg.manifest(REPO, NEXT);
    assert_eq!(m["mediaType"], OCI_INDEX);
    assert_eq!(m["manifests"].as_array().unwrap().len(), 2);
    assert_eq!(
        reg.digest(REPO, "carto-stable").as_deref(),
        Some(index.as_str())
    );
}

#[test]
fn a_hotfix_on_an_older_line_never_moves_stable_backwards() {
    let reg = TestRegistry::start_with_auth();
    let f = fork();
    with_registry(&f, &reg);
    release_on_newer_line(&f);
    let (newer, _) = reg.push_image(REPO, Some("carto-stable"), "release 1.78.5", "linux/amd64");
    let (old_line, _) = reg.push_image(
        REPO,
        Some("carto-v1.75.2-latest"),
        "release 1.75.2-0.1.0",
        "linux/amd64",
    );
    let (source, _) = reg.push_image(
        REPO,
        Some(&format!("carto-main-{}", sha7(&f))),
        "hotfix",
        "linux/amd64",
    );
    assert_ne!(old_line, source);
    let (server, _releases) = github(&f);
    let mut env = server.env();
    env.push(("CARTO_REGISTRY_USERNAME", USER.to_string()));
    env.push(("CARTO_REGISTRY_PASSWORD", PASSWORD.to_string()));
    let out = f.xtask_env(&env, &["release", "patch"]).ok();
    assert!(out.stdout.contains("carto-stable kept"), "{}", out.stdout);
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));
    assert_eq!(
        reg.digest(REPO, "carto-stable").as_deref(),
        Some(newer.as_str())
    );
    assert_eq!(
        reg.digest(REPO, "carto-v1.75.2-latest").as_deref(),
        Some(source.as_str())
    );
    assert_eq!(reg.digest(REPO, NEXT).as_deref(), Some(source.as_str()));
}

#[test]
fn a_missing_source_image_is_refused_before_anything_changes() {
    let reg = TestRegistry::start();
    let f = fork();
    with_registry(&f, &reg);
    let (server, releases) = github(&f);
    let before = f.git(&f.origin, &["for-each-ref"]);
    let out = f.xtask_env(&server.env(), &["release", "patch"]).fails(1);
    assert!(
        out.stderr.contains(&format!("carto-main-{}", sha7(&f))),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("is missing"), "{}", out.stderr);
    assert!(
        out.stderr.contains("cargo xtask build --push"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--rebuild"), "{}", out.stderr);
    assert_eq!(f.git(&f.origin, &["for-each-ref"]), before);
    assert!(f.run_git(&f.work, &["rev-parse", "--verify", NEXT]).code != 0);
    assert!(releases.all().is_empty());
    assert!(reg.tags(REPO).is_empty());
}

#[test]
fn a_release_image_tag_is_never_overwritten() {
    let reg = TestRegistry::start();
    let f = fork();
    with_registry(&f, &reg);
    let (server, _releases) = github(&f);
    reg.push_image(
        REPO,
        Some(&format!("carto-main-{}", sha7(&f))),
        "build of HEAD",
        "linux/amd64",
    );
    let (other, _) = reg.push_image(REPO, Some(NEXT), "something else", "linux/amd64");
    let out = f.xtask_env(&server.env(), &["release", "patch"]).fails(1);
    assert!(out.stderr.contains("never overwritten"), "{}", out.stderr);
    assert_eq!(reg.digest(REPO, NEXT).as_deref(), Some(other.as_str()));
    assert!(f.run_git(&f.work, &["rev-parse", "--verify", NEXT]).code != 0);
}

#[test]
fn registry_credentials_come_from_the_docker_config_and_401_says_how() {
    let reg = TestRegistry::start_with_auth();
    let f = fork();
    with_registry(&f, &reg);
    let (server, _releases) = github(&f);
    reg.push_image(
        REPO,
        Some(&format!("carto-main-{}", sha7(&f))),
        "build of HEAD",
        "linux/amd64",
    );

    let out = f.xtask_env(&server.env(), &["release", "patch"]).fails(1);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("docker login {}", reg.addr)),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("CARTO_REGISTRY_USERNAME"),
        "{}",
        out.stderr
    );
    assert!(f.run_git(&f.work, &["rev-parse", "--verify", NEXT]).code != 0);

    // What `docker login` leaves behind.
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    f.write(
        &f.path("home"),
        ".docker/config.json",
        &format!(r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#, reg.addr),
    );
    let out = f.xtask_env(&server.env(), &["release", "patch"]).ok();
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));
    assert!(!out.stdout.contains(&auth));
    assert!(reg.digest(REPO, "carto-stable").is_some());
}

#[test]
fn a_failing_registry_stops_the_release_before_tagging() {
    let reg = TestRegistry::start();
    let f = fork();
    with_registry(&f, &reg);
    let (server, _releases) = github(&f);
    reg.push_image(
        REPO,
        Some(&format!("carto-main-{}", sha7(&f))),
        "build of HEAD",
        "linux/amd64",
    );
    reg.break_storage();
    let out = f.xtask_env(&server.env(), &["release", "patch"]).fails(1);
    assert!(out.stderr.contains("500"), "{}", out.stderr);
    assert!(out.stderr.contains(&reg.addr), "{}", out.stderr);
    assert!(f.run_git(&f.work, &["rev-parse", "--verify", NEXT]).code != 0);
}

#[test]
fn build_dry_run_prints_the_exact_buildx_command() {
    let f = fork();
    let out = f.xtask(&["build", "--dry-run"]).fails(2);
    assert!(
        out.stderr.contains("docker/Dockerfile.non_root"),
        "{}",
        out.stderr
    );
    f.commit_file(
        &f.work,
        "docker/Dockerfile.non_root",
        "FROM python:3.11\nUSER 1000\n",
        "build: non-root image",
    );
    let head = f.rev("HEAD");
    let short = &head[..7];
    let j = f.xtask(&["build", "--dry-run", "--json"]).ok().json();
    let argv: Vec<String> = j["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let work = f.work.display().to_string();
    let img = "ghcr.io/cartodb/litellm-non_root";
    let expected: Vec<String> = [
        "docker",
        "buildx",
        "build",
        "--file",
        &format!("{work}/docker/Dockerfile.non_root"),
        "--platform",
        "linux/amd64",
        "--tag",
        &format!("{img}:carto-main-latest"),
        "--tag",
        &format!("{img}:carto-main-{short}"),
        "--label",
        "org.opencontainers.image.revision=".to_string().as_str(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(argv[..11], expected[..11], "{argv:?}");
    assert!(
        argv.contains(&format!("org.opencontainers.image.revision={head}")),
        "{argv:?}"
    );
    assert!(
        argv.contains(
            &"org.opencontainers.image.source=https://github.com/acme/litellm".to_string()
        ),
        "{argv:?}"
    );
    assert!(
        argv.contains(&format!(
            "org.opencontainers.image.version=carto-main-{short}"
        )),
        "{argv:?}"
    );
    assert_eq!(argv[argv.len() - 2], "--load");
    assert_eq!(argv[argv.len() - 1], work);
    let text = f.xtask(&["build", "--dry-run"]).ok().stdout;
    assert!(
        text.contains("carto-main-latest moves: HEAD is carto/main"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "docker buildx build --file {work}/docker/Dockerfile.non_root"
        )),
        "{text}"
    );

    // Push, several platforms.
    let j = f
        .xtask(&[
            "build",
            "--push",
            "--platform",
            "linux/amd64,linux/arm64",
            "--dry-run",
            "--json",
        ])
        .ok()
        .json();
    let argv: Vec<&str> = j["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        argv.windows(2)
            .any(|w| w == ["--platform", "linux/amd64,linux/arm64"]),
        "{argv:?}"
    );
    assert!(
        argv.contains(&"--push") && !argv.contains(&"--load"),
        "{argv:?}"
    );

    // A pull-request branch never moves carto-main-latest.
    f.git(&f.work, &["switch", "--quiet", "-c", "feature/x"]);
    let j = f.xtask(&["build", "--dry-run", "--json"]).ok().json();
    let tags: Vec<&str> = j["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(tags, [format!("{img}:carto-main-{short}")]);
    assert!(
        j["latest"].as_str().unwrap().contains("not moved"),
        "{}",
        j["latest"]
    );

    // Pushing an image of a dirty tree is refused.
    f.write(&f.work, "carto_proxy.py", "dirty\n");
    let out = f.xtask(&["build", "--push", "--dry-run"]).fails(1);
    assert!(out.stderr.contains("uncommitted"), "{}", out.stderr);
}

#[test]
fn release_rebuild_plans_a_build_of_the_tag() {
    let f = fork();
    f.commit_file(
        &f.work,
        "docker/Dockerfile.non_root",
        "FROM python:3.11\n",
        "build: non-root image",
    );
    f.git(&f.work, &["push", "--quiet", "origin", "carto/main"]);
    let out = f
        .xtask(&["release", "patch", "--rebuild", "--dry-run"])
        .ok();
    let img = "ghcr.io/cartodb/litellm-non_root";
    assert!(
        out.stdout
            .contains("rebuild ghcr.io/cartodb/litellm-non_root from carto-v1.75.2-0.1.1"),
        "{}",
        out.stdout
    );
    for want in [
        format!("--tag {img}:{NEXT}"),
        format!("--tag {img}:carto-v1.75.2-latest"),
        format!("--tag {img}:carto-stable"),
        format!("org.opencontainers.image.version={NEXT}"),
        "--push".to_string(),
    ] {
        assert!(
            out.stdout.contains(&want),
            "missing {want}:\n{}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains("carto-main-latest"), "{}", out.stdout);
}

/// A registry (or a proxy in front of it) that echoes the request's
/// `Authorization` header into its error: neither the Basic credentials
/// (user:password in base64) nor the password are printed.
#[test]
fn a_registry_echoing_the_authorization_header_never_gets_credentials_printed() {
    let echo = GitHubServer::start();
    echo.echo_authorization(400, bodies::echoed_registry_credentials);
    let f = fork();
    let addr = echo.uri().trim_start_matches("http://").to_string();
    f.git(
        &f.work,
        &["config", "carto.image.name", &format!("{addr}/{REPO}")],
    );
    let (server, _releases) = github(&f);
    let before = f.git(&f.work, &["for-each-ref"]);
    let mut env = server.env();
    env.push(("CARTO_REGISTRY_USERNAME", USER.to_string()));
    env.push(("CARTO_REGISTRY_PASSWORD", PASSWORD.to_string()));
    let out = f.xtask_env(&env, &["release", "patch"]).fails(1);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains(&addr), "{all}");
    assert_no_secret(&all, PASSWORD);
    assert_no_secret(&all, TOKEN);
    assert_eq!(f.git(&f.work, &["for-each-ref"]), before);
    assert!(echo
        .requests()
        .iter()
        .any(|r| r.headers.get("authorization").is_some()));
}
