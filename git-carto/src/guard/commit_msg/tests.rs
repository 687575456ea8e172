use super::*;

fn rules() -> Rules {
    Rules::from_config(&Config::defaults()).unwrap()
}

fn ok(msg: &str) -> Message {
    check(msg.as_bytes(), &rules(), Origin::Editor { comment: "#" })
        .unwrap_or_else(|p| panic!("{msg:?} rejected: {p:?}"))
}

fn bad(msg: &str) -> Problem {
    match check(msg.as_bytes(), &rules(), Origin::Editor { comment: "#" }) {
        Ok(m) => panic!("{msg:?} accepted as {m:?}"),
        Err(p) => p,
    }
}

fn conv(msg: &str) -> Conventional {
    match ok(msg) {
        Message::Conventional(c) => c,
        m => panic!("{m:?}"),
    }
}

#[test]
fn accepts_the_spec_forms() {
    let c = conv("feat(api)!: drop v1\n\nbody text\n\nBREAKING CHANGE: v1 is gone\nRefs: #12\nSigned-off-by: A <a@b.c>\n");
    assert_eq!(c.kind, "feat");
    assert_eq!(c.scope.as_deref(), Some("api"));
    assert!(c.breaking);
    assert_eq!(c.subject, "drop v1");
    let tokens: Vec<_> = c.footers.iter().map(|f| f.token.as_str()).collect();
    assert_eq!(tokens, ["BREAKING CHANGE", "Refs", "Signed-off-by"]);
    assert_eq!(ok("fix: x").bump(), Bump::Patch);
    assert_eq!(ok("feat: x").bump(), Bump::Minor);
    assert_eq!(ok("fix!: x").bump(), Bump::Major);
    assert_eq!(
        ok("resolve: conflicts from upstream sync").bump(),
        Bump::Patch
    );
    assert_eq!(
        conv("fix: x\n\nCloses #3").footers[0],
        Footer {
            token: "Closes".into(),
            value: "3".into()
        }
    );
}

#[test]
fn breaking_counts_only_in_footers() {
    assert!(!conv("fix: x\n\nThis is not a BREAKING CHANGE: just prose.\n").breaking);
    assert!(!conv("fix: x\n\nBREAKING CHANGE: looks like one\n\nbut prose follows.\n").breaking);
    assert!(conv("fix: x\n\nprose\n\nBREAKING-CHANGE: it is\n").breaking);
    assert!(conv("fix: x\n\nBREAKING CHANGE: it is\n\nSigned-off-by: A <a@b>\n").breaking);
    assert_eq!(ok("feat: x\n\nBREAKING CHANGE: it is").bump(), Bump::Major);
}

#[test]
fn lets_git_and_github_messages_through() {
    for m in [
        "Merge branch 'feature/x' into carto/main",
        "Merge remote-tracking branch 'origin/main'",
        "Merge tag 'v1.78.5-stable' into upstream-sync/v1.78.5",
        "Merge pull request #42 from org/feature/x",
        "Merge commit 'abc123'",
    ] {
        assert_eq!(ok(m), Message::Merge, "{m}");
    }
    assert_eq!(
        ok("Revert \"feat: x\"\n\nThis reverts commit abc."),
        Message::Revert
    );
    assert_eq!(ok("Reapply \"feat: x\""), Message::Revert);
    for m in ["fixup! feat: x", "squash! fix: y", "amend! fix: y"] {
        assert!(matches!(ok(m), Message::Autosquash { .. }), "{m}");
    }
    bad("Merge the two config files");
}

#[test]
fn strips_comments_scissors_and_crlf() {
    let msg = "# Please enter the commit message\nfeat: x\r\n\r\nbody\r\n# comment\n# ------------------------ >8 ------------------------\n# Do not modify\ndiff --git a/x b/x\nnot: a footer\n";
    let c = conv(msg);
    assert!(c.footers.is_empty());
    assert_eq!(c.subject, "x");
    // A recorded commit keeps `#` lines: they are part of the message.
    assert!(check(b"# x\nfeat: y", &rules(), Origin::Commit).is_err());
    // Other comment strings (core.commentChar).
    let m = check(b"; c\nfeat: y", &rules(), Origin::Editor { comment: ";" });
    assert!(m.is_ok());
}

#[test]
fn rejections_say_what_and_show_an_example() {
    let p = bad("");
    assert!(p.what.contains("empty"));
    let p = bad("# only\n# comments\n");
    assert!(p.what.contains("only comment lines"), "{p:?}");
    let p = bad("Add login page");
    assert_eq!(p.line, 1);
    assert_eq!(p.example.as_deref(), Some("feat: add login page"));
    let p = bad("feature: add login");
    assert!(p.what.contains("unknown type `feature`") && p.what.contains("resolve"));
    assert_eq!(p.example.as_deref(), Some("feat: add login"));
    let p = bad("Feat: add login");
    assert!(p.what.contains("lower case"));
    assert_eq!(p.example.as_deref(), Some("feat: add login"));
    let p = bad("feat:add login");
    assert!(p.what.contains("space"));
    assert_eq!(p.example.as_deref(), Some("feat: add login"));
    let p = bad("feat : add login");
    assert!(p.what.contains("no space"), "{p:?}");
    assert_eq!(p.example.as_deref(), Some("feat: add login"));
    let p = bad("feat(api add login");
    assert!(p.what.contains("closing"));
    let p = bad("feat(): x");
    assert!(p.what.contains("empty"));
    let p = bad("feat(my api): x");
    assert_eq!(p.example.as_deref(), Some("feat(my-api): x"));
    let p = bad("feat: ");
    assert!(p.what.contains("subject"), "{p:?}");
    let p = bad("feat: x\nbody right away");
    assert_eq!(p.line, 2);
    let p = bad("# c\nfeat: x\n\nBREAKING CHANGE:\n");
    assert_eq!(p.line, 4);
    let long = format!("feat: {}", "word ".repeat(30));
    let p = bad(&long);
    assert!(p.what.contains("100"));
    assert!(p.example.unwrap().lines().next().unwrap().chars().count() <= 100);
}

