//! The one event model every provider is normalized into, and the status record we store.
//!
//! Invariants:
//! - A stream is identified by `(provider, kind, id)` ([`StreamKey`]): ids of different kinds
//!   (a Gcore stream and a Gcore video may both be `12345`) never collide.
//! - [`State`] is closed: every provider event maps to one of these or is ignored.
//! - [`StatusRecord`] is a stored format (KV value and API body). Its JSON is pinned by a golden
//!   test; fields added later must be `#[serde(default)]` so older records still parse.
//! - Nothing here holds a credential: stream keys are never parsed out of payloads.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::time::{format_rfc3339, Nanos};

/// Longest stream id we accept (FastPix documents 255; KV keys allow 512 bytes).
pub const MAX_STREAM_ID_LEN: usize = 255;

/// Longest provider name (`cloudflare-stream` is 17).
pub const MAX_PROVIDER_ID_LEN: usize = 23;

/// A provider's name as routes, KV keys, records and alerts spell it (`cloudflare`, `fastpix`,
/// `gcore`, …): 1 to 23 bytes of `a-z 0-9 - _`. Which names exist is the provider registry's
/// business ([`crate::ingest::providers::REGISTRY`]); this type only carries one, by value
/// (`Copy`, no allocation), so the event model does not depend on the registry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderId {
    len: u8,
    bytes: [u8; MAX_PROVIDER_ID_LEN],
}

impl ProviderId {
    /// For a provider's own `const ID`. An invalid name does not panic: it yields an id that
    /// [`ProviderId::parse`] refuses, which the registry's tests catch.
    pub const fn new(name: &str) -> Self {
        let src = name.as_bytes();
        let mut bytes = [0u8; MAX_PROVIDER_ID_LEN];
        let mut i = 0;
        while i < src.len() && i < MAX_PROVIDER_ID_LEN {
            bytes[i] = src[i];
            i += 1;
        }
        ProviderId {
            len: i as u8,
            bytes,
        }
    }

    /// A well-formed name, known or not.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= MAX_PROVIDER_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        ok.then(|| Self::new(s))
    }

    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderId({:?})", self.as_str())
    }
}

impl Serialize for ProviderId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProviderId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ProviderId::parse(&s).ok_or_else(|| serde::de::Error::custom("not a provider name"))
    }
}

/// What kind of resource a status belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A live input / live stream: the thing an encoder pushes to.
    LiveInput,
    /// A FastPix simulcast (restream) target of a live stream.
    SimulcastTarget,
    /// A Gcore broadcast (a scheduled event built on streams).
    Broadcast,
    /// A Gcore video: an upload or a live stream's recording.
    Video,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::LiveInput,
        Kind::SimulcastTarget,
        Kind::Broadcast,
        Kind::Video,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LiveInput => "live_input",
            Kind::SimulcastTarget => "simulcast_target",
            Kind::Broadcast => "broadcast",
            Kind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The closed set of states. See the README's mapping table for how each provider gets here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Created,
    Idle,
    Connected,
    Live,
    Paused,
    Disconnected,
    Finished,
    Errored,
    Disabled,
    Deleted,
    Processing,
    Viewable,
    Ready,
}

impl State {
    pub const ALL: [State; 13] = [
        State::Created,
        State::Idle,
        State::Connected,
        State::Live,
        State::Paused,
        State::Disconnected,
        State::Finished,
        State::Errored,
        State::Disabled,
        State::Deleted,
        State::Processing,
        State::Viewable,
        State::Ready,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Idle => "idle",
            State::Connected => "connected",
            State::Live => "live",
            State::Paused => "paused",
            State::Disconnected => "disconnected",
            State::Finished => "finished",
            State::Errored => "errored",
            State::Disabled => "disabled",
            State::Deleted => "deleted",
            State::Processing => "processing",
            State::Viewable => "viewable",
            State::Ready => "ready",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Breaks ties between two different events carrying the same provider time, so the final
    /// state never depends on delivery order: the later lifecycle stage wins.
    pub fn tie_rank(self) -> u8 {
        match self {
            State::Created => 0,
            State::Processing => 1,
            State::Viewable => 2,
            State::Ready => 3,
            State::Idle => 4,
            State::Connected => 5,
            State::Live => 6,
            State::Paused => 7,
            State::Disconnected => 8,
            State::Finished => 9,
            State::Errored => 10,
            State::Disabled => 11,
            State::Deleted => 12,
        }
    }
}

/// Why an input failed, as the provider said it plus our hint for a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub code: String,
    pub message: String,
    pub hint: String,
}

