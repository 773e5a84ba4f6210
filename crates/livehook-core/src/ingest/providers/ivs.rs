//! Amazon IVS (low-latency channels) through Amazon EventBridge: `POST /webhooks/ivs`. An
//! EventBridge rule on `source: aws.ivs` sends each event, whole, to an API destination whose
//! connection adds `x-api-key: <IVS_WEBHOOK_TOKEN>`. The body is the EventBridge envelope
//! `{version, id, detail-type, source, account, time, region, resources, detail}`.
//!
//! - Records: provider `ivs`, kind `live_input`, id the channel ARN (`resources[0]`, e.g.
//!   `arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij`); name `detail.channel_name`.
//! - `IVS Stream State Change` (`detail.event_name`): Session Created → connected, Stream Start
//!   and Stream Takeover → live, Session Ended → disconnected (errored when it carries a
//!   multitrack `code`), Stream End → idle, Stream Failure → errored (its `reason` is the
//!   message), Stream Takeover Failure → a warning (the running broadcast goes on).
//! - `IVS Stream Health Change`: Starvation Start raises a warning, Starvation End clears it.
//! - `IVS Recording State Change` (`detail.recording_status`): Recording Start / End set the
//!   recording flag; a Start or End Failure clears it and raises a warning with the reason.
//! - `IVS Limit Breach` for a channel raises a warning; other detail types (real-time stages,
//!   CloudTrail API calls a wide rule also matches) are acknowledged and ignored.
//! - Events about recording and health keep the stream's state ([`Event::keeps_state`]): each
//!   field is ordered on its own.
//! - Event time: `time` (whole seconds; IVS sends best effort, late and out of order, so ties in
//!   a second are broken by lifecycle stage). De-duplication key: the envelope `id`, the same on
//!   an EventBridge retry.
//!
//! Authentication: the `x-api-key` header equals `IVS_WEBHOOK_TOKEN` (constant-time). EventBridge
//! signs nothing and sends no timestamp: a replayed body is caught by event de-duplication.

use serde::Deserialize;
use serde_json::Number;

use super::json::{from_json, Text};
use super::shape::{provider_time, stream_key, ParseError, Parsed, Provider};
use crate::ingest::auth::{expect_secret, AuthError, Secret};
use crate::ingest::event::{
    valid_resource_arn, ErrorInfo, Event, Kind, ProviderId, State, TimeSource, WarningChange,
    WarningInfo,
};
use crate::ingest::settings::Setting;

pub const ID: ProviderId = ProviderId::new("ivs");
pub const TOKEN: &str = "IVS_WEBHOOK_TOKEN";
/// The header the EventBridge connection's API key goes in (`ApiKeyName`).
pub const HEADER: &str = "x-api-key";

/// Amazon IVS channel events from EventBridge: `POST /webhooks/ivs`.
pub static IVS: Provider = Provider {
    id: ID,
    route: "ivs",
    title: "Amazon IVS",
    token_in_path: false,
    settings: &[Setting::required(TOKEN)],
    auth_headers: Some(|s, req| verify(s.get(TOKEN), (req.header)(HEADER).as_deref())),
    auth_body: None,
    probe: None,
    check_settings: None,
    parse: |body, _received_at| parse(body),
    reply: None,
    answers_first: false,
};

/// Checks the API key EventBridge's connection adds.
pub fn verify(token: Option<&Secret>, header: Option<&str>) -> Result<(), AuthError> {
    let token = token.ok_or(AuthError::NotConfigured(TOKEN))?;
    let presented = header.ok_or(AuthError::Missing("x-api-key header"))?;
    expect_secret(presented.trim(), token, "x-api-key header")
}

/// What livehook reads of an EventBridge event, the first four fields required; the first of
/// `resources` is the channel.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow, rename = "detail-type")]
    detail_type: Text<'a>,
    #[serde(borrow)]
    source: Text<'a>,
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(default, borrow)]
    resources: Vec<Text<'a>>,
    #[serde(default, borrow)]
    detail: Detail<'a>,
}

