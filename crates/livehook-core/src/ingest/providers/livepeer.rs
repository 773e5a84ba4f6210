//! Livepeer Studio: `POST /webhooks/livepeer`. The body is
//! `{id, webhookId, createdAt, timestamp, event, stream, payload}`: `id` is the event's (the same
//! on every retry), `createdAt` when the event happened and `timestamp` when this attempt was
//! sent (both ms since the epoch), `stream` the live stream (Studio strips its stream key),
//! `payload` what the event adds.
//!
//! - `stream.started` → live, `stream.idle` → idle (the live stream `stream.id`, its `name`).
//! - `recording.started` sets the recording flag; `recording.waiting` (the session ended, its
//!   recording is being processed) clears it; `recording.ready` clears it and gives the stream
//!   its latest recording (`payload.session.assetId`): events that keep the state.
//! - `multistream.connected` / `.disconnected` / `.error`: the multistream target
//!   (`payload.target.id`) is its own record (kind `simulcast_target`, the stream as parent):
//!   live, disconnected, errored (an alert).
//! - Other events (`asset.*`, `task.*`, `playback.*`, `stream.detection`) are acknowledged and
//!   ignored.
//! - Event time: `createdAt`. De-duplication key: `id`.
//!
//! Authentication: `Livepeer-Signature: t=<ms>,v1=<hex>`, v1 = HMAC-SHA256(the webhook's shared
//! secret `LIVEPEER_WEBHOOK_SECRET` as UTF-8, raw body). Studio does not sign `t`, but it signs
//! the body's `timestamp` (the same instant, renewed on every attempt): a body whose signed
//! `timestamp` is more than 300 s from now is refused as a replay.

use serde::Deserialize;

use super::shape::{stream_key, Inbound, ParseError, Parsed, Profile, Provider};
use super::skim::from_json;
use super::wire::{Field, Json, Object};
use crate::ingest::auth::{header_pairs, hmac_sha256, hmac_sha256_matches, AuthError, Secret};
use crate::ingest::event::{ErrorInfo, Event, Kind, ProviderId, State, TimeSource};
use crate::ingest::settings::{Setting, Settings};
use crate::text::{hex, unhex};
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("livepeer");
pub const SECRET: &str = "LIVEPEER_WEBHOOK_SECRET";
const HEADER: &str = "Livepeer-Signature";
/// How far the signed send time may be from now.
pub const TOLERANCE_MS: u64 = 300_000;

const PROFILE: Profile = Profile {
    id: ID,
    route: "livepeer",
    title: "Livepeer Studio",
    token_in_path: false,
    settings: &[Setting::required(SECRET)],
};

/// Livepeer Studio stream, recording and multistream events.
pub struct Livepeer;

impl Provider for Livepeer {
    fn profile(&self) -> &'static Profile {
        &PROFILE
    }

    fn authenticate_body(
        &self,
        s: &Settings,
        req: &Inbound<'_>,
        body: &[u8],
    ) -> Result<(), AuthError> {
        verify(
            s.get(SECRET),
            (req.header)(HEADER).as_deref(),
            body,
            req.now_s.saturating_mul(1000),
        )
    }

    fn parse(&self, body: &[u8], _received_at: Nanos) -> Result<Parsed, ParseError> {
        parse(body)
    }
}

/// The body's own send time, read only once its signature is known good.
#[derive(Deserialize)]
struct Sent {
    timestamp: u64,
}

/// Checks `Livepeer-Signature` over the raw body, then that the signed send time is within
/// [`TOLERANCE_MS`] of `now_ms`.
pub fn verify(
    secret: Option<&Secret>,
    header: Option<&str>,
    body: &[u8],
    now_ms: u64,
) -> Result<(), AuthError> {
    let secret = secret.ok_or(AuthError::NotConfigured(SECRET))?;
    let header = header.ok_or(AuthError::Missing("Livepeer-Signature header"))?;
    let key = secret.expose().as_bytes();
    let signed = header_pairs(header)
        .filter(|(k, _)| *k == "v1")
        .filter_map(|(_, v)| unhex(v))
        .any(|sig| hmac_sha256_matches(key, &[body], &sig));
    if !signed {
        return Err(AuthError::Invalid("Livepeer-Signature header"));
    }
    let stale = AuthError::Invalid("Livepeer-Signature time");
    let sent: Sent = serde_json::from_slice(body).map_err(|_| stale.clone())?;
    if sent.timestamp.abs_diff(now_ms) > TOLERANCE_MS {
        return Err(stale);
    }
    Ok(())
}

