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

use serde_json::{Map, Value};

use super::shape::{stream_key, Inbound, ParseError, Parsed, Profile, Provider};
use super::skim::from_json;
use super::wire::{Field, Json, Object};
use crate::ingest::auth::{expect_secret, AuthError, Cidr, Secret};
use crate::ingest::event::{Event, Kind, ProviderId, State, StreamKey, TimeSource};
use crate::ingest::settings::{Setting, Settings};
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("gcore");
pub const TOKEN: &str = "GCORE_WEBHOOK_TOKEN";
pub const ALLOWED_CIDRS: &str = "GCORE_ALLOWED_CIDRS";
/// Gcore's documented sender range, used when `GCORE_ALLOWED_CIDRS` is unset.
pub const DEFAULT_CIDRS: &str = "92.223.123.0/24";

const PROFILE: Profile = Profile {
    id: ID,
    route: "gcore",
    title: "Gcore",
    token_in_path: true,
    settings: &[
        Setting::required(TOKEN),
        Setting::with_default(ALLOWED_CIDRS, DEFAULT_CIDRS),
    ],
};

/// Gcore Streaming Platform: `POST /webhooks/gcore/{token}`.
pub struct Gcore;

impl Provider for Gcore {
    fn profile(&self) -> &'static Profile {
        &PROFILE
    }

    fn health(&self, s: &Settings) -> Result<Map<String, Value>, String> {
        if !s.is_set(TOKEN) {
            return Err(format!("{TOKEN} is not set"));
        }
        let cidrs = allowed(s).ok_or(format!("{ALLOWED_CIDRS} has an invalid entry"))?;
        let mut details = Map::new();
        details.insert("allowed_networks".into(), cidrs.len().into());
        Ok(details)
    }

    fn authenticate_headers(&self, s: &Settings, req: &Inbound<'_>) -> Result<(), AuthError> {
        let cidrs = allowed(s).ok_or(AuthError::NotConfigured(ALLOWED_CIDRS))?;
        verify(
            s.get(TOKEN),
            &cidrs,
            req.path_token.unwrap_or_default(),
            (req.header)("CF-Connecting-IP").as_deref(),
        )
    }

    fn parse(&self, body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
        parse(body, received_at)
    }
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

/// The slots of the fields livehook reads.
mod at {
    pub(super) const TYPE: usize = 0;
    pub(super) const MESSAGE: usize = 1;
    pub(super) const STREAM: usize = 2;
    pub(super) const VIDEO: usize = 3;
    pub(super) const BROADCAST: usize = 4;
    pub(super) const STREAM_ID: usize = 5;
    pub(super) const STREAM_NAME: usize = 6;
    pub(super) const LIVE: usize = 7;
    pub(super) const RECORDING: usize = 8;
    pub(super) const BACKUP_LIVE: usize = 9;
    pub(super) const VIDEO_ID: usize = 10;
    pub(super) const VIDEO_NAME: usize = 11;
    pub(super) const VIDEO_STATUS: usize = 12;
    pub(super) const BROADCAST_ID: usize = 13;
    pub(super) const BROADCAST_NAME: usize = 14;
    pub(super) const BROADCAST_STATUS: usize = 15;
}

