//! Amazon IVS (low-latency channels): `POST /ListStreams` with the JSON body
//! `{"maxResults":100}` (and `"nextToken"` for the pages after the first), answered
//! `{streams: [{channelArn, state, health, streamId, startTime, viewerCount}], nextToken}`.
//! Signed with SigV4 (service `ivs`) by the shell.
//!
//! - `ListStreams` lists the streams of the region's channels that are live: `state` `LIVE` →
//!   live; any other value → no change. The id is the channel ARN (the webhook parser's
//!   record id), validated as the webhook parser does.
//! - A channel that is not live is in no page. So after the last page, a channel livehook has
//!   on air that no page listed is `disconnected`: the caller decides, as only it knows which
//!   channels are on air, and only when every page was read (an error on any page changes
//!   nothing).
//! - `nextToken` present and non-empty: there is a next page, asked for with that token.
//! - No names: `ListStreams` carries none.

use serde::Deserialize;
use serde_json::json;

use super::{read, ApiError, Collect, Method, Observed, Page, PageRequest, WireId};
use crate::ingest::event::State;
pub use crate::ingest::providers::ivs::ID;
use crate::ingest::providers::json::Text;
use crate::text::write_json;

/// Streams per page (the API's default and largest).
pub const PAGE_SIZE: u32 = 100;

/// The request for the first page.
pub fn first_request() -> PageRequest {
    request(None, 1)
}

fn request(next_token: Option<&str>, page: u32) -> PageRequest {
    let body = match next_token {
        None => json!({ "maxResults": PAGE_SIZE }),
        Some(token) => json!({ "maxResults": PAGE_SIZE, "nextToken": token }),
    };
    PageRequest {
        method: Method::Post,
        path: "/ListStreams".into(),
        query: Vec::new(),
        body: Some(write_json(&body)),
        page,
    }
}

/// Reads one page; the next one is asked for with the answer's `nextToken`.
pub fn read_page(body: &[u8], current: &PageRequest) -> Result<Page, ApiError> {
    let listing: Listing = read(ID, body)?;
    let mut page = Collect::with_capacity(listing.streams.len());
    for stream in listing.streams {
        let observed = match stream.state.as_deref() {
            Some("LIVE") => Observed::State(State::Live),
            _ => Observed::NoChange,
        };
        page.push(stream.channel_arn.and_then(|a| a.text()), None, observed);
    }
    let next = match listing.next_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => Some(request(Some(token), current.following(ID)?)),
        None => None,
    };
    Ok(page.page(next))
}

#[derive(Deserialize)]
struct Listing<'a> {
    #[serde(borrow)]
    streams: Vec<Stream<'a>>,
    #[serde(default, borrow, rename = "nextToken")]
    next_token: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(default, borrow, rename = "channelArn")]
    channel_arn: Option<WireId<'a>>,
    #[serde(default, borrow)]
    state: Option<Text<'a>>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, never_panics_nor_quotes, observed};
    use super::super::MAX_PAGES;
    use super::*;

    const A: &str = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
    const B: &str = "arn:aws:ivs:us-west-2:123456789012:channel/ZyXwvu9T8srq";

    #[test]
    fn the_first_request_is_a_post_with_max_results() {
        let r = first_request();
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(r.path_and_query(), "/ListStreams");
        assert_eq!(r.body.as_deref(), Some(r#"{"maxResults":100}"#));
        assert_eq!(r.page, 1);
    }

    #[test]
    fn live_streams_map_and_the_next_token_is_sent_back() {
        let p = read_page(
            &fixture("ivs", "list-streams-page-1.json"),
            &first_request(),
        )
        .unwrap();
        assert_eq!(
            observed(&p),
            [(A, Observed::State(State::Live)), (B, Observed::NoChange),]
        );
        assert!(p.streams.iter().all(|s| s.name.is_none()));
        assert_eq!(p.skipped, 0);
        let next = p.next.unwrap();
        assert_eq!(
            (next.method, next.path.as_str()),
            (Method::Post, "/ListStreams")
        );
        assert_eq!(
            next.body.as_deref(),
            Some(r#"{"maxResults":100,"nextToken":"AQICAHj+token/with\"quote=="}"#)
        );
        assert_eq!(next.page, 2);
        let last = read_page(&fixture("ivs", "list-streams-page-2.json"), &next).unwrap();
        assert_eq!(
            observed(&last),
            [(
                "arn:aws:ivs:eu-west-1:123456789012:channel/Last1",
                Observed::State(State::Live)
            )]
        );
        assert_eq!(last.next, None);
    }

    #[test]
    fn an_empty_token_or_none_ends_the_listing() {
        for b in [
            &br#"{"streams":[]}"#[..],
            br#"{"streams":[],"nextToken":""}"#,
            br#"{"streams":[],"nextToken":null}"#,
        ] {
            assert_eq!(read_page(b, &first_request()).unwrap().next, None);
        }
        // An empty page with a token still goes on: AWS may page through filtered results.
        let p = read_page(br#"{"streams":[],"nextToken":"t"}"#, &first_request()).unwrap();
        assert!(p.next.is_some());
        assert_eq!(
            read_page(
                br#"{"streams":[],"nextToken":"t"}"#,
                &request(Some("t"), MAX_PAGES)
            ),
            Err(ApiError::TooManyPages { provider: ID })
        );
    }

    #[test]
    fn streams_without_a_valid_channel_arn_are_skipped() {
        let b = format!(
            r#"{{"streams":[{{"channelArn":"{A}","state":"LIVE"}},{{"state":"LIVE"}},{{"channelArn":"arn:aws:ivs:us-west-2:123456789012:channel/../x","state":"LIVE"}},{{"channelArn":5,"state":"LIVE"}}]}}"#
        );
        let p = read_page(b.as_bytes(), &first_request()).unwrap();
        assert_eq!(observed(&p), [(A, Observed::State(State::Live))]);
        assert_eq!(p.skipped, 3);
    }

    #[test]
    fn wrong_shapes_are_errors_that_quote_nothing() {
        for (b, want) in [
            (&br#"{"nextToken":"secret"}"#[..], "missing field `streams`"),
            (
                br#"{"streams":"secret"}"#,
                "wrong type or value at line 1, column 19",
            ),
            (
                br#"{"streams":[],"nextToken":["secret"]}"#,
                "wrong type or value at line 1, column 26",
            ),
            (
                br#"{"streams":[{"channelArn":"a:b","state":{"v":"secret"}}]}"#,
                "wrong type or value at line 1, column 40",
            ),
        ] {
            let e = read_page(b, &first_request()).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("the ivs API's answer does not have its documented shape: {want}")
            );
        }
    }

    #[test]
    fn mutated_answers_never_panic_nor_leak() {
        let b = fixture("ivs", "list-streams-page-1.json");
        never_panics_nor_quotes(&b, "AbCdef1G2hij", |b| read_page(b, &first_request()));
    }
}
