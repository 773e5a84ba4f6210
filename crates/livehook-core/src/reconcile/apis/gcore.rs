//! Gcore Streaming Platform live streams: `GET /streaming/streams?page=N`, pages from 1,
//! answered with an array of streams `{id, name, live, backup_live, push_url, …}`.
//! `Authorization: APIKey <key>`.
//!
//! - `live` or `backup_live` true → live (the backup ingest receiving keeps the stream on air,
//!   as in the webhook parser); else `live` false → disconnected; else (no `live` in the
//!   answer) no change.
//! - `id` is a number (the webhook parser also takes it as a string).
//! - Gcore documents no page size: pages are read until one comes back empty.

use serde::Deserialize;

use super::{name, read, ApiError, Collect, Observed, Page, PageRequest, WireId};
use crate::ingest::event::State;
pub use crate::ingest::providers::gcore::ID;
use crate::ingest::providers::json::Text;

const PATH: &str = "/streaming/streams";

/// The request for the first page.
pub fn first_request() -> PageRequest {
    request(1)
}

fn request(page: u32) -> PageRequest {
    PageRequest::get(PATH.into(), vec![("page".into(), page.to_string())], page)
}

/// Reads one page; the next one is asked for until a page comes back empty.
pub fn read_page(body: &[u8], current: &PageRequest) -> Result<Page, ApiError> {
    let streams: Vec<Stream> = read(ID, body)?;
    let mut page = Collect::with_capacity(streams.len());
    let empty = streams.is_empty();
    for stream in streams {
        let observed = match (stream.live, stream.backup_live) {
            (Some(true), _) | (_, Some(true)) => Observed::State(State::Live),
            (Some(false), _) => Observed::State(State::Disconnected),
            (None, _) => Observed::NoChange,
        };
        page.push(
            stream.id.and_then(|id| id.text_or_number()),
            name(stream.name.as_deref()),
            observed,
        );
    }
    let next = if empty {
        None
    } else {
        Some(request(current.following(ID)?))
    };
    Ok(page.page(next))
}

/// `push_url`, `backup_push_url` and the SRT and WHIP URLs carry the stream's key: not read.
#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(default, borrow)]
    id: Option<WireId<'a>>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default)]
    live: Option<bool>,
    #[serde(default)]
    backup_live: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, never_panics_nor_quotes, observed};
    use super::super::MAX_PAGES;
    use super::*;

    #[test]
    fn the_first_request_asks_for_page_1() {
        let r = first_request();
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(r.path_and_query(), "/streaming/streams?page=1");
        assert_eq!((r.body, r.page), (None, 1));
    }

    #[test]
    fn live_and_backup_live_map_and_names_are_kept() {
        let p = read_page(&fixture("gcore", "streams-page-1.json"), &first_request()).unwrap();
        assert_eq!(
            observed(&p),
            [
                ("1080200", Observed::State(State::Live)),
                ("1080201", Observed::State(State::Live)),
                ("1080202", Observed::State(State::Disconnected)),
                ("777", Observed::State(State::Disconnected)),
                ("1080204", Observed::NoChange),
            ]
        );
        let names: Vec<Option<&str>> = p.streams.iter().map(|s| s.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                Some("Live stream by user e4d0f942-f35d"),
                Some("Backup only"),
                Some("Open-Air Camera #31 Backstage"),
                None,
                None
            ]
        );
        assert_eq!(p.skipped, 0);
    }

    #[test]
    fn pages_are_read_until_one_comes_back_empty() {
        let body = fixture("gcore", "streams-page-1.json");
        let p = read_page(&body, &first_request()).unwrap();
        let second = p.next.unwrap();
        assert_eq!(second.path_and_query(), "/streaming/streams?page=2");
        assert_eq!(second.page, 2);
        // A short page is not the end: Gcore documents no page size.
        let p = read_page(br#"[{"id":1,"live":false}]"#, &second).unwrap();
        let third = p.next.unwrap();
        assert_eq!(third.path_and_query(), "/streaming/streams?page=3");
        let end = read_page(b"[]", &third).unwrap();
        assert_eq!((end.streams.len(), end.next), (0, None));
        // A page of only skipped streams is not empty.
        let p = read_page(br#"[{"id":-1,"live":true}]"#, &third).unwrap();
        assert_eq!((p.streams.len(), p.skipped), (0, 1));
        assert!(p.next.is_some());
        assert_eq!(
            read_page(&body, &request(MAX_PAGES)),
            Err(ApiError::TooManyPages { provider: ID })
        );
    }

    #[test]
    fn streams_without_a_valid_id_are_skipped() {
        let b = br#"[{"id":1,"live":true},{"id":-4,"live":true},{"id":1.5,"live":true},{"id":"a b","live":true},{"live":true},{"id":"2","live":false}]"#;
        let p = read_page(b, &first_request()).unwrap();
        assert_eq!(
            observed(&p),
            [
                ("1", Observed::State(State::Live)),
                ("2", Observed::State(State::Disconnected))
            ]
        );
        assert_eq!(p.skipped, 4);
    }

    #[test]
    fn wrong_shapes_are_errors_that_quote_nothing() {
        for (b, want) in [
            (
                &br#"{"results":[]}"#[..],
                "wrong type or value at line 1, column 0",
            ),
            (
                br#"[{"id":1,"live":"secret"}]"#,
                "wrong type or value at line 1, column 24",
            ),
            (
                br#"[{"id":1,"name":["secret"]}]"#,
                "wrong type or value at line 1, column 16",
            ),
        ] {
            let e = read_page(b, &first_request()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("the gcore API's answer does not have its documented shape: {want}")
            );
        }
        assert!(matches!(
            read_page(b"[secret", &first_request()),
            Err(ApiError::Json { .. })
        ));
    }

    #[test]
    fn mutated_answers_never_panic_nor_leak() {
        let b = fixture("gcore", "streams-page-1.json");
        never_panics_nor_quotes(&b, "Backstage", |b| read_page(b, &first_request()));
    }
}
