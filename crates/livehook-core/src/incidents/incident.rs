//! What an incident is: one outage of one stream, from the error, warning or loss of air that
//! opened it to the recovery (or the person) that resolved it. The stream's object decides
//! when it opens, what joins it and when it resolves ([`super::track`]); the hub keeps it,
//! lists it and tells the subscribers ([`IncidentChange`] is what travels between them).
//!
//! Invariants (each has a test below):
//! - An incident's id is derived from its stream and what opened it, so handing the same
//!   change over twice stores it once.
//! - Nothing in an incident is a credential: it is built from the normalized event only.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{AlertId, IncidentId};
use crate::ingest::event::{ErrorInfo, Kind, ProviderId, StreamKey};
use crate::time::format_rfc3339_ms;

/// Most alert ids an incident lists (the newest).
pub const MAX_ALERT_IDS: usize = 20;

/// Why an incident opened (and, once errors join it, what it is now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// A provider warning about a stream that still works (Mux, IVS).
    Warning,
    /// A stream that was on air stayed off air.
    Offline,
    /// The provider reported the input errored.
    Errored,
}

impl Cause {
    pub const ALL: [Cause; 3] = [Cause::Errored, Cause::Offline, Cause::Warning];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Errored => "errored",
            Cause::Offline => "offline",
            Cause::Warning => "warning",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Open,
    /// Open, and someone said they are on it.
    Acknowledged,
    Resolved,
}

impl IncidentState {
    pub const ALL: [IncidentState; 3] = [
        IncidentState::Open,
        IncidentState::Acknowledged,
        IncidentState::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Open => "open",
            IncidentState::Acknowledged => "acknowledged",
            IncidentState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Who resolved an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolvedBy {
    /// The stream stayed on air for the stable wait (or its warning was cleared).
    Recovery,
    /// `POST /incidents/{id}/resolve`.
    Manual,
}

/// One incident, as the API, the board and the notifications show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub provider: ProviderId,
    pub stream_id: String,
    pub kind: Kind,
    /// The provider's name for the stream, when it sends one.
    pub name: Option<String>,
    pub cause: Cause,
    pub state: IncidentState,
    /// When the outage began, by livehook's clock (RFC 3339): when it received the error or
    /// warning, or, for an offline incident, the event that took the stream off the air.
    /// Every incident time is a receipt time, so durations never mix providers' clocks.
    pub opened_at: String,
    pub opened_at_ms: u64,
    pub acknowledged_at: Option<String>,
    pub resolved_at: Option<String>,
    /// From `opened_at` to `resolved_at`, once resolved.
    pub duration_ms: Option<u64>,
    pub resolved_by: Option<ResolvedBy>,
    /// The newest error or warning (`hint` empty for a warning).
    pub error: Option<ErrorInfo>,
    /// Errors and warnings that joined it after it opened.
    pub repeat_count: u32,
    /// The alerts of its errors and warnings, oldest first (the newest [`MAX_ALERT_IDS`]).
    pub alert_ids: Vec<AlertId>,
}

impl Incident {
    /// A new open incident of `stream`, opened at `opened_ms` by `cause`; `opened_by` (the
    /// event id, or `offline` and the moment) makes its id.
    pub fn open(
        stream: &StreamKey,
        name: Option<String>,
        cause: Cause,
        opened_ms: u64,
        opened_by: &str,
    ) -> Self {
        let digest = Sha256::digest(format!("{stream}\n{opened_by}\n{opened_ms}").as_bytes());
        Incident {
            id: IncidentId::from_bytes(&digest[..12]),
            provider: stream.provider,
            stream_id: stream.id.clone(),
            kind: stream.kind,
            name,
            cause,
            state: IncidentState::Open,
            opened_at: format_rfc3339_ms(opened_ms),
            opened_at_ms: opened_ms,
            acknowledged_at: None,
            resolved_at: None,
            duration_ms: None,
            resolved_by: None,
            error: None,
            repeat_count: 0,
            alert_ids: Vec::new(),
        }
    }

