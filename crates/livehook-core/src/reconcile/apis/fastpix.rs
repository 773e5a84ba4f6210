//! FastPix live streams: `GET /live/streams?limit=50&offset=N`, answered
//! `{success, data: [{streamId, status, streamKey, …}], pagination: {totalRecords,
//! currentOffset, offsetCount}}`. HTTP Basic with an access token's id and secret.
//!
//! - `offset` is a page number from 1, not a count of records to skip: FastPix's SDKs send
//!   `offset=1` for the first page, and `pagination.offsetCount` is "total records by limit",
//!   the number of pages.
//! - `status`: `active` → live, `idle` → idle, `disabled` → disabled, `preparing` (and any other
//!   value, or none) → no change.
//! - The next page is asked for while the page number is below `pagination.offsetCount`; an
//!   answer without it is read as Mux's: a full page (50) may have a next one. An empty page is
//!   always the last.
//! - FastPix live streams have no name field (only free `metadata`): no name.

use serde::Deserialize;

use super::{live_stream_status, read, ApiError, Collect, Page, PageRequest, WireId};
pub use crate::ingest::providers::fastpix::ID;
use crate::ingest::providers::json::Text;

const PATH: &str = "/live/streams";

/// Streams per page: FastPix documents `limit` from 1 to 50.
const PAGE_SIZE: usize = 50;

/// The request for the first page.
pub fn first_request() -> PageRequest {
    request(1)
}

fn request(page: u32) -> PageRequest {
    PageRequest::numbered(PATH, "offset", page, PAGE_SIZE)
}

