//! What the worker asks the reconciler (class `Reconciler`, one instance): run a pass over every
//! configured provider API now ([`RunPass`]: the Cron Trigger and `POST /reconcile`), and each
//! API's health for `/healthz` ([`ReconcileHealthReport`]).

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::{parsed_reply, tagged, Call, Forwarded, Payload, ReplyKind};
use crate::reconcile::runner::RunSummary;

/// Durable Object namespace of the reconciler (class `Reconciler`, one instance).
pub const RECONCILER_DO: &str = "RECONCILER";
/// Name of the single reconciler instance.
pub const RECONCILER_NAME: &str = "global";

/// Every request the reconciler answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReconcilerRequest {
    Run,
    Health,
}

/// Run one pass now; the answer is its summary per provider (`POST /reconcile`'s body).
#[derive(Debug, Clone, Copy)]
pub struct RunPass;

impl Call for RunPass {
    type Wire = ReconcilerRequest;
    type Reply = Forwarded<RunSummary>;
    fn wire(self) -> ReconcilerRequest {
        ReconcilerRequest::Run
    }
}

/// `/healthz`'s `reconcile`.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileHealthReport;

impl Call for ReconcileHealthReport {
    type Wire = ReconcilerRequest;
    type Reply = ReconcileHealth;
    fn wire(self) -> ReconcilerRequest {
        ReconcilerRequest::Health
    }
}

/// Each API's health, or why it is not polled (see [`crate::reconcile::runner::Runner::health`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReconcileHealth(pub Value);

/// The reconciler's answers, each written under its body's [`Payload::KIND`].
#[derive(Debug)]
pub enum ReconcilerReply {
    Ran(RunSummary),
    Health(ReconcileHealth),
}

impl Serialize for ReconcilerReply {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ReconcilerReply::Ran(b) => tagged(b, s),
            ReconcilerReply::Health(b) => tagged(b, s),
        }
    }
}

impl Payload for RunSummary {
    const KIND: ReplyKind = ReplyKind::Ran;
}
impl Payload for ReconcileHealth {
    const KIND: ReplyKind = ReplyKind::ReconcileHealth;
}
parsed_reply!(ReconcileHealth);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{read_reply, Reply};
    use serde_json::json;

    #[test]
    fn each_request_reads_the_reply_it_names() {
        let health: Reply<ReconcilerReply> = Ok(ReconcilerReply::Health(ReconcileHealth(
            json!({ "mux": { "configured": false } }),
        )));
        let wire = serde_json::to_string(&health).unwrap();
        let read = read_reply::<ReconcileHealth>(&wire).unwrap();
        assert_eq!(read.0["mux"]["configured"], false);
        assert!(read_reply::<Forwarded<RunSummary>>(&wire).is_err());
        let ran: Reply<ReconcilerReply> = Ok(ReconcilerReply::Ran(RunSummary {
            already_running: false,
            providers: Default::default(),
        }));
        let wire = serde_json::to_string(&ran).unwrap();
        let body = read_reply::<Forwarded<RunSummary>>(&wire).unwrap();
        assert_eq!(body.json(), r#"{"already_running":false,"providers":{}}"#);
        assert_eq!(serde_json::to_string(&RunPass.wire()).unwrap(), r#""Run""#);
    }
}