    pub fn stream(&self) -> Option<StreamKey> {
        StreamKey::new(self.provider, self.kind, &self.stream_id)
    }

    pub fn is_resolved(&self) -> bool {
        self.state == IncidentState::Resolved
    }

    /// The newest error's code, if any.
    pub fn code(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.code.as_str())
    }

    /// Lists an alert of this incident (the newest [`MAX_ALERT_IDS`] are kept).
    pub fn add_alert(&mut self, id: Option<AlertId>) {
        let Some(id) = id else { return };
        if self.alert_ids.contains(&id) {
            return;
        }
        self.alert_ids.push(id);
        if self.alert_ids.len() > MAX_ALERT_IDS {
            self.alert_ids.remove(0);
        }
    }

    /// Resolves it at `at_ms`.
    pub fn resolve(&mut self, at_ms: u64, by: ResolvedBy) {
        self.state = IncidentState::Resolved;
        self.resolved_at = Some(format_rfc3339_ms(at_ms));
        self.duration_ms = Some(at_ms.saturating_sub(self.opened_at_ms));
        self.resolved_by = Some(by);
    }
}

/// What happened to an incident, in the order it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Opened,
    /// An error or warning of the stream joined it.
    Joined,
    Acknowledged,
    Resolved,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Opened => "opened",
            ChangeKind::Joined => "joined",
            ChangeKind::Acknowledged => "acknowledged",
            ChangeKind::Resolved => "resolved",
        }
    }
}

/// One change of an incident, from the stream's object to the hub: the incident as the stream
/// sees it after the change. `seq` counts the stream's changes to it from 1 (opened), so the
/// hub applies each once and in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentChange {
    pub change: ChangeKind,
    pub seq: u32,
    pub at_ms: u64,
    pub incident: Incident,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StreamKey {
        StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, "in1").unwrap()
    }

    #[test]
    fn ids_are_stable_per_opening_and_shaped() {
        let a = Incident::open(&key(), None, Cause::Errored, 5, "e1");
        let again = Incident::open(&key(), None, Cause::Errored, 5, "e1");
        let other = Incident::open(&key(), None, Cause::Errored, 5, "e2");
        assert_eq!(a.id, again.id);
        assert_ne!(a.id, other.id);
        assert!(a.id.as_str().starts_with("inc_") && a.id.as_str().len() == 28);
    }

    #[test]
    fn resolving_records_when_how_and_how_long() {
        let mut i = Incident::open(&key(), None, Cause::Offline, 1_000, "offline");
        i.resolve(253_000, ResolvedBy::Recovery);
        assert_eq!(i.state, IncidentState::Resolved);
        assert_eq!(i.duration_ms, Some(252_000));
        assert_eq!(i.resolved_at.as_deref(), Some("1970-01-01T00:04:13Z"));
    }

    #[test]
    fn alert_ids_are_bounded_and_unique() {
        let mut i = Incident::open(&key(), None, Cause::Errored, 5, "e1");
        for n in 0..30u8 {
            i.add_alert(Some(AlertId::from_bytes(&[n])));
            i.add_alert(Some(AlertId::from_bytes(&[n])));
        }
        assert_eq!(i.alert_ids.len(), MAX_ALERT_IDS);
        assert_eq!(i.alert_ids[0], AlertId::from_bytes(&[10]));
    }

    #[test]
    fn causes_and_states_parse_their_names_only() {
        for c in Cause::ALL {
            assert_eq!(Cause::parse(c.as_str()), Some(c));
        }
        assert_eq!(Cause::parse("down"), None);
        assert_eq!(
            IncidentState::parse("acknowledged"),
            Some(IncidentState::Acknowledged)
        );
        assert_eq!(IncidentState::parse("closed"), None);
        assert!(Cause::Errored > Cause::Offline && Cause::Offline > Cause::Warning);
    }
}
