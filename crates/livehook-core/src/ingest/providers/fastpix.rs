//! FastPix live events (seed 002): 14 `video.live_stream.*` types in a Mux-like envelope
//! `{type, webhookId, object{name,id}, environment, data, created_at, attempts, …}`.
//!
//! - Live stream events: the stream id is `data.streamId` (the doc's `disconnected` table calls
//!   it `data.id`; `object.id` is the last resort). Simulcast target events are their own kind,
//!   keyed by `data.simulcastId`, with `data.livestreamId` as the parent.
//! - What each event means for the state is the lifecycle Mux defined (`live_stream.rs`, shared
//!   with Mux).
//! - Event time: `created_at` (when FastPix created the webhook event).
//! - De-duplication key: `webhookId` + type + stream + time, so a redelivery (same body, more
//!   `attempts`) is recognised whether `webhookId` names the event or the endpoint.
//! - `data.streamKey` and `data.rtmpUrl` are credentials: the wire structs have no field for them.
//!
//! Authentication: `FastPix-Signature` is base64(HMAC-SHA256(key, raw body)), where the key is
//! the base64-decoded `FASTPIX_WEBHOOK_SECRET`. FastPix sends no timestamp, so replays are caught
//! by event de-duplication, not here.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Map;

use super::json::{from_json, Text};
use super::live_stream::{self, Lifecycle};
use super::shape::{provider_time, stream_key, Inbound, ParseError, Parsed, Provider};
use crate::ingest::auth::{hmac_sha256, hmac_sha256_matches, AuthError, Secret};
use crate::ingest::event::{Event, Kind, ProviderId, StreamKey, TimeSource};
use crate::ingest::settings::{Setting, Settings};
use crate::text::Decimal;
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("fastpix");
pub const SECRET: &str = "FASTPIX_WEBHOOK_SECRET";
const HEADER: &str = "FastPix-Signature";

/// FastPix live stream events: `POST /webhooks/fastpix`.
pub static FASTPIX: Provider = Provider {
    id: ID,
    route: "fastpix",
    title: "FastPix",
    token_in_path: false,
    settings: &[Setting::required(SECRET)],
    auth_headers: None,
    auth_body: Some(|s, req, body| verify(s.get(SECRET), (req.header)(HEADER).as_deref(), body)),
    probe: Some(is_probe),
    check_settings: Some(check_secret),
    parse,
    reply: None,
    answers_first: false,
};

/// The secret must be base64: the signing key is what it decodes to.
fn check_secret(s: &Settings) -> Result<Map<String, serde_json::Value>, String> {
    let secret = s.get(SECRET).ok_or(format!("{SECRET} is not set"))?;
    signing_key(secret).map_err(|_| format!("{SECRET} is not valid base64"))?;
    Ok(Map::new())
}

/// When a webhook URL is added, FastPix's dashboard checks it with an unsigned, empty or `{}`
/// body, and activates the webhook only if it gets a 200 (FastPix's SDK documentation; the
/// secret may not even be configured yet). Such a body carries nothing to act on.
fn is_probe(req: &Inbound<'_>, body: &[u8]) -> bool {
    (req.header)(HEADER).is_none() && matches!(body.trim_ascii(), b"" | b"{}")
}

/// The signing key: the dashboard's secret is base64; the HMAC key is its decoded bytes.
pub fn signing_key(secret: &Secret) -> Result<Vec<u8>, AuthError> {
    STANDARD
        .decode(secret.expose().trim())
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or(AuthError::NotConfigured(
            "FASTPIX_WEBHOOK_SECRET (as base64)",
        ))
}

