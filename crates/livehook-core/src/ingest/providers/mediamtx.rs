//! MediaMTX: `POST /webhooks/mediamtx/{token}`. MediaMTX has no HTTP webhooks, only commands it
//! runs when a path becomes available or unavailable (`runOnAvailable` / `runOnUnavailable`,
//! formerly `runOnReady` / `runOnNotReady`); the body is livehook's own, sent by the `curl` of
//! the recipe in docs/providers.md (`tests/fixtures/mediamtx/recipe.sh` prints it):
//! `{"event": "ready"|"not_ready", "path", "source_type", "source_id"}`.
//!
//! - `ready` → `live`, `not_ready` → `disconnected`; the stream id is the path (`live/cam1`).
//! - No time, no event id, no retries: the receipt time is the event time and arrival order
//!   decides ([`TimeSource::Receipt`]). A publisher's `source_id` (its session's UUID) is the
//!   event's publisher, so an old session's `not_ready` is stale; a pulled source's id is empty,
//!   and names no publisher.
//! - The recipe never sends `MTX_QUERY`, where a publisher's token would be.

use serde::Deserialize;

use super::json::{from_json, Text};
use super::shape::{media_server_event, path_token, ParseError, Parsed, Provider};
use crate::ingest::event::{Kind, ProviderId, State, StreamKey};
use crate::ingest::settings::Setting;
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("mediamtx");
pub const TOKEN: &str = "MEDIAMTX_WEBHOOK_TOKEN";

/// MediaMTX path events, posted by the recipe's `curl`: `POST /webhooks/mediamtx/{token}`.
pub static MEDIAMTX: Provider = Provider {
    id: ID,
    route: "mediamtx",
    title: "MediaMTX",
    token_in_path: true,
    settings: &[Setting::required(TOKEN)],
    auth_headers: Some(|s, req| path_token(s, TOKEN, req)),
    auth_body: None,
    probe: None,
    check_settings: None,
    parse,
    reply: None,
    answers_first: false,
};

/// The recipe's body.
#[derive(Deserialize)]
struct PathEvent<'a> {
    event: Change,
    #[serde(borrow)]
    path: Text<'a>,
    #[serde(default, borrow)]
    source_id: Option<Text<'a>>,
}

/// `event`: read from a string, so any other value is a type error with a position.
#[derive(Deserialize)]
#[serde(try_from = "String")]
enum Change {
    Ready,
    NotReady,
}

impl TryFrom<String> for Change {
    type Error = &'static str;

    fn try_from(event: String) -> Result<Self, Self::Error> {
        match event.as_str() {
            "ready" => Ok(Change::Ready),
            "not_ready" => Ok(Change::NotReady),
            _ => Err("`event` is `ready` or `not_ready`"),
        }
    }
}

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let e: PathEvent = from_json(ID, body)?;
    let (state, event_type) = match e.event {
        Change::Ready => (State::Live, "ready"),
        Change::NotReady => (State::Disconnected, "not_ready"),
    };
    let stream = StreamKey::new(ID, Kind::LiveInput, &e.path)
        .ok_or(ParseError::InvalidId { field: "path" })?;
    let publisher = e
        .source_id
        .filter(|id| !id.is_empty())
        .map(Text::into_owned);
    Ok(media_server_event(
        stream,
        state,
        event_type.to_owned(),
        publisher,
        received_at,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Reply};
    use super::super::test_support::{fixture_event, fixtures};
    use super::*;
    use crate::ingest::event::TimeSource;

    #[test]
    fn ready_and_not_ready_normalize_with_their_publisher() {
        let on = fixture_event(&MEDIAMTX, "ready-rtmp.json", 7);
        assert_eq!(on.stream.to_string(), "mediamtx:live_input:live/studio-a");
        assert_eq!(
            (on.state, on.occurred_at, on.time_source),
            (State::Live, 7, TimeSource::Receipt)
        );
        assert_eq!(on.event_type, "ready");
        assert_eq!(
            on.publisher.as_deref(),
            Some("6f1c9a52-3d4e-4b8a-9f27-0c5e8d1b2a43")
        );
        let off = fixture_event(&MEDIAMTX, "not-ready-rtmp.json", 8);
        assert_eq!((off.state, &off.stream), (State::Disconnected, &on.stream));
        let other = fixture_event(&MEDIAMTX, "not-ready-other-source.json", 9);
        assert_ne!(other.publisher, off.publisher);
        assert_eq!(
            MEDIAMTX.reply(&Parsed::Event(Box::new(on))),
            Reply::Standard
        );
    }

    #[test]
    fn a_pulled_source_names_no_publisher() {
        let e = fixture_event(&MEDIAMTX, "ready-static.json", 0);
        assert_eq!((e.stream.id.as_str(), e.publisher), ("cam1", None));
    }

    #[test]
    fn bad_bodies_are_refused() {
        for (body, why) in [
            (
                &br#"{"event":"gone","path":"cam1"}"#[..],
                "an unknown event",
            ),
            (br#"{"event":"ready"}"#, "no path"),
            (
                br#"{"event":"ready","path":""}"#,
                "an empty path (MTX_PATH unset)",
            ),
            (br#"{"event":"ready","path":"/cam1"}"#, "a leading slash"),
            (br#"{"event":"ready","path":"live/.x"}"#, "a dot segment"),
        ] {
            assert!(parse_any(&MEDIAMTX, body, 0).is_err(), "{why}");
        }
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("mediamtx") {
            assert!(parse_any(&MEDIAMTX, &body, 0).is_ok(), "{name}");
        }
    }
}
