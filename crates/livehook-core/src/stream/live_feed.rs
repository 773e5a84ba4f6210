//! Pushing an applied change to the hub's live feed, after the answer and only while someone
//! may watch (the isolate's [`crate::live::LiveGate`] decides, and learns from each push's
//! answer how many watch).

use super::effects::Effects;
use super::state::{StreamObject, HAND_OFF_TIMEOUT_MS};
use crate::ingest::event::StatusRecord;
use crate::protocol::StreamChange;
use crate::store::Store;

/// A change for the live feed, to send after the answer ([`StreamObject::push_live`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePush {
    pub change: StreamChange,
    /// When it was decided (the gate learns the hub's answer as of then).
    pub at_ms: u64,
}

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// The push for a changed record, if the live feed may have a viewer.
    pub(super) fn live_push(&self, version: u64, record: StatusRecord) -> Option<LivePush> {
        let now = self.fx.now_ms();
        self.isolate.should_push(now).then_some(LivePush {
            change: StreamChange { version, record },
            at_ms: now,
        })
    }

    /// Tells the hub's live feed (a viewer keeps the highest version it sees).
    pub async fn push_live(&self, push: LivePush) {
        match self.fx.call_hub(push.change, HAND_OFF_TIMEOUT_MS).await {
            Ok(watching) => self.isolate.learned(watching.viewers, push.at_ms),
            Err(e) => self.fx.failed("live feed push failed", &e),
        }
    }
}