/// Checks `FastPix-Signature` over the raw body.
pub fn verify(secret: Option<&Secret>, header: Option<&str>, body: &[u8]) -> Result<(), AuthError> {
    let secret = secret.ok_or(AuthError::NotConfigured(SECRET))?;
    let key = signing_key(secret)?;
    let header = header.ok_or(AuthError::Missing("FastPix-Signature header"))?;
    let invalid = AuthError::Invalid("FastPix-Signature header");
    let sig = STANDARD
        .decode(header.trim())
        .map_err(|_| invalid.clone())?;
    if hmac_sha256_matches(&key, &[body], &sig) {
        Ok(())
    } else {
        Err(invalid)
    }
}

/// A FastPix signature (tests, benchmarks and the load generator use it).
pub fn sign(key: &[u8], body: &[u8]) -> Option<String> {
    Some(STANDARD.encode(hmac_sha256(key, &[body])?))
}

/// What livehook reads of an event; only `type` is required. `id` and `createdAt` are FastPix's
/// current envelope (its SDK's documentation): the event id, the one to de-duplicate on, and
/// `createdAt` in place of `created_at`.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "type")]
    event_type: Text<'a>,
    #[serde(default, borrow, rename = "webhookId")]
    webhook_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    object: Option<Object<'a>>,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default, borrow)]
    created_at: Option<Text<'a>>,
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
    #[serde(default, borrow, rename = "createdAt")]
    created_at_camel: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Object<'a> {
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
}

/// `data.streamKey` and `data.rtmpUrl` are credentials: not read.
#[derive(Deserialize, Default)]
struct Data<'a> {
    #[serde(default, borrow, rename = "streamId")]
    stream_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
    #[serde(default, borrow, rename = "simulcastId")]
    simulcast_id: Option<Text<'a>>,
    #[serde(default, borrow, rename = "livestreamId")]
    livestream_id: Option<Text<'a>>,
}