/// Every field any IVS detail type has; the ones a type lacks stay `None`.
#[derive(Deserialize, Default)]
struct Detail<'a> {
    #[serde(default, borrow)]
    event_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    channel_name: Option<Text<'a>>,
    #[serde(default, borrow)]
    code: Option<Text<'a>>,
    #[serde(default, borrow)]
    reason: Option<Text<'a>>,
    #[serde(default, borrow)]
    recording_status: Option<Text<'a>>,
    #[serde(default, borrow)]
    recording_status_reason: Option<Text<'a>>,
    #[serde(default, borrow)]
    limit_name: Option<Text<'a>>,
    #[serde(default)]
    limit_value: Option<Number>,
    #[serde(default)]
    exceeded_by: Option<Number>,
    #[serde(default, borrow)]
    limit_unit: Option<Text<'a>>,
}

const STATE_CHANGE: &str = "IVS Stream State Change";
const HEALTH_CHANGE: &str = "IVS Stream Health Change";
const RECORDING_CHANGE: &str = "IVS Recording State Change";
const LIMIT_BREACH: &str = "IVS Limit Breach";

/// What one IVS event does to its channel's record.
enum Effect {
    /// A new state (with an error when it is `Errored`).
    State(State, Option<ErrorInfo>),
    /// A recording or warning change that keeps the state; `assume` is the state for a channel
    /// livehook has not heard of (and the tie-break within a second).
    Keep {
        assume: State,
        recording: Option<bool>,
        warning: Option<WarningChange>,
    },
}

fn parse(body: &[u8]) -> Result<Parsed, ParseError> {
    let e: Envelope = from_json(ID, body)?;
    let (detail_type, d) = (&*e.detail_type, &e.detail);
    if &*e.source != "aws.ivs" {
        return Ok(Parsed::ignored(detail_type, "not an aws.ivs event", None));
    }
    let stream = match e.resources.first() {
        // A channel is named by its ARN, nothing else.
        Some(arn) if !valid_resource_arn(arn) => {
            return Err(ParseError::InvalidId { field: "resources" })
        }
        Some(arn) => Some(stream_key(ID, Kind::LiveInput, arn, "resources")?),
        None => None,
    };
    let event_name = match detail_type {
        STATE_CHANGE | HEALTH_CHANGE => d.event_name.as_deref(),
        RECORDING_CHANGE => d.recording_status.as_deref(),
        LIMIT_BREACH => d.limit_name.as_deref(),
        _ => None,
    };
    let effect = event_name.and_then(|name| effect(detail_type, name, d));
    let Some(effect) = effect else {
        return Ok(Parsed::ignored(
            detail_type,
            "IVS event livehook does not track",
            stream,
        ));
    };
    let Some(stream) = stream else {
        return Err(ParseError::missing(ID, "resources"));
    };
    let event_type = match event_name {
        Some(name) => [detail_type, ": ", name].concat(),
        None => detail_type.to_owned(),
    };
    let (state, error, keeps_state, recording, warning) = match effect {
        Effect::State(state, error) => (state, error, false, None, None),
        Effect::Keep {
            assume,
            recording,
            warning,
        } => (assume, None, true, recording, warning),
    };
    let occurred_at = provider_time(&e.time, "time")?;
    Ok(Parsed::Event(Box::new(Event {
        recording,
        error,
        name: d
            .channel_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        keeps_state,
        warning,
        ..Event::state_change(
            stream,
            state,
            event_type,
            e.id.into_owned(),
            occurred_at,
            TimeSource::Provider,
        )
    })))
}

