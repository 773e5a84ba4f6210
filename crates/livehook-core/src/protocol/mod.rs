//! The contract between the worker and its Durable Objects: binding names, the keys they share,
//! and the typed messages. One request enum per object ([`StreamRequest`], [`HubRequest`]), one
//! type per request that names its reply ([`Call`]), and one error type ([`ObjectError`]) that
//! the worker maps to HTTP in one place. On the wire each request is the JSON of its enum and
//! each answer is the JSON of a [`Reply`]: `{"Ok":{"kind":…,"body":…}}` or `{"Err":…}`; no paths,
//! no status codes to interpret. A worker of the previous version speaks the same JSON.
//!
//! The kind of a reply is named once, by its body's type ([`Payload::KIND`]): the objects write
//! it from there ([`StreamReply`], [`HubReply`]) and [`read_reply`] checks it, for every call,
//! against the reply type the request names. Bodies that the worker only forwards as the HTTP
//! body are read as [`Forwarded`]: the JSON as the object wrote it, typed by what it is a body
//! of, never parsed again.
//!
//! - [`stream`]: what the worker asks a stream's object.
//! - [`hub`]: what the worker and the stream objects ask the alert hub.
//! - [`incidents`]: the incident requests to the hub (record, list, get, acknowledge, resolve).
//! - [`reconciler`]: what the worker asks the reconciler (a pass now, each API's health).
//!
//! Limits that both sides rely on are types ([`AlertLimit`]), so a value that reached an
//! object is valid by construction and is not checked twice.

pub mod hub;
pub mod incidents;
pub mod reconciler;
pub mod stream;

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::store::StoreError;
use crate::text::read_json;

pub use hub::*;
pub use incidents::*;
pub use reconciler::*;
pub use stream::*;

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
    #[error("no such incident")]
    NoSuchIncident,
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

impl From<StoreError> for ObjectError {
    fn from(e: StoreError) -> Self {
        ObjectError::Unavailable(e.0)
    }
}

/// One request to an object, and the reply it gets: `rpc::call` in the worker sends
/// [`Call::wire`] and reads the answer as [`Call::Reply`].
pub trait Call {
    /// The object's request enum, as it goes on the wire.
    type Wire: Serialize;
    /// What the caller reads the answer as.
    type Reply: ReplyBody;
    fn wire(self) -> Self::Wire;
}

/// Which reply an answer is: one per reply body type ([`Payload::KIND`]).
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
    IncidentResolved,
    IncidentRecorded,
    Incidents,
    Incident,
    Closed,
    Reconciled,
    Ran,
    ReconcileHealth,
}

/// A reply body: the object writes it under [`Payload::KIND`].
pub trait Payload {
    const KIND: ReplyKind;
}

/// How the caller of a request reads its reply's body.
pub trait ReplyBody: Sized {
    /// The kind the answer must have.
    const KIND: ReplyKind;
    fn read(body: Box<RawValue>) -> Reply<Self>;
}

/// A reply the caller parses and acts on.
macro_rules! parsed_reply {
    ($($t:ty),*) => {$(
        impl $crate::protocol::ReplyBody for $t {
            const KIND: $crate::protocol::ReplyKind = <$t as $crate::protocol::Payload>::KIND;
            fn read(
                body: Box<serde_json::value::RawValue>,
            ) -> $crate::protocol::Reply<Self> {
                $crate::protocol::parse_body(&body)
            }
        }
    )*};
}
pub(crate) use parsed_reply;

pub(crate) fn parse_body<T: DeserializeOwned>(body: &RawValue) -> Reply<T> {
    read_json(body.get()).map_err(|e| ObjectError::Unavailable(format!("reply body: {e}")))
}

/// The JSON of a `T` as the object wrote it: a body the worker forwards as its HTTP answer
/// without reading it.
pub struct Forwarded<T> {
    json: Box<RawValue>,
    body: PhantomData<fn() -> T>,
}

impl<T> Forwarded<T> {
    pub fn json(&self) -> &str {
        self.json.get()
    }
}

impl<T> fmt::Debug for Forwarded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Forwarded").field(&self.json.get()).finish()
    }
}

impl<T: Payload> ReplyBody for Forwarded<T> {
    const KIND: ReplyKind = T::KIND;
    fn read(json: Box<RawValue>) -> Reply<Self> {
        Ok(Forwarded {
            json,
            body: PhantomData,
        })
    }
}

/// A reply as it comes off the wire: its kind, and its body as raw JSON.
#[derive(Debug, Deserialize)]
struct Answer {
    kind: ReplyKind,
    body: Box<RawValue>,
}

/// Reads an object's answer (the JSON of a [`Reply`]) as the reply `R`: the one place a reply's
/// kind is checked.
pub fn read_reply<R: ReplyBody>(text: &str) -> Reply<R> {
    R::read(answer_body(text, R::KIND)?)
}

/// The body of an answer that must be of `kind` (not generic: one copy in the Wasm for every
/// reply type; [`read_reply`] reads it as the reply type).
pub fn answer_body(text: &str, kind: ReplyKind) -> Reply<Box<RawValue>> {
    let answer = read_json::<Reply<Answer>>(text)
        .map_err(|e| ObjectError::Unavailable(format!("object answer: {e}")))??;
    if answer.kind != kind {
        return Err(ObjectError::Unavailable(format!(
            "expected a {kind:?} reply, got {:?}",
            answer.kind
        )));
    }
    Ok(answer.body)
}

/// `{"kind": …, "body": …}`: how the objects write a reply of body `T`.
pub(crate) fn tagged<T: Payload + Serialize + ?Sized, S: Serializer>(
    body: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Tagged<'a, T: ?Sized> {
        kind: ReplyKind,
        body: &'a T,
    }
    Tagged {
        kind: T::KIND,
        body,
    }
    .serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ordering::Outcome;

    #[test]
    fn errors_have_a_stable_wire_form_and_read_back_whatever_the_reply_type() {
        let err: Reply<HubReply> = Err(ObjectError::Conflict("at most 100 subscribers".into()));
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(json, r#"{"Err":{"conflict":"at most 100 subscribers"}}"#);
        let back = read_reply::<Forwarded<Created>>(&json);
        assert_eq!(
            back.err(),
            Some(ObjectError::Conflict("at most 100 subscribers".into()))
        );
    }

    #[test]
    fn a_reply_of_another_kind_is_unavailable_not_misread() {
        let reply: Reply<StreamReply> = Ok(StreamReply::Ingested(IngestReply {
            outcome: Outcome::Applied,
            alert_queued: false,
        }));
        let wire = serde_json::to_string(&reply).unwrap();
        assert!(read_reply::<IngestReply>(&wire).is_ok());
        let wrong = read_reply::<Forwarded<HistoryPage>>(&wire);
        assert!(
            matches!(&wrong, Err(ObjectError::Unavailable(m)) if m.contains("History")),
            "{wrong:?}"
        );
        let garbage = read_reply::<IngestReply>("not json");
        assert!(matches!(garbage, Err(ObjectError::Unavailable(_))));
    }
}