const PREFIX: &str = "video.live_stream.";
const UNKNOWN: &str = "unknown FastPix live stream event type";

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let e: Envelope = from_json(ID, body)?;
    let data = e.data.unwrap_or_default();
    let status = data.status.as_deref();
    let event_type = &*e.event_type;
    let Some(name) = event_type.strip_prefix(PREFIX) else {
        return Ok(Parsed::ignored(event_type, "not a live stream event", None));
    };
    // The live stream an ignored event still names, for its history.
    let named = || {
        data.stream_id
            .as_deref()
            .and_then(|id| StreamKey::new(ID, Kind::LiveInput, id))
    };
    // (kind, state, recording)
    let (kind, state, recording) = match name.strip_prefix("simulcast_target.") {
        Some(target) => match live_stream::simulcast_target(target) {
            Some(state) => (Kind::SimulcastTarget, state, None),
            None => return Ok(Parsed::ignored(event_type, UNKNOWN, named())),
        },
        None => match live_stream::live_stream(name, status) {
            Lifecycle::State(state, recording) => (Kind::LiveInput, state, recording),
            Lifecycle::NoStatus => {
                return Ok(Parsed::ignored(
                    event_type,
                    "no recognisable data.status",
                    named(),
                ))
            }
            Lifecycle::Unknown => return Ok(Parsed::ignored(event_type, UNKNOWN, named())),
        },
    };
    let object_id = e.object.as_ref().and_then(|o| o.id.as_deref());
    let (id, field, parent_id) = match kind {
        Kind::SimulcastTarget => (
            data.simulcast_id.as_deref(),
            "data.simulcastId",
            data.livestream_id.as_deref().or(object_id),
        ),
        _ => (
            data.stream_id
                .as_deref()
                .or(data.id.as_deref())
                .or(object_id),
            "data.streamId",
            None,
        ),
    };
    let id = id.ok_or_else(|| ParseError::missing(ID, field))?;
    let stream = stream_key(ID, kind, id, field)?;
    if let Some(p) = parent_id {
        stream_key(ID, Kind::LiveInput, p, "data.livestreamId")?;
    }
    let (occurred_at, time_source) = match (e.created_at.as_deref(), e.created_at_camel.as_deref())
    {
        (Some(t), _) => (provider_time(t, "created_at")?, TimeSource::Provider),
        (None, Some(t)) => (provider_time(t, "createdAt")?, TimeSource::Provider),
        (None, None) => (received_at, TimeSource::Receipt),
    };
    // `{webhookId or id or -}|{type}|{stream}|{occurred_at}`, the stream as its `Display`
    // writes it.
    let event_id = [
        e.webhook_id.or(e.id).as_deref().unwrap_or("-"),
        "|",
        event_type,
        "|",
        ID.as_str(),
        ":",
        kind.as_str(),
        ":",
        &stream.id,
        "|",
        &Decimal::new(occurred_at),
    ]
    .concat();
    Ok(Parsed::Event(Box::new(Event {
        parent_id: parent_id.map(str::to_owned),
        recording,
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

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Parsed};
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;

    // A fixed vector, computed independently with:
    //   printf '%s' '{"type":"video.live_stream.active"}' |
    //     openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf 'livehook-fastpix-test-key' | xxd -p) -binary | base64
    const FP_SECRET_B64: &str = "bGl2ZWhvb2stZmFzdHBpeC10ZXN0LWtleQ==";
    const FP_BODY: &[u8] = br#"{"type":"video.live_stream.active"}"#;
    const FP_SIG: &str = "cn/B3sWxAttTPGphXyFtUWddvuu1qCvWq3Cz5QqSl50=";

    #[test]
    fn fastpix_signature_matches_the_fixed_vector() {
        let s = secret(FP_SECRET_B64);
        assert_eq!(verify(s.as_ref(), Some(FP_SIG), FP_BODY), Ok(()));
        let key = signing_key(s.as_ref().unwrap()).unwrap();
        assert_eq!(key, b"livehook-fastpix-test-key");
        assert_eq!(sign(&key, FP_BODY).as_deref(), Some(FP_SIG));
    }

    #[test]
    fn fastpix_rejects_every_forgery() {
        let s = secret(FP_SECRET_B64);
        let wrong_key = sign(b"another-key", FP_BODY).unwrap();
        let truncated = &FP_SIG[..20];
        let invalid = Err(AuthError::Invalid("FastPix-Signature header"));
        assert_eq!(verify(s.as_ref(), Some(&wrong_key), FP_BODY), invalid);
        assert_eq!(verify(s.as_ref(), Some(truncated), FP_BODY), invalid);
        assert_eq!(verify(s.as_ref(), Some("not base64!"), FP_BODY), invalid);
        assert_eq!(verify(s.as_ref(), Some(""), FP_BODY), invalid);
        assert_eq!(
            verify(s.as_ref(), Some(FP_SIG), b"{\"type\":\"x\"}"),
            invalid
        );
        assert_eq!(
            verify(s.as_ref(), None, FP_BODY),
            Err(AuthError::Missing("FastPix-Signature header"))
        );
        assert_eq!(
            verify(None, Some(FP_SIG), FP_BODY),
            Err(AuthError::NotConfigured("FASTPIX_WEBHOOK_SECRET"))
        );
        // A secret that is not base64 cannot be a FastPix signing secret: fail closed.
        assert!(matches!(
            verify(secret("not*base64").as_ref(), Some(FP_SIG), FP_BODY),
            Err(AuthError::NotConfigured(_))
        ));
    }

    const STREAM: &str = "a0ba2bf6-fe6b-441c-a9be-bf910d223218";
    const TARGET: &str = "314a486a-3dc7-4cf5-9fcc-1708a4683f21";

    fn event(name: &str) -> Event {
        fixture_event(&FASTPIX, name, 7)
    }

    #[test]
    fn all_fourteen_seed_events_normalize() {
        use crate::ingest::event::State::*;
        let table = [
            (
                "live-stream-created.json",
                Kind::LiveInput,
                Created,
                Some(false),
            ),
            (
                "live-stream-connected.json",
                Kind::LiveInput,
                Connected,
                None,
            ),
            (
                "live-stream-recording.json",
                Kind::LiveInput,
                Live,
                Some(true),
            ),
            ("live-stream-active.json", Kind::LiveInput, Live, None),
            (
                "live-stream-disconnected.json",
                Kind::LiveInput,
                Disconnected,
                Some(false),
            ),
            ("live-stream-idle.json", Kind::LiveInput, Idle, Some(false)),
            ("live-stream-updated.json", Kind::LiveInput, Idle, None),
            ("live-stream-enabled.json", Kind::LiveInput, Idle, None),
            (
                "live-stream-disabled.json",
                Kind::LiveInput,
                Disabled,
                Some(false),
            ),
            (
                "live-stream-deleted.json",
                Kind::LiveInput,
                Deleted,
                Some(false),
            ),
            (
                "simulcast-target-created.json",
                Kind::SimulcastTarget,
                Created,
                None,
            ),
            (
                "simulcast-target-starting.json",
                Kind::SimulcastTarget,
                Connected,
                None,
            ),
            (
                "simulcast-target-broadcasting.json",
                Kind::SimulcastTarget,
                Live,
                None,
            ),
            (
                "simulcast-target-deleted.json",
                Kind::SimulcastTarget,
                Deleted,
                None,
            ),
        ];
        assert_eq!(table.len(), fixtures("fastpix").len());
        for (name, kind, state, recording) in table {
            let e = event(name);
            assert_eq!(
                (e.stream.kind, e.state, e.recording),
                (kind, state, recording),
                "{name}"
            );
            assert_eq!(e.time_source, TimeSource::Provider, "{name}");
            assert!(e.event_type.starts_with(PREFIX), "{name}");
            let want_id = if kind == Kind::SimulcastTarget {
                TARGET
            } else {
                STREAM
            };
            assert_eq!(e.stream.id, want_id, "{name}");
        }
    }

    #[test]
    fn the_disconnected_event_reads_its_id_from_data_id() {
        assert_eq!(event("live-stream-disconnected.json").stream.id, STREAM);
    }

    #[test]
    fn simulcast_targets_know_their_live_stream() {
        let e = event("simulcast-target-broadcasting.json");
        assert_eq!(e.parent_id.as_deref(), Some(STREAM));
        assert_eq!(
            e.stream.kv_key(),
            format!("status:fastpix:simulcast_target:{TARGET}")
        );
    }

    #[test]
    fn event_time_is_created_at() {
        assert_eq!(
            event("live-stream-active.json").occurred_at,
            crate::time::parse_rfc3339("2023-12-06T09:12:13.808Z").unwrap()
        );
    }

    #[test]
    fn stream_keys_never_reach_the_event() {
        for (name, body) in fixtures("fastpix") {
            let Parsed::Event(e) = parse_any(&FASTPIX, &body, 0).unwrap() else {
                panic!("{name}")
            };
            let dbg = format!("{e:?}{}", serde_json::to_string(&e).unwrap());
            for secret in [
                "fpx-live-sk-DO-NOT-LEAK",
                "81ta-sr0p-hrpr-t5tt-6bed",
                "DuM8W004MoZY",
            ] {
                assert!(!dbg.contains(secret), "{name} leaks {secret}");
            }
        }
    }

    #[test]
    fn a_redelivery_with_more_attempts_has_the_same_event_id() {
        let body = fixture("fastpix", "live-stream-active.json");
        let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["attempts"] = serde_json::json!([{"status": 500}]);
        let again = serde_json::to_vec(&v).unwrap();
        let Parsed::Event(a) = parse_any(&FASTPIX, &body, 0).unwrap() else {
            panic!()
        };
        let Parsed::Event(b) = parse_any(&FASTPIX, &again, 0).unwrap() else {
            panic!()
        };
        assert_eq!(a.event_id, b.event_id);
    }

    #[test]
    fn unknown_and_foreign_types_are_ignored() {
        for t in ["video.live_stream.teleported", "video.media.created"] {
            let body = format!(r#"{{"type":"{t}","data":{{}}}}"#);
            let got = parse_any(&FASTPIX, body.as_bytes(), 0).unwrap();
            assert!(matches!(got, Parsed::Ignored { .. }), "{t}: {got:?}");
        }
    }

    #[test]
    fn updated_without_a_known_status_is_ignored() {
        let body = br#"{"type":"video.live_stream.updated","data":{"streamId":"abc","status":"weird"},"created_at":"2023-12-06T09:12:28.808Z"}"#;
        let got = parse_any(&FASTPIX, body, 0).unwrap();
        assert!(matches!(got, Parsed::Ignored { .. }), "{got:?}");
    }

    #[test]
    fn missing_id_bad_id_and_bad_time_are_refused() {
        let no_id = br#"{"type":"video.live_stream.active","data":{}}"#;
        assert!(matches!(
            parse_any(&FASTPIX, no_id, 0),
            Err(ParseError::Shape { .. })
        ));
        let bad_id = br#"{"type":"video.live_stream.active","data":{"streamId":"a b"}}"#;
        assert_eq!(
            parse_any(&FASTPIX, bad_id, 0),
            Err(ParseError::InvalidId {
                field: "data.streamId"
            })
        );
        let bad_time =
            br#"{"type":"video.live_stream.active","data":{"streamId":"ab"},"created_at":"noon"}"#;
        assert_eq!(
            parse_any(&FASTPIX, bad_time, 0),
            Err(ParseError::InvalidTime {
                field: "created_at"
            })
        );
        let no_type = br#"{"data":{"streamId":"ab"}}"#;
        assert!(matches!(
            parse_any(&FASTPIX, no_type, 0),
            Err(ParseError::Shape { .. })
        ));
    }

    #[test]
    fn the_dashboard_s_unsigned_empty_probe_is_a_probe_and_nothing_else_is() {
        fn none(_: &str) -> Option<String> {
            None
        }
        fn signed(_: &str) -> Option<String> {
            Some("c2ln".to_owned())
        }
        fn req(h: &'static dyn Fn(&str) -> Option<String>) -> Inbound<'static> {
            Inbound {
                header: h,
                path_token: None,
                now_s: 0,
            }
        }
        for body in [&b""[..], b"{}", b" {}\n", b"\n"] {
            assert!(FASTPIX.is_probe(&req(&none), body), "{body:?}");
            assert!(!FASTPIX.is_probe(&req(&signed), body), "signed: {body:?}");
        }
        for body in [
            &b"{ }"[..],
            b"[]",
            b"{\"type\":\"video.live_stream.active\"}",
        ] {
            assert!(!FASTPIX.is_probe(&req(&none), body), "{body:?}");
        }
    }

    #[test]
    fn the_current_envelope_with_id_and_created_at_in_camel_case_is_read_too() {
        let body = br#"{"type":"video.live_stream.idle","id":"evt-1","object":{"type":"live","id":"s1"},
            "data":{"streamId":"s1","status":"idle"},"createdAt":"2026-06-22T12:38:29.375Z","attempts":[]}"#;
        let Ok(Parsed::Event(e)) = parse_any(&FASTPIX, body, 7) else {
            panic!("an event")
        };
        assert_eq!(e.state, crate::ingest::event::State::Idle);
        assert_eq!(e.time_source, TimeSource::Provider);
        assert_eq!(
            crate::time::format_rfc3339(e.occurred_at),
            "2026-06-22T12:38:29.375Z"
        );
        assert!(e.event_id.starts_with("evt-1|"), "{}", e.event_id);
        // The same event with another id is another delivery; with the same id, a duplicate key.
        let again = parse_any(&FASTPIX, body, 9).unwrap();
        assert_eq!(again, Parsed::Event(e));
    }
}