fn effect(detail_type: &str, name: &str, d: &Detail<'_>) -> Option<Effect> {
    let warn = |code: &str, message: String| {
        Some(WarningChange::Raised(WarningInfo {
            code: code.to_owned(),
            message,
        }))
    };
    let keep = |assume, recording, warning| Effect::Keep {
        assume,
        recording,
        warning,
    };
    let code = d.code.as_deref().filter(|c| !c.is_empty());
    Some(match (detail_type, name) {
        (STATE_CHANGE, "Session Created") => Effect::State(State::Connected, None),
        (STATE_CHANGE, "Stream Start" | "Stream Takeover") => Effect::State(State::Live, None),
        (STATE_CHANGE, "Stream End") => Effect::State(State::Idle, None),
        (STATE_CHANGE, "Session Ended") => match code {
            Some(code) => Effect::State(State::Errored, Some(error(code, String::new()))),
            None => Effect::State(State::Disconnected, None),
        },
        (STATE_CHANGE, "Stream Failure") => Effect::State(
            State::Errored,
            Some(error(
                "StreamFailure",
                d.reason.as_deref().unwrap_or_default().to_owned(),
            )),
        ),
        (STATE_CHANGE, "Stream Takeover Failure") => keep(
            State::Live,
            None,
            warn(
                code.unwrap_or("StreamTakeoverFailure"),
                takeover_message(code).to_owned(),
            ),
        ),
        (HEALTH_CHANGE, "Starvation Start") => keep(
            State::Live,
            None,
            warn(
                "Starvation",
                "IVS is not receiving video from the encoder: check its network and upload \
                 bandwidth."
                    .to_owned(),
            ),
        ),
        (HEALTH_CHANGE, "Starvation End") => keep(State::Live, None, Some(WarningChange::Cleared)),
        (RECORDING_CHANGE, "Recording Start") => keep(State::Live, Some(true), None),
        // "End" assumes a later stage than "Start", so the two in one second end stopped.
        (RECORDING_CHANGE, "Recording End") => keep(State::Disconnected, Some(false), None),
        (RECORDING_CHANGE, "Recording Start Failure" | "Recording End Failure") => keep(
            State::Live,
            Some(false),
            warn(
                &name.replace(' ', ""),
                format!(
                    "{name}: {}. Check the channel's recording configuration and that IVS may \
                     write to its S3 bucket.",
                    d.recording_status_reason
                        .as_deref()
                        .filter(|r| !r.is_empty())
                        .unwrap_or("no reason given")
                ),
            ),
        ),
        (LIMIT_BREACH, limit) => keep(
            State::Live,
            None,
            warn(
                &format!("LimitBreach:{limit}"),
                format!(
                    "{limit} went over its limit of {} {} by {}: lower the encoder's settings or \
                     raise the quota.",
                    number(d.limit_value.as_ref()),
                    d.limit_unit.as_deref().unwrap_or(""),
                    number(d.exceeded_by.as_ref()),
                ),
            ),
        ),
        _ => return None,
    })
}

fn number(n: Option<&Number>) -> String {
    n.map_or_else(|| "?".to_owned(), ToString::to_string)
}

fn error(code: &str, message: String) -> ErrorInfo {
    ErrorInfo {
        code: code.to_owned(),
        message,
        hint: hint_for(code).to_owned(),
    }
}

fn takeover_message(code: Option<&str>) -> &'static str {
    match code {
        Some("StreamTakeoverMediaMismatch") => {
            "A stream takeover was refused: the new encoder's media (codec, resolution, tracks) \
             differs from the running broadcast's. The running broadcast goes on."
        }
        Some("StreamTakeoverInvalidPriority") => {
            "A stream takeover was refused: its priority is not higher than the running \
             broadcast's. The running broadcast goes on."
        }
        Some("StreamTakeoverLimitBreached") => {
            "A stream takeover was refused: the channel reached its takeover limit. The running \
             broadcast goes on."
        }
        _ => "A stream takeover was refused. The running broadcast goes on.",
    }
}