/// What livehook reads of a message: `{type, message: {stream: {id, name, live, recording,
/// backup_live}, video: {id, name, status}, broadcast: {id, name, status}}}`. Ids are numbers
/// or strings; `backup_live` (newer payloads) says the backup ingest is receiving while the
/// main one is not.
pub(super) static WIRE: Object = Object::new(&[
    Field::new("type", Json::Str, at::TYPE),
    Field::new(
        "message",
        Json::OptObject(&Object::new(&[
            Field::new(
                "stream",
                Json::OptObject(&Object::new(&[
                    Field::new("id", Json::Id, at::STREAM_ID),
                    Field::new("name", Json::OptStr, at::STREAM_NAME),
                    Field::new("live", Json::Bool, at::LIVE),
                    Field::new("recording", Json::OptBool, at::RECORDING),
                    Field::new("backup_live", Json::OptBool, at::BACKUP_LIVE),
                ])),
                at::STREAM,
            ),
            Field::new(
                "video",
                Json::OptObject(&Object::new(&[
                    Field::new("id", Json::Id, at::VIDEO_ID),
                    Field::new("name", Json::OptStr, at::VIDEO_NAME),
                    Field::new("status", Json::Str, at::VIDEO_STATUS),
                ])),
                at::VIDEO,
            ),
            Field::new(
                "broadcast",
                Json::OptObject(&Object::new(&[
                    Field::new("id", Json::Id, at::BROADCAST_ID),
                    Field::new("name", Json::OptStr, at::BROADCAST_NAME),
                    Field::new("status", Json::Str, at::BROADCAST_STATUS),
                ])),
                at::BROADCAST,
            ),
        ])),
        at::MESSAGE,
    ),
]);

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let f = from_json(ID, body, &WIRE)?;
    let missing = |what: &str| ParseError::Shape {
        provider: ID,
        detail: format!("missing field `message.{what}`"),
    };
    // (kind, slot of the id, state, recording, our event-type name, slot of the name)
    let (kind, id, state, recording, event_type, name) = match f.text(at::TYPE) {
        "stream" => {
            if !f.has(at::STREAM) {
                return Err(missing("stream"));
            }
            let on_air = f.bool(at::LIVE) == Some(true) || f.bool(at::BACKUP_LIVE) == Some(true);
            let (state, name) = if on_air {
                (State::Live, "stream.live")
            } else {
                (State::Disconnected, "stream.offline")
            };
            let recording = f.bool(at::RECORDING);
            (
                Kind::LiveInput,
                at::STREAM_ID,
                state,
                recording,
                name.to_owned(),
                at::STREAM_NAME,
            )
        }
        "video" => {
            if !f.has(at::VIDEO) {
                return Err(missing("video"));
            }
            let status = f.text(at::VIDEO_STATUS);
            let state = match status {
                "empty" => State::Created,
                "pending" => State::Processing,
                "viewable" => State::Viewable,
                "ready" => State::Ready,
                _ => {
                    return Ok(Parsed::Ignored {
                        event_type: Some("video".into()),
                        reason: "unknown Gcore video status",
                        stream: StreamKey::new(ID, Kind::Video, &f.id(at::VIDEO_ID)),
                    })
                }
            };
            let event_type = ["video.", status].concat();
            (
                Kind::Video,
                at::VIDEO_ID,
                state,
                None,
                event_type,
                at::VIDEO_NAME,
            )
        }
        "broadcast" => {
            if !f.has(at::BROADCAST) {
                return Err(missing("broadcast"));
            }
            let status = f.text(at::BROADCAST_STATUS);
            let state = match status {
                "pending" => State::Idle,
                "live" => State::Live,
                "paused" => State::Paused,
                "finished" => State::Finished,
                _ => {
                    return Ok(Parsed::Ignored {
                        event_type: Some("broadcast".into()),
                        reason: "unknown Gcore broadcast status",
                        stream: StreamKey::new(ID, Kind::Broadcast, &f.id(at::BROADCAST_ID)),
                    })
                }
            };
            let event_type = ["broadcast.", status].concat();
            (
                Kind::Broadcast,
                at::BROADCAST_ID,
                state,
                None,
                event_type,
                at::BROADCAST_NAME,
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
    let stream = stream_key(ID, kind, &f.id(id), "message.*.id")?;
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
        stream,
        parent_id: None,
        state,
        recording,
        occurred_at: received_at,
        time_source: TimeSource::Receipt,
        event_type,
        event_id,
        error: None,
        name: f.str(name).map(str::to_owned),
        keeps_state: false,
        warning: None,
        latest_recording: None,
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
        let s = Settings::read(Gcore.settings(), &get);
        let header = |_: &str| Some("10.0.0.1".to_owned());
        let req = Inbound {
            header: &header,
            path_token: Some("tok"),
            now_s: 0,
        };
        assert_eq!(
            Gcore.authenticate_headers(&s, &req),
            Err(AuthError::NotConfigured(ALLOWED_CIDRS))
        );
        assert_eq!(
            Gcore.health(&s),
            Err("GCORE_ALLOWED_CIDRS has an invalid entry".into())
        );
    }

    fn event(name: &str) -> Event {
        fixture_event(&Gcore, name, 42)
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
        let Parsed::Event(e) = parse_any(&Gcore, body, 0).unwrap() else {
            panic!()
        };
        assert_eq!(e.state, State::Live);
    }

    #[test]
    fn string_ids_are_accepted() {
        let body = br#"{"type":"broadcast","message":{"broadcast":{"id":"777","status":"live"}}}"#;
        let Parsed::Event(e) = parse_any(&Gcore, body, 0).unwrap() else {
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
            let got = parse_any(&Gcore, body, 0).unwrap();
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
            let got = parse_any(&Gcore, body, 0);
            assert!(matches!(got, Err(ParseError::Shape { .. })), "{got:?}");
        }
    }
}
