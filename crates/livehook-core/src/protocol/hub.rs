//! What the worker (and, for [`Accept`] and [`StreamChange`], the stream objects) asks the
//! alert hub ([`HubRequest`] on the wire), one type per request, each naming its reply; and the
//! hub's answers ([`HubReply`]). Every body but [`Accepted`] and [`Watching`] is exactly the
//! HTTP body the worker returns for it, and is forwarded as it came.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::incidents::{Closed, IncidentDetail, IncidentQuery, IncidentRecorded, IncidentsPage};
use super::{parsed_reply, tagged, Call, Forwarded, Payload, ReplyKind};
use crate::alerts::alert::Alert;
use crate::alerts::record::{AlertRecord, AlertSummary};
use crate::alerts::secret::SigningSecret;
use crate::alerts::subscriber::{NewSubscriber, SubscriberView};
use crate::ids::{AlertId, IncidentId, SubscriberId};
use crate::incidents::IncidentChange;
use crate::ingest::event::{StatusRecord, StreamKey};

/// What the worker (or a stream's object) asks the alert hub: the wire form of the request
/// types below. (Newtype variants only: each reuses its payload's JSON.)
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
    /// A stream's record changed: tell the live feed (nothing is stored). Answered with how
    /// many watch, which the stream objects' [`crate::live::LiveGate`] learns from.
    StreamChanged(Box<StreamChange>),
    /// A stream object's incident change (idempotent per incident and sequence number).
    RecordIncident(Box<IncidentChange>),
    ListIncidents(IncidentQuery),
    GetIncident(IncidentId),
    AcknowledgeIncident(IncidentId),
    /// Resolve by hand.
    CloseIncident(IncidentId),
}

