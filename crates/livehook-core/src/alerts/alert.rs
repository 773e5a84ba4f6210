//! What an alert is: an errored input, a warning about a stream that still works (Mux warnings,
//! IVS starvation, a failed recording), or a state change a subscriber asked to hear about.
//!
//! Invariants:
//! - An alert's id is derived from the provider event's de-duplication key, so handing the same
//!   alert over twice (a retry after a lost response) stores it once.
//! - No credential can be in an alert: it is built only from the normalized [`Event`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::AlertId;
use crate::ingest::event::{Event, Kind, ProviderId, State};
use crate::time::{format_rfc3339, millis_to_nanos};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub provider: ProviderId,
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
    /// A warning: `code` and `message` are the provider's; `state` is the stream's as the event
    /// found it (it did not change).
    #[serde(default, skip_serializing_if = "is_false")]
    pub warning: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Alert {
    /// An alert for an errored event or a raised warning; `None` for anything else.
    pub fn from_event(event: &Event, received_at_ms: u64) -> Option<Self> {
        if let Some(w) = event.raised_warning() {
            let mut alert = Self::state_change(event, received_at_ms);
            alert.warning = true;
            alert.code = Some(w.code.clone());
            alert.message = Some(w.message.clone());
            return Some(alert);
        }
        event
            .error
            .as_ref()
            .filter(|_| event.state == State::Errored && !event.keeps_state)?;
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
            id: AlertId::from_bytes(&digest[..12]),
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
            warning: false,
        }
    }

    /// The error code of an errored alert (its repeat window is per input and code).
    pub fn error_code(&self) -> Option<&str> {
        self.code
            .as_deref()
            .filter(|_| self.state == State::Errored && !self.warning)
    }

    /// What identical alerts share, for the repeat window: the error code, or
    /// `warning:{code}`. `None` for state-change notifications (never folded).
    pub fn repeat_code(&self) -> Option<String> {
        match (&self.code, self.warning) {
            (Some(code), true) => Some(format!("warning:{code}")),
            _ => self.error_code().map(str::to_owned),
        }
    }

    /// What the alert is about, as notifications name it: `warning`, or the state.
    pub fn label(&self) -> &'static str {
        if self.warning {
            "warning"
        } else {
            self.state.as_str()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::errored_event_for_tests;

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
    fn a_raised_warning_is_an_alert_that_keeps_the_state() {
        let mut e = errored("w1");
        e.state = State::Live;
        e.error = None;
        e.keeps_state = true;
        assert!(Alert::from_event(&e, 0).is_none(), "nothing happened yet");
        e.warning = Some(crate::ingest::event::WarningChange::Raised(
            crate::ingest::event::WarningInfo {
                code: "Starvation Start".into(),
                message: "the encoder stopped sending".into(),
            },
        ));
        let a = Alert::from_event(&e, 0).unwrap();
        assert!(a.warning);
        assert_eq!((a.state, a.label()), (State::Live, "warning"));
        assert_eq!(a.code.as_deref(), Some("Starvation Start"));
        assert_eq!(a.error_code(), None);
        assert_eq!(a.repeat_code().as_deref(), Some("warning:Starvation Start"));
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.ends_with(r#""warning":true}"#), "{json}");
        e.warning = Some(crate::ingest::event::WarningChange::Cleared);
        assert!(
            Alert::from_event(&e, 0).is_none(),
            "a cleared warning is not an alert"
        );
    }

    #[test]
    fn alert_ids_are_stable_per_event() {
        let a = Alert::from_event(&errored("a"), 1).unwrap();
        let a2 = Alert::from_event(&errored("a"), 2).unwrap();
        let b = Alert::from_event(&errored("b"), 1).unwrap();
        assert_eq!(a.id, a2.id);
        assert_ne!(a.id, b.id);
        assert!(a.id.as_str().starts_with("alr_") && a.id.as_str().len() == 28);
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
}
