//! Gcore Streaming Platform (seed 003): `{type, message: {stream|video|broadcast: {…}}}`.
//!
//! Gcore signs nothing, stamps no time and never retries (auth is a path token plus the sender
//! IP range; see `auth`). So:
//! - event time is the receipt time ([`TimeSource::Receipt`]): arrival order at the stream's
//!   Durable Object decides;
//! - there is no event id: the key is derived from the content, and a body identical to the last
//!   one applied to that stream is a duplicate;
//! - Gcore has no event-type string, so `last_event` is ours: `stream.live`, `stream.offline`,
//!   `video.<status>`, `broadcast.<status>`.
//!
//! Stream ids, video ids and broadcast ids are separate number spaces: each is its own kind.

use serde::Deserialize;

use super::{from_json, stream_key, ParseError, Parsed, RawId};
use crate::model::{Event, Kind, Provider, State, TimeSource};
use crate::time::Nanos;

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    message_type: String,
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    stream: Option<Stream>,
    #[serde(default)]
    video: Option<Video>,
    #[serde(default)]
    broadcast: Option<Broadcast>,
}

#[derive(Deserialize)]
struct Stream {
    id: RawId,
    live: bool,
    #[serde(default)]
    recording: Option<bool>,
    /// Newer payloads: the backup ingest is receiving while the main one is not.
    #[serde(default)]
    backup_live: Option<bool>,
}

#[derive(Deserialize)]
struct Video {
    id: RawId,
    status: String,
}

#[derive(Deserialize)]
struct Broadcast {
    id: RawId,
    status: String,
}

