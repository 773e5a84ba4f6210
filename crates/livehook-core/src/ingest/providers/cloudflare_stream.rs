//! Cloudflare Stream's video webhook: `POST /webhooks/cloudflare-stream`. The body is the video
//! object itself (`uid`, `status{state, pctComplete, errorReasonCode|errReasonCode,
//! errorReasonText|errReasonText}`, `liveInput`, `modified`, `meta`, …): no envelope, no event id.
//! Records are Cloudflare's (`cloudflare`, the same account as the live inputs), kind `video`,
//! id `uid`: `GET /streams/cloudflare/{uid}?kind=video`.
//!
//! - `pendingupload` → created; `downloading`, `queued`, `inprogress`, `live-inprogress` →
//!   processing; `ready` → ready; `error` → errored with its code, text and a hint (an alert).
//!   Stream documents the webhook as sent once processing finishes (`ready` or `error`); the
//!   others are accepted the same way should they come.
//! - Event time: `modified`. De-duplication key: uid, state and `modified` (a redelivery is the
//!   same body).
//! - A recording names its live input (`liveInput`): the video's record has it as `parent_id`,
//!   and the live input's record learns its latest recording (a second event, for the input,
//!   that keeps its state).
//!
//! Authentication: `Webhook-Signature: time=<unix s>,sig1=<hex>`, where sig1 is
//! HMAC-SHA256(`CF_STREAM_WEBHOOK_SECRET` as given by the API, `"{time}.{raw body}"`); a time
//! more than 300 s from now is refused (a replay).

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::json::{from_json, Text};
use super::shape::{provider_time, stream_key, ParseError, Parsed, Provider};
use crate::ingest::auth::{AuthError, Secret, TimedSignature};
use crate::ingest::event::{ErrorInfo, Event, Kind, ProviderId, State, TimeSource};
use crate::ingest::settings::Setting;
use crate::text::Decimal;

/// The records' provider: Cloudflare, as for live inputs.
pub const ID: ProviderId = ProviderId::new("cloudflare");
pub const SECRET: &str = "CF_STREAM_WEBHOOK_SECRET";
const HEADER: &str = "Webhook-Signature";
/// How far a signed time may be from now.
pub const TOLERANCE_S: u64 = 300;

/// Cloudflare Stream video webhooks: `POST /webhooks/cloudflare-stream`.
pub static CLOUDFLARE_STREAM: Provider = Provider {
    id: ID,
    route: "cloudflare-stream",
    title: "Cloudflare Stream",
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

/// `Webhook-Signature: time=<unix s>,sig1=<hex>`.
pub const SCHEME: TimedSignature = TimedSignature {
    header: "Webhook-Signature header",
    stale: "Webhook-Signature time",
    time_key: "time",
    sig_key: "sig1",
    tolerance_s: TOLERANCE_S,
};

/// Checks `Webhook-Signature` over the raw body at `now_s`.
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

/// A `Webhook-Signature` header for `body` at `time` (tests, the load generator).
pub fn sign(secret: &str, time: u64, body: &[u8]) -> Option<String> {
    SCHEME.sign(secret, time, body)
}

/// What livehook reads of a video (`errReasonCode` and `errReasonText` in older bodies).
#[derive(Deserialize)]
struct Video<'a> {
    #[serde(borrow)]
    uid: Text<'a>,
    #[serde(borrow)]
    status: Status<'a>,
    #[serde(default, borrow)]
    modified: Option<Text<'a>>,
    #[serde(default, borrow, rename = "liveInput")]
    live_input: Option<Text<'a>>,
    #[serde(default, borrow)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow)]
    state: Text<'a>,
    #[serde(default, borrow, rename = "errorReasonCode", alias = "errReasonCode")]
    code: Option<Text<'a>>,
    #[serde(default, borrow, rename = "errorReasonText", alias = "errReasonText")]
    text: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    name: Option<Name<'a>>,
}

/// `meta.name` may be any JSON value; only a string is a name.
#[derive(Deserialize)]
#[serde(untagged)]
enum Name<'a> {
    Text(#[serde(borrow)] Text<'a>),
    Other(IgnoredAny),
}

fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let v: Video = from_json(ID, body)?;
    let uid = &*v.uid;
    let stream = stream_key(ID, Kind::Video, uid, "uid")?;
    let modified = v
        .modified
        .as_deref()
        .ok_or_else(|| ParseError::missing(ID, "modified"))?;
    let occurred_at = provider_time(modified, "modified")?;
    let state_name = &*v.status.state;
    let event_type = ["video.", state_name].concat();
    let (state, error) = match state_name {
        "pendingupload" => (State::Created, None),
        "downloading" | "queued" | "inprogress" | "live-inprogress" => (State::Processing, None),
        "ready" => (State::Ready, None),
        "error" => {
            let code = v
                .status
                .code
                .as_deref()
                .filter(|c| !c.is_empty())
                .unwrap_or("ERR_UNKNOWN");
            (
                State::Errored,
                Some(ErrorInfo {
                    code: code.to_owned(),
                    message: v.status.text.as_deref().unwrap_or_default().to_owned(),
                    hint: hint_for(code).to_owned(),
                }),
            )
        }
        _ => {
            return Ok(Parsed::ignored(
                event_type,
                "unknown Stream video state",
                Some(stream),
            ))
        }
    };
    let parent = match v.live_input.as_deref().filter(|i| !i.is_empty()) {
        Some(input) => Some(stream_key(ID, Kind::LiveInput, input, "liveInput")?),
        None => None,
    };
    let name = match v.meta.and_then(|m| m.name) {
        Some(Name::Text(name)) => Some(name.into_owned()),
        _ => None,
    };
    let time = Decimal::new(occurred_at);
    let event = Event {
        parent_id: parent.as_ref().map(|p| p.id.clone()),
        error,
        name,
        ..Event::state_change(
            stream,
            state,
            event_type,
            // `{uid}|{state}|{occurred_at}`
            [uid, "|", state_name, "|", &time].concat(),
            occurred_at,
            TimeSource::Provider,
        )
    };
    let Some(input) = parent else {
        return Ok(Parsed::Event(Box::new(event)));
    };
    // The live input learns its newest recording; its own state is not the video's business.
    // `{input}|recording|{uid}|{occurred_at}`
    let also_id = [&*input.id, "|recording|", uid, "|", &time].concat();
    let also = Event {
        keeps_state: true,
        latest_recording: Some(event.stream.id.clone()),
        ..Event::state_change(
            input,
            // Only an assumption for an input livehook has not heard of: its broadcast has ended.
            State::Disconnected,
            "video.recording".into(),
            also_id,
            occurred_at,
            TimeSource::Provider,
        )
    };
    Ok(Parsed::Linked {
        event: Box::new(event),
        also: Box::new(also),
    })
}

