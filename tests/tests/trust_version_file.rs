//! The version file: a fork with `pyproject.toml` holding a version gets
//! `release.versionFile` from `init`, and `doctor` says when it is off, since
//! without it `next-tag` never checks the version the fork ships.

use carto_tests::Fixture;

#[test]
fn init_turns_the_version_file_on_and_doctor_says_when_it_is_off() {
    let f = Fixture::new();
    let out = f.carto(&["--quiet", "doctor"]);
    assert!(
        out.stdout.contains("version file")
            && out.stdout.contains("release.versionFile is off")
            && out
                .stdout
                .contains("git config --file .gitcarto release.versionFile pyproject.toml"),
        "{}",
        out.stdout
    );

    f.carto(&["init", "--upstream", &Fixture::url(&f.upstream), "--yes"])
        .ok();
    assert_eq!(
        f.git(
            &f.work,
            &["config", "--file", ".gitcarto", "release.versionFile"]
        ),
        "pyproject.toml"
    );
    let out = f.carto(&["doctor"]);
    assert!(
        out.stdout.contains("release.versionFile = pyproject.toml"),
        "{}",
        out.stdout
    );
    // A second run keeps it and changes nothing.
    f.carto(&["init", "--upstream", &Fixture::url(&f.upstream), "--yes"])
        .ok();
    // An explicit empty value is a choice init keeps.
    f.git(
        &f.work,
        &["config", "--file", ".gitcarto", "release.versionFile", ""],
    );
    f.carto(&["init", "--upstream", &Fixture::url(&f.upstream), "--yes"])
        .ok();
    assert_eq!(
        f.git(
            &f.work,
            &[
                "config",
                "--file",
                ".gitcarto",
                "--get",
                "release.versionFile"
            ]
        ),
        ""
    );
}
