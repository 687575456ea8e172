//! A release history whose tag format changed is read whole: the earlier
//! values of `release.tagFormat` are read, never written, and the next tag
//! never goes below a release in any of them.

use carto_tests::Fixture;

#[test]
fn older_tag_formats_are_read_and_never_written() {
    let f = Fixture::new();
    // The fixture released carto-v1.75.2-0.1.0 in the old format; the fork
    // now writes `v{upstream}-carto.{fork}`.
    f.write(
        &f.work,
        ".gitcarto",
        "[release]\n\ttagFormat = carto-v{upstream}-{fork}\n\ttagFormat = v{upstream}-carto.{fork}\n",
    );
    f.commit_file(&f.work, "carto_more.txt", "more\n", "fix: more");
    let out = f.carto(&["next-tag", "patch"]).ok();
    assert_eq!(out.stdout.trim(), "v1.75.2-carto.0.1.1");

    // An old-format release on a newer upstream line is not gone below.
    f.git(&f.work, &["tag", "carto-v1.78.5-2.0.0"]);
    let out = f.carto(&["next-tag", "patch"]).fails(1);
    assert!(
        out.stderr.contains("below 1.78.5") && out.stderr.contains("carto-v1.78.5-2.0.0"),
        "{}",
        out.stderr
    );
}