/// A `Livepeer-Signature` header for `body`, sent at `time_ms` (tests, the load generator).
pub fn sign(secret: &str, time_ms: u64, body: &[u8]) -> Option<String> {
    let mac = hmac_sha256(secret.as_bytes(), &[body])?;
    Some(format!("t={time_ms},v1={}", hex(&mac)))
}

/// The slots of the fields livehook reads.
mod at {
    pub(super) const ID: usize = 0;
    pub(super) const EVENT: usize = 1;
    pub(super) const CREATED_AT: usize = 2;
    pub(super) const STREAM: usize = 3;
    pub(super) const PAYLOAD: usize = 4;
    pub(super) const STREAM_ID: usize = 5;
    pub(super) const STREAM_NAME: usize = 6;
    pub(super) const SESSION: usize = 7;
    pub(super) const TARGET: usize = 8;
    pub(super) const SESSION_ID: usize = 9;
    pub(super) const ASSET_ID: usize = 10;
    pub(super) const TARGET_ID: usize = 11;
    pub(super) const TARGET_NAME: usize = 12;
}

/// What livehook reads of an event (never a stream key or an ingest URL): `{id, event,
/// createdAt, stream: {id, name}, payload: {session: {id, assetId}, target: {id, name}}}`.
pub(super) static WIRE: Object = Object::new(&[
    Field::new("id", Json::Str, at::ID),
    Field::new("event", Json::Str, at::EVENT),
    Field::new("createdAt", Json::U64, at::CREATED_AT),
    Field::new(
        "stream",
        Json::OptObject(&Object::new(&[
            Field::new("id", Json::Str, at::STREAM_ID),
            Field::new("name", Json::OptStr, at::STREAM_NAME),
        ])),
        at::STREAM,
    ),
    Field::new(
        "payload",
        Json::OptObject(&Object::new(&[
            Field::new(
                "session",
                Json::OptObject(&Object::new(&[
                    Field::new("id", Json::OptStr, at::SESSION_ID),
                    Field::new("assetId", Json::OptStr, at::ASSET_ID),
                ])),
                at::SESSION,
            ),
            Field::new(
                "target",
                Json::OptObject(&Object::new(&[
                    Field::new("id", Json::Str, at::TARGET_ID),
                    Field::new("name", Json::OptStr, at::TARGET_NAME),
                ])),
                at::TARGET,
            ),
        ])),
        at::PAYLOAD,
    ),
]);

fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let f = from_json(ID, body, &WIRE)?;
    let stream = match f.str(at::STREAM_ID) {
        Some(id) => Some(stream_key(ID, Kind::LiveInput, id, "stream.id")?),
        None => None,
    };
    let event_type = f.text(at::EVENT);
    let tracked = matches!(
        event_type,
        "stream.started"
            | "stream.idle"
            | "recording.started"
            | "recording.waiting"
            | "recording.ready"
            | "multistream.connected"
            | "multistream.disconnected"
            | "multistream.error"
    );
    if !tracked {
        return Ok(Parsed::ignored(
            event_type,
            "Livepeer event livehook does not track",
            stream,
        ));
    }
    let stream = stream.ok_or_else(|| ParseError::missing(ID, "stream"))?;
    let occurred_at = f
        .u64(at::CREATED_AT)
        .and_then(|ms| i64::try_from(ms).ok())
        .and_then(|ms| ms.checked_mul(1_000_000))
        .ok_or(ParseError::InvalidTime { field: "createdAt" })?;
    let name = f
        .str(at::STREAM_NAME)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    let mut event = Event {
        stream,
        parent_id: None,
        state: State::Live,
        recording: None,
        occurred_at,
        time_source: TimeSource::Provider,
        event_type: event_type.to_owned(),
        event_id: f.text(at::ID).to_owned(),
        error: None,
        name,
        keeps_state: false,
        warning: None,
        latest_recording: None,
    };
    match event_type {
        "stream.started" => {}
        "stream.idle" => event.state = State::Idle,
        "recording.started" => {
            event.keeps_state = true;
            event.recording = Some(true);
        }
        // Only an assumption for a stream livehook has not heard of: the session has ended.
        "recording.waiting" | "recording.ready" => {
            event.keeps_state = true;
            event.state = State::Idle;
            event.recording = Some(false);
            if event_type == "recording.ready" {
                if !f.has(at::SESSION) {
                    return Err(ParseError::missing(ID, "payload.session"));
                }
                let asset = f
                    .str(at::ASSET_ID)
                    .or(f.str(at::SESSION_ID))
                    .ok_or_else(|| ParseError::missing(ID, "payload.session.assetId"))?;
                event.latest_recording =
                    Some(stream_key(ID, Kind::Video, asset, "payload.session.assetId")?.id);
            }
        }
        multistream => {
            if !f.has(at::TARGET) {
                return Err(ParseError::missing(ID, "payload.target"));
            }
            let target = stream_key(
                ID,
                Kind::SimulcastTarget,
                f.text(at::TARGET_ID),
                "payload.target.id",
            )?;
            event.parent_id = Some(std::mem::replace(&mut event.stream, target).id);
            event.name = f
                .str(at::TARGET_NAME)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            event.state = match multistream {
                "multistream.connected" => State::Live,
                "multistream.disconnected" => State::Disconnected,
                _ => State::Errored,
            };
            if event.state == State::Errored {
                event.error = Some(ErrorInfo {
                    code: "multistream.error".into(),
                    message: "Livepeer could not push the stream to this multistream target."
                        .into(),
                    hint: "Check the target's ingest URL and stream key on the destination \
                           service, and that its profile suits it; Livepeer retries while the \
                           stream is live."
                        .into(),
                });
            }
        }
    }
    Ok(Parsed::Event(Box::new(event)))
}

