//! Livepeer Studio streams: `GET /stream?streamsonly=1`, answered with an array of streams
//! `{id, name, isActive, streamKey, …}`. `Authorization: Bearer <api key>`.
//!
//! - `streamsonly=1` leaves out the per-session child objects (those with a `parentId`): only
//!   the streams an encoder pushes to are listed.
//! - `isActive` true → live, false → idle; absent → no change.
//! - Not paginated: the API reference documents no page, cursor or limit parameter for this
//!   listing, so one request lists the account.

use serde::Deserialize;

use super::{name, read, ApiError, Collect, Observed, Page, PageRequest, WireId};
use crate::ingest::event::State;
use crate::ingest::providers::json::Text;
pub use crate::ingest::providers::livepeer::ID;

/// The request that lists every stream.
pub fn first_request() -> PageRequest {
    PageRequest::get(
        "/stream".into(),
        vec![("streamsonly".into(), "1".into())],
        1,
    )
}

/// Reads the listing. There is never a next page.
pub fn read_page(body: &[u8], _current: &PageRequest) -> Result<Page, ApiError> {
    let streams: Vec<Stream> = read(ID, body)?;
    let mut page = Collect::with_capacity(streams.len());
    for stream in streams {
        let observed = match stream.is_active {
            Some(true) => Observed::State(State::Live),
            Some(false) => Observed::State(State::Idle),
            None => Observed::NoChange,
        };
        page.push(
            stream.id.and_then(|id| id.text()),
            name(stream.name.as_deref()),
            observed,
        );
    }
    Ok(page.page(None))
}

/// `streamKey` is a credential: not read.
#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(default, borrow)]
    id: Option<WireId<'a>>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default, rename = "isActive")]
    is_active: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, never_panics_nor_quotes, observed};
    use super::*;

    #[test]
    fn the_request_lists_parent_streams_only() {
        let r = first_request();
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(r.path_and_query(), "/stream?streamsonly=1");
        assert_eq!((r.body, r.page), (None, 1));
    }

    #[test]
    fn is_active_maps_names_are_kept_and_there_is_no_next_page() {
        let p = read_page(&fixture("livepeer", "streams.json"), &first_request()).unwrap();
        assert_eq!(
            observed(&p),
            [
                (
                    "de7818e7-610a-4057-8f6f-b785dc1e6f88",
                    Observed::State(State::Live)
                ),
                (
                    "a9f3c2e1-4b5d-4e6f-8a7b-9c0d1e2f3a4b",
                    Observed::State(State::Idle)
                ),
                ("0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", Observed::NoChange),
            ]
        );
        let names: Vec<Option<&str>> = p.streams.iter().map(|s| s.name.as_deref()).collect();
        assert_eq!(names, [Some("test_stream"), Some("Main stage"), None]);
        assert_eq!((p.skipped, p.next), (0, None));
    }

    #[test]
    fn streams_without_a_valid_id_are_skipped() {
        let b = br#"[{"id":"ok","isActive":true},{"isActive":true},{"id":"no spaces","isActive":false},{"id":{"x":1},"isActive":true}]"#;
        let p = read_page(b, &first_request()).unwrap();
        assert_eq!(observed(&p), [("ok", Observed::State(State::Live))]);
        assert_eq!(p.skipped, 3);
    }

    #[test]
    fn wrong_shapes_are_errors_that_quote_nothing() {
        for (b, want) in [
            (
                &br#"{"error":"secret"}"#[..],
                "wrong type or value at line 1, column 0",
            ),
            (
                br#"[{"id":"a","isActive":"secret"}]"#,
                "wrong type or value at line 1, column 30",
            ),
        ] {
            let e = read_page(b, &first_request()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("the livepeer API's answer does not have its documented shape: {want}")
            );
        }
        assert!(matches!(
            read_page(b"", &first_request()),
            Err(ApiError::Json { .. })
        ));
    }

    #[test]
    fn mutated_answers_never_panic_nor_leak() {
        let b = fixture("livepeer", "streams.json");
        never_panics_nor_quotes(&b, "hgebdhhigq", |b| read_page(b, &first_request()));
    }
}
