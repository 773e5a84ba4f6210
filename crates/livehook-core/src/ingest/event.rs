//! The one event model every provider is normalized into ([`Event`]), what identifies a stream
//! ([`StreamKey`], in `stream_key`) and the status record we store ([`StatusRecord`], in
//! `status_record`).
//!
//! Invariants:
//! - A stream is identified by `(provider, kind, id)` ([`StreamKey`]): ids of different kinds
//!   (a Gcore stream and a Gcore video may both be `12345`) never collide.
//! - [`State`] is closed: every provider event maps to one of these or is ignored.
//! - [`StatusRecord`] is a stored format (KV value and API body). Its JSON is pinned by a golden
//!   test; fields added later must be `#[serde(default)]` so older records still parse.
//! - Nothing here holds a credential: stream keys are never parsed out of payloads.

mod status_record;
mod stream_key;

use serde::{Deserialize, Serialize};

pub use status_record::{StatusRecord, Wins};
pub use stream_key::{
    valid_resource_arn, valid_stream_id, valid_stream_path, Kind, ProviderId, StreamKey,
    MAX_PROVIDER_ID_LEN, MAX_STREAM_ID_LEN, STATUS_PREFIX,
};

use crate::time::Nanos;

/// The closed set of states. See the mapping tables of docs/providers.md for how each provider gets here.
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
    /// The publishing client a self-hosted media server names (SRS `client_id`, nginx-rtmp
    /// `clientid`, MediaMTX `source_id`): a stop from another client than the start in force is
    /// stale, so an old session's late stop never undoes a new publish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
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
    /// A change of `stream` to `state` and nothing more: no recording flag, error, name,
    /// warning, parent, latest recording or publisher. A provider adds what its message says
    /// with struct update syntax (`Event { name, ..Event::state_change(…) }`).
    pub fn state_change(
        stream: StreamKey,
        state: State,
        event_type: String,
        event_id: String,
        occurred_at: Nanos,
        time_source: TimeSource,
    ) -> Event {
        Event {
            stream,
            parent_id: None,
            state,
            recording: None,
            occurred_at,
            time_source,
            event_type,
            event_id,
            error: None,
            name: None,
            keeps_state: false,
            warning: None,
            latest_recording: None,
            publisher: None,
        }
    }

    /// A self-hosted media server's start or stop of `stream` (or the stop livehook applies when
    /// its heartbeats end): no time of its own (the receipt time; arrival order decides), the
    /// publishing client where one is named, and `{event_type}|{stream}|{publisher}` as its id,
    /// so the same call repeated is a duplicate and a new session's is not.
    pub fn media_server(
        stream: StreamKey,
        state: State,
        event_type: String,
        publisher: Option<String>,
        received_at: Nanos,
    ) -> Event {
        let event_id = [
            event_type.as_str(),
            "|",
            &stream.id,
            "|",
            publisher.as_deref().unwrap_or("-"),
        ]
        .concat();
        Event {
            publisher,
            ..Event::state_change(
                stream,
                state,
                event_type,
                event_id,
                received_at,
                TimeSource::Receipt,
            )
        }
    }

    /// The warning this event raises, if it raises one.
    pub fn raised_warning(&self) -> Option<&WarningInfo> {
        match &self.warning {
            Some(WarningChange::Raised(w)) => Some(w),
            _ => None,
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
        publisher: None,
    }
}
