//! What the worker asks a stream's object ([`StreamRequest`] on the wire), one type per
//! request ([`Ingest`], [`GetRecord`], [`HistoryQuery`], [`IgnoredNote`], [`Inspect`]), each
//! naming its reply; and the object's answers ([`StreamReply`]). `GET /streams/{provider}/{id}`,
//! `…/events` and `…/diagnostics` answer with the object's reply body as it came.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize, Serializer};

use super::{parsed_reply, tagged, Call, Forwarded, Payload, ReplyKind};
use crate::alerts::alert::Alert;
use crate::history::HistoryEntry;
use crate::ids::IncidentId;
use crate::incidents::{IncidentTimers, IncidentTrack};
use crate::ingest::event::{Event, StatusRecord};
use crate::ordering::{OrderKey, Outcome, StreamLedger};
use crate::reconcile::decide::Poll;
use crate::time::Nanos;

/// What the worker asks a stream's object (the wire form of the request types below).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamRequest {
    /// Apply one event ([`Ingest`]).
    Ingest(Box<Ingest>),
    /// The object's state ([`Inspect`]).
    Inspect,
    /// The stream's record, strongly consistent ([`GetRecord`]).
    Get,
    /// The newest history entries ([`HistoryQuery`]).
    History(HistoryQuery),
    /// A message for this stream of a type livehook does not track: history only
    /// ([`IgnoredNote`]).
    Ignored(IgnoredNote),
    /// `POST /incidents/{id}/resolve`: resolve the stream's open incident if it is this one
    /// ([`ResolveIncident`]).
    ResolveIncident(IncidentId),
    /// What a provider's API says about the stream ([`ReconcilePoll`]).
    Reconcile(Box<ReconcilePoll>),
    /// A media server still publishes the stream ([`Heartbeat`]).
    Heartbeat(Box<Heartbeat>),
}

/// A media server's heartbeat for the stream (nginx-rtmp's `update_publish`), received at
/// `at_ms`, and the start it stands for. On air, the record is verified and watched for the
/// next one within `stale_after_ms` (`NGINX_RTMP_STALE_AFTER`); off air, `start` is applied
/// first if its client's own stop never came. The stop the alarm may apply, and the start,
/// run with `incidents`. Answered `applied`, or `stale` when nothing changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Heartbeat {
    pub start: Event,
    pub at_ms: u64,
    pub stale_after_ms: u64,
    #[serde(default)]
    pub incidents: IncidentTimers,
}

impl Call for Heartbeat {
    type Wire = StreamRequest;
    type Reply = IngestReply;
    fn wire(self) -> StreamRequest {
        StreamRequest::Heartbeat(Box::new(self))
    }
}

/// One event and when the worker received it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ingest {
    pub event: Event,
    pub received_at_ms: u64,
    /// The incident settings in force (`INCIDENT_OFFLINE_AFTER`, `INCIDENT_STABLE_AFTER`).
    #[serde(default)]
    pub incidents: IncidentTimers,
    /// A provider's API corrected the stream (`crate::reconcile`): its history entry says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub correction: bool,
}

impl Call for Ingest {
    type Wire = StreamRequest;
    type Reply = IngestReply;
    fn wire(self) -> StreamRequest {
        StreamRequest::Ingest(Box::new(self))
    }
}

/// `GET /streams/{provider}/{id}`: the record.
#[derive(Debug, Clone, Copy)]
pub struct GetRecord;

impl Call for GetRecord {
    type Wire = StreamRequest;
    type Reply = Forwarded<StatusRecord>;
    fn wire(self) -> StreamRequest {
        StreamRequest::Get
    }
}

/// `GET /streams/{provider}/{id}/events?limit=` (1 to `history::MAX_HISTORY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub limit: usize,
}

