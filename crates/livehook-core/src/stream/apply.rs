//! Applying one event: the ledger decides ([`crate::ordering`]), then one storage write holds
//! the change, its alert if any, the reserved KV write slot and the event's history entry;
//! only then is the I/O done (the KV write, the alert hand-off, the alarm for what is left),
//! and a change goes to the live feed after the answer.
//!
//! - A duplicate changes nothing: only the history learns of it (best effort).
//! - A deferred event (the outbox is full) is not received: no history, no write.
//! - A history that cannot be written (legacy entries unreadable) does not fail the event: it
//!   is stored without its entry.
//! - Errors always notify; another state only if some subscriber wants it (the isolate's list,
//!   read from KV at most once per 30 s).
//! - Once the write is done the event is durable: a KV or hub failure after it is retried by
//!   the alarm, and the event is answered as applied.

use super::effects::Effects;
use super::live_feed::LivePush;
use super::state::StreamObject;
use crate::history::{HistoryEntry, HistoryOutcome};
use crate::ingest::event::State;
use crate::ordering::Outcome;
use crate::protocol::{Ingest, IngestReply, Reply, NOTIFY_STATES_KEY};
use crate::store::Store;
use crate::text::read_json;
use crate::time::nanos_to_millis;

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// Applies one event; the answer, and the live-feed push to make after it (even if the
    /// I/O after the write failed: the change is stored).
    pub async fn ingest(&self, ingest: Ingest) -> (Reply<IngestReply>, Option<LivePush>) {
        let notify = self.notify_states(ingest.event.state).await;
        let now = self.fx.now_ms();
        // Apply and reserve the KV write slot in one change, persisted in one write.
        let decided = self
            .with_ledger(|l| {
                let applied = l.apply_timed(
                    &ingest.event,
                    ingest.received_at_ms,
                    &notify,
                    ingest.incidents,
                );
                if ingest.correction && applied.outcome == Outcome::Applied {
                    // The record now holds what the API said: verified as of the poll, in the
                    // same KV write.
                    l.verified(nanos_to_millis(ingest.event.occurred_at));
                }
                let changed = !matches!(applied.outcome, Outcome::Duplicate | Outcome::Deferred);
                let kv_write = changed.then(|| l.begin_kv_write(now)).flatten();
                let after = l.record.as_ref().map(|r| (l.version, r.clone()));
                (applied, kv_write, after)
            })
            .await;
        let (applied, kv_write, after) = match decided {
            Ok(d) => d,
            Err(e) => return (Err(e), None),
        };
        let entry = HistoryOutcome::of(applied.outcome).map(|outcome| match outcome {
            HistoryOutcome::Applied if ingest.correction => HistoryOutcome::Corrected,
            other => other,
        });
        let entry = entry.map(|outcome| {
            let state = after.as_ref().map(|(_, r)| r.state);
            HistoryEntry::of(&ingest.event, ingest.received_at_ms, outcome, state)
        });
        let mut push = None;
        match applied.outcome {
            Outcome::Deferred => {}
            Outcome::Duplicate => {
                if let Some(entry) = entry {
                    self.record_history(entry).await;
                }
            }
            Outcome::Applied | Outcome::Stale => {
                let written = match entry {
                    Some(e) => self.history_write(e).await.unwrap_or_else(|e| {
                        self.fx.failed("history not written", &e);
                        Default::default()
                    }),
                    None => Default::default(),
                };
                if let Err(e) = self.save_with(written.entries, true).await {
                    return (Err(e), None);
                }
                self.forget_legacy(written.legacy).await;
                if applied.changed {
                    push = after.and_then(|(version, record)| self.live_push(version, record));
                }
                if let Err(e) = self.finish(now, kv_write).await {
                    return (Err(e), push);
                }
            }
        }
        let reply = IngestReply {
            outcome: applied.outcome,
            alert_queued: applied.alert_queued,
        };
        (Ok(reply), push)
    }

    /// The non-error states some subscriber wants to hear about when `state` is reached (an
    /// errored event reads nothing). A list that cannot be read counts as empty, for as long as
    /// a list read would be trusted.
    pub async fn notify_states(&self, state: State) -> Vec<State> {
        if state == State::Errored {
            return Vec::new();
        }
        let now = self.fx.now_ms();
        if let Some(states) = self.isolate.notify_states(now) {
            return states;
        }
        let read = match self.fx.kv_get(NOTIFY_STATES_KEY).await {
            Ok(Some(text)) => read_json::<Vec<State>>(&text).map_err(|e| e.to_string()),
            Ok(None) => Ok(Vec::new()),
            Err(e) => Err(e.0),
        };
        let states = read.unwrap_or_else(|e| {
            self.fx.failed("notify states unreadable", &e);
            Vec::new()
        });
        self.isolate.read_notify_states(now, states.clone());
        states
    }
}
