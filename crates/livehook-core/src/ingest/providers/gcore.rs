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

use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::json::{from_json, Text};
use super::shape::{Inbound, ParseError, Parsed, Provider};
use crate::ingest::auth::{expect_secret, AuthError, Cidr, Secret};
use crate::ingest::event::{Event, Kind, ProviderId, State, StreamKey, TimeSource};
use crate::ingest::settings::{Setting, Settings};
use crate::text::Decimal;
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("gcore");
pub const TOKEN: &str = "GCORE_WEBHOOK_TOKEN";
pub const ALLOWED_CIDRS: &str = "GCORE_ALLOWED_CIDRS";
/// Gcore's documented sender range, used when `GCORE_ALLOWED_CIDRS` is unset.
pub const DEFAULT_CIDRS: &str = "92.223.123.0/24";

/// Gcore Streaming Platform: `POST /webhooks/gcore/{token}`.
pub static GCORE: Provider = Provider {
    id: ID,
    route: "gcore",
    title: "Gcore",
    token_in_path: true,
    settings: &[
        Setting::required(TOKEN),
        Setting::with_default(ALLOWED_CIDRS, DEFAULT_CIDRS),
    ],
    auth_headers: Some(authenticate),
    auth_body: None,
    probe: None,
    check_settings: Some(check_networks),
    parse,
    reply: None,
    answers_first: false,
};

/// The sender networks must parse; `/healthz` shows how many there are.
fn check_networks(s: &Settings) -> Result<Map<String, Value>, String> {
    let cidrs = allowed(s).ok_or(format!("{ALLOWED_CIDRS} has an invalid entry"))?;
    let mut details = Map::new();
    details.insert("allowed_networks".into(), cidrs.len().into());
    Ok(details)
}

fn authenticate(s: &Settings, req: &Inbound<'_>) -> Result<(), AuthError> {
    let cidrs = allowed(s).ok_or(AuthError::NotConfigured(ALLOWED_CIDRS))?;
    verify(
        s.get(TOKEN),
        &cidrs,
        req.path_token.unwrap_or_default(),
        (req.header)("CF-Connecting-IP").as_deref(),
    )
}

/// The configured sender networks; `None` if an entry is invalid (Gcore then fails closed).
fn allowed(s: &Settings) -> Option<Vec<Cidr>> {
    Cidr::parse_list(s.get(ALLOWED_CIDRS).map_or("", Secret::expose))
}

/// Gcore signs nothing: the URL carries a token and the sender must be in the published range.
pub fn verify(
    token: Option<&Secret>,
    allowed: &[Cidr],
    path_token: &str,
    sender_ip: Option<&str>,
) -> Result<(), AuthError> {
    let token = token.ok_or(AuthError::NotConfigured(TOKEN))?;
    // The address first: a sender outside the range gets the same 403 whatever token it tries,
    // so it cannot use the answer to guess the token.
    let ip: IpAddr = sender_ip
        .ok_or(AuthError::Missing("CF-Connecting-IP"))?
        .trim()
        .parse()
        .map_err(|_| AuthError::IpNotAllowed)?;
    if !allowed.iter().any(|c| c.contains(ip)) {
        return Err(AuthError::IpNotAllowed);
    }
    expect_secret(path_token, token, "webhook token")
}

/// What livehook reads of a message. `backup_live` (newer payloads) says the backup ingest is
/// receiving while the main one is not.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "type")]
    kind: Text<'a>,
    #[serde(default, borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize, Default)]
struct Message<'a> {
    #[serde(default, borrow)]
    stream: Option<Stream<'a>>,
    #[serde(default, borrow)]
    video: Option<Item<'a>>,
    #[serde(default, borrow)]
    broadcast: Option<Item<'a>>,
}

#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(borrow)]
    id: Id<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    live: bool,
    #[serde(default)]
    recording: Option<bool>,
    #[serde(default)]
    backup_live: Option<bool>,
}

/// A video or a broadcast.
#[derive(Deserialize)]
struct Item<'a> {
    #[serde(borrow)]
    id: Id<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    status: Text<'a>,
}

/// Gcore sends ids as numbers, and in some payloads as strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id<'a> {
    Num(u64),
    Text(#[serde(borrow)] Text<'a>),
}

