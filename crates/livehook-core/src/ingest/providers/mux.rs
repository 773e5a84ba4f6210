//! Mux Video live streams: `POST /webhooks/mux`. The envelope is
//! `{type, id, created_at, object{type,id}, environment{name,id}, data, attempts, …}`; `id` is
//! the event's and stays the same on every retry (`attempts` grows).
//!
//! - `video.live_stream.{created, connected, recording, active, disconnected, idle, updated,
//!   enabled, disabled, deleted}`: the live stream (`data.id`, else `object.id`) goes through
//!   the lifecycle Mux defined (`live_stream.rs`, which FastPix follows too).
//! - `video.live_stream.warning`: a warning raised on a stream that goes on (`data.warning.type`
//!   and `.message`); an alert. The next state event ends it (Mux sends no "cleared").
//! - `video.live_stream.simulcast_target.*`: the restream target is its own record (kind
//!   `simulcast_target`, id `data.id`, parent `data.live_stream_id`): created, idle, starting,
//!   broadcasting, deleted, `updated` from its `data.status`, and `errored` with its
//!   `data.error_severity` (an alert).
//! - Other types (`video.asset.*`, …) are acknowledged and ignored.
//! - Event time: `created_at`. De-duplication key: the event `id`.
//! - `data.stream_key`, `data.srt_passphrase` and a target's `url` and `stream_key` are
//!   credentials: the wire structs have no field for them.
//!
//! Authentication: `Mux-Signature: t=<unix s>,v1=<hex>`, v1 = HMAC-SHA256(`MUX_WEBHOOK_SECRET`
//! as the dashboard shows it, `"{t}.{raw body}"`); several `v1` may be sent; a `t` more than
//! 300 s from now is refused (Mux's own SDK allows 300 s).

use serde::Deserialize;

use super::json::{from_json, Text};
use super::live_stream::{self, Lifecycle};
use super::shape::{provider_time, stream_key, ParseError, Parsed, Provider};
use crate::ingest::auth::{AuthError, Secret, TimedSignature};
use crate::ingest::event::{
    ErrorInfo, Event, Kind, ProviderId, State, StreamKey, TimeSource, WarningChange, WarningInfo,
};
use crate::ingest::settings::Setting;

pub const ID: ProviderId = ProviderId::new("mux");
pub const SECRET: &str = "MUX_WEBHOOK_SECRET";
const HEADER: &str = "Mux-Signature";
/// How far a signed time may be from now.
pub const TOLERANCE_S: u64 = 300;

/// `Mux-Signature: t=<unix s>,v1=<hex>`.
pub const SCHEME: TimedSignature = TimedSignature {
    header: "Mux-Signature header",
    stale: "Mux-Signature time",
    time_key: "t",
    sig_key: "v1",
    tolerance_s: TOLERANCE_S,
};

/// Mux live stream and simulcast target events: `POST /webhooks/mux`.
pub static MUX: Provider = Provider {
    id: ID,
    route: "mux",
    title: "Mux",
    token_in_path: false,
    settings: &[Setting::required(SECRET)],
    auth_headers: None,
    auth_body: Some(|s, req, body| {
        verify(
            s.get(SECRET),
            (req.header)(HEADER).as_deref(),
            body,
            req.now_s,
        )
    }),
    probe: None,
    check_settings: None,
    parse: |body, _received_at| parse(body),
    reply: None,
    answers_first: false,
};

/// Checks `Mux-Signature` over the raw body at `now_s`.
pub fn verify(
    secret: Option<&Secret>,
    header: Option<&str>,
    body: &[u8],
    now_s: u64,
) -> Result<(), AuthError> {
    SCHEME.verify(
        secret.ok_or(AuthError::NotConfigured(SECRET))?,
        header,
        body,
        now_s,
    )
}

/// A `Mux-Signature` header for `body` at `time` (tests, the load generator).
pub fn sign(secret: &str, time: u64, body: &[u8]) -> Option<String> {
    SCHEME.sign(secret, time, body)
}

/// What livehook reads of an event (never a key or a URL); the first three fields required.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "type")]
    event_type: Text<'a>,
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    created_at: Text<'a>,
    #[serde(default, borrow)]
    object: Option<Object<'a>>,
    #[serde(default, borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Object<'a> {
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
}

#[derive(Deserialize, Default)]
struct Data<'a> {
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
    #[serde(default, borrow)]
    live_stream_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    error_severity: Option<Text<'a>>,
    #[serde(default, borrow)]
    warning: Option<Warning<'a>>,
    #[serde(default, borrow)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize)]
struct Warning<'a> {
    #[serde(default, borrow, rename = "type")]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    message: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    title: Option<Text<'a>>,
}