/// Declares request types that wrap one value: the enum variant they go on the wire as, and
/// the reply they get.
macro_rules! hub_calls {
    ($($(#[$doc:meta])* $name:ident($inner:ty) => $variant:ident, $reply:ty;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

        impl Call for $name {
            type Wire = HubRequest;
            type Reply = $reply;
            fn wire(self) -> HubRequest {
                HubRequest::$variant(self.0)
            }
        }
    )*};
}

hub_calls! {
    /// A stream object hands an alert over.
    Accept(Alert) => Accept, Accepted;
    /// `GET /alerts/{id}`.
    GetAlert(AlertId) => GetAlert, Forwarded<AlertRecord>;
    /// `POST /alerts/{id}/retry`.
    RetryAlert(AlertId) => Retry, Forwarded<Retried>;
    /// `POST /subscriptions` (validated by the worker).
    CreateSubscriber(NewSubscriber) => CreateSubscriber, Forwarded<Created>;
    /// `GET /subscriptions/{id}`.
    GetSubscriber(SubscriberId) => GetSubscriber, Forwarded<SubscriberView>;
    /// `DELETE /subscriptions/{id}`.
    DeleteSubscriber(SubscriberId) => DeleteSubscriber, Forwarded<Deleted>;
    /// `POST /subscriptions/{id}/rotate`.
    RotateSubscriber(SubscriberId) => RotateSubscriber, Forwarded<Rotated>;
}

impl Call for AlertQuery {
    type Wire = HubRequest;
    type Reply = Forwarded<AlertsPage>;
    fn wire(self) -> HubRequest {
        HubRequest::ListAlerts(self)
    }
}

/// `GET /subscriptions`.
#[derive(Debug, Clone, Copy)]
pub struct ListSubscribers;

impl Call for ListSubscribers {
    type Wire = HubRequest;
    type Reply = Forwarded<SubscriptionsPage>;
    fn wire(self) -> HubRequest {
        HubRequest::ListSubscribers
    }
}

impl Call for StreamChange {
    type Wire = HubRequest;
    type Reply = Watching;
    fn wire(self) -> HubRequest {
        HubRequest::StreamChanged(Box::new(self))
    }
}

/// A stream object hands an incident change over.
#[derive(Debug, Clone)]
pub struct RecordIncident(pub IncidentChange);

/// `GET /incidents/{id}`.
#[derive(Debug, Clone)]
pub struct GetIncident(pub IncidentId);

/// `POST /incidents/{id}/acknowledge`.
#[derive(Debug, Clone)]
pub struct AcknowledgeIncident(pub IncidentId);

/// `POST /incidents/{id}/resolve`: the hub resolves it by hand and tells the subscribers; the
/// worker then tells the stream's object ([`crate::protocol::ResolveIncident`]).
#[derive(Debug, Clone)]
pub struct CloseIncident(pub IncidentId);

impl Call for RecordIncident {
    type Wire = HubRequest;
    type Reply = IncidentRecorded;
    fn wire(self) -> HubRequest {
        HubRequest::RecordIncident(Box::new(self.0))
    }
}

impl Call for IncidentQuery {
    type Wire = HubRequest;
    type Reply = Forwarded<IncidentsPage>;
    fn wire(self) -> HubRequest {
        HubRequest::ListIncidents(self)
    }
}

impl Call for GetIncident {
    type Wire = HubRequest;
    type Reply = Forwarded<IncidentDetail>;
    fn wire(self) -> HubRequest {
        HubRequest::GetIncident(self.0)
    }
}

impl Call for AcknowledgeIncident {
    type Wire = HubRequest;
    type Reply = Forwarded<IncidentDetail>;
    fn wire(self) -> HubRequest {
        HubRequest::AcknowledgeIncident(self.0)
    }
}

impl Call for CloseIncident {
    type Wire = HubRequest;
    type Reply = Closed;
    fn wire(self) -> HubRequest {
        HubRequest::CloseIncident(self.0)
    }
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

/// The hub's answers, each written under its body's [`Payload::KIND`].
#[derive(Debug)]
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
    IncidentRecorded(IncidentRecorded),
    Incidents(IncidentsPage),
    Incident(Box<IncidentDetail>),
    Closed(Closed),
}

impl Serialize for HubReply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            HubReply::Accepted(b) => tagged(b, s),
            HubReply::Alerts(b) => tagged(b, s),
            HubReply::Alert(b) => tagged(b.as_ref(), s),
            HubReply::Retried(b) => tagged(b, s),
            HubReply::Created(b) => tagged(b, s),
            HubReply::Subscriptions(b) => tagged(b, s),
            HubReply::Subscriber(b) => tagged(b, s),
            HubReply::Rotated(b) => tagged(b, s),
            HubReply::Deleted(b) => tagged(b, s),
            HubReply::Watching(b) => tagged(b, s),
            HubReply::IncidentRecorded(b) => tagged(b, s),
            HubReply::Incidents(b) => tagged(b, s),
            HubReply::Incident(b) => tagged(b.as_ref(), s),
            HubReply::Closed(b) => tagged(b, s),
        }
    }
}

/// Declares which kind each reply body is written under.
macro_rules! payloads {
    ($($t:ty => $kind:ident),*) => {$(
        impl Payload for $t {
            const KIND: ReplyKind = ReplyKind::$kind;
        }
    )*};
}

