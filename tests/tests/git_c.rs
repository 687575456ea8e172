//! `git -c key=value carto ...`: git passes the settings in the environment
//! only, and they must count as git's own settings do.

use carto_tests::Fixture;

#[test]
fn git_c_sets_a_carto_key_for_one_run() {
    let f = Fixture::new();
    let run = f
        .run_git(
            &f.work,
            &[
                "-c",
                "carto.release.tagFormat=fork-{fork}-on-{upstream}",
                "carto",
                "next-tag",
                "patch",
                "--upstream",
                "1.75.2",
            ],
        )
        .ok();
    assert!(
        run.stdout.trim().starts_with("fork-"),
        "git -c tag format not used: {}",
        run.stdout
    );
    // Without it, the default format.
    let plain = f.carto(&["next-tag", "patch", "--upstream", "1.75.2"]).ok();
    assert!(
        plain.stdout.trim().starts_with("carto-v"),
        "{}",
        plain.stdout
    );

    let shown = f
        .run_git(
            &f.work,
            &["-c", "carto.commit.subjectMaxLength=72", "carto", "config"],
        )
        .ok();
    let line = shown
        .stdout
        .lines()
        .find(|l| l.contains("commit.subjectMaxLength"))
        .unwrap_or_else(|| panic!("no key in:\n{}", shown.stdout));
    assert!(line.contains("72") && line.contains("git -c"), "{line}");
}

#[test]
fn a_bad_git_c_value_is_a_config_error_naming_it() {
    let f = Fixture::new();
    let run = f
        .run_git(
            &f.work,
            &[
                "-c",
                "carto.commit.subjectMaxLength=0",
                "carto",
                "next-tag",
                "patch",
            ],
        )
        .fails(2);
    assert!(
        run.stderr.contains("git -c carto.commit.subjectMaxLength"),
        "{}",
        run.stderr
    );
}

#[test]
fn git_c_color_ui_decides_the_colour() {
    let f = Fixture::new();
    let always = f
        .run_git(&f.work, &["-c", "color.ui=always", "carto", "status"])
        .ok();
    assert!(
        always.stdout.contains("\x1b["),
        "no colour:\n{}",
        always.stdout
    );
    // `never` on the command line beats `always` in the repository's config.
    f.git(&f.work, &["config", "color.ui", "always"]);
    let never = f
        .run_git(&f.work, &["-c", "color.ui=never", "carto", "status"])
        .ok();
    assert!(!never.stdout.contains('\x1b'), "colour:\n{}", never.stdout);
}