/// A human hint for each documented video error code.
pub fn hint_for(code: &str) -> &'static str {
    match code {
        "ERR_NON_VIDEO" => "The upload is not a video file: check what was uploaded.",
        "ERR_DURATION_EXCEED_CONSTRAINT" => {
            "The video is longer than the upload's maxDurationSeconds: raise the limit or trim it."
        }
        "ERR_FETCH_ORIGIN_ERROR" => {
            "Stream could not download the video from its URL: check that the URL is public and \
             answers 200."
        }
        "ERR_MALFORMED_VIDEO" => {
            "The file is corrupted or malformed: re-export it (H.264/AAC in MP4 is safest) and \
             upload it again."
        }
        "ERR_DURATION_TOO_SHORT" => "The video is too short to process (under 0.1 s).",
        _ => "Unrecognised video error: see Cloudflare Stream's webhook documentation.",
    }
}

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Parsed};
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;

    fn event(name: &str) -> Event {
        fixture_event(&CLOUDFLARE_STREAM, name, 7)
    }

    const DOCS_SECRET: &str = "85011ed3a913c6ad5f9cf6c5573cc0a7";

    #[test]
    fn signatures_match_vectors_made_with_openssl() {
        // printf '%s.' 1656611602 | cat - tests/fixtures/cloudflare-stream/video-ready.json |
        //   openssl dgst -sha256 -mac HMAC -macopt key:85011ed3a913c6ad5f9cf6c5573cc0a7
        let body = fixture("cloudflare-stream", "video-ready.json");
        let header = sign(DOCS_SECRET, 1_656_611_602, &body).unwrap();
        assert_eq!(
            header,
            "time=1656611602,sig1=9a57e4671585dc4fc55af784421f262e4622d2e4255c927774d7c9753bc64617"
        );
        let s = secret(DOCS_SECRET);
        assert_eq!(
            verify(s.as_ref(), Some(&header), &body, 1_656_611_700),
            Ok(())
        );
    }

    #[test]
    fn forgeries_replays_and_missing_parts_are_refused() {
        let body = fixture("cloudflare-stream", "video-error.json");
        let s = secret(DOCS_SECRET);
        let t = 1_700_000_000;
        let good = sign(DOCS_SECRET, t, &body).unwrap();
        let invalid = Err(AuthError::Invalid("Webhook-Signature header"));
        assert_eq!(verify(s.as_ref(), Some(&good), &body, t), Ok(()));
        assert_eq!(
            verify(s.as_ref(), Some(&good), b"{}", t),
            invalid,
            "another body"
        );
        let other = sign("another-secret", t, &body).unwrap();
        assert_eq!(
            verify(s.as_ref(), Some(&other), &body, t),
            invalid,
            "another secret"
        );
        let cut = &good[..good.len() - 2];
        assert_eq!(
            verify(s.as_ref(), Some(cut), &body, t),
            invalid,
            "truncated"
        );
        // The time is signed: moving it breaks the signature; an old one is a replay.
        let moved = good.replacen("time=1700000000", "time=1700000001", 1);
        assert_eq!(verify(s.as_ref(), Some(&moved), &body, t), invalid);
        assert_eq!(
            verify(s.as_ref(), Some(&good), &body, t + TOLERANCE_S + 1),
            Err(AuthError::Invalid("Webhook-Signature time"))
        );
        assert_eq!(
            verify(s.as_ref(), Some(&good), &body, t + TOLERANCE_S),
            Ok(())
        );
        for bad in ["", "sig1=00", "time=x,sig1=00", "time=1700000000"] {
            assert!(verify(s.as_ref(), Some(bad), &body, t).is_err(), "{bad}");
        }
        assert_eq!(
            verify(s.as_ref(), None, &body, t),
            Err(AuthError::Missing("Webhook-Signature header"))
        );
        assert_eq!(
            verify(None, Some(&good), &body, t),
            Err(AuthError::NotConfigured(SECRET))
        );
    }

    #[test]
    fn every_state_maps_and_errors_carry_code_text_and_hint() {
        let table = [
            ("video-pendingupload.json", State::Created),
            ("video-downloading.json", State::Processing),
            ("video-queued.json", State::Processing),
            ("video-inprogress.json", State::Processing),
            ("video-ready.json", State::Ready),
            ("video-ready-complete.json", State::Ready),
            ("video-ready-clip-all-fields.json", State::Ready),
            ("video-error.json", State::Errored),
            ("video-error-legacy-errReason.json", State::Errored),
            ("video-error-duration-exceed.json", State::Errored),
        ];
        for (name, state) in table {
            let e = event(name);
            assert_eq!(e.state, state, "{name}");
            assert_eq!(e.stream.kind, Kind::Video, "{name}");
            assert_eq!(e.stream.provider.as_str(), "cloudflare");
            assert_eq!(e.time_source, TimeSource::Provider);
        }
        let e = event("video-error.json");
        let err = e.error.unwrap();
        assert_eq!(err.code, "ERR_MALFORMED_VIDEO");
        assert_eq!(
            err.message,
            "The video was deemed to be corrupted or malformed."
        );
        assert_eq!(err.hint, hint_for("ERR_MALFORMED_VIDEO"));
        let legacy = event("video-error-legacy-errReason.json").error.unwrap();
        assert_eq!(legacy.code, "ERR_MALFORMED_VIDEO", "the older field names");
        assert_eq!(
            event("video-ready.json").occurred_at,
            1_656_611_601_774_299_000
        );
        assert_eq!(
            event("video-ready-clip-all-fields.json").name.as_deref(),
            Some("overriding-filename-clip.mp4")
        );
    }

    #[test]
    fn a_recording_names_its_live_input_and_the_input_learns_its_latest_recording() {
        let body = fixture("cloudflare-stream", "live-recording-ready.json");
        let Ok(Parsed::Linked { event, also }) = parse_any(&CLOUDFLARE_STREAM, &body, 0) else {
            panic!("a recording is two events")
        };
        assert_eq!(event.stream.id, "6b6972f427f51793099c6b427783398e");
        assert_eq!(
            event.parent_id.as_deref(),
            Some("eb222fcca08eeb1ae84c981ebe8aeeb6")
        );
        assert_eq!(
            event.name.as_deref(),
            Some("Stream Live Test 22 Sep 21 22:12 UTC")
        );
        assert_eq!(
            also.stream.to_string(),
            "cloudflare:live_input:eb222fcca08eeb1ae84c981ebe8aeeb6"
        );
        assert!(also.keeps_state);
        assert_eq!(
            also.latest_recording.as_deref(),
            Some("6b6972f427f51793099c6b427783398e")
        );
        assert_eq!(also.occurred_at, event.occurred_at);
        assert_ne!(also.event_id, event.event_id);
    }

    #[test]
    fn redeliveries_share_an_id_and_unknown_states_or_bad_ids_are_not_events() {
        let body = fixture("cloudflare-stream", "video-ready.json");
        let a = event("video-ready.json");
        let b = fixture_event(&CLOUDFLARE_STREAM, "video-ready.json", 99);
        assert_eq!(a.event_id, b.event_id);
        assert_ne!(a.event_id, event("video-ready-complete.json").event_id);
        let odd = String::from_utf8(body.clone())
            .unwrap()
            .replace("\"ready\"", "\"melting\"");
        let got = parse_any(&CLOUDFLARE_STREAM, odd.as_bytes(), 0).unwrap();
        assert!(
            matches!(
                got,
                Parsed::Ignored {
                    stream: Some(_),
                    ..
                }
            ),
            "{got:?}"
        );
        let bad_uid = String::from_utf8(body)
            .unwrap()
            .replace("6b9e68b07dfee8cc2d116e4c51d6a957", "../x");
        assert!(matches!(
            parse_any(&CLOUDFLARE_STREAM, bad_uid.as_bytes(), 0),
            Err(ParseError::InvalidId { field: "uid" })
        ));
        assert!(parse_any(
            &CLOUDFLARE_STREAM,
            br#"{"uid":"abc","status":{"state":"ready"}}"#,
            0
        )
        .is_err());
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("cloudflare-stream") {
            assert!(parse_any(&CLOUDFLARE_STREAM, &body, 0).is_ok(), "{name}");
        }
    }
}