const PREFIX: &str = "video.live_stream.";
const TARGET_PREFIX: &str = "video.live_stream.simulcast_target.";
const UNKNOWN: &str = "unknown Mux live stream event type";

fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let e: Envelope = from_json(ID, body)?;
    let (event_type, data) = (&*e.event_type, &e.data);
    let Some(name) = event_type.strip_prefix(PREFIX) else {
        return Ok(Parsed::ignored(event_type, "not a live stream event", None));
    };
    let status = data.status.as_deref();
    let (event_id, created_at) = (&*e.id, &*e.created_at);
    if let Some(target) = event_type.strip_prefix(TARGET_PREFIX) {
        let id = data
            .id
            .as_deref()
            .ok_or_else(|| ParseError::missing(ID, "data.id"))?;
        let stream = stream_key(ID, Kind::SimulcastTarget, id, "data.id")?;
        let parent = match data.live_stream_id.as_deref() {
            Some(p) => Some(stream_key(ID, Kind::LiveInput, p, "data.live_stream_id")?.id),
            None => None,
        };
        // `updated` says nothing but the target's status now.
        let name = if target == "updated" {
            status.unwrap_or("")
        } else {
            target
        };
        let (state, error) = match (name, live_stream::simulcast_target(name)) {
            ("errored", _) => (
                State::Errored,
                Some(target_error(data.error_severity.as_deref())),
            ),
            (_, Some(state)) => (state, None),
            _ => return Ok(Parsed::ignored(event_type, UNKNOWN, Some(stream))),
        };
        return event(event_type, event_id, created_at, stream, state)
            .map(|e| Event {
                parent_id: parent,
                error,
                ..e
            })
            .map(Box::new)
            .map(Parsed::Event);
    }
    let object_id = e.object.as_ref().and_then(|o| o.id.as_deref());
    let id = data
        .id
        .as_deref()
        .or(object_id)
        .ok_or_else(|| ParseError::missing(ID, "data.id"))?;
    let stream = stream_key(ID, Kind::LiveInput, id, "data.id")?;
    let name_of = data
        .meta
        .as_ref()
        .and_then(|m| m.title.as_deref())
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    if name == "warning" {
        let warning = data.warning.as_ref();
        let warning = WarningInfo {
            code: warning
                .and_then(|w| w.kind.as_deref())
                .filter(|k| !k.is_empty())
                .unwrap_or("warning")
                .to_owned(),
            message: warning
                .and_then(|w| w.message.as_deref())
                .unwrap_or_default()
                .to_owned(),
        };
        // Only an assumption for a stream livehook has not heard of: Mux warns about broadcasts.
        let assume = live_stream::status_state(status).unwrap_or(State::Live);
        return event(event_type, event_id, created_at, stream, assume)
            .map(|e| Event {
                keeps_state: true,
                warning: Some(WarningChange::Raised(warning)),
                name: name_of,
                ..e
            })
            .map(Box::new)
            .map(Parsed::Event);
    }
    let (state, recording) = match live_stream::live_stream(name, status) {
        Lifecycle::State(state, recording) => (state, recording),
        Lifecycle::NoStatus => {
            return Ok(Parsed::ignored(
                event_type,
                "no recognisable data.status",
                Some(stream),
            ))
        }
        Lifecycle::Unknown => return Ok(Parsed::ignored(event_type, UNKNOWN, Some(stream))),
    };
    event(event_type, event_id, created_at, stream, state)
        .map(|e| Event {
            recording,
            name: name_of,
            ..e
        })
        .map(Box::new)
        .map(Parsed::Event)
}

/// The event every Mux message starts as: its type, id and time, for `stream` in `state`.
fn event(
    event_type: &str,
    event_id: &str,
    created_at: &str,
    stream: StreamKey,
    state: State,
) -> Result<Event, ParseError> {
    Ok(Event::state_change(
        stream,
        state,
        event_type.to_owned(),
        event_id.to_owned(),
        provider_time(created_at, "created_at")?,
        TimeSource::Provider,
    ))
}

