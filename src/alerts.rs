//! Errored-input alerts: what an alert is, and the pure bookkeeping of the alert log that the
//! `AlertHub` Durable Object keeps.
//!
//! Invariants:
//! - An alert's id is derived from the provider event's de-duplication key, so handing the same
//!   alert over twice (a retry after a lost response) stores it once.
//! - Storage keys sort by receipt time, so a reverse listing is newest first.
//! - No credential can be in an alert: it is built only from the normalized [`Event`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Event, Kind, Provider, State};
use crate::subscribers::hex;
use crate::time::{format_rfc3339, millis_to_nanos};

/// How many alerts the hub keeps; older ones are pruned.
pub const MAX_ALERTS: usize = 1000;
/// Storage-key prefix of alerts in the hub.
pub const ALERT_PREFIX: &str = "alert:";
/// Storage-key prefix of open incidents (the de-duplication window) in the hub.
pub const INCIDENT_PREFIX: &str = "incident:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub provider: Provider,
    pub stream_id: String,
    pub kind: Kind,
    pub state: State,
    /// The provider's error code, message and livehook's hint: set for `errored` alerts, null
    /// for state-change notifications.
    pub code: Option<String>,
    pub message: Option<String>,
    pub hint: Option<String>,
    /// The provider's event time (RFC 3339).
    pub occurred_at: String,
    /// When livehook received it (RFC 3339).
    pub received_at: String,
    /// Milliseconds since the epoch of `received_at`: orders the log.
    pub received_at_ms: u64,
    pub event_type: String,
}

impl Alert {
    /// An alert for an errored event; `None` for any other state.
    pub fn from_event(event: &Event, received_at_ms: u64) -> Option<Self> {
        event
            .error
            .as_ref()
            .filter(|_| event.state == State::Errored)?;
        Some(Self::state_change(event, received_at_ms))
    }

    /// A notification that the stream reached `event.state` (any state; errors carry their code).
    pub fn state_change(event: &Event, received_at_ms: u64) -> Self {
        let digest = Sha256::digest(event.event_id.as_bytes());
        let error = event
            .error
            .as_ref()
            .filter(|_| event.state == State::Errored);
        Alert {
            id: format!("alr_{}", hex(&digest[..12])),
            provider: event.stream.provider,
            stream_id: event.stream.id.clone(),
            kind: event.stream.kind,
            state: event.state,
            code: error.map(|e| e.code.clone()),
            message: error.map(|e| e.message.clone()),
            hint: error.map(|e| e.hint.clone()),
            occurred_at: format_rfc3339(event.occurred_at),
            received_at: format_rfc3339(millis_to_nanos(received_at_ms)),
            received_at_ms,
            event_type: event.event_type.clone(),
        }
    }

    /// Errored alerts for the same input and code are one incident: `incident:{stream}:{code}`.
    pub fn incident_key(&self) -> Option<String> {
        let code = self
            .code
            .as_deref()
            .filter(|_| self.state == State::Errored)?;
        Some(format!(
            "{INCIDENT_PREFIX}{}:{}:{}:{code}",
            self.provider.as_str(),
            self.kind.as_str(),
            self.stream_id
        ))
    }

    /// `alert:{received_at_ms, zero-padded}:{id}`: lexicographic order is time order.
    pub fn storage_key(&self) -> String {
        format!("{ALERT_PREFIX}{:015}:{}", self.received_at_ms, self.id)
    }

    /// The key that records "this alert id is stored".
    pub fn id_key(id: &str) -> String {
        format!("alert-id:{id}")
    }
}

/// How many of the oldest alerts to delete so at most [`MAX_ALERTS`] remain.
pub fn excess_alerts(count: usize) -> usize {
    count.saturating_sub(MAX_ALERTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::errored_event_for_tests;

    fn errored(event_id: &str) -> Event {
        errored_event_for_tests("in1", event_id)
    }

    #[test]
    fn only_errored_events_make_alerts() {
        let mut e = errored("a");
        assert!(Alert::from_event(&e, 0).is_some());
        e.state = State::Disconnected;
        assert!(Alert::from_event(&e, 0).is_none());
    }

    #[test]
    fn alert_ids_are_stable_per_event() {
        let a = Alert::from_event(&errored("a"), 1).unwrap();
        let a2 = Alert::from_event(&errored("a"), 2).unwrap();
        let b = Alert::from_event(&errored("b"), 1).unwrap();
        assert_eq!(a.id, a2.id);
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("alr_") && a.id.len() == 28);
    }

    #[test]
    fn alert_json_is_frozen() {
        let a = Alert::from_event(&errored("a"), 1_720_548_474_000).unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"id":"{}","provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"errored","code":"ERR_GOP_OUT_OF_RANGE","message":"m","hint":"h","occurred_at":"2024-07-09T18:07:51.077371662Z","received_at":"2024-07-09T18:07:54Z","received_at_ms":1720548474000,"event_type":"live_input.errored"}}"#,
                a.id
            )
        );
    }

    #[test]
    fn storage_keys_sort_by_time() {
        let early = Alert::from_event(&errored("z"), 999).unwrap();
        let late = Alert::from_event(&errored("a"), 1000).unwrap();
        assert!(early.storage_key() < late.storage_key());
    }

    #[test]
    fn pruning_keeps_at_most_max_alerts() {
        assert_eq!(excess_alerts(MAX_ALERTS + 3), 3);
        assert_eq!(excess_alerts(MAX_ALERTS), 0);
        assert_eq!(excess_alerts(10), 0);
    }
}