#[cfg(test)]
mod tests {
    use super::super::shape::parse as parse_any;
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;
    use crate::ordering::StreamLedger;

    const STREAM: &str = "d23f0824-128b-4f33-8c5c-7fd0a6a3a450";
    const SESSION: &str = "9531985d-5d9d-49f8-9818-e811892f902b";
    const TARGET: &str = "36f675cc-81e7-4ef5-a8e2-5d940ed90475";
    const SECRET_VALUE: &str = "livepeer-test-shared-secret";
    /// `timestamp` of stream-started.json.
    const SENT_MS: u64 = 1_732_352_400_250;

    fn event(name: &str) -> Event {
        fixture_event(&Livepeer, name, 7)
    }

    #[test]
    fn signatures_match_vectors_made_with_openssl() {
        // openssl dgst -sha256 -mac HMAC -macopt key:livepeer-test-shared-secret \
        //   tests/fixtures/livepeer/stream-started.json
        let body = fixture("livepeer", "stream-started.json");
        let header = sign(SECRET_VALUE, SENT_MS, &body).unwrap();
        assert_eq!(
            header,
            "t=1732352400250,v1=32a57622f0ef679b19aaa8802f78cf3fe5012d2943cff33b36fa7ef0ddcb2839"
        );
        let s = secret(SECRET_VALUE);
        assert_eq!(
            verify(s.as_ref(), Some(&header), &body, SENT_MS + 900),
            Ok(())
        );
    }

    #[test]
    fn forgeries_replays_and_missing_parts_are_refused() {
        let body = fixture("livepeer", "multistream-error.json");
        let sent = 1_732_354_200_250; // its `timestamp`
        let s = secret(SECRET_VALUE);
        let good = sign(SECRET_VALUE, sent, &body).unwrap();
        let invalid = Err(AuthError::Invalid("Livepeer-Signature header"));
        assert_eq!(verify(s.as_ref(), Some(&good), &body, sent), Ok(()));
        assert_eq!(verify(s.as_ref(), Some(&good), b"{}", sent), invalid);
        let other = sign("another-secret", sent, &body).unwrap();
        assert_eq!(verify(s.as_ref(), Some(&other), &body, sent), invalid);
        for bad in ["", "t=1", "v1=zz", "t=1,v2=00"] {
            assert_eq!(verify(s.as_ref(), Some(bad), &body, sent), invalid, "{bad}");
        }
        // `t` is not signed, the body's `timestamp` is: an old body is a replay whatever `t`.
        let stale = Err(AuthError::Invalid("Livepeer-Signature time"));
        let now = sent + TOLERANCE_MS + 1;
        let fresh_t = sign(SECRET_VALUE, now, &body).unwrap();
        assert_eq!(verify(s.as_ref(), Some(&fresh_t), &body, now), stale);
        assert_eq!(
            verify(s.as_ref(), Some(&good), &body, sent - TOLERANCE_MS - 1),
            stale
        );
        assert_eq!(
            verify(s.as_ref(), Some(&good), &body, sent + TOLERANCE_MS),
            Ok(())
        );
        // A signed body without a send time cannot be dated: refused.
        let undated = br#"{"id":"x","event":"stream.idle"}"#;
        let signed = sign(SECRET_VALUE, sent, undated).unwrap();
        assert_eq!(verify(s.as_ref(), Some(&signed), undated, sent), stale);
        assert_eq!(
            verify(s.as_ref(), None, &body, sent),
            Err(AuthError::Missing("Livepeer-Signature header"))
        );
        assert_eq!(
            verify(None, Some(&good), &body, sent),
            Err(AuthError::NotConfigured(SECRET))
        );
    }

