//! What the incident requests to the alert hub carry and are answered (the requests
//! themselves, `RecordIncident`, `GetIncident`, `AcknowledgeIncident`, `CloseIncident` and the
//! listing's [`IncidentQuery`], are in [`super::hub`]). Every body but [`IncidentRecorded`] and
//! [`Closed`] is exactly the HTTP body the worker returns.

use serde::{Deserialize, Serialize};

use super::{parsed_reply, Payload, ReplyKind};
use crate::alerts::delivery::{Attempt, DeliveryStatus};
use crate::alerts::subscriber::Format;
use crate::ids::{IncidentId, SubscriberId};
use crate::incidents::{Cause, ChangeKind, Incident, IncidentState};
use crate::ingest::event::{ProviderId, StreamKey};

/// The hub has the change (or a later one). `closed`: the incident was resolved at the hub
/// (by hand) before this change: the stream's object stops tracking it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecorded {
    pub id: IncidentId,
    pub seq: u32,
    #[serde(default)]
    pub closed: bool,
}

/// The incident as resolved by hand, for the worker to tell its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    pub stream: StreamKey,
}

/// How many incidents one `GET /incidents` returns: 1 to 200, default 50.
pub const MAX_INCIDENT_LIMIT: usize = 200;
pub const DEFAULT_INCIDENT_LIMIT: usize = 50;

/// `GET /incidents`: which, how many, from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<IncidentState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<ProviderId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamKey>,
    pub limit: usize,
    /// Where the previous page ended (opaque to clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// One page of incidents, newest first, and where the next begins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentsPage {
    pub incidents: Vec<Incident>,
    pub cursor: Option<String>,
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: String,
    /// `opened`, `joined`, `acknowledged` or `resolved`.
    pub change: ChangeKind,
    pub cause: Cause,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One notification of an incident to one subscriber, and how its delivery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    /// `opened`, `acknowledged` or `resolved`.
    pub event: ChangeKind,
    /// Set when the notification is a storm's summary or grouped page, not this incident's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<IncidentId>,
    pub subscriber_id: SubscriberId,
    pub format: Option<Format>,
    pub status: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_reason: Option<String>,
    pub attempts: Vec<Attempt>,
}

/// `GET /incidents/{id}`: the incident, its timeline and its notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
    pub notifications: Vec<NotificationView>,
}

impl Payload for IncidentRecorded {
    const KIND: ReplyKind = ReplyKind::IncidentRecorded;
}
impl Payload for Closed {
    const KIND: ReplyKind = ReplyKind::Closed;
}
impl Payload for IncidentsPage {
    const KIND: ReplyKind = ReplyKind::Incidents;
}
impl Payload for IncidentDetail {
    const KIND: ReplyKind = ReplyKind::Incident;
}
parsed_reply!(IncidentRecorded, Closed);
