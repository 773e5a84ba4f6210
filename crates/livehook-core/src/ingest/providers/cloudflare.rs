//! Cloudflare Stream Live, delivered by Cloudflare Notifications to a generic webhook
//! destination (seeds 000, 001).
//!
//! Envelope: `{name, text, data, ts, alert_type?, …}`. Stream Live puts
//! `{notification_name, input_id, event_type, updated_at, live_input_errored?}` in `data`.
//! - `live_input.connected` → `connected`, `live_input.disconnected` → `disconnected`,
//!   `live_input.errored` → `errored` with `data.live_input_errored.error.{code,message}`.
//! - A body with `text` and no `data` is the destination's "Save and Test" message.
//! - Other alert types sent to the same destination (no `input_id`/`event_type`) are ignored.
//! - Event time: `data.updated_at` (nanoseconds), else `ts` (seconds). The de-duplication key is
//!   the input, event type, time and error code: Cloudflare sends no event id.
//!
//! Authentication: Cloudflare sends the destination's secret verbatim in `cf-webhook-auth`; it
//! must equal `CF_WEBHOOK_SECRET` (compared in constant time, before the body is read).

use serde::Deserialize;

use super::json::{from_json, Text};
use super::shape::{provider_time, stream_key, ParseError, Parsed, Provider};
use crate::ingest::auth::{expect_secret, AuthError, Secret};
use crate::ingest::event::{ErrorInfo, Event, Kind, ProviderId, State, StreamKey, TimeSource};
use crate::ingest::settings::Setting;
use crate::text::Decimal;
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("cloudflare");
pub const SECRET: &str = "CF_WEBHOOK_SECRET";
const HEADER: &str = "cf-webhook-auth";

/// Cloudflare Stream Live through Cloudflare Notifications: `POST /webhooks/cloudflare`.
pub static CLOUDFLARE: Provider = Provider {
    id: ID,
    route: "cloudflare",
    title: "Cloudflare Stream",
    token_in_path: false,
    settings: &[Setting::required(SECRET)],
    auth_headers: Some(|s, req| verify(s.get(SECRET), (req.header)(HEADER).as_deref())),
    auth_body: None,
    probe: None,
    check_settings: None,
    parse,
    reply: None,
    answers_first: false,
};

/// The `cf-webhook-auth` header against the configured secret.
pub fn verify(secret: Option<&Secret>, header: Option<&str>) -> Result<(), AuthError> {
    let secret = secret.ok_or(AuthError::NotConfigured(SECRET))?;
    let got = header.ok_or(AuthError::Missing("cf-webhook-auth header"))?;
    expect_secret(got, secret, "cf-webhook-auth header")
}

/// What livehook reads of a notification; every field is optional.
#[derive(Deserialize)]
struct Notification<'a> {
    #[serde(default, borrow)]
    text: Option<Text<'a>>,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default)]
    ts: Option<i64>,
    #[serde(default, borrow)]
    alert_type: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(default, borrow)]
    input_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    event_type: Option<Text<'a>>,
    #[serde(default, borrow)]
    updated_at: Option<Text<'a>>,
    #[serde(default, borrow)]
    live_input_errored: Option<Errored<'a>>,
}

#[derive(Deserialize)]
struct Errored<'a> {
    #[serde(default, borrow)]
    error: Option<Error<'a>>,
}

#[derive(Deserialize)]
struct Error<'a> {
    #[serde(default, borrow)]
    code: Option<Text<'a>>,
    #[serde(default, borrow)]
    message: Option<Text<'a>>,
}

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let n: Notification = from_json(ID, body)?;
    let Some(data) = n.data else {
        return match n.text {
            Some(_) => Ok(Parsed::Test),
            None => Err(ParseError::missing(ID, "data")),
        };
    };
    let (Some(input_id), Some(event_type)) = (data.input_id.as_deref(), data.event_type.as_deref())
    else {
        // Another notification type (DDoS, SSL, health checks…) sent to this destination.
        return Ok(Parsed::Ignored {
            event_type: n.alert_type.as_deref().map(str::to_owned),
            reason: "not a Stream Live notification",
            stream: None,
        });
    };
    let (state, error) = match event_type {
        "live_input.connected" => (State::Connected, None),
        "live_input.disconnected" => (State::Disconnected, None),
        "live_input.errored" => {
            let error = data.live_input_errored.and_then(|e| e.error);
            let (code, message) = error.map_or((None, None), |e| (e.code, e.message));
            let code = code.as_deref().unwrap_or("ERR_UNKNOWN");
            (
                State::Errored,
                Some(ErrorInfo {
                    code: code.to_owned(),
                    message: message.as_deref().unwrap_or_default().to_owned(),
                    hint: hint_for(code).to_owned(),
                }),
            )
        }
        _ => {
            return Ok(Parsed::Ignored {
                event_type: Some(event_type.to_owned()),
                reason: "unknown Stream Live event type",
                stream: StreamKey::new(ID, Kind::LiveInput, input_id),
            })
        }
    };
    let stream = stream_key(ID, Kind::LiveInput, input_id, "data.input_id")?;
    let (occurred_at, time_source) = match (data.updated_at.as_deref(), n.ts) {
        (Some(t), _) => (provider_time(t, "data.updated_at")?, TimeSource::Provider),
        (None, Some(ts)) => (
            ts.checked_mul(1_000_000_000)
                .ok_or(ParseError::InvalidTime { field: "ts" })?,
            TimeSource::Provider,
        ),
        (None, None) => (received_at, TimeSource::Receipt),
    };
    // `{event_type}|{input_id}|{occurred_at}|{code}`
    let code = error.as_ref().map_or("", |e| e.code.as_str());
    let event_id = [
        event_type,
        "|",
        input_id,
        "|",
        &Decimal::new(occurred_at),
        "|",
        code,
    ]
    .concat();
    Ok(Parsed::Event(Box::new(Event {
        error,
        ..Event::state_change(
            stream,
            state,
            event_type.to_owned(),
            event_id,
            occurred_at,
            time_source,
        )
    })))
}