/// The stream of this kind with this id, if the id is valid.
fn key(kind: Kind, id: &Id<'_>) -> Option<StreamKey> {
    match id {
        Id::Num(n) => StreamKey::new(ID, kind, &Decimal::unsigned(*n)),
        Id::Text(t) => StreamKey::new(ID, kind, t),
    }
}

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let e: Envelope = from_json(ID, body)?;
    let message = e.message.unwrap_or_default();
    let missing = |what: &str| ParseError::Shape {
        provider: ID,
        detail: format!("missing field `message.{what}`"),
    };
    let (kind, id, state, recording, event_type, name) = match &*e.kind {
        "stream" => {
            let stream = message.stream.ok_or_else(|| missing("stream"))?;
            let on_air = stream.live || stream.backup_live == Some(true);
            let (state, name) = if on_air {
                (State::Live, "stream.live")
            } else {
                (State::Disconnected, "stream.offline")
            };
            (
                Kind::LiveInput,
                stream.id,
                state,
                stream.recording,
                name.to_owned(),
                stream.name,
            )
        }
        "video" => {
            let video = message.video.ok_or_else(|| missing("video"))?;
            let state = match &*video.status {
                "empty" => State::Created,
                "pending" => State::Processing,
                "viewable" => State::Viewable,
                "ready" => State::Ready,
                _ => {
                    return Ok(Parsed::Ignored {
                        event_type: Some("video".into()),
                        reason: "unknown Gcore video status",
                        stream: key(Kind::Video, &video.id),
                    })
                }
            };
            let event_type = ["video.", &video.status].concat();
            (Kind::Video, video.id, state, None, event_type, video.name)
        }
        "broadcast" => {
            let broadcast = message.broadcast.ok_or_else(|| missing("broadcast"))?;
            let state = match &*broadcast.status {
                "pending" => State::Idle,
                "live" => State::Live,
                "paused" => State::Paused,
                "finished" => State::Finished,
                _ => {
                    return Ok(Parsed::Ignored {
                        event_type: Some("broadcast".into()),
                        reason: "unknown Gcore broadcast status",
                        stream: key(Kind::Broadcast, &broadcast.id),
                    })
                }
            };
            let event_type = ["broadcast.", &broadcast.status].concat();
            (
                Kind::Broadcast,
                broadcast.id,
                state,
                None,
                event_type,
                broadcast.name,
            )
        }
        other => {
            return Ok(Parsed::Ignored {
                event_type: Some(other.to_owned()),
                reason: "unknown Gcore message type",
                stream: None,
            })
        }
    };
    let stream = key(kind, &id).ok_or(ParseError::InvalidId {
        field: "message.*.id",
    })?;
    let rec = match recording {
        Some(true) => "rec",
        Some(false) => "norec",
        None => "-",
    };
    // `{event_type}|{stream}|{rec}`, the stream as its `Display` writes it.
    let event_id = [
        &event_type,
        "|",
        ID.as_str(),
        ":",
        kind.as_str(),
        ":",
        &stream.id,
        "|",
        rec,
    ]
    .concat();
    Ok(Parsed::Event(Box::new(Event {
        recording,
        name: name.map(Text::into_owned),
        ..Event::state_change(
            stream,
            state,
            event_type,
            event_id,
            received_at,
            TimeSource::Receipt,
        )
    })))
}

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Parsed};
    use super::super::test_support::{fixture_event, fixtures, secret};
    use super::*;

    #[test]
    fn gcore_needs_the_token_and_an_address_in_range() {
        let t = secret("tok");
        let cidrs = Cidr::parse_list("92.223.123.0/24").unwrap();
        assert_eq!(
            verify(t.as_ref(), &cidrs, "tok", Some("92.223.123.7")),
            Ok(())
        );
        assert_eq!(
            verify(t.as_ref(), &cidrs, "tok", Some("::ffff:92.223.123.7")),
            Ok(())
        );
        assert_eq!(
            verify(t.as_ref(), &cidrs, "tok", Some("92.223.124.7")),
            Err(AuthError::IpNotAllowed)
        );
        assert_eq!(
            verify(t.as_ref(), &cidrs, "tok", Some("garbage")),
            Err(AuthError::IpNotAllowed)
        );
        assert!(matches!(
            verify(t.as_ref(), &cidrs, "tok", None),
            Err(AuthError::Missing(_))
        ));
        assert!(matches!(
            verify(t.as_ref(), &cidrs, "tok2", Some("92.223.123.7")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            verify(None, &cidrs, "tok", Some("92.223.123.7")),
            Err(AuthError::NotConfigured(_))
        ));
        assert_eq!(
            verify(t.as_ref(), &[], "tok", Some("92.223.123.7")),
            Err(AuthError::IpNotAllowed)
        );
    }

    #[test]
    fn gcore_senders_outside_the_range_learn_nothing_about_the_token() {
        let t = secret("tok");
        let cidrs = Cidr::parse_list("92.223.123.0/24").unwrap();
        for token in ["tok", "to", "tok2", ""] {
            assert_eq!(
                verify(t.as_ref(), &cidrs, token, Some("203.0.113.9")),
                Err(AuthError::IpNotAllowed),
                "{token}"
            );
        }
    }

    #[test]
    fn an_invalid_range_list_fails_closed_before_the_token_is_looked_at() {
        let get = |name: &str| match name {
            TOKEN => Some("tok".to_owned()),
            ALLOWED_CIDRS => Some("10.0.0.0/8,oops".to_owned()),
            _ => None,
        };
        let s = Settings::read(GCORE.settings(), &get);
        let header = |_: &str| Some("10.0.0.1".to_owned());
        let req = Inbound {
            header: &header,
            path_token: Some("tok"),
            now_s: 0,
        };
        assert_eq!(
            GCORE.authenticate_headers(&s, &req),
            Err(AuthError::NotConfigured(ALLOWED_CIDRS))
        );
        assert_eq!(
            GCORE.health(&s),
            Err("GCORE_ALLOWED_CIDRS has an invalid entry".into())
        );
    }

    fn event(name: &str) -> Event {
        fixture_event(&GCORE, name, 42)
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
        let Parsed::Event(e) = parse_any(&GCORE, body, 0).unwrap() else {
            panic!()
        };
        assert_eq!(e.state, State::Live);
    }

    #[test]
    fn string_ids_are_accepted() {
        let body = br#"{"type":"broadcast","message":{"broadcast":{"id":"777","status":"live"}}}"#;
        let Parsed::Event(e) = parse_any(&GCORE, body, 0).unwrap() else {
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
            let got = parse_any(&GCORE, body, 0).unwrap();
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
            let got = parse_any(&GCORE, body, 0);
            assert!(matches!(got, Err(ParseError::Shape { .. })), "{got:?}");
        }
    }
}
