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
    /// One heartbeat: `applied` when the stream is on air (verified, watched), `stale` when not
    /// (nothing changes).
    pub async fn heartbeat(&self, beat: Heartbeat) -> (Reply<IngestReply>, Option<LivePush>) {
        let (kept, push) = self
            .store_verified(|l| l.heartbeat(beat.at_ms, beat.stale_after_ms, beat.incidents))
            .await;
        let reply = kept.map(|kept| IngestReply {
            outcome: if kept {
                Outcome::Applied
            } else {
                Outcome::Stale
            },
            alert_queued: false,
        });
        (reply, push)
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
