//! The contract between the worker and its Durable Objects: binding names, the keys they share,
//! and the typed messages. One request enum per object, typed replies, and one error type
//! ([`ObjectError`]) that the worker maps to HTTP in one place. On the wire each request is the
//! JSON of its enum in a `POST` body and each answer is the JSON of a [`Reply`]; no paths, no
//! status codes to interpret.
//!
//! Replies are written typed ([`HubReply`], [`StreamReply`]) and read as an [`Answer`]: which
//! reply it is, typed, and its payload as raw JSON. Each payload is exactly the HTTP body the
//! worker returns for it, so the worker forwards it without parsing it again (and the Wasm
//! carries no code to parse what it only forwards).
//!
//! Limits that both sides rely on are types here ([`AlertLimit`]), so a value that reached an
//! object is valid by construction and is not checked twice.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::alerts::alert::Alert;
use crate::alerts::record::{AlertRecord, AlertSummary};
use crate::alerts::secret::SigningSecret;
use crate::alerts::subscriber::{NewSubscriber, SubscriberView};
use crate::history::HistoryEntry;
use crate::ids::{AlertId, SubscriberId};
use crate::ingest::event::{Event, StatusRecord, StreamKey};
use crate::ordering::{Outcome, StreamLedger};

/// Workers KV namespace holding one status record per stream (and [`NOTIFY_STATES_KEY`]).
pub const STATUS_KV: &str = "STREAM_STATUS";
/// Durable Object namespace, one object per stream (class `StreamStatus`), named by
/// `StreamKey`'s `Display` (`{provider}:{kind}:{id}`).
pub const STREAMS_DO: &str = "STREAMS";
/// Durable Object namespace of the alert hub (class `AlertHub`, one instance).
pub const ALERT_HUB_DO: &str = "ALERT_HUB";
/// Name of the single alert hub instance.
pub const ALERT_HUB_NAME: &str = "global";
/// KV key listing the non-error states some subscriber wants: written by the hub, read by the
/// stream objects.
pub const NOTIFY_STATES_KEY: &str = "meta:notify-states";
/// The WebSocket subprotocol the live feed answers with when offered.
pub const LIVE_PROTOCOL: &str = "livehook";
/// What the live feed answers to a `ping` text message (without waking the hub).
pub const LIVE_PING: &str = "ping";
pub const LIVE_PONG: &str = "pong";

/// Every answer from an object.
pub type Reply<T> = Result<T, ObjectError>;

/// What can go wrong inside an object, as the worker must know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum ObjectError {
    #[error("no such alert")]
    NoSuchAlert,
    #[error("no such subscriber")]
    NoSuchSubscriber,
    #[error("no such stream")]
    NoSuchStream,
    /// The request conflicts with the object's state; the text says how (no secret in it).
    #[error("{0}")]
    Conflict(String),
    /// Storage failed: retrying is the right answer. The text is for the log only.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The object's Wasm instance trapped (a panic) during the call: the caller answers 500.
    /// Never sent by an object; the caller sees the call fail with [`TRAPPED`].
    #[error("the object trapped")]
    Trapped,
}

/// The message a call into a trapped Wasm instance fails with (`src/entry.js` rejects it so).
pub const TRAPPED: &str = "livehook: the Wasm instance trapped";

// ---- worker → stream object ----

/// What the worker asks a stream's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamRequest {
    /// Apply one event (answered with [`StreamReply::Ingested`]).
    Ingest(Box<Ingest>),
    /// The object's state (answered with [`StreamReply::Inspected`]).
    Inspect,
    /// The stream's record, strongly consistent (answered with [`StreamReply::Record`]).
    Get,
    /// The newest history entries (answered with [`StreamReply::History`]).
    History(HistoryQuery),
    /// A message for this stream of a type livehook does not track: history only
    /// (answered with [`StreamReply::Noted`]).
    Ignored(IgnoredNote),
}

/// `GET /streams/{provider}/{id}/events?limit=` (1 to `history::MAX_HISTORY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredNote {
    pub event_type: Option<String>,
    pub received_at_ms: u64,
}

/// One event and when the worker received it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ingest {
    pub event: Event,
    pub received_at_ms: u64,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum StreamReply {
    Ingested(IngestReply),
    Inspected(Box<StreamInspection>),
    Record(Box<StatusRecord>),
    History(HistoryPage),
    Noted(Noted),
}

impl StreamReply {
    pub fn kind(&self) -> ReplyKind {
        match self {
            StreamReply::Ingested(_) => ReplyKind::Ingested,
            StreamReply::Inspected(_) => ReplyKind::Inspected,
            StreamReply::Record(_) => ReplyKind::Record,
            StreamReply::History(_) => ReplyKind::History,
            StreamReply::Noted(_) => ReplyKind::Noted,
        }
    }
}

/// `GET /streams/{provider}/{id}/events`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryPage {
    pub events: Vec<HistoryEntry>,
}

/// A request that changes nothing anyone reads back (a history note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Noted {
    pub ok: bool,
}