/// A human hint for each documented IVS failure.
pub fn hint_for(code: &str) -> &'static str {
    match code {
        "StreamFailure" => {
            "IVS could not process the stream (the reason says why, often transcode capacity): \
             retry shortly; if it persists lower the resolution or bitrate, or ask AWS support."
        }
        "MultitrackInputNotAllowed" => {
            "The encoder sent multitrack video to a channel that does not allow it: send one \
             track, or set the channel's multitrack input policy to ALLOW."
        }
        "MultitrackInputRequired" => {
            "The channel requires multitrack video: enable multitrack (e.g. OBS Enhanced \
             Broadcasting) in the encoder, or relax the channel's multitrack input policy."
        }
        "InvalidGetClientConfigurationStreamKey" | "GetClientConfigurationStreamKeyRequired" => {
            "The encoder's multitrack configuration request had a missing or wrong stream key: \
             check the stream key set in the encoder."
        }
        "InvalidMultitrackInputTrackCount" | "InvalidMultitrackInputVideoTrackMediaProperties" => {
            "The encoder's multitrack tracks do not meet the channel's requirements: check the \
             number of tracks, their resolutions and codecs."
        }
        _ => "Unrecognised IVS failure: see the IVS EventBridge documentation.",
    }
}

#[cfg(test)]
mod tests {
    use super::super::shape::parse as parse_any;
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;
    use crate::ordering::{Outcome, StreamLedger};

    const CHANNEL: &str = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";

    fn event(name: &str) -> Event {
        fixture_event(&IVS, name, 7)
    }

    #[test]
    fn the_api_key_is_compared_whole_and_fails_closed() {
        let token = secret("a-long-random-token");
        assert_eq!(verify(token.as_ref(), Some("a-long-random-token")), Ok(()));
        assert_eq!(
            verify(token.as_ref(), Some(" a-long-random-token ")),
            Ok(())
        );
        for wrong in [
            "",
            "a-long-random-toke",
            "a-long-random-token2",
            "A-LONG-RANDOM-TOKEN",
        ] {
            assert_eq!(
                verify(token.as_ref(), Some(wrong)),
                Err(AuthError::Invalid("x-api-key header")),
                "{wrong:?}"
            );
        }
        assert_eq!(
            verify(token.as_ref(), None),
            Err(AuthError::Missing("x-api-key header"))
        );
        assert_eq!(
            verify(None, Some("a-long-random-token")),
            Err(AuthError::NotConfigured(TOKEN))
        );
    }

    #[test]
    fn every_state_event_maps_and_failures_carry_code_text_and_hint() {
        let table = [
            ("session-created.json", State::Connected),
            ("stream-start.json", State::Live),
            ("stream-takeover.json", State::Live),
            ("session-ended.json", State::Disconnected),
            ("stream-end.json", State::Idle),
            ("stream-failure.json", State::Errored),
            ("session-ended-with-code.json", State::Errored),
        ];
        for (name, state) in table {
            let e = event(name);
            assert_eq!(e.state, state, "{name}");
            assert!(!e.keeps_state, "{name}");
            assert_eq!(e.stream.kind, Kind::LiveInput);
            assert_eq!(e.stream.provider.as_str(), "ivs");
            assert_eq!(e.time_source, TimeSource::Provider);
        }
        let e = event("stream-start.json");
        assert_eq!(e.stream.id, CHANNEL);
        assert_eq!(e.event_id, "6505ed98-c4c1-48e5-802b-c58aeeff8790");
        assert_eq!(e.occurred_at, 1_725_898_646_000_000_000); // 2024-09-09T16:17:26Z
        assert_eq!(e.name.as_deref(), Some("Your Channel"));
        assert_eq!(e.event_type, "IVS Stream State Change: Stream Start");
        let failure = event("stream-failure.json").error.unwrap();
        assert_eq!(failure.code, "StreamFailure");
        assert_eq!(
            failure.message,
            "Transcode capacity exceeded. Please try again."
        );
        assert_eq!(failure.hint, hint_for("StreamFailure"));
        let multitrack = event("session-ended-with-code.json");
        assert_eq!(multitrack.name, None, "an empty channel name is no name");
        let err = multitrack.error.unwrap();
        assert_eq!(err.code, "MultitrackInputNotAllowed");
        assert!(err.hint.contains("multitrack"), "{}", err.hint);
    }