/// A human hint for every error code Cloudflare documents for `live_input.errored` (seed 001).
pub fn hint_for(code: &str) -> &'static str {
    match code {
        "ERR_GOP_OUT_OF_RANGE" => {
            "Set a fixed keyframe interval in the encoder (2 seconds is a safe value; in OBS: \
             Output > Keyframe Interval = 2) and reconnect."
        }
        "ERR_UNSUPPORTED_VIDEO_CODEC" => {
            "Switch the encoder to a video codec the ingest protocol supports (H.264 works with \
             RTMPS and SRT) and reconnect."
        }
        "ERR_UNSUPPORTED_AUDIO_CODEC" => {
            "Switch the encoder to an audio codec the ingest protocol supports (AAC for RTMPS and \
             SRT, Opus for WebRTC) and reconnect."
        }
        "ERR_STORAGE_QUOTA_EXHAUSTED" => {
            "The account's Stream storage is full: delete older videos or buy more storage, then \
             reconnect."
        }
        "ERR_MISSING_SUBSCRIPTION" => {
            "The account has no active Stream subscription: check billing in the Cloudflare \
             dashboard before going live."
        }
        _ => "Unrecognised error code: see Cloudflare's Stream Live webhook documentation.",
    }
}

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Parsed};
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;

    fn event(name: &str) -> Event {
        fixture_event(&CLOUDFLARE, name, 7)
    }

    /// The variant of an authentication result, for tables.
    fn outcome(r: Result<(), AuthError>) -> &'static str {
        match r {
            Ok(()) => "ok",
            Err(AuthError::Invalid(_)) => "invalid",
            Err(AuthError::Missing(_)) => "missing",
            Err(AuthError::NotConfigured(_)) => "not configured",
            Err(AuthError::IpNotAllowed) => "ip not allowed",
        }
    }

    #[test]
    fn cloudflare_compares_the_shared_secret() {
        let cases = [
            (Some("cf-secret"), Some("cf-secret"), "ok"),
            (Some("cf-secret"), Some("cf-secreT"), "invalid"),
            (Some("cf-secret"), Some("cf-secret "), "invalid"),
            (Some("cf-secret"), Some(""), "invalid"),
            (Some("cf-secret"), None, "missing"),
            (None, Some("x"), "not configured"),
            // A blank secret is no secret: fail closed.
            (Some("  "), Some("  "), "not configured"),
        ];
        for (configured, header, want) in cases {
            let s = configured.and_then(secret);
            assert_eq!(
                outcome(verify(s.as_ref(), header)),
                want,
                "{configured:?} {header:?}"
            );
        }
    }

    #[test]
    fn seed_000_disconnected_normalizes() {
        let e = event("seed-000-disconnected.json");
        assert_eq!(
            e.stream.kv_key(),
            "status:cloudflare:live_input:eb222fcca08eeb1ae84c981ebe8aeeb6"
        );
        assert_eq!(e.state, State::Disconnected);
        assert_eq!(e.event_type, "live_input.disconnected");
        assert_eq!(e.occurred_at, 1_642_074_221_855_717_910);
        assert_eq!(e.time_source, TimeSource::Provider);
        assert_eq!(e.error, None);
        assert_eq!(e.recording, None);
    }

    #[test]
    fn seed_001_disconnected_normalizes() {
        let e = event("seed-001-disconnected.json");
        assert_eq!(e.state, State::Disconnected);
        assert_eq!(e.stream.id, "eb222fcca08eeb1ae84c981ebe8aeeb6");
    }

    #[test]
    fn connected_normalizes() {
        let e = event("connected.json");
        assert_eq!(e.state, State::Connected);
    }

    #[test]
    fn seed_001_errored_fixed_normalizes_with_code_message_and_hint() {
        let e = event("seed-001-errored-fixed.json");
        assert_eq!(e.state, State::Errored);
        assert_eq!(e.occurred_at, 1_720_548_471_077_371_662);
        let err = e.error.unwrap();
        assert_eq!(err.code, "ERR_GOP_OUT_OF_RANGE");
        assert_eq!(
            err.message,
            "Input GOP size or keyframe interval is out of range."
        );
        assert_eq!(err.hint, hint_for("ERR_GOP_OUT_OF_RANGE"));
    }

    #[test]
    fn seed_001_errored_as_published_is_invalid_json() {
        // The doc's example has a trailing comma after "ts": a 400, never a 5xx.
        let body = fixture("cloudflare", "seed-001-errored-as-published.json.invalid");
        let err = parse_any(&CLOUDFLARE, &body, 0).unwrap_err();
        assert!(matches!(err, ParseError::Json { .. }), "{err:?}");
    }

    #[test]
    fn every_documented_error_code_has_its_own_hint() {
        let codes = [
            "ERR_GOP_OUT_OF_RANGE",
            "ERR_UNSUPPORTED_VIDEO_CODEC",
            "ERR_UNSUPPORTED_AUDIO_CODEC",
            "ERR_STORAGE_QUOTA_EXHAUSTED",
            "ERR_MISSING_SUBSCRIPTION",
        ];
        let generic = hint_for("ERR_SOMETHING_NEW");
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            let h = hint_for(code);
            assert_ne!(h, generic, "{code}");
            assert!(seen.insert(h), "{code} shares a hint");
        }
        for name in [
            "errored-unsupported-video-codec.json",
            "errored-unsupported-audio-codec.json",
            "errored-storage-quota-exhausted.json",
            "errored-missing-subscription.json",
        ] {
            let e = event(name);
            let err = e.error.unwrap();
            assert!(codes.contains(&err.code.as_str()), "{name}");
            assert_eq!(err.hint, hint_for(&err.code));
        }
    }

    #[test]
    fn save_and_test_message_is_a_test() {
        let body = fixture("cloudflare", "save-and-test.json");
        assert_eq!(parse_any(&CLOUDFLARE, &body, 0), Ok(Parsed::Test));
    }

    #[test]
    fn other_alert_types_are_ignored() {
        let body = fixture("cloudflare", "other-alert-type.json");
        let got = parse_any(&CLOUDFLARE, &body, 0).unwrap();
        assert!(matches!(got, Parsed::Ignored { .. }), "{got:?}");
    }

    #[test]
    fn unknown_live_input_events_are_ignored() {
        let body = br#"{"name":"n","text":"t","data":{"notification_name":"Stream Live Input","input_id":"abc","event_type":"live_input.exploded","updated_at":"2024-07-09T18:07:51Z"},"ts":1}"#;
        let got = parse_any(&CLOUDFLARE, body, 0).unwrap();
        assert_eq!(
            got,
            Parsed::Ignored {
                event_type: Some("live_input.exploded".into()),
                reason: "unknown Stream Live event type",
                stream: StreamKey::new(ID, Kind::LiveInput, "abc"),
            }
        );
    }

    #[test]
    fn falls_back_to_ts_then_receipt_time() {
        let with_ts =
            br#"{"data":{"input_id":"abc","event_type":"live_input.connected"},"ts":1642074233}"#;
        let Parsed::Event(e) = parse_any(&CLOUDFLARE, with_ts, 9).unwrap() else {
            panic!()
        };
        assert_eq!(e.occurred_at, 1_642_074_233_000_000_000);
        let without = br#"{"data":{"input_id":"abc","event_type":"live_input.connected"}}"#;
        let Parsed::Event(e) = parse_any(&CLOUDFLARE, without, 9).unwrap() else {
            panic!()
        };
        assert_eq!((e.occurred_at, e.time_source), (9, TimeSource::Receipt));
    }

    #[test]
    fn bad_ids_and_times_are_refused() {
        let bad_id = br#"{"data":{"input_id":"../../etc","event_type":"live_input.connected","updated_at":"2024-07-09T18:07:51Z"}}"#;
        assert_eq!(
            parse_any(&CLOUDFLARE, bad_id, 0),
            Err(ParseError::InvalidId {
                field: "data.input_id"
            })
        );
        let bad_time = br#"{"data":{"input_id":"abc","event_type":"live_input.connected","updated_at":"yesterday"}}"#;
        assert_eq!(
            parse_any(&CLOUDFLARE, bad_time, 0),
            Err(ParseError::InvalidTime {
                field: "data.updated_at"
            })
        );
        assert!(parse_any(&CLOUDFLARE, b"{}", 0).is_err());
    }

    #[test]
    fn the_same_delivery_gets_the_same_event_id() {
        let a = event("seed-001-errored-fixed.json");
        let b = event("seed-001-errored-fixed.json");
        assert_eq!(a.event_id, b.event_id);
        assert_ne!(a.event_id, event("seed-000-disconnected.json").event_id);
    }

    #[test]
    fn every_fixture_parses_or_fails_as_its_name_says() {
        for (name, body) in fixtures("cloudflare") {
            let got = parse_any(&CLOUDFLARE, &body, 0);
            assert_eq!(got.is_err(), name.ends_with(".invalid"), "{name}: {got:?}");
        }
    }
}