pub(super) fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let env: Envelope = from_json(Provider::Gcore, body)?;
    let message = env.message;
    let missing = |what: &str| ParseError::Shape {
        provider: "gcore",
        detail: format!("missing field `message.{what}`"),
    };
    // (kind, raw id, state, recording, our event-type name)
    let (kind, id, state, recording, event_type) = match env.message_type.as_str() {
        "stream" => {
            let s = message
                .and_then(|m| m.stream)
                .ok_or_else(|| missing("stream"))?;
            let on_air = s.live || s.backup_live == Some(true);
            let (state, name) = if on_air {
                (State::Live, "stream.live")
            } else {
                (State::Disconnected, "stream.offline")
            };
            (Kind::LiveInput, s.id, state, s.recording, name.to_owned())
        }
        "video" => {
            let v = message
                .and_then(|m| m.video)
                .ok_or_else(|| missing("video"))?;
            let state = match v.status.as_str() {
                "empty" => State::Created,
                "pending" => State::Processing,
                "viewable" => State::Viewable,
                "ready" => State::Ready,
                _ => {
                    return Ok(Parsed::Ignored {
                        event_type: Some("video".into()),
                        reason: "unknown Gcore video status",
                    })
                }
            };
            (
                Kind::Video,
                v.id,
                state,
                None,
                format!("video.{}", v.status),
            )
        }
        "broadcast" => {
            let b = message
                .and_then(|m| m.broadcast)
                .ok_or_else(|| missing("broadcast"))?;
            let state = match b.status.as_str() {
                "pending" => State::Idle,
                "live" => State::Live,
                "paused" => State::Paused,
                "finished" => State::Finished,
                _ => {
                    return Ok(Parsed::Ignored {
                        event_type: Some("broadcast".into()),
                        reason: "unknown Gcore broadcast status",
                    })
                }
            };
            (
                Kind::Broadcast,
                b.id,
                state,
                None,
                format!("broadcast.{}", b.status),
            )
        }
        _ => {
            return Ok(Parsed::Ignored {
                event_type: Some(env.message_type),
                reason: "unknown Gcore message type",
            })
        }
    };
    let stream = stream_key(Provider::Gcore, kind, &id.into_string(), "message.*.id")?;
    let rec = match recording {
        Some(true) => "rec",
        Some(false) => "norec",
        None => "-",
    };
    let event_id = format!("{event_type}|{stream}|{rec}");
    Ok(Parsed::Event(Box::new(Event {
        stream,
        parent_id: None,
        state,
        recording,
        occurred_at: received_at,
        time_source: TimeSource::Receipt,
        event_type,
        event_id,
        error: None,
    })))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, fixtures};
    use super::super::{parse as parse_any, Parsed};
    use super::*;

    fn event(name: &str) -> Event {
        match parse_any(Provider::Gcore, &fixture("gcore", name), 42).unwrap() {
            Parsed::Event(e) => *e,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn every_seed_example_normalizes() {
        use State::*;
        let table = [
            (
                "stream-started.json",
                "status:gcore:live_input:12345",
                Live,
                Some(false),
                "stream.live",
            ),
            (
                "stream-paused.json",
                "status:gcore:live_input:12345",
                Disconnected,
                Some(false),
                "stream.offline",
            ),
            (
                "stream-recording-started.json",
                "status:gcore:live_input:12345",
                Live,
                Some(true),
                "stream.live",
            ),
            (
                "stream-recording-finished.json",
                "status:gcore:live_input:12345",
                Live,
                Some(false),
                "stream.live",
            ),
            (
                "recording-processing-started.json",
                "status:gcore:video:12345",
                Processing,
                None,
                "video.pending",
            ),
            (
                "recording-partially-processed.json",
                "status:gcore:video:12345",
                Viewable,
                None,
                "video.viewable",
            ),
            (
                "recording-processed.json",
                "status:gcore:video:12345",
                Ready,
                None,
                "video.ready",
            ),
            (
                "broadcast-pending.json",
                "status:gcore:broadcast:12345",
                Idle,
                None,
                "broadcast.pending",
            ),
            (
                "broadcast-live.json",
                "status:gcore:broadcast:12345",
                Live,
                None,
                "broadcast.live",
            ),
            (
                "broadcast-paused.json",
                "status:gcore:broadcast:12345",
                Paused,
                None,
                "broadcast.paused",
            ),
            (
                "broadcast-finished.json",
                "status:gcore:broadcast:12345",
                Finished,
                None,
                "broadcast.finished",
            ),
            (
                "video-uploaded.json",
                "status:gcore:video:54321",
                Created,
                None,
                "video.empty",
            ),
            (
                "video-processing-started.json",
                "status:gcore:video:784280",
                Processing,
                None,
                "video.pending",
            ),
            (
                "video-partially-processed.json",
                "status:gcore:video:784280",
                Viewable,
                None,
                "video.viewable",
            ),
            (
                "video-processed.json",
                "status:gcore:video:784280",
                Ready,
                None,
                "video.ready",
            ),
        ];
        assert_eq!(table.len(), fixtures("gcore").len());
        for (name, key, state, recording, last) in table {
            let e = event(name);
            assert_eq!(e.stream.kv_key(), key, "{name}");
            assert_eq!((e.state, e.recording), (state, recording), "{name}");
            assert_eq!(e.event_type, last, "{name}");
            assert_eq!(
                (e.occurred_at, e.time_source),
                (42, TimeSource::Receipt),
                "{name}"
            );
        }
    }

    #[test]
    fn the_same_message_twice_has_the_same_event_id_and_a_change_does_not() {
        assert_eq!(
            event("stream-started.json").event_id,
            event("stream-started.json").event_id
        );
        assert_ne!(
            event("stream-started.json").event_id,
            event("stream-recording-started.json").event_id
        );
    }

    #[test]
    fn a_live_backup_ingest_keeps_the_stream_live() {
        let body = br#"{"type":"stream","message":{"stream":{"id":1,"live":false,"backup_live":true,"recording":false}}}"#;
        let Parsed::Event(e) = parse_any(Provider::Gcore, body, 0).unwrap() else {
            panic!()
        };
        assert_eq!(e.state, State::Live);
    }

    #[test]
    fn string_ids_are_accepted() {
        let body = br#"{"type":"broadcast","message":{"broadcast":{"id":"777","status":"live"}}}"#;
        let Parsed::Event(e) = parse_any(Provider::Gcore, body, 0).unwrap() else {
            panic!()
        };
        assert_eq!(e.stream.id, "777");
    }

    #[test]
    fn unknown_types_and_statuses_are_ignored() {
        for body in [
            &br#"{"type":"restream","message":{"restream":{"id":1}}}"#[..],
            br#"{"type":"video","message":{"video":{"id":1,"status":"exploded"}}}"#,
            br#"{"type":"broadcast","message":{"broadcast":{"id":1,"status":"exploded"}}}"#,
        ] {
            let got = parse_any(Provider::Gcore, body, 0).unwrap();
            assert!(matches!(got, Parsed::Ignored { .. }), "{got:?}");
        }
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for body in [
            &br#"{"type":"stream","message":{}}"#[..],
            br#"{"type":"stream"}"#,
            br#"{"type":"stream","message":{"stream":{"id":1}}}"#,
            br#"{"type":"stream","message":{"stream":{"id":-1,"live":true}}}"#,
            br#"{"message":{"stream":{"id":1,"live":true}}}"#,
        ] {
            let got = parse_any(Provider::Gcore, body, 0);
            assert!(matches!(got, Err(ParseError::Shape { .. })), "{got:?}");
        }
    }
}
