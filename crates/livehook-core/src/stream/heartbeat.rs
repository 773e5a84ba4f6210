//! A media server's heartbeats (nginx-rtmp's `update_publish`): each one verifies the record of
//! a stream on air and moves its watch ([`crate::ordering::StreamLedger::heartbeat`]); when they
//! stop, the alarm applies a `heartbeats_stopped` stop through the same path as a webhook
//! (history entry, incidents, KV, live feed), since a server that dies sends no stop.

use super::effects::Effects;
use super::live_feed::LivePush;
use super::state::StreamObject;
use crate::ordering::{HeartbeatWatch, Outcome};
use crate::protocol::{Heartbeat, Ingest, IngestReply, Reply};
use crate::store::Store;

/// When a stop cannot be received yet (the alert backlog is full), the watch looks again this
/// much later.
pub const STOP_DEFERRED_RETRY_MS: u64 = 60_000;

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// One heartbeat: off air, its start first if that start was missed
    /// ([`crate::ordering::StreamLedger::missed_start`]); then, on air, the record verified and
    /// watched. `applied` when either happened, `stale` when nothing changed.
    pub async fn heartbeat(&self, beat: Heartbeat) -> (Reply<IngestReply>, Option<LivePush>) {
        let Heartbeat {
            start,
            at_ms,
            stale_after_ms,
            incidents,
        } = beat;
        let missed = self
            .with_ledger(|l| l.missed_start(start.publisher.as_deref()))
            .await;
        let started = match missed {
            Err(e) => return (Err(e), None),
            Ok(false) => None,
            Ok(true) => {
                let ingest = Ingest {
                    event: start,
                    received_at_ms: at_ms,
                    incidents,
                    correction: false,
                };
                match self.ingest(ingest).await {
                    (Err(e), push) => return (Err(e), push),
                    (Ok(reply), push) => Some((reply, push)),
                }
            }
        };
        let (kept, push) = self
            .store_verified(|l| l.heartbeat(at_ms, stale_after_ms, incidents))
            .await;
        let Some((reply, start_push)) = started else {
            let outcome = |kept| {
                if kept {
                    Outcome::Applied
                } else {
                    Outcome::Stale
                }
            };
            let reply = kept.map(|kept| IngestReply {
                outcome: outcome(kept),
                alert_queued: false,
            });
            return (reply, push);
        };
        // The start answers for the heartbeat (its alert too).
        (kept.map(|_| reply), push.or(start_push))
    }

    /// The alarm's part: if the watched heartbeats stopped and the stream is still on air, its
    /// stop is applied now. The live-feed push to make, if it changed the record.
    pub(super) async fn heartbeats_stopped(&self, now: u64) -> (Reply<()>, Option<LivePush>) {
        let lost = self
            .with_ledger(|l| {
                let before = l.heartbeat;
                let lost = l.heartbeat_lost(now);
                (lost, l.heartbeat != before)
            })
            .await;
        let (event, incidents) = match lost {
            Err(e) => return (Err(e), None),
            Ok((None, ended)) => {
                if ended {
                    self.unsaved.set(true);
                }
                return (Ok(()), None);
            }
            Ok((Some(lost), _)) => lost,
        };
        let ingest = Ingest {
            event,
            received_at_ms: now,
            incidents,
            correction: false,
        };
        let (reply, push) = self.ingest(ingest).await;
        match reply {
            Err(e) => (Err(e), push),
            Ok(r) if r.outcome == Outcome::Deferred => {
                let rewatched = self
                    .with_ledger(|l| {
                        l.heartbeat = Some(HeartbeatWatch {
                            due_ms: now.saturating_add(STOP_DEFERRED_RETRY_MS),
                            incidents,
                        });
                    })
                    .await;
                self.unsaved.set(true);
                (rewatched, push)
            }
            Ok(_) => (Ok(()), push),
        }
    }
}