impl Call for HistoryQuery {
    type Wire = StreamRequest;
    type Reply = Forwarded<HistoryPage>;
    fn wire(self) -> StreamRequest {
        StreamRequest::History(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredNote {
    pub event_type: Option<String>,
    pub received_at_ms: u64,
}

impl Call for IgnoredNote {
    type Wire = StreamRequest;
    type Reply = Noted;
    fn wire(self) -> StreamRequest {
        StreamRequest::Ignored(self)
    }
}

/// A provider's API's answer about this stream, with the settings that decide what it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilePoll {
    pub poll: Poll,
    /// `RECONCILE_SETTLE_SECONDS`, in ms.
    pub settle_ms: u64,
    #[serde(default)]
    pub incidents: IncidentTimers,
}

impl Call for ReconcilePoll {
    type Wire = StreamRequest;
    type Reply = Reconciled;
    fn wire(self) -> StreamRequest {
        StreamRequest::Reconcile(Box::new(self))
    }
}

/// What a poll did to the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconcileOutcome {
    /// The record was right (now verified).
    Confirmed,
    /// The record was wrong and is corrected.
    Corrected,
    /// The stream was unknown and is added.
    Added,
    /// The record differs but changed too recently: asked again later.
    Settling,
    /// A webhook newer than the poll already set the state.
    Stale,
    /// The correction waits: the stream's outbox is full (the hub is unreachable).
    Deferred,
    /// The API's value decides nothing (a reconnect under way, a stream being prepared).
    Unchanged,
    /// Not a live input: left alone.
    NotReconciled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciled {
    pub outcome: ReconcileOutcome,
}

/// `POST /incidents/{id}/resolve`, to the incident's stream.
#[derive(Debug, Clone)]
pub struct ResolveIncident(pub IncidentId);

impl Call for ResolveIncident {
    type Wire = StreamRequest;
    type Reply = IncidentResolved;
    fn wire(self) -> StreamRequest {
        StreamRequest::ResolveIncident(self.0)
    }
}

/// Whether the stream had this incident open (and resolved it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentResolved {
    pub resolved: bool,
}

/// `GET /streams/{provider}/{id}/diagnostics`: the object's state.
#[derive(Debug, Clone, Copy)]
pub struct Inspect;

impl Call for Inspect {
    type Wire = StreamRequest;
    type Reply = Forwarded<StreamDiagnostics>;
    fn wire(self) -> StreamRequest {
        StreamRequest::Inspect
    }
}

/// A stream object's answers, each written under its body's [`Payload::KIND`].
#[derive(Debug)]
pub enum StreamReply {
    Ingested(IngestReply),
    Inspected(Box<StreamDiagnostics>),
    Record(Box<StatusRecord>),
    History(HistoryPage),
    Noted(Noted),
    IncidentResolved(IncidentResolved),
    Reconciled(Reconciled),
}

impl Serialize for StreamReply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StreamReply::Ingested(b) => tagged(b, s),
            StreamReply::Inspected(b) => tagged(b.as_ref(), s),
            StreamReply::Record(b) => tagged(b.as_ref(), s),
            StreamReply::History(b) => tagged(b, s),
            StreamReply::Noted(b) => tagged(b, s),
            StreamReply::IncidentResolved(b) => tagged(b, s),
            StreamReply::Reconciled(b) => tagged(b, s),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReply {
    pub outcome: Outcome,
    pub alert_queued: bool,
}

/// `GET /streams/{provider}/{id}/events`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryPage {
    pub events: Vec<HistoryEntry>,
}

/// A request that changes nothing anyone reads back (a history note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noted {
    pub ok: bool,
}

impl Payload for IngestReply {
    const KIND: ReplyKind = ReplyKind::Ingested;
}
impl Payload for StreamDiagnostics {
    const KIND: ReplyKind = ReplyKind::Inspected;
}
impl Payload for StatusRecord {
    const KIND: ReplyKind = ReplyKind::Record;
}
impl Payload for HistoryPage {
    const KIND: ReplyKind = ReplyKind::History;
}
impl Payload for Noted {
    const KIND: ReplyKind = ReplyKind::Noted;
}
impl Payload for IncidentResolved {
    const KIND: ReplyKind = ReplyKind::IncidentResolved;
}
impl Payload for Reconciled {
    const KIND: ReplyKind = ReplyKind::Reconciled;
}
parsed_reply!(IngestReply, Noted, IncidentResolved, Reconciled);

/// `GET /streams/{provider}/{id}/diagnostics`: the stream object's own state (strongly
/// consistent), and whether KV has caught up with it. An API type of its own: the object's
/// stored format may change without changing this body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamDiagnostics {
    /// `{provider}:{kind}:{id}`.
    pub stream: String,
    pub kv_in_sync: bool,
    /// Alerts not yet taken by the hub.
    pub alerts_waiting: usize,
    /// Entries in its history (at most `history::MAX_HISTORY`).
    pub history_entries: usize,
    pub state: LedgerView,
}

