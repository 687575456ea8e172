//! Fuzzing GitHub's answers (DESIGN: hostile or broken servers): arbitrary
//! JSON, cut-off bodies and fields of the wrong type never panic; readers
//! that need a field answer a clear error naming what was wrong.

use proptest::prelude::*;
use serde_json::json;

use super::*;

/// Keys GitHub's answers and our readers use, so objects hit the fields read.
const KEYS: &[&str] = &[
    "number",
    "head",
    "ref",
    "html_url",
    "labels",
    "name",
    "id",
    "tag_name",
    "body",
    "message",
    "errors",
    "code",
    "resource",
    "field",
    "documentation_url",
    "state",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

/// Any JSON value, nested a few levels.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        // Fractions exact in binary, so a value survives a round trip as text.
        any::<i32>().prop_map(|n| json!(f64::from(n) / 4.0)),
        any::<String>().prop_map(Value::String),
        prop::sample::select(KEYS).prop_map(|k| Value::String(k.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A well-formed pull request, for cutting and mistyping.
fn pull(number: u64, head: &str) -> Value {
    json!({"number": number, "head": {"ref": head}, "html_url": "https://github.com/o/r/pull/1",
           "labels": [{"name": "upstream-sync"}]})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_reply_reads_without_panicking(status in 100u16..600, body in json_value()) {
        let reply = Reply { status, body, accepted_permissions: None, oauth_scopes: None };
        let _ = reply.message();
        let _ = reply.already_exists();
        let success = reply.is_success();
        match reply.ok("doing something") {
            Ok(_) => prop_assert!(success),
            Err(e) => {
                prop_assert!(!success);
                let expected = format!("GitHub answered {} to doing something", status);
                prop_assert!(e.message().starts_with(&expected), "{}", e.message());
            }
        }
    }

    #[test]
    fn any_body_decodes_and_cut_bodies_stay_text(v in json_value(), cut in any::<prop::sample::Index>()) {
        let text = serde_json::to_string(&v).unwrap_or_default();
        prop_assert_eq!(decode_body(text.as_bytes()), v);
        let bytes = text.as_bytes();
        let n = cut.index(bytes.len() + 1);
        let part = decode_body(&bytes[..n]);
        let _ = excerpt(&part);
        prop_assert!(excerpt(&part).chars().count() <= 121);
    }

    #[test]
    fn any_bytes_decode(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = excerpt(&decode_body(&bytes));
    }

    #[test]
    fn pull_requests_are_read_or_refused(v in json_value()) {
        match PullRequest::from_json(&v) {
            Ok(pr) => {
                prop_assert!(pr.number > 0);
                prop_assert_eq!(Some(pr.head.as_str()), v["head"]["ref"].as_str());
            }
            Err(e) => prop_assert!(e.message().starts_with("GitHub answered a pull request")),
        }
        match pulls_from_json(&v) {
            Ok(prs) => prop_assert_eq!(prs.len(), v.as_array().map_or(usize::MAX, Vec::len)),
            Err(e) => prop_assert!(e.message().starts_with("GitHub answered")),
        }
    }

    #[test]
    fn a_wrong_type_in_a_pull_request_is_an_error(field in prop::sample::select(&["number", "head", "labels", "html_url"][..]), wrong in json_value()) {
        let mut v = pull(7, "upstream-sync/v1.2.3");
        v[field] = wrong.clone();
        let fits = match field {
            "number" => wrong.as_u64().is_some_and(|n| n > 0),
            "head" => wrong["ref"].is_string(),
            "labels" => wrong.is_null()
                || wrong.as_array().is_some_and(|ls| ls.iter().all(|l| l["name"].is_string())),
            _ => wrong.is_null() || wrong.is_string(),
        };
        prop_assert_eq!(PullRequest::from_json(&v).is_ok(), fits, "{}", v);
        // In a listing, one bad entry refuses the whole page: no silent skip.
        let page = json!([pull(1, "a"), v]);
        prop_assert_eq!(pulls_from_json(&page).is_ok(), fits);
    }

    #[test]
    fn releases_are_read_or_refused(v in json_value()) {
        match Release::from_json(&v) {
            Ok(r) => prop_assert_eq!(Some(r.id), v["id"].as_u64()),
            Err(e) => prop_assert!(e.message().contains("release")),
        }
    }

    #[test]
    fn retry_headers_of_any_shape_never_panic(
        status in 100u16..600,
        a in prop::option::of(any::<String>()),
        b in prop::option::of(any::<String>()),
        c in prop::option::of(prop_oneof![any::<String>(), any::<u64>().prop_map(|n| n.to_string())]),
    ) {
        let _ = retry_wait(status, a, b, c);
    }
}

#[test]
fn a_proxy_page_is_quoted_in_the_error() {
    let reply = Reply {
        status: 502,
        body: decode_body(b"<html>\n<h1>502 Bad Gateway</h1></html>"),
        accepted_permissions: None,
        oauth_scopes: None,
    };
    let e = reply.ok("listing open pull requests").unwrap_err();
    assert!(
        e.message()
            .contains("GitHub answered 502 to listing open pull requests: <html>"),
        "{}",
        e.message()
    );
}
