//! A provider's API's answer about this stream ([`crate::reconcile`]): decided against the
//! record, then applied as a `reconcile` event through the same path as a webhook (its history
//! entry says `corrected`), and the stream marked verified.

use super::effects::Effects;
use super::live_feed::LivePush;
use super::state::StreamObject;
use crate::ordering::{Outcome, StreamLedger};
use crate::protocol::{Ingest, ReconcileOutcome, ReconcilePoll, Reconciled, Reply};
use crate::reconcile::decide::{decide, Decision};
use crate::store::Store;

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// Applies one poll's answer; the live-feed push to make after it, if it changed anything.
    pub async fn reconcile(&self, req: ReconcilePoll) -> (Reply<Reconciled>, Option<LivePush>) {
        let at = req.poll.at_ms;
        let decision = self
            .with_ledger(|l| decide(l.record.as_ref(), &req.poll, req.settle_ms))
            .await;
        let (event, added) = match decision {
            Err(e) => return (Err(e), None),
            Ok(Decision::Confirm) => {
                let (stored, push) = self
                    .store_verified(|l| {
                        l.verified(at);
                        true
                    })
                    .await;
                return (stored.map(|_| done(ReconcileOutcome::Confirmed)), push);
            }
            Ok(Decision::Settling) => return (Ok(done(ReconcileOutcome::Settling)), None),
            Ok(Decision::NotReconciled) => {
                return (Ok(done(ReconcileOutcome::NotReconciled)), None)
            }
            Ok(Decision::Unchanged) => return (Ok(done(ReconcileOutcome::Unchanged)), None),
            Ok(Decision::Correct(e)) => (e, false),
            Ok(Decision::Add(e)) => (e, true),
        };
        let ingest = Ingest {
            event,
            received_at_ms: self.fx.now_ms(),
            incidents: req.incidents,
            correction: true,
        };
        let (reply, push) = self.ingest(ingest).await;
        // An applied correction is verified with it (`ingest`); a stale one leaves the record
        // as a newer webhook set it, unconfirmed.
        let outcome = match reply.map(|r| r.outcome) {
            Err(e) => return (Err(e), push),
            Ok(Outcome::Applied) if added => ReconcileOutcome::Added,
            Ok(Outcome::Applied) => ReconcileOutcome::Corrected,
            Ok(Outcome::Stale | Outcome::Duplicate) => ReconcileOutcome::Stale,
            Ok(Outcome::Deferred) => ReconcileOutcome::Deferred,
        };
        (Ok(done(outcome)), push)
    }

    /// Runs `mark` on the ledger (it verifies the record, or answers false and changes nothing)
    /// and stores what it did: the record's `verified_at` moves when due
    /// ([`crate::ordering::StreamLedger::verified`]); then the record goes to KV like any change
    /// (within the one-write-a-second slot, else by the alarm) and to the live feed. Answers
    /// what `mark` answered.
    pub(super) async fn store_verified(
        &self,
        mark: impl FnOnce(&mut StreamLedger) -> bool,
    ) -> (Reply<bool>, Option<LivePush>) {
        let now = self.fx.now_ms();
        let marked = self
            .with_ledger(|l| {
                let before = l.version;
                if !mark(l) {
                    return None;
                }
                let moved = (l.version != before)
                    .then(|| l.record.clone().map(|r| (l.version, r)))
                    .flatten();
                Some((moved, l.begin_kv_write(now)))
            })
            .await;
        let (moved, kv_write) = match marked {
            Ok(Some(m)) => m,
            Ok(None) => return (Ok(false), None),
            Err(e) => return (Err(e), None),
        };
        if let Err(e) = self.save().await {
            return (Err(e), None);
        }
        // A moved `verified_at` goes to KV now, or by the alarm when the write slot is taken.
        let changed = moved.is_some();
        let push = moved.and_then(|(version, record)| self.live_push(version, record));
        if changed || kv_write.is_some() {
            if let Err(e) = self.finish(now, kv_write).await {
                return (Err(e), push);
            }
        }
        (Ok(true), push)
    }
}

fn done(outcome: ReconcileOutcome) -> Reconciled {
    Reconciled { outcome }
}