    #[test]
    fn stream_recording_and_multistream_events_map() {
        let started = event("stream-started.json");
        assert_eq!((started.state, started.keeps_state), (State::Live, false));
        assert_eq!(
            started.stream.to_string(),
            format!("livepeer:live_input:{STREAM}")
        );
        assert_eq!(started.name.as_deref(), Some("Main stage"));
        assert_eq!(started.occurred_at, 1_732_352_400_000_000_000);
        let body: serde_json::Value =
            serde_json::from_slice(&fixture("livepeer", "stream-started.json")).unwrap();
        assert_eq!(started.event_id, body["id"].as_str().unwrap());
        assert_eq!(event("stream-idle.json").state, State::Idle);

        let rec = event("recording-started.json");
        assert!(rec.keeps_state);
        assert_eq!(rec.recording, Some(true));
        assert_eq!(rec.stream.id, STREAM);
        let waiting = event("recording-waiting.json");
        assert_eq!(
            (waiting.keeps_state, waiting.recording),
            (true, Some(false))
        );
        assert_eq!(waiting.latest_recording, None);
        let ready = event("recording-ready.json");
        assert_eq!((ready.keeps_state, ready.recording), (true, Some(false)));
        assert_eq!(ready.latest_recording.as_deref(), Some(SESSION));

        for (name, state) in [
            ("multistream-connected.json", State::Live),
            ("multistream-error.json", State::Errored),
            ("multistream-disconnected.json", State::Disconnected),
        ] {
            let e = event(name);
            assert_eq!(e.state, state, "{name}");
            assert_eq!(e.stream.kind, Kind::SimulcastTarget, "{name}");
            assert_eq!(e.stream.id, TARGET, "{name}");
            assert_eq!(e.parent_id.as_deref(), Some(STREAM), "{name}");
            assert_eq!(e.name.as_deref(), Some("YouTube main"), "{name}");
        }
        let err = event("multistream-error.json").error.unwrap();
        assert_eq!(err.code, "multistream.error");
        assert!(err.hint.contains("stream key"));
    }

    #[test]
    fn a_broadcast_in_any_order_ends_idle_with_its_recording() {
        let names = [
            "stream-started.json",
            "recording-started.json",
            "stream-idle.json",
            "recording-waiting.json",
            "recording-ready.json",
        ];
        let events: Vec<Event> = names.iter().map(|n| event(n)).collect();
        for k in 0..events.len() {
            let mut st = StreamLedger::default();
            for e in events
                .iter()
                .cycle()
                .skip(k)
                .take(events.len())
                .chain(events.iter().rev())
            {
                st.apply(e, 0, &[]);
            }
            let r = st.record.unwrap();
            assert_eq!(r.state, State::Idle, "rotation {k}");
            assert_eq!(r.recording, Some(false), "rotation {k}");
            assert_eq!(r.latest_recording.as_deref(), Some(SESSION), "rotation {k}");
            assert_eq!(r.last_event, "recording.ready", "rotation {k}");
        }
    }

    #[test]
    fn credentials_are_never_read_and_other_events_are_acknowledged() {
        for (name, body) in fixtures("livepeer") {
            let got = format!("{:?}", parse_any(&Livepeer, &body, 0));
            assert!(!got.contains("FAKE-DO-NOT-LEAK"), "{name}: {got}");
        }
        let asset = parse_any(&Livepeer, &fixture("livepeer", "asset-ready.json"), 0).unwrap();
        assert!(
            matches!(asset, Parsed::Ignored { stream: None, .. }),
            "{asset:?}"
        );
        let body = String::from_utf8(fixture("livepeer", "stream-started.json")).unwrap();
        let detection = body.replace("stream.started", "stream.detection");
        assert!(matches!(
            parse_any(&Livepeer, detection.as_bytes(), 0),
            Ok(Parsed::Ignored {
                stream: Some(_),
                ..
            })
        ));
        let bad_id = body.replacen(STREAM, "../x", 1);
        assert_eq!(
            parse_any(&Livepeer, bad_id.as_bytes(), 0),
            Err(ParseError::InvalidId { field: "stream.id" })
        );
        let huge_time = body.replace(
            "\"createdAt\": 1732352400000",
            "\"createdAt\": 18446744073709551615",
        );
        assert_eq!(
            parse_any(&Livepeer, huge_time.as_bytes(), 0),
            Err(ParseError::InvalidTime { field: "createdAt" })
        );
        let no_target = String::from_utf8(fixture("livepeer", "multistream-error.json"))
            .unwrap()
            .replace("\"target\"", "\"targets\"");
        assert_eq!(
            parse_any(&Livepeer, no_target.as_bytes(), 0),
            Err(ParseError::missing(ID, "payload.target"))
        );
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("livepeer") {
            assert!(parse_any(&Livepeer, &body, 0).is_ok(), "{name}");
        }
    }
}
