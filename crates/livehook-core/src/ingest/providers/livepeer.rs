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

use super::json::{from_json, Text};
use super::shape::{stream_key, ParseError, Parsed, Provider};
use crate::ingest::auth::{header_pairs, hmac_sha256, hmac_sha256_matches, AuthError, Secret};
use crate::ingest::event::{ErrorInfo, Event, Kind, ProviderId, State, TimeSource};
use crate::ingest::settings::Setting;
use crate::text::{hex, unhex};

pub const ID: ProviderId = ProviderId::new("livepeer");
pub const SECRET: &str = "LIVEPEER_WEBHOOK_SECRET";
const HEADER: &str = "Livepeer-Signature";
/// How far the signed send time may be from now.
pub const TOLERANCE_MS: u64 = 300_000;

/// Livepeer Studio stream, recording and multistream events: `POST /webhooks/livepeer`.
pub static LIVEPEER: Provider = Provider {
    id: ID,
    route: "livepeer",
    title: "Livepeer Studio",
    token_in_path: false,
    settings: &[Setting::required(SECRET)],
    auth_headers: None,
    auth_body: Some(|s, req, body| {
        let now_ms = req.now_s.saturating_mul(1000);
        verify(s.get(SECRET), (req.header)(HEADER).as_deref(), body, now_ms)
    }),
    probe: None,
    check_settings: None,
    parse: |body, _received_at| parse(body),
    reply: None,
    answers_first: false,
};

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

/// What livehook reads of an event (never a stream key or an ingest URL).
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    event: Text<'a>,
    #[serde(rename = "createdAt")]
    created_at: u64,
    #[serde(default, borrow)]
    stream: Option<Stream<'a>>,
    #[serde(default, borrow)]
    payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Stream<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
struct Payload<'a> {
    #[serde(default, borrow)]
    session: Option<Session<'a>>,
    #[serde(default, borrow)]
    target: Option<Target<'a>>,
}

#[derive(Deserialize)]
struct Session<'a> {
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
    #[serde(default, borrow, rename = "assetId")]
    asset_id: Option<Text<'a>>,
}

/// A multistream target.
#[derive(Deserialize)]
struct Target<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
}

/// A name livehook keeps: a non-empty one.
fn name(name: Option<Text<'_>>) -> Option<String> {
    name.filter(|n| !n.is_empty()).map(Text::into_owned)
}

fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let e: Envelope = from_json(ID, body)?;
    let (stream, stream_name) = match e.stream {
        Some(s) => (
            Some(stream_key(ID, Kind::LiveInput, &s.id, "stream.id")?),
            s.name,
        ),
        None => (None, None),
    };
    let event_type = &*e.event;
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
    let occurred_at = i64::try_from(e.created_at)
        .ok()
        .and_then(|ms| ms.checked_mul(1_000_000))
        .ok_or(ParseError::InvalidTime { field: "createdAt" })?;
    let payload = e.payload.unwrap_or_default();
    let mut event = Event {
        name: name(stream_name),
        ..Event::state_change(
            stream,
            State::Live,
            event_type.to_owned(),
            e.id.into_owned(),
            occurred_at,
            TimeSource::Provider,
        )
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
                let session = payload
                    .session
                    .ok_or_else(|| ParseError::missing(ID, "payload.session"))?;
                let asset = session
                    .asset_id
                    .or(session.id)
                    .ok_or_else(|| ParseError::missing(ID, "payload.session.assetId"))?;
                event.latest_recording =
                    Some(stream_key(ID, Kind::Video, &asset, "payload.session.assetId")?.id);
            }
        }
        multistream => {
            let target = payload
                .target
                .ok_or_else(|| ParseError::missing(ID, "payload.target"))?;
            let key = stream_key(ID, Kind::SimulcastTarget, &target.id, "payload.target.id")?;
            event.parent_id = Some(std::mem::replace(&mut event.stream, key).id);
            event.name = name(target.name);
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
        fixture_event(&LIVEPEER, name, 7)
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
            let got = format!("{:?}", parse_any(&LIVEPEER, &body, 0));
            assert!(!got.contains("FAKE-DO-NOT-LEAK"), "{name}: {got}");
        }
        let asset = parse_any(&LIVEPEER, &fixture("livepeer", "asset-ready.json"), 0).unwrap();
        assert!(
            matches!(asset, Parsed::Ignored { stream: None, .. }),
            "{asset:?}"
        );
        let body = String::from_utf8(fixture("livepeer", "stream-started.json")).unwrap();
        let detection = body.replace("stream.started", "stream.detection");
        assert!(matches!(
            parse_any(&LIVEPEER, detection.as_bytes(), 0),
            Ok(Parsed::Ignored {
                stream: Some(_),
                ..
            })
        ));
        let bad_id = body.replacen(STREAM, "../x", 1);
        assert_eq!(
            parse_any(&LIVEPEER, bad_id.as_bytes(), 0),
            Err(ParseError::InvalidId { field: "stream.id" })
        );
        let huge_time = body.replace(
            "\"createdAt\": 1732352400000",
            "\"createdAt\": 18446744073709551615",
        );
        assert_eq!(
            parse_any(&LIVEPEER, huge_time.as_bytes(), 0),
            Err(ParseError::InvalidTime { field: "createdAt" })
        );
        let no_target = String::from_utf8(fixture("livepeer", "multistream-error.json"))
            .unwrap()
            .replace("\"target\"", "\"targets\"");
        assert_eq!(
            parse_any(&LIVEPEER, no_target.as_bytes(), 0),
            Err(ParseError::missing(ID, "payload.target"))
        );
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("livepeer") {
            assert!(parse_any(&LIVEPEER, &body, 0).is_ok(), "{name}");
        }
    }
}