    fn raised(e: &Event) -> (&str, &str) {
        let w = e.raised_warning().expect("a warning");
        (w.code.as_str(), w.message.as_str())
    }

    #[test]
    fn health_recording_takeover_failures_and_limits_keep_the_state() {
        for name in [
            "starvation-start.json",
            "starvation-end.json",
            "recording-start.json",
            "recording-end.json",
            "recording-start-failure.json",
            "recording-end-failure.json",
            "stream-takeover-failure.json",
            "limit-breach-ingest-bitrate.json",
        ] {
            let e = event(name);
            assert!(e.keeps_state, "{name}");
            assert_eq!(e.error, None, "{name}");
        }
        assert_eq!(raised(&event("starvation-start.json")).0, "Starvation");
        assert_eq!(
            event("starvation-end.json").warning,
            Some(WarningChange::Cleared)
        );
        assert_eq!(event("recording-start.json").recording, Some(true));
        assert_eq!(event("recording-start.json").warning, None);
        assert_eq!(event("recording-end.json").recording, Some(false));
        let failed = event("recording-start-failure.json");
        assert_eq!(failed.recording, Some(false));
        let (code, message) = raised(&failed);
        assert_eq!(code, "RecordingStartFailure");
        assert!(message.contains("ValidationException"), "{message}");
        assert_eq!(
            raised(&event("recording-end-failure.json")).0,
            "RecordingEndFailure"
        );
        let takeover = event("stream-takeover-failure.json");
        let (code, message) = raised(&takeover);
        assert_eq!(code, "StreamTakeoverInvalidPriority");
        assert!(message.contains("priority"), "{message}");
        let limit = event("limit-breach-ingest-bitrate.json");
        let (code, message) = raised(&limit);
        assert_eq!(code, "LimitBreach:Ingest Bitrate");
        assert_eq!(
            message,
            "Ingest Bitrate went over its limit of 1234 bits per second by 3: lower the \
             encoder's settings or raise the quota."
        );
    }

    #[test]
    fn a_whole_session_delivered_in_any_order_ends_idle_not_recording_without_warning() {
        let session = [
            "session-created.json",
            "stream-start.json",
            "recording-start.json",
            "starvation-start.json",
            "starvation-end.json",
            "session-ended.json",
            "stream-end.json",
            "recording-end.json",
        ];
        let events: Vec<Event> = session.iter().map(|n| event(n)).collect();
        let mut in_order = StreamLedger::default();
        for e in &events {
            assert_eq!(in_order.apply(e, 0, &[]).outcome, Outcome::Applied);
        }
        let expected = in_order.record.clone().unwrap();
        assert_eq!(expected.state, State::Idle);
        assert_eq!(expected.recording, Some(false));
        assert_eq!(expected.warning, None);
        assert_eq!(
            expected.last_event,
            "IVS Recording State Change: Recording End"
        );
        // Every rotation and the reverse, each delivered twice (EventBridge retries).
        let mut orders: Vec<Vec<&Event>> = (0..events.len())
            .map(|k| events.iter().cycle().skip(k).take(events.len()).collect())
            .collect();
        orders.push(events.iter().rev().collect());
        for order in orders {
            let mut st = StreamLedger::default();
            for e in order.iter().chain(order.iter()) {
                st.apply(e, 0, &[]);
            }
            let got = st.record.unwrap();
            assert_eq!(
                (got.state, got.recording, &got.warning),
                (State::Idle, Some(false), &None),
                "{:?}",
                order.iter().map(|e| &e.event_type).collect::<Vec<_>>()
            );
            assert_eq!(got.last_event, expected.last_event);
        }
    }