/// Which reply an [`Answer`] is: a [`StreamReply`] or a [`HubReply`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    Ingested,
    Inspected,
    Record,
    History,
    Noted,
    Accepted,
    Alerts,
    Alert,
    Retried,
    Created,
    Subscriptions,
    Subscriber,
    Rotated,
    Deleted,
    Watching,
}

/// A reply as its reader sees it: its kind, typed, and its payload as raw JSON.
#[derive(Debug, Deserialize)]
pub struct Answer {
    pub kind: ReplyKind,
    pub body: Box<RawValue>,
}

impl Answer {
    /// The payload, parsed (for the replies the reader acts on, not only forwards).
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ObjectError> {
        crate::text::read_json(self.body.get())
            .map_err(|e| ObjectError::Unavailable(format!("reply body: {e}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReply {
    pub outcome: Outcome,
    pub alert_queued: bool,
}

/// `GET /streams/{provider}/{id}/diagnostics`: the stream object's own state (strongly
/// consistent), and whether KV has caught up with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamInspection {
    pub stream: String,
    pub kv_in_sync: bool,
    pub alerts_waiting: usize,
    /// Entries in its history (at most `history::MAX_HISTORY`).
    pub history_entries: usize,
    pub state: StreamLedger,
}

// ---- worker (and stream objects) → alert hub ----

/// What the worker (or a stream's object, for [`HubRequest::Accept`]) asks the alert hub.
/// (Newtype variants only: each reuses its payload's JSON, so the Wasm carries no extra
/// parser per variant.)
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HubRequest {
    /// Store an alert and deliver it (idempotent per alert id).
    Accept(Alert),
    ListAlerts(AlertQuery),
    GetAlert(AlertId),
    /// Dead deliveries start over.
    Retry(AlertId),
    CreateSubscriber(NewSubscriber),
    ListSubscribers,
    GetSubscriber(SubscriberId),
    DeleteSubscriber(SubscriberId),
    /// A new signing secret; the old one signs beside it for a day.
    RotateSubscriber(SubscriberId),
    /// A stream's record changed: tell the live feed (nothing is stored). Answered with
    /// [`HubReply::Watching`], which the stream objects' [`crate::live::LiveGate`] learns from.
    StreamChanged(Box<StreamChange>),
}

/// What the live feed says of a stream whose record changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamChange {
    /// The stream object's version after the change: a viewer keeps the highest it has seen
    /// (two changes may reach it out of order).
    pub version: u64,
    pub record: StatusRecord,
}

/// `GET /alerts`: how many, and which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    pub limit: AlertLimit,
    pub delivery: Option<DeliveryFilter>,
    /// Only this stream's alerts (`?stream={provider}:{kind}:{id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamKey>,
}

/// The hub's answers. Each payload is exactly the HTTP body the worker returns for it.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum HubReply {
    Accepted(Accepted),
    Alerts(AlertsPage),
    Alert(Box<AlertRecord>),
    Retried(Retried),
    Created(Created),
    Subscriptions(SubscriptionsPage),
    Subscriber(SubscriberView),
    Rotated(Rotated),
    Deleted(Deleted),
    Watching(Watching),
}

impl HubReply {
    pub fn kind(&self) -> ReplyKind {
        match self {
            HubReply::Accepted(_) => ReplyKind::Accepted,
            HubReply::Alerts(_) => ReplyKind::Alerts,
            HubReply::Alert(_) => ReplyKind::Alert,
            HubReply::Retried(_) => ReplyKind::Retried,
            HubReply::Created(_) => ReplyKind::Created,
            HubReply::Subscriptions(_) => ReplyKind::Subscriptions,
            HubReply::Subscriber(_) => ReplyKind::Subscriber,
            HubReply::Rotated(_) => ReplyKind::Rotated,
            HubReply::Deleted(_) => ReplyKind::Deleted,
            HubReply::Watching(_) => ReplyKind::Watching,
        }
    }
}

/// How many live-feed viewers a stream change reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watching {
    pub viewers: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: AlertId,
    /// False if this alert id was stored before (a repeated hand-off).
    pub stored: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<usize>,
    /// Set when the alert was folded into an open incident's alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<AlertId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertsPage {
    pub alerts: Vec<AlertSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retried {
    pub id: AlertId,
    pub requeued: Vec<SubscriberId>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub subscriber_id: SubscriberId,
    pub reason: String,
}

/// A new subscriber: its view and, for webhooks, its secret (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub subscriber: SubscriberView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SigningSecret>,
}

/// A subscriber's new signing secret (shown this once), and its view: until when the previous
/// secret still signs (`previous_secret_signs_until`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rotated {
    #[serde(flatten)]
    pub subscriber: SubscriberView,
    pub secret: SigningSecret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionsPage {
    pub subscriptions: Vec<SubscriberView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deleted {
    pub id: SubscriberId,
    pub deleted: bool,
}

/// Which alerts `GET /alerts?delivery=` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryFilter {
    /// Alerts with a dead delivery (the dead-letter list).
    Dead,
    /// Alerts with a delivery still to make.
    Pending,
}