/// The object's state as `…/diagnostics` shows it (the OpenAPI schema `StreamLedger`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerView {
    pub record: Option<StatusRecord>,
    /// The newest event that set the state.
    pub order: Option<EventOrder>,
    /// The newest event that set each other field, and the newest to set anything (left out
    /// when none did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_order: Option<EventOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning_order: Option<EventOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_link_order: Option<EventOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_order: Option<EventOrder>,
    /// Recent provider event ids, oldest first.
    pub seen: VecDeque<String>,
    /// Bumped on every applied event.
    pub version: u64,
    /// The `version` last confirmed written to KV.
    pub kv_version: u64,
    pub kv_slot_ms: Option<u64>,
    pub kv_failures: u32,
    /// Alerts not yet confirmed stored by the alert hub.
    pub outbox: Vec<Alert>,
    pub outbox_failures: u32,
    pub outbox_retry_ms: Option<u64>,
    /// The open incident, a grace period under way, and incident changes not yet confirmed
    /// by the hub (left out when there are none).
    #[serde(skip_serializing_if = "IncidentTrack::is_empty")]
    pub incidents: IncidentTrack,
    /// When a provider's API last confirmed or corrected the record (ms; left out before).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_ms: Option<u64>,
}

/// Where an event sits in a stream's order (the OpenAPI schema `OrderKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventOrder {
    /// Nanoseconds since the epoch.
    pub occurred_at: Nanos,
    pub tie_rank: u8,
    pub event_id: String,
}

impl From<OrderKey> for EventOrder {
    fn from(k: OrderKey) -> Self {
        EventOrder {
            occurred_at: k.occurred_at,
            tie_rank: k.tie_rank,
            event_id: k.event_id,
        }
    }
}

impl From<StreamLedger> for LedgerView {
    fn from(l: StreamLedger) -> Self {
        LedgerView {
            record: l.record,
            order: l.order.map(Into::into),
            recording_order: l.recording_order.map(Into::into),
            warning_order: l.warning_order.map(Into::into),
            recording_link_order: l.recording_link_order.map(Into::into),
            last_order: l.last_order.map(Into::into),
            seen: l.seen,
            version: l.version,
            kv_version: l.kv_version,
            kv_slot_ms: l.kv_slot_ms,
            kv_failures: l.kv_failures,
            outbox: l.outbox,
            outbox_failures: l.outbox_failures,
            outbox_retry_ms: l.outbox_retry_ms,
            incidents: l.incidents,
            verified_ms: l.verified_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{read_reply, ObjectError, Reply};

    #[test]
    fn requests_have_a_stable_wire_form() {
        let wire = |r: StreamRequest| serde_json::to_string(&r).unwrap();
        assert_eq!(wire(Inspect.wire()), r#""inspect""#);
        assert_eq!(wire(GetRecord.wire()), r#""get""#);
        assert_eq!(
            wire(HistoryQuery { limit: 7 }.wire()),
            r#"{"history":{"limit":7}}"#
        );
        let note = IgnoredNote {
            event_type: Some("video.live_stream.exploded".into()),
            received_at_ms: 5,
        };
        assert_eq!(
            wire(note.wire()),
            r#"{"ignored":{"event_type":"video.live_stream.exploded","received_at_ms":5}}"#
        );
        let back: StreamRequest = serde_json::from_str(r#"{"history":{"limit":7}}"#).unwrap();
        assert!(matches!(
            back,
            StreamRequest::History(HistoryQuery { limit: 7 })
        ));
    }

    #[test]
    fn each_reply_is_written_under_its_kind_with_its_body_byte_for_byte() {
        let cases: [(StreamReply, &str); 3] = [
            (
                StreamReply::Ingested(IngestReply {
                    outcome: Outcome::Applied,
                    alert_queued: true,
                }),
                r#"{"Ok":{"kind":"ingested","body":{"outcome":"applied","alert_queued":true}}}"#,
            ),
            (
                StreamReply::History(HistoryPage { events: Vec::new() }),
                r#"{"Ok":{"kind":"history","body":{"events":[]}}}"#,
            ),
            (
                StreamReply::Noted(Noted { ok: true }),
                r#"{"Ok":{"kind":"noted","body":{"ok":true}}}"#,
            ),
        ];
        for (reply, wire) in cases {
            assert_eq!(
                serde_json::to_string(&Ok::<_, ObjectError>(&reply)).unwrap(),
                wire
            );
        }
        let wire = r#"{"Ok":{"kind":"ingested","body":{"outcome":"applied","alert_queued":true}}}"#;
        let back: IngestReply = read_reply(wire).unwrap();
        assert_eq!((back.outcome, back.alert_queued), (Outcome::Applied, true));
        let page: Forwarded<HistoryPage> =
            read_reply(r#"{"Ok":{"kind":"history","body":{"events":[]}}}"#).unwrap();
        assert_eq!(
            page.json(),
            r#"{"events":[]}"#,
            "the HTTP body, byte for byte"
        );
        let missing: Reply<Forwarded<StatusRecord>> = read_reply(r#"{"Err":"no_such_stream"}"#);
        assert_eq!(missing.err(), Some(ObjectError::NoSuchStream));
    }
}
