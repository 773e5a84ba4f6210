//! The latest status of one stream, as stored in KV and served by the API ([`StatusRecord`]),
//! and how an event changes it. A stored format: its JSON is pinned by a golden test; fields
//! added later must be `#[serde(default)]` so older records still parse.

use serde::{Deserialize, Serialize};

use super::{ErrorInfo, Event, Kind, ProviderId, State, StreamKey, WarningChange, WarningInfo};
use crate::time::{format_rfc3339, Nanos};

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
    /// RFC 3339: when a provider's API last confirmed this state (refreshed at most every
    /// [`crate::ordering::VERIFIED_REFRESH_MS`] while nothing changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
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
            verified_at: previous.and_then(|p| p.verified_at.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::errored_event_for_tests;
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
}
