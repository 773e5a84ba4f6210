//! Mux live streams: `GET /video/v1/live-streams?limit=100&page=N`, pages from 1, answered
//! `{data: [{id, status, meta: {title}, stream_key, …}]}`. HTTP Basic with an access token that
//! has Mux Video read.
//!
//! - `status`: `active` → live, `idle` → idle, `disabled` → disabled; absent or another value →
//!   no change.
//! - `meta.title` is the name (absent on streams created without one).
//! - Mux documents no total: a page that comes back full (100) may have a next one, a shorter
//!   page is the last.

use serde::Deserialize;

use super::{live_stream_status, name, read, ApiError, Collect, Page, PageRequest, WireId};
use crate::ingest::providers::json::Text;
pub use crate::ingest::providers::mux::ID;

const PATH: &str = "/video/v1/live-streams";

/// Streams per page: Mux documents a default of 25 and no maximum (its stand-in in
/// tests/stand-ins/apis/ accepts up to 100).
const PAGE_SIZE: usize = 100;

/// The request for the first page.
pub fn first_request() -> PageRequest {
    request(1)
}

fn request(page: u32) -> PageRequest {
    PageRequest::numbered(PATH, "page", page, PAGE_SIZE)
}

/// Reads one page; the next one is asked for while pages come back full.
pub fn read_page(body: &[u8], current: &PageRequest) -> Result<Page, ApiError> {
    let listing: Listing = read(ID, body)?;
    let mut page = Collect::with_capacity(listing.data.len());
    let full = listing.data.len() >= PAGE_SIZE;
    for stream in listing.data {
        let observed = live_stream_status(stream.status.as_deref());
        let title = stream.meta.and_then(|m| m.title);
        page.push(
            stream.id.and_then(|id| id.text()),
            name(title.as_deref()),
            observed,
        );
    }
    let next = if full {
        Some(request(current.following(ID)?))
    } else {
        None
    };
    Ok(page.page(next))
}

#[derive(Deserialize)]
struct Listing<'a> {
    #[serde(borrow)]
    data: Vec<Stream<'a>>,
}

/// `stream_key` is a credential: not read.
#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(default, borrow)]
    id: Option<WireId<'a>>,
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
    #[serde(default, borrow)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    title: Option<Text<'a>>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, never_panics_nor_quotes, observed};
    use super::super::MAX_PAGES;
    use super::*;
    use crate::ingest::event::State;
    use crate::reconcile::apis::Observed;

    fn stream(id: &str, status: &str) -> String {
        format!(r#"{{"id":"{id}","status":"{status}","stream_key":"k","reconnect_window":60}}"#)
    }

    fn body(streams: &[String]) -> Vec<u8> {
        format!(r#"{{"data":[{}]}}"#, streams.join(",")).into_bytes()
    }

    #[test]
    fn the_first_request_asks_for_100_from_page_1() {
        let r = first_request();
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(
            r.path_and_query(),
            "/video/v1/live-streams?limit=100&page=1"
        );
        assert_eq!((r.body, r.page), (None, 1));
    }

    #[test]
    fn statuses_and_titles_map() {
        let p = read_page(&fixture("mux", "live-streams.json"), &first_request()).unwrap();
        assert_eq!(
            observed(&p),
            [
                (
                    "ZEBrNTpHC02iUah025KM3te6ylM7W4S4silsrFtUkn3Ag",
                    Observed::State(State::Idle)
                ),
                (
                    "B65hEUWW01ErVKDDGImKcBquYhwEAkjW6Ic3lPY0299Cc",
                    Observed::State(State::Live)
                ),
                (
                    "QrikEQpEXp3RvklQSHyHSYOakQkXlRId",
                    Observed::State(State::Disabled)
                ),
                ("u4fWpqu5FXP4n01hDvd02F1TQQw9QlXwbu", Observed::NoChange),
                ("Mm1oNVgf9Xc9rJ00kOrx6NQ9d3mbpWJ3c", Observed::NoChange),
            ]
        );
        let names: Vec<Option<&str>> = p.streams.iter().map(|s| s.name.as_deref()).collect();
        assert_eq!(names, [None, Some("Main stage"), None, None, None]);
        assert_eq!((p.skipped, p.next), (0, None));
    }

    #[test]
    fn a_full_page_asks_for_the_next_and_a_short_one_ends() {
        let full: Vec<String> = (0..100).map(|i| stream(&format!("s{i}"), "idle")).collect();
        let p = read_page(&body(&full), &first_request()).unwrap();
        assert_eq!(p.streams.len(), 100);
        let next = p.next.unwrap();
        assert_eq!(
            next.path_and_query(),
            "/video/v1/live-streams?limit=100&page=2"
        );
        assert_eq!(next.page, 2);
        let p = read_page(&body(&full), &next).unwrap();
        assert_eq!(
            p.next.unwrap().path_and_query(),
            "/video/v1/live-streams?limit=100&page=3"
        );
        let last = read_page(&body(&full[..99]), &next).unwrap();
        assert_eq!(last.next, None);
        let empty = read_page(br#"{"data":[]}"#, &next).unwrap();
        assert_eq!((empty.streams.len(), empty.next), (0, None));
        // A full page that holds skipped streams is still full.
        let mut with_bad = full.clone();
        with_bad[5] = stream("bad id", "active");
        let p = read_page(&body(&with_bad), &first_request()).unwrap();
        assert_eq!((p.streams.len(), p.skipped), (99, 1));
        assert!(p.next.is_some());
        // An API that always answers a full page stops the listing with an error.
        let at_limit = request(MAX_PAGES);
        assert_eq!(
            read_page(&body(&full), &at_limit),
            Err(ApiError::TooManyPages { provider: ID })
        );
    }

    #[test]
    fn streams_without_a_valid_id_are_skipped() {
        let b = br#"{"data":[{"id":"ok","status":"active"},{"status":"active"},{"id":"a/b","status":"idle"},{"id":12,"status":"idle"}]}"#;
        let p = read_page(b, &first_request()).unwrap();
        assert_eq!(observed(&p), [("ok", Observed::State(State::Live))]);
        assert_eq!(p.skipped, 3);
    }

    #[test]
    fn wrong_shapes_are_errors_that_quote_nothing() {
        for (b, want) in [
            (&b"{}"[..], "missing field `data`"),
            (
                br#"{"data":{"id":"secret"}}"#,
                "wrong type or value at line 1, column 8",
            ),
            (
                br#"{"data":[{"id":"a","status":["secret"]}]}"#,
                "wrong type or value at line 1, column 28",
            ),
            (
                br#"{"data":[{"id":"a","meta":"secret"}]}"#,
                "wrong type or value at line 1, column 34",
            ),
        ] {
            let e = read_page(b, &first_request()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("the mux API's answer does not have its documented shape: {want}")
            );
        }
        assert!(matches!(
            read_page(b"secret", &first_request()),
            Err(ApiError::Json { .. })
        ));
    }

    #[test]
    fn mutated_answers_never_panic_nor_leak() {
        let b = fixture("mux", "live-streams.json");
        never_panics_nor_quotes(&b, "Main stage", |b| read_page(b, &first_request()));
    }
}