/// An errored simulcast target: Mux says only how bad it is.
fn target_error(severity: Option<&str>) -> ErrorInfo {
    let severity = severity.filter(|s| !s.is_empty());
    let (message, hint) = match severity {
        Some("fatal") => (
            "The target is incompatible with the live stream's current input: Mux stops trying \
             it for this broadcast.",
            "Check what the third-party service accepts (codec, resolution, bitrate, protocol) \
             against the encoder's settings; it will be tried again on the next broadcast.",
        ),
        _ => (
            "The target could not connect to the third-party service, or lost its connection: \
             Mux keeps trying and it may go back to broadcasting.",
            "Check the target's URL and stream key on the third-party service, and that the \
             service is up.",
        ),
    };
    ErrorInfo {
        code: ["simulcast_target_errored:", severity.unwrap_or("normal")].concat(),
        message: message.to_owned(),
        hint: hint.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::shape::parse as parse_any;
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;
    use crate::ordering::StreamLedger;

    const STREAM: &str = "QrikEQpEXp3RvklQSHyHSYOakQkXlRId";
    const TARGET: &str = "vuOfW021mz5QA500wYEQ9SeUYvuYnpFz011mqSvski5T8claN02JN9ve2g";
    const SECRET_VALUE: &str = "mux-test-signing-secret";

    fn event(name: &str) -> Event {
        fixture_event(&MUX, name, 7)
    }

    #[test]
    fn signatures_match_vectors_made_with_openssl() {
        // printf '%s.' 1732352400 | cat - tests/fixtures/mux/live-stream-active.json |
        //   openssl dgst -sha256 -mac HMAC -macopt key:mux-test-signing-secret
        let body = fixture("mux", "live-stream-active.json");
        let header = sign(SECRET_VALUE, 1_732_352_400, &body).unwrap();
        assert_eq!(
            header,
            "t=1732352400,v1=0360354f5b68b1a2eeff8732114cfc670d5dbb1e65a941019885e626c175332c"
        );
        let s = secret(SECRET_VALUE);
        assert_eq!(
            verify(s.as_ref(), Some(&header), &body, 1_732_352_500),
            Ok(())
        );
        // Several v1 (a secret being rolled): one match is enough, in any position.
        let v1 = header.split_once(",v1=").unwrap().1;
        let two = format!("t=1732352400,v1={},v1={v1}", "0".repeat(64));
        assert_eq!(verify(s.as_ref(), Some(&two), &body, 1_732_352_500), Ok(()));
    }

    #[test]
    fn forgeries_replays_and_missing_parts_are_refused() {
        let body = fixture("mux", "live-stream-warning.json");
        let s = secret(SECRET_VALUE);
        let t = 1_700_000_000;
        let good = sign(SECRET_VALUE, t, &body).unwrap();
        let invalid = Err(AuthError::Invalid("Mux-Signature header"));
        assert_eq!(verify(s.as_ref(), Some(&good), &body, t), Ok(()));
        assert_eq!(verify(s.as_ref(), Some(&good), b"{}", t), invalid);
        let other = sign("another-secret", t, &body).unwrap();
        assert_eq!(verify(s.as_ref(), Some(&other), &body, t), invalid);
        let moved = good.replacen("t=1700000000", "t=1700000001", 1);
        assert_eq!(verify(s.as_ref(), Some(&moved), &body, t), invalid);
        assert_eq!(
            verify(s.as_ref(), Some(&good), &body, t + TOLERANCE_S + 1),
            Err(AuthError::Invalid("Mux-Signature time"))
        );
        assert_eq!(
            verify(s.as_ref(), Some(&good), &body, t - TOLERANCE_S - 1),
            Err(AuthError::Invalid("Mux-Signature time"))
        );
        for bad in [
            "",
            "v1=00",
            "t=x,v1=00",
            "t=1700000000",
            "t=1700000000,v0=00",
        ] {
            assert!(verify(s.as_ref(), Some(bad), &body, t).is_err(), "{bad}");
        }
        assert_eq!(
            verify(s.as_ref(), None, &body, t),
            Err(AuthError::Missing("Mux-Signature header"))
        );
        assert_eq!(
            verify(None, Some(&good), &body, t),
            Err(AuthError::NotConfigured(SECRET))
        );
    }

    #[test]
    fn every_live_stream_event_follows_the_lifecycle() {
        use State::*;
        let table = [
            ("live-stream-created.json", Created, Some(false)),
            ("live-stream-connected.json", Connected, None),
            ("live-stream-recording.json", Connected, Some(true)),
            ("live-stream-active.json", Live, None),
            ("live-stream-disconnected.json", Disconnected, Some(false)),
            ("live-stream-idle.json", Idle, Some(false)),
            ("live-stream-updated.json", Idle, None),
            ("live-stream-disabled.json", Disabled, Some(false)),
            ("live-stream-enabled.json", Idle, None),
            ("live-stream-deleted.json", Deleted, Some(false)),
        ];
        for (name, state, recording) in table {
            let e = event(name);
            assert_eq!((e.state, e.recording), (state, recording), "{name}");
            assert_eq!(e.stream.kind, Kind::LiveInput, "{name}");
            assert_eq!(e.stream.id, STREAM, "{name}");
            assert!(!e.keeps_state, "{name}");
            assert_eq!(e.name.as_deref(), Some("Main stage"), "{name}");
        }
        let active = event("live-stream-active.json");
        assert_eq!(active.occurred_at, 1_732_353_007_900_000_000);
        assert_eq!(active.event_type, "video.live_stream.active");
        let body: serde_json::Value =
            serde_json::from_slice(&fixture("mux", "live-stream-active.json")).unwrap();
        assert_eq!(active.event_id, body["id"].as_str().unwrap());
    }

    #[test]
    fn a_warning_keeps_the_state_is_an_alert_and_ends_with_the_broadcast() {
        let w = event("live-stream-warning.json");
        assert!(w.keeps_state);
        let raised = w.raised_warning().unwrap();
        assert_eq!(raised.code, "slate_download_failed");
        assert!(raised.message.contains("reconnect_slate_url"));
        let mut st = StreamLedger::default();
        st.apply(&event("live-stream-active.json"), 0, &[]);
        assert!(st.apply(&w, 0, &[]).alert_queued);
        let rec = st.record.clone().unwrap();
        assert_eq!(rec.state, State::Live);
        assert_eq!(
            rec.warning.as_ref().map(|w| w.code.as_str()),
            Some("slate_download_failed")
        );
        st.apply(&event("live-stream-disconnected.json"), 0, &[]);
        assert_eq!(st.record.unwrap().warning, None);
    }

    #[test]
    fn simulcast_targets_are_their_own_records_with_their_live_stream_as_parent() {
        use State::*;
        let table = [
            ("simulcast-target-created.json", Created),
            ("simulcast-target-starting.json", Connected),
            ("simulcast-target-broadcasting.json", Live),
            ("simulcast-target-errored.json", Errored),
            ("simulcast-target-updated.json", Live),
            ("simulcast-target-idle.json", Idle),
            ("simulcast-target-deleted.json", Deleted),
        ];
        for (name, state) in table {
            let e = event(name);
            assert_eq!(e.state, state, "{name}");
            assert_eq!(e.stream.kind, Kind::SimulcastTarget, "{name}");
            assert_eq!(e.stream.id, TARGET, "{name}");
            assert_eq!(e.parent_id.as_deref(), Some(STREAM), "{name}");
        }
        let err = event("simulcast-target-errored.json").error.unwrap();
        assert_eq!(err.code, "simulcast_target_errored:normal");
        assert!(err.hint.contains("stream key"), "{}", err.hint);
        let fatal = String::from_utf8(fixture("mux", "simulcast-target-errored.json"))
            .unwrap()
            .replace("\"normal\"", "\"fatal\"");
        let Ok(Parsed::Event(e)) = parse_any(&MUX, fatal.as_bytes(), 0) else {
            panic!("a fatal target error is an event")
        };
        assert_eq!(e.error.unwrap().code, "simulcast_target_errored:fatal");
    }

    #[test]
    fn credentials_are_never_read_and_other_types_are_acknowledged() {
        for (name, body) in fixtures("mux") {
            let got = format!("{:?}", parse_any(&MUX, &body, 0));
            for secret in ["FAKE-DO-NOT-LEAK", "rtmp://"] {
                assert!(!got.contains(secret), "{name}: {got}");
            }
        }
        let asset = parse_any(&MUX, &fixture("mux", "asset-ready.json"), 0).unwrap();
        assert!(
            matches!(asset, Parsed::Ignored { stream: None, .. }),
            "{asset:?}"
        );
        let odd = String::from_utf8(fixture("mux", "live-stream-active.json"))
            .unwrap()
            .replace("video.live_stream.active", "video.live_stream.teleported");
        assert!(matches!(
            parse_any(&MUX, odd.as_bytes(), 0),
            Ok(Parsed::Ignored {
                stream: Some(_),
                ..
            })
        ));
        let no_status = String::from_utf8(fixture("mux", "live-stream-updated.json"))
            .unwrap()
            .replace("\"status\": \"idle\"", "\"status\": \"melting\"");
        assert!(matches!(
            parse_any(&MUX, no_status.as_bytes(), 0),
            Ok(Parsed::Ignored {
                reason: "no recognisable data.status",
                ..
            })
        ));
    }

    #[test]
    fn bad_ids_and_times_are_refused() {
        let body = String::from_utf8(fixture("mux", "live-stream-active.json")).unwrap();
        let bad_id = body.replace(STREAM, "../x");
        assert_eq!(
            parse_any(&MUX, bad_id.as_bytes(), 0),
            Err(ParseError::InvalidId { field: "data.id" })
        );
        let bad_time = body.replace("2024-11-23T09:10:07.900000Z", "soon");
        assert_eq!(
            parse_any(&MUX, bad_time.as_bytes(), 0),
            Err(ParseError::InvalidTime {
                field: "created_at"
            })
        );
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("mux") {
            assert!(parse_any(&MUX, &body, 0).is_ok(), "{name}");
        }
    }
}