payloads! {
    Accepted => Accepted, AlertsPage => Alerts, AlertRecord => Alert, Retried => Retried,
    Created => Created, SubscriptionsPage => Subscriptions, SubscriberView => Subscriber,
    Rotated => Rotated, Deleted => Deleted, Watching => Watching
}
parsed_reply!(Accepted, Watching);

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
    use crate::protocol::{read_reply, ObjectError};
    use serde_json::value::RawValue;

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
    fn requests_have_a_stable_wire_form() {
        let query = AlertQuery {
            limit: AlertLimit::DEFAULT,
            delivery: Some(DeliveryFilter::Dead),
            stream: None,
        };
        assert_eq!(
            serde_json::to_string(&query.wire()).unwrap(),
            r#"{"list_alerts":{"limit":50,"delivery":"dead"}}"#
        );
        let id = AlertId::parse("alr_0a").unwrap();
        let sub = SubscriberId::parse("sub_0b").unwrap();
        let wires = [
            (GetAlert(id.clone()).wire(), r#"{"get_alert":"alr_0a"}"#),
            (RetryAlert(id).wire(), r#"{"retry":"alr_0a"}"#),
            (ListSubscribers.wire(), r#""list_subscribers""#),
            (
                GetSubscriber(sub.clone()).wire(),
                r#"{"get_subscriber":"sub_0b"}"#,
            ),
            (
                DeleteSubscriber(sub.clone()).wire(),
                r#"{"delete_subscriber":"sub_0b"}"#,
            ),
            (
                RotateSubscriber(sub).wire(),
                r#"{"rotate_subscriber":"sub_0b"}"#,
            ),
            (
                GetIncident(IncidentId::parse("inc_0c").unwrap()).wire(),
                r#"{"get_incident":"inc_0c"}"#,
            ),
            (
                AcknowledgeIncident(IncidentId::parse("inc_0c").unwrap()).wire(),
                r#"{"acknowledge_incident":"inc_0c"}"#,
            ),
            (
                CloseIncident(IncidentId::parse("inc_0c").unwrap()).wire(),
                r#"{"close_incident":"inc_0c"}"#,
            ),
            (
                IncidentQuery {
                    state: Some(crate::incidents::IncidentState::Open),
                    provider: None,
                    cause: None,
                    stream: None,
                    limit: 50,
                    cursor: None,
                }
                .wire(),
                r#"{"list_incidents":{"state":"open","limit":50}}"#,
            ),
        ];
        for (request, json) in wires {
            assert_eq!(serde_json::to_string(&request).unwrap(), json);
        }
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
            (
                HubReply::Accepted(Accepted {
                    id: id.clone(),
                    stored: true,
                    deliveries: Some(2),
                    repeat_of: None,
                }),
                ReplyKind::Accepted,
            ),
            (
                HubReply::Alerts(AlertsPage { alerts: Vec::new() }),
                ReplyKind::Alerts,
            ),
            (
                HubReply::Retried(Retried {
                    id,
                    requeued: vec![sub.clone()],
                    skipped: Vec::new(),
                }),
                ReplyKind::Retried,
            ),
            (
                HubReply::Deleted(Deleted {
                    id: sub,
                    deleted: true,
                }),
                ReplyKind::Deleted,
            ),
            (
                HubReply::Watching(Watching { viewers: 3 }),
                ReplyKind::Watching,
            ),
        ];
        for (reply, kind) in replies {
            let payload = match &reply {
                HubReply::Accepted(p) => serde_json::to_string(p),
                HubReply::Alerts(p) => serde_json::to_string(p),
                HubReply::Retried(p) => serde_json::to_string(p),
                HubReply::Deleted(p) => serde_json::to_string(p),
                HubReply::Watching(p) => serde_json::to_string(p),
                _ => unreachable!(),
            }
            .unwrap();
            let wire = serde_json::to_string(&Ok::<_, ObjectError>(&reply)).unwrap();
            let kind_name = serde_json::to_string(&kind).unwrap();
            assert_eq!(
                wire,
                format!(r#"{{"Ok":{{"kind":{kind_name},"body":{payload}}}}}"#),
                "the adjacently tagged form, the HTTP body byte for byte"
            );
        }
        let accepted: Accepted =
            read_reply(r#"{"Ok":{"kind":"accepted","body":{"id":"alr_0a","stored":false}}}"#)
                .unwrap();
        assert!(!accepted.stored);
        let created = r#"{"Ok":{"kind":"created","body":{"id":"sub_0b"}}}"#;
        let forwarded: Forwarded<Created> = read_reply(created).unwrap();
        assert_eq!(forwarded.json(), r#"{"id":"sub_0b"}"#);
        let raw = RawValue::from_string("{}".into()).unwrap();
        assert!(<Forwarded<AlertsPage> as crate::protocol::ReplyBody>::read(raw).is_ok());
        assert!(
            read_reply::<Watching>(created).is_err(),
            "not a watching reply"
        );
    }
}