    #[test]
    fn a_starvation_warning_is_an_alert_and_a_late_start_does_not_bring_it_back() {
        let start = event("starvation-start.json");
        let end = event("starvation-end.json");
        let mut st = StreamLedger::default();
        st.apply(&event("stream-start.json"), 0, &[]);
        let applied = st.apply(&start, 0, &[]);
        assert!(applied.alert_queued);
        assert_eq!(st.outbox[0].label(), "warning");
        st.apply(&end, 0, &[]);
        assert_eq!(st.record.as_ref().unwrap().warning, None);
        // Delivered the other way round: the older raise loses to the newer clear.
        let mut late = StreamLedger::default();
        late.apply(&event("stream-start.json"), 0, &[]);
        late.apply(&end, 0, &[]);
        late.apply(&start, 0, &[]);
        let rec = late.record.unwrap();
        assert_eq!((rec.state, rec.warning), (State::Live, None));
    }

    #[test]
    fn other_sources_types_and_channelless_events_are_acknowledged_not_tracked() {
        let body = String::from_utf8(fixture("ivs", "stream-start.json")).unwrap();
        let not_ivs = body.replace("\"aws.ivs\"", "\"aws.medialive\"");
        assert!(matches!(
            parse_any(&IVS, not_ivs.as_bytes(), 0),
            Ok(Parsed::Ignored { stream: None, .. })
        ));
        let stage = body.replace("IVS Stream State Change", "IVS Stage Update");
        let Ok(Parsed::Ignored {
            event_type,
            stream: Some(stream),
            ..
        }) = parse_any(&IVS, stage.as_bytes(), 0)
        else {
            panic!("an unknown type for a channel is noted in its history")
        };
        assert_eq!(event_type.as_deref(), Some("IVS Stage Update"));
        assert_eq!(stream.id, CHANNEL);
        let unknown_name = body.replace("\"Stream Start\"", "\"Stream Teleport\"");
        assert!(matches!(
            parse_any(&IVS, unknown_name.as_bytes(), 0),
            Ok(Parsed::Ignored {
                stream: Some(_),
                ..
            })
        ));
        // Concurrent-broadcast limits are account-wide: no channel.
        let account_wide = r#"{"version":"0","id":"1","detail-type":"IVS Limit Breach","source":"aws.ivs","account":"123456789012","time":"2024-09-10T14:02:51Z","region":"us-west-2","resources":[],"detail":{"limit_name":"Concurrent Broadcasts","limit_value":20,"exceeded_by":1,"limit_unit":"active streams"}}"#;
        assert_eq!(
            parse_any(&IVS, account_wide.as_bytes(), 0),
            Err(ParseError::Shape {
                provider: ID,
                detail: "missing field `resources`".into()
            })
        );
    }

    #[test]
    fn bad_arns_and_times_are_refused() {
        let body = String::from_utf8(fixture("ivs", "stream-start.json")).unwrap();
        for bad in [
            "arn:aws:ivs:us-west-2:123456789012:channel/../x",
            "arn:aws:ivs:us-west-2:123456789012:channel/a/b",
            "arn:aws:ivs:us-west-2:12345678901x:channel/a",
            "live/cam1",
        ] {
            let bad_arn = body.replace(CHANNEL, bad);
            assert_eq!(
                parse_any(&IVS, bad_arn.as_bytes(), 0),
                Err(ParseError::InvalidId { field: "resources" }),
                "{bad}"
            );
        }
        let bad_time = body.replace("2024-09-09T16:17:26Z", "yesterday");
        assert_eq!(
            parse_any(&IVS, bad_time.as_bytes(), 0),
            Err(ParseError::InvalidTime { field: "time" })
        );
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("ivs") {
            assert!(parse_any(&IVS, &body, 0).is_ok(), "{name}");
        }
    }
}