#[test]
fn scopes_with_slash_and_at_are_fine() {
    assert_eq!(
        conv("fix(@carto/proxy): x").scope.as_deref(),
        Some("@carto/proxy")
    );
    assert_eq!(
        conv("fix(api/v2,db): x").scope.as_deref(),
        Some("api/v2,db")
    );
    let mut r = rules();
    r.scopes = vec!["api".into(), "db".into()];
    let p = check(b"fix(web): x", &r, Origin::Commit).unwrap_err();
    assert!(p.what.contains("api, db"));
    assert!(check(b"fix(api,db): x", &r, Origin::Commit).is_ok());
}

#[test]
fn non_utf8_and_huge_messages_are_reported_not_crashed() {
    let p = check(b"feat: caf\xe9\n", &rules(), Origin::Commit).unwrap_err();
    assert!(p.what.contains("UTF-8") && p.what.contains("0xE9"), "{p:?}");
    assert_eq!(p.line, 1);
    let mut big = b"feat: x\n\n".to_vec();
    big.extend(std::iter::repeat_n(b"lorem ipsum dolor\n".as_slice(), 60_000).flatten());
    assert!(big.len() > 1_000_000);
    assert!(check(&big, &rules(), Origin::Commit).is_ok());
    let huge_line = "x".repeat(1_100_000);
    let p = check(huge_line.as_bytes(), &rules(), Origin::Commit).unwrap_err();
    assert!(p.text.len() < 1000);
    assert!(p.example.unwrap().len() < 1000);
}

#[test]
fn render_says_where_the_message_is() {
    let p = bad("oops");
    let r = render(&p, Some(".git/COMMIT_EDITMSG"));
    assert!(r.contains("line 1: oops"));
    assert!(r.contains("git commit -e -F .git/COMMIT_EDITMSG"));
    assert!(r.contains("fix: oops"));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::fuzz_cases(2000)))]

        #[test]
        fn never_panics_on_bytes(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
            let r = rules();
            let _ = check(&raw, &r, Origin::Editor { comment: "#" });
            let _ = check(&raw, &r, Origin::Commit);
        }

        #[test]
        fn never_panics_on_message_shapes(
            kind in "[a-zA-Z!@ ]{0,8}",
            scope in proptest::option::of("[a-z/@ (),.:-]{0,8}"),
            sep in "[!:  #]{0,3}",
            subject in "\\PC{0,120}",
            body in "(\\PC{0,40}\r?\n){0,6}",
            footer in "(BREAKING CHANGE|Refs|[A-Za-z-]{0,6})(: | #|:)?\\PC{0,20}",
        ) {
            let r = rules();
            let scope = scope.map(|s| format!("({s})")).unwrap_or_default();
            let msg = format!("{kind}{scope}{sep}{subject}\n\n{body}\n{footer}\n");
            let result = check(msg.as_bytes(), &r, Origin::Editor { comment: "#" });
            if let Err(p) = &result {
                let _ = render(p, Some("x"));
            }
        }
    }
}

mod outside_input {
    //! Commit messages come from anyone: any bytes, any length, checked
    //! without a panic and in bounded time, and the rejection renders.
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: crate::fuzz_cases(300), ..ProptestConfig::default() })]
        #[test]
        fn any_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2000)) {
            for origin in [Origin::Editor { comment: "#" }, Origin::Commit] {
                if let Err(p) = check(&raw, &rules(), origin) {
                    let _ = render(&p, Some("/tmp/a b/msg"));
                }
            }
        }

        #[test]
        fn near_conventional(
            kind in "[a-zA-Z!]{0,10}",
            scope in proptest::option::of("[^)]{0,12}"),
            bang in any::<bool>(),
            sep in "(: |:|  : )",
            subject in ".{0,120}",
            body in ".{0,200}",
            footer in "([A-Za-z-]{1,20}(: | #).{0,30})?",
        ) {
            let scope = scope.map(|s| format!("({s})")).unwrap_or_default();
            let msg = format!(
                "{kind}{scope}{}{sep}{subject}\n\n{body}\n\n{footer}\n",
                if bang { "!" } else { "" }
            );
            for origin in [Origin::Editor { comment: "#" }, Origin::Commit] {
                if let Err(p) = check(msg.as_bytes(), &rules(), origin) {
                    let _ = render(&p, None);
                }
            }
        }
    }
}