/// Whether an event's time is the provider's own or the moment we received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The provider stamped the event: safe to order by.
    Provider,
    /// The provider sends no time (Gcore): arrival order at the stream's Durable Object.
    Receipt,
}

/// `(provider, kind, id)`: builds the KV key and the Durable Object name in exactly one place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamKey {
    pub provider: ProviderId,
    pub kind: Kind,
    pub id: String,
}

/// Prefix of every status record key in KV.
pub const STATUS_PREFIX: &str = "status:";

impl StreamKey {
    /// Validates the id: 1..=255 bytes of `[A-Za-z0-9._~:-]` (every id the seeds show fits;
    /// anything else is refused rather than escaped, so keys stay readable and unambiguous), or
    /// an AWS resource ARN (IVS channels: `arn:aws:ivs:{region}:{account}:channel/{id}`), the one
    /// shape allowed a `/`.
    pub fn new(provider: ProviderId, kind: Kind, id: &str) -> Option<Self> {
        (valid_stream_id(id) || valid_resource_arn(id)).then(|| StreamKey {
            provider,
            kind,
            id: id.to_owned(),
        })
    }

    /// `{provider}:{kind}:{id}` (its `Display`), for a registered-or-not provider name.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, ':');
        let provider = ProviderId::parse(parts.next()?)?;
        let kind = Kind::parse(parts.next()?)?;
        StreamKey::new(provider, kind, parts.next()?)
    }

    /// `status:{provider}:{kind}:{id}`.
    pub fn kv_key(&self) -> String {
        format!("{STATUS_PREFIX}{self}")
    }

    /// `status:{provider}:` or `status:` (for listing).
    pub fn kv_prefix(provider: Option<ProviderId>) -> String {
        match provider {
            Some(p) => format!("{STATUS_PREFIX}{}:", p.as_str()),
            None => STATUS_PREFIX.to_owned(),
        }
    }
}

impl fmt::Display for StreamKey {
    /// `{provider}:{kind}:{id}`: also the name of the stream's Durable Object.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.provider.as_str(),
            self.kind.as_str(),
            self.id
        )
    }
}

/// `arn:{partition}:{service}:{region}:{account}:{type}/{id}` with plain parts (letters, digits,
/// `-`, and `_`/`.` in the id), at most [`MAX_STREAM_ID_LEN`] bytes.
pub fn valid_resource_arn(id: &str) -> bool {
    let plain = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || extra.contains(&b))
    };
    let mut parts = id.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Some((kind, rid)) = resource.split_once('/') else {
        return false;
    };
    id.len() <= MAX_STREAM_ID_LEN
        && plain(partition, b"")
        && plain(service, b"")
        && plain(region, b"")
        && account.bytes().all(|b| b.is_ascii_digit())
        && !account.is_empty()
        && plain(kind, b"")
        && plain(rid, b"_.")
}

pub fn valid_stream_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_STREAM_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b':' | b'-'))
}

/// One provider event, normalized. Produced by `providers::parse`, consumed by `status::apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub stream: StreamKey,
    /// The live stream a simulcast target belongs to, where the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub state: State,
    /// `Some` only where the provider tells whether the stream is being recorded.
    pub recording: Option<bool>,
    pub occurred_at: Nanos,
    pub time_source: TimeSource,
    /// The provider's own event-type string (`live_input.errored`, `video.live_stream.active`…).
    pub event_type: String,
    /// De-duplication key: the provider's event id where it has one, else derived from content.
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// The provider's name for the stream, where it sends one (Gcore videos). Shown as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The event says nothing about the stream's state (a recording or health change): `state`
    /// is only what to assume for a stream livehook has not seen yet.
    #[serde(default, skip_serializing_if = "is_false")]
    pub keeps_state: bool,
    /// A warning raised or cleared (the stream keeps working: Mux warnings, IVS starvation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<WarningChange>,
    /// For a live input: the id of its newest recording (Cloudflare Stream recordings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_recording: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A warning about a stream that still works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningInfo {
    /// The provider's name for it (`Starvation Start`, Mux's `data.warning.type`, …).
    pub code: String,
    pub message: String,
}

/// What an event does to a stream's warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningChange {
    Raised(WarningInfo),
    Cleared,
}

impl Event {
    /// The warning this event raises, if it raises one.
    pub fn raised_warning(&self) -> Option<&WarningInfo> {
        match &self.warning {
            Some(WarningChange::Raised(w)) => Some(w),
            _ => None,
        }
    }
}