/// Reads one page and decides whether there is a next one.
pub fn read_page(body: &[u8], current: &PageRequest) -> Result<Page, ApiError> {
    let listing: Listing = read(ID, body)?;
    let count = listing.data.len();
    let mut page = Collect::with_capacity(count);
    for stream in listing.data {
        let observed = live_stream_status(stream.status.as_deref());
        page.push(stream.stream_id.and_then(|id| id.text()), None, observed);
    }
    let pages = listing.pagination.and_then(|p| p.offset_count);
    let more = count > 0
        && match pages {
            Some(pages) => u64::from(current.page) < pages,
            None => count >= PAGE_SIZE,
        };
    let next = if more {
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
    #[serde(default)]
    pagination: Option<Pagination>,
}

/// `streamKey` and the SRT secret are credentials: not read.
#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(default, borrow, rename = "streamId")]
    stream_id: Option<WireId<'a>>,
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Pagination {
    /// The number of pages at this page size.
    #[serde(default, rename = "offsetCount")]
    offset_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, never_panics_nor_quotes, observed};
    use super::super::MAX_PAGES;
    use super::*;
    use crate::ingest::event::State;
    use crate::reconcile::apis::Observed;

    fn stream(id: &str) -> String {
        format!(r#"{{"streamId":"{id}","streamKey":"k","status":"idle"}}"#)
    }

    fn body(n: usize, pagination: &str) -> Vec<u8> {
        let streams: Vec<String> = (0..n).map(|i| stream(&format!("s{i}"))).collect();
        format!(
            r#"{{"success":true,"data":[{}]{pagination}}}"#,
            streams.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn the_first_request_asks_for_page_1_of_50() {
        let r = first_request();
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(r.path_and_query(), "/live/streams?limit=50&offset=1");
        assert_eq!((r.body, r.page), (None, 1));
    }

    #[test]
    fn statuses_map() {
        let p = read_page(&fixture("fastpix", "live-streams.json"), &first_request()).unwrap();
        assert_eq!(
            observed(&p),
            [
                (
                    "a09f3e958c16ed00e85bfe798abd9845",
                    Observed::State(State::Live)
                ),
                (
                    "b1c2d3e4f5a60718293a4b5c6d7e8f90",
                    Observed::State(State::Idle)
                ),
                (
                    "c2d3e4f5a60718293a4b5c6d7e8f90a1",
                    Observed::State(State::Disabled)
                ),
                ("d3e4f5a60718293a4b5c6d7e8f90a1b2", Observed::NoChange),
                ("e4f5a60718293a4b5c6d7e8f90a1b2c3", Observed::NoChange),
            ]
        );
        assert!(p.streams.iter().all(|s| s.name.is_none()));
        // `pagination` says one page.
        assert_eq!((p.skipped, p.next), (0, None));
    }

    #[test]
    fn pages_follow_pagination_where_it_is_given() {
        let first = first_request();
        let p = read_page(
            &body(
                50,
                r#","pagination":{"totalRecords":120,"currentOffset":1,"offsetCount":3}"#,
            ),
            &first,
        )
        .unwrap();
        let second = p.next.unwrap();
        assert_eq!(second.path_and_query(), "/live/streams?limit=50&offset=2");
        assert_eq!(second.page, 2);
        let p = read_page(
            &body(
                50,
                r#","pagination":{"totalRecords":120,"currentOffset":2,"offsetCount":3}"#,
            ),
            &second,
        )
        .unwrap();
        let third = p.next.unwrap();
        assert_eq!(third.path_and_query(), "/live/streams?limit=50&offset=3");
        let p = read_page(
            &body(
                20,
                r#","pagination":{"totalRecords":120,"currentOffset":3,"offsetCount":3}"#,
            ),
            &third,
        )
        .unwrap();
        assert_eq!(p.next, None);
        // The last page by `offsetCount` ends the listing even if it is full.
        let p = read_page(
            &body(
                50,
                r#","pagination":{"totalRecords":150,"currentOffset":3,"offsetCount":3}"#,
            ),
            &third,
        )
        .unwrap();
        assert_eq!(p.next, None);
        // An empty page ends it whatever `pagination` says.
        let p = read_page(&body(0, r#","pagination":{"offsetCount":9}"#), &second).unwrap();
        assert_eq!(p.next, None);
    }

    #[test]
    fn without_pagination_a_full_page_asks_for_the_next() {
        let p = read_page(&body(50, ""), &first_request()).unwrap();
        assert_eq!(
            p.next.unwrap().path_and_query(),
            "/live/streams?limit=50&offset=2"
        );
        let p = read_page(&body(49, ""), &first_request()).unwrap();
        assert_eq!(p.next, None);
        let p = read_page(&body(50, r#","pagination":{}"#), &first_request()).unwrap();
        assert!(p.next.is_some());
        assert_eq!(
            read_page(&body(50, ""), &request(MAX_PAGES)),
            Err(ApiError::TooManyPages { provider: ID })
        );
    }

    #[test]
    fn streams_without_a_valid_stream_id_are_skipped() {
        let b = br#"{"data":[{"streamId":"ok","status":"active"},{"id":"x","status":"active"},{"streamId":"a?b","status":"idle"}]}"#;
        let p = read_page(b, &first_request()).unwrap();
        assert_eq!(observed(&p), [("ok", Observed::State(State::Live))]);
        assert_eq!(p.skipped, 2);
    }

    #[test]
    fn wrong_shapes_are_errors_that_quote_nothing() {
        for (b, want) in [
            (&br#"{"success":false}"#[..], "missing field `data`"),
            (
                br#"{"data":[],"pagination":{"offsetCount":"secret"}}"#,
                "wrong type or value at line 1, column 47",
            ),
            (
                br#"{"data":[{"streamId":"a","status":7}]}"#,
                "wrong type or value at line 1, column 35",
            ),
        ] {
            let e = read_page(b, &first_request()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("the fastpix API's answer does not have its documented shape: {want}")
            );
        }
    }

    #[test]
    fn mutated_answers_never_panic_nor_leak() {
        let b = fixture("fastpix", "live-streams.json");
        never_panics_nor_quotes(&b, "secret-stream-key", |b| read_page(b, &first_request()));
    }
}