impl DeliveryFilter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "dead" => Some(DeliveryFilter::Dead),
            "pending" => Some(DeliveryFilter::Pending),
            _ => None,
        }
    }
}

/// How many alerts one `GET /alerts` returns: 1 to [`AlertLimit::MAX`], by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlertLimit(usize);

impl AlertLimit {
    pub const DEFAULT: AlertLimit = AlertLimit(50);
    pub const MAX: usize = 200;

    /// `None` unless `s` is a number from 1 to [`AlertLimit::MAX`].
    pub fn parse(s: &str) -> Option<Self> {
        let n: usize = s.parse().ok()?;
        (1..=Self::MAX).contains(&n).then_some(AlertLimit(n))
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for AlertLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl<'de> Deserialize<'de> for AlertLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Whatever was sent, the value is within bounds.
        Ok(AlertLimit(usize::deserialize(d)?.clamp(1, Self::MAX)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_limits_are_bounded_by_construction() {
        assert_eq!(AlertLimit::parse("1").map(AlertLimit::get), Some(1));
        assert_eq!(AlertLimit::parse("200").map(AlertLimit::get), Some(200));
        for bad in ["0", "201", "-1", "ten", ""] {
            assert_eq!(AlertLimit::parse(bad), None, "{bad}");
        }
        let clamped: AlertLimit = serde_json::from_str("100000").unwrap();
        assert_eq!(clamped.get(), AlertLimit::MAX);
        assert_eq!(AlertLimit::default().get(), 50);
    }

    #[test]
    fn requests_and_errors_have_a_stable_wire_form() {
        let req = HubRequest::ListAlerts(AlertQuery {
            limit: AlertLimit::DEFAULT,
            delivery: Some(DeliveryFilter::Dead),
            stream: None,
        });
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"list_alerts":{"limit":50,"delivery":"dead"}}"#
        );
        assert_eq!(
            serde_json::to_string(&StreamRequest::Inspect).unwrap(),
            r#""inspect""#
        );
        let err: Reply<HubReply> = Err(ObjectError::Conflict("at most 100 subscribers".into()));
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(json, r#"{"Err":{"conflict":"at most 100 subscribers"}}"#);
        let back: Reply<Answer> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.err(),
            Some(ObjectError::Conflict("at most 100 subscribers".into()))
        );
        assert_eq!(
            DeliveryFilter::parse("pending"),
            Some(DeliveryFilter::Pending)
        );
        assert_eq!(DeliveryFilter::parse("all"), None);
    }

    #[test]
    fn a_typed_reply_reads_back_as_its_kind_and_its_exact_payload() {
        let id = AlertId::parse("alr_0a").unwrap();
        let sub = SubscriberId::parse("sub_0b").unwrap();
        let replies = [
            HubReply::Accepted(Accepted {
                id: id.clone(),
                stored: true,
                deliveries: Some(2),
                repeat_of: None,
            }),
            HubReply::Alerts(AlertsPage { alerts: Vec::new() }),
            HubReply::Retried(Retried {
                id,
                requeued: vec![sub.clone()],
                skipped: Vec::new(),
            }),
            HubReply::Deleted(Deleted {
                id: sub,
                deleted: true,
            }),
        ];
        for reply in replies {
            let payload = match &reply {
                HubReply::Accepted(p) => serde_json::to_string(p),
                HubReply::Alerts(p) => serde_json::to_string(p),
                HubReply::Retried(p) => serde_json::to_string(p),
                HubReply::Deleted(p) => serde_json::to_string(p),
                _ => unreachable!(),
            }
            .unwrap();
            let wire = serde_json::to_string(&Ok::<_, ObjectError>(&reply)).unwrap();
            let answer: Reply<Answer> = serde_json::from_str(&wire).unwrap();
            let answer = answer.unwrap();
            assert_eq!(answer.kind, reply.kind());
            assert_eq!(answer.body.get(), payload, "the HTTP body, byte for byte");
        }
        let accepted: Accepted = Answer {
            kind: ReplyKind::Accepted,
            body: RawValue::from_string(r#"{"id":"alr_0a","stored":false}"#.into()).unwrap(),
        }
        .parse()
        .unwrap();
        assert!(!accepted.stored);
    }

    #[test]
    fn stream_replies_read_back_the_same_way() {
        let reply = StreamReply::Ingested(IngestReply {
            outcome: Outcome::Applied,
            alert_queued: true,
        });
        let wire = serde_json::to_string(&Ok::<_, ObjectError>(&reply)).unwrap();
        let answer: Reply<Answer> = serde_json::from_str(&wire).unwrap();
        let answer = answer.unwrap();
        assert_eq!(answer.kind, ReplyKind::Ingested);
        assert_eq!(answer.kind, reply.kind());
        let back: IngestReply = answer.parse().unwrap();
        assert_eq!((back.outcome, back.alert_queued), (Outcome::Applied, true));
    }
}