/// The latest status of one stream: the JSON stored in KV and served by `GET /streams/...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecord {
    pub provider: ProviderId,
    pub stream_id: String,
    pub kind: Kind,
    pub state: State,
    pub recording: Option<bool>,
    /// RFC 3339: the provider's event time, or receipt time where the provider sends none.
    pub updated_at: String,
    /// RFC 3339: when livehook received the event that produced this record.
    pub received_at: String,
    pub last_event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
    /// The provider's name for the stream, from the last event that sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A warning in force: raised since the newest state event, and not cleared by its provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<WarningInfo>,
    /// For a live input: the id of its newest recording (`GET /streams/{provider}/{id}?kind=video`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_recording: Option<String>,
}

/// Which of an event's fields win over what a record holds (each is ordered on its own: a late
/// recording event does not roll back a newer state, and the other way round).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wins {
    pub state: bool,
    pub recording: bool,
    pub warning: bool,
    /// A newer state event than the warning in force: it ends it.
    pub clears_warning: bool,
    pub latest_recording: bool,
    /// It is the newest event to change anything: its type and times become the record's.
    pub last: bool,
}

impl Wins {
    pub fn any(self) -> bool {
        self.state || self.recording || self.warning || self.latest_recording
    }
}

impl StatusRecord {
    /// The stream this record is about.
    pub fn key(&self) -> StreamKey {
        StreamKey {
            provider: self.provider,
            kind: self.kind,
            id: self.stream_id.clone(),
        }
    }

    /// The record after `event`. `recording` carries over when the event does not say.
    pub fn from_event(event: &Event, previous: Option<&StatusRecord>, received_at: Nanos) -> Self {
        let wins = Wins {
            state: !event.keeps_state,
            recording: event.recording.is_some(),
            warning: event.warning.is_some(),
            clears_warning: !event.keeps_state,
            latest_recording: event.latest_recording.is_some(),
            last: true,
        };
        Self::after(event, previous, received_at, wins)
    }

    /// The record after the fields of `event` that `wins` names; the rest carry over.
    pub fn after(
        event: &Event,
        previous: Option<&StatusRecord>,
        received_at: Nanos,
        wins: Wins,
    ) -> Self {
        let state = match previous {
            Some(p) if !wins.state => p.state,
            _ => event.state,
        };
        let error = match previous {
            Some(p) if !wins.state => p.error.clone(),
            _ => event.error.clone(),
        };
        let warning = match (&event.warning, wins.warning) {
            (Some(WarningChange::Raised(w)), true) => Some(w.clone()),
            (Some(WarningChange::Cleared), true) => None,
            _ if wins.clears_warning => None,
            _ => previous.and_then(|p| p.warning.clone()),
        };
        let (updated_at, received, last_event) = match previous {
            Some(p) if !wins.last => (
                p.updated_at.clone(),
                p.received_at.clone(),
                p.last_event.clone(),
            ),
            _ => (
                format_rfc3339(event.occurred_at),
                format_rfc3339(received_at),
                event.event_type.clone(),
            ),
        };
        StatusRecord {
            provider: event.stream.provider,
            stream_id: event.stream.id.clone(),
            kind: event.stream.kind,
            state,
            recording: event
                .recording
                .filter(|_| wins.recording)
                .or_else(|| previous.and_then(|p| p.recording)),
            updated_at,
            received_at: received,
            last_event,
            parent_id: event
                .parent_id
                .clone()
                .or_else(|| previous.and_then(|p| p.parent_id.clone())),
            error,
            name: event
                .name
                .clone()
                .or_else(|| previous.and_then(|p| p.name.clone())),
            warning,
            latest_recording: event
                .latest_recording
                .clone()
                .filter(|_| wins.latest_recording)
                .or_else(|| previous.and_then(|p| p.latest_recording.clone())),
        }
    }
}

/// An errored Cloudflare event for unit tests of the modules built on this one.
#[cfg(test)]
pub(crate) fn errored_event_for_tests(stream_id: &str, event_id: &str) -> Event {
    Event {
        stream: StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, stream_id).unwrap(),
        parent_id: None,
        state: State::Errored,
        recording: None,
        occurred_at: 1_720_548_471_077_371_662,
        time_source: TimeSource::Provider,
        event_type: "live_input.errored".into(),
        event_id: event_id.into(),
        error: Some(ErrorInfo {
            code: "ERR_GOP_OUT_OF_RANGE".into(),
            message: "m".into(),
            hint: "h".into(),
        }),
        name: None,
        keeps_state: false,
        warning: None,
        latest_recording: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errored_event() -> Event {
        errored_event_for_tests("abc", "x")
    }

    /// Golden: the stored JSON. Changing it breaks records written by an older deploy.
    #[test]
    fn status_record_json_is_frozen() {
        let rec = StatusRecord::from_event(&errored_event(), None, 1_720_548_474_000_000_000);
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(
            json,
            r#"{"provider":"cloudflare","stream_id":"abc","kind":"live_input","state":"errored","recording":null,"updated_at":"2024-07-09T18:07:51.077371662Z","received_at":"2024-07-09T18:07:54Z","last_event":"live_input.errored","error":{"code":"ERR_GOP_OUT_OF_RANGE","message":"m","hint":"h"}}"#
        );
        let back: StatusRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rec);
    }

    #[test]
    fn a_record_without_optional_fields_still_parses() {
        let old = r#"{"provider":"gcore","stream_id":"1","kind":"video","state":"ready","recording":null,"updated_at":"2024-07-09T18:07:51Z","received_at":"2024-07-09T18:07:51Z","last_event":"video.ready"}"#;
        let rec: StatusRecord = serde_json::from_str(old).unwrap();
        assert_eq!(rec.state, State::Ready);
        assert_eq!(rec.error, None);
    }

    #[test]
    fn recording_and_parent_carry_over_when_the_event_is_silent() {
        let mut prev = StatusRecord::from_event(&errored_event(), None, 0);
        prev.recording = Some(true);
        prev.parent_id = Some("p".into());
        prev.name = Some("Lobby camera".into());
        let rec = StatusRecord::from_event(&errored_event(), Some(&prev), 0);
        assert_eq!(rec.recording, Some(true));
        assert_eq!(rec.parent_id.as_deref(), Some("p"));
        assert_eq!(rec.name.as_deref(), Some("Lobby camera"));
    }

    #[test]
    fn keys_of_different_kinds_never_collide() {
        let a = StreamKey::new(ProviderId::new("gcore"), Kind::LiveInput, "12345").unwrap();
        let b = StreamKey::new(ProviderId::new("gcore"), Kind::Video, "12345").unwrap();
        let c = StreamKey::new(ProviderId::new("gcore"), Kind::Broadcast, "12345").unwrap();
        assert_ne!(a.kv_key(), b.kv_key());
        assert_ne!(b.kv_key(), c.kv_key());
        assert_eq!(a.kv_key(), "status:gcore:live_input:12345");
        assert_eq!(a.to_string(), "gcore:live_input:12345");
        assert_eq!(StreamKey::parse("gcore:live_input:12345"), Some(a));
        let with_colon = StreamKey::new(ProviderId::new("mux"), Kind::LiveInput, "a:b").unwrap();
        assert_eq!(StreamKey::parse(&with_colon.to_string()), Some(with_colon));
        for bad in [
            "gcore",
            "gcore:live_input",
            "gcore:nope:1",
            "Gcore:live_input:1",
            "gcore:video:a/b",
        ] {
            assert_eq!(StreamKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn stream_ids_are_validated() {
        assert!(valid_stream_id("eb222fcca08eeb1ae84c981ebe8aeeb6"));
        assert!(valid_stream_id("a0ba2bf6-fe6b-441c-a9be-bf910d223218"));
        assert!(!valid_stream_id(""));
        assert!(!valid_stream_id("a/b"));
        assert!(!valid_stream_id("a b"));
        assert!(!valid_stream_id(&"a".repeat(256)));
        assert!(valid_stream_id(&"a".repeat(255)));
    }

    #[test]
    fn an_ivs_channel_arn_is_the_one_id_with_a_slash() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
        let key = StreamKey::new(ProviderId::new("ivs"), Kind::LiveInput, arn).unwrap();
        assert_eq!(key.kv_key(), format!("status:ivs:live_input:{arn}"));
        assert_eq!(StreamKey::parse(&key.to_string()), Some(key));
        for bad in [
            "arn:aws:ivs:us-west-2:123456789012:channel/a/b",
            "arn:aws:ivs:us-west-2:12345678901x:channel/a",
            "arn:aws:ivs:us-west-2:123456789012:channel/",
            "arn:aws:ivs:us west-2:123456789012:channel/a",
            "../../etc/passwd",
            "a/b",
        ] {
            assert!(
                StreamKey::new(ProviderId::new("ivs"), Kind::LiveInput, bad).is_none(),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for name in ["cloudflare", "fastpix", "gcore", "cloudflare-stream"] {
            let p = ProviderId::parse(name).unwrap();
            assert_eq!((p, p.as_str()), (ProviderId::new(name), name));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<ProviderId>(&json).unwrap(), p);
        }
        for bad in [
            "",
            "Cloudflare",
            "a b",
            "a/b",
            &"a".repeat(MAX_PROVIDER_ID_LEN + 1),
        ] {
            assert_eq!(ProviderId::parse(bad), None, "{bad}");
            assert!(serde_json::from_str::<ProviderId>(&format!("{bad:?}")).is_err());
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
