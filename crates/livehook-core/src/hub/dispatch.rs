//! Delivering alerts: runs of due deliveries, each attempt leased and under its own timeout, all
//! attempts of a run at once; results recorded as they arrive; the alarm for what is next; dead
//! letters and manual retry.
//!
//! Invariants (tested in `hub/tests.rs`):
//! - A lease is stored before its request leaves: if the process dies mid-attempt the delivery
//!   is due again when the lease ends (at least once, never lost).
//! - One run at a time per instance; a run asked for meanwhile runs right after.
//! - A run starts at most [`MAX_BATCH`] attempts; the rest run right after it.
//! - A delivery to a deleted or disabled subscriber, or to a webhook subscriber without a valid
//!   secret, is dead at once with the reason; it is never sent unsigned.
//! - A 410 disables the subscriber.

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::json;

use super::effects::{Effects, Level};
use super::keys;
use super::state::Hub;
use super::store::{get_json, get_many_json, Writes};
use crate::alerts::delivery::Deliveries;
use crate::alerts::delivery::{AttemptResult, Delivery, DeliveryStatus, Finished};
use crate::alerts::notice::NoticeRecord;
use crate::alerts::record::AlertRecord;
use crate::alerts::render::notice_outbound;
use crate::alerts::render::{outbound, Outbound};
use crate::alerts::subscriber::Subscriber;
use crate::ids::MessageId;
use crate::ids::{AlertId, SubscriberId};
use crate::protocol::{ObjectError, Reply, Retried, Skipped};
use crate::store::{ListQuery, Store, StoreError};

/// A stored message with deliveries: an alert record or an incident notice (its key says
/// which).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Message {
    Alert(Box<AlertRecord>),
    Notice(Box<NoticeRecord>),
}

impl Deliveries for Message {
    fn deliveries(&self) -> &[Delivery] {
        match self {
            Message::Alert(r) => &r.deliveries,
            Message::Notice(n) => &n.deliveries,
        }
    }

    fn deliveries_mut(&mut self) -> &mut Vec<Delivery> {
        match self {
            Message::Alert(r) => &mut r.deliveries,
            Message::Notice(n) => &mut n.deliveries,
        }
    }
}

impl Message {
    /// The request for one attempt; `None` if the subscriber lacks what signs or
    /// authenticates it.
    fn outbound(
        &self,
        sub: &Subscriber,
        webhook_id: &MessageId,
        now_secs: u64,
        public_url: Option<&str>,
    ) -> Option<Outbound> {
        match self {
            Message::Alert(r) => outbound(r, sub, webhook_id, now_secs),
            Message::Notice(n) => notice_outbound(n, sub, webhook_id, now_secs, public_url),
        }
    }

    /// For the log: `("alert", id)` or `("notice", incident or storm id)`.
    fn what(&self) -> (&'static str, String) {
        match self {
            Message::Alert(r) => ("alert", r.alert.id.to_string()),
            Message::Notice(n) => ("notice", n.subject_id().to_string()),
        }
    }
}

/// Most attempts one run starts; more due ones run right after.
pub const MAX_BATCH: usize = 50;

/// One attempt to make: the alert's storage key, the subscriber, the request.
struct Job {
    key: String,
    subscriber: SubscriberId,
    out: Outbound,
}

impl<S: Store, E: Effects> Hub<S, E> {
    /// `POST /alerts/{id}/retry`: dead deliveries to subscribers that still exist start over.
    pub async fn retry(&self, id: &AlertId) -> Reply<Retried> {
        let Some((key, mut rec)) = self.find_alert(id).await? else {
            return Err(ObjectError::NoSuchAlert);
        };
        let subs = self.subscribers().await?;
        let now = self.fx.now_ms();
        let mut requeued = Vec::new();
        let mut skipped = Vec::new();
        for d in rec.deliveries.iter_mut() {
            if d.status() != DeliveryStatus::Dead {
                continue;
            }
            let reason = match subs.iter().find(|s| s.id == d.subscriber_id) {
                Some(sub) if sub.enabled() => {
                    d.requeue(now);
                    requeued.push(d.subscriber_id.clone());
                    continue;
                }
                Some(_) => "subscriber disabled",
                None => "subscriber deleted",
            };
            skipped.push(Skipped {
                subscriber_id: d.subscriber_id.clone(),
                reason: reason.to_owned(),
            });
        }
        Writes::record(&key, &rec)?.apply(&self.store).await?;
        Ok(Retried {
            id: rec.alert.id,
            requeued,
            skipped,
        })
    }

    /// Runs every due delivery; one run at a time, repeated while more became due meanwhile.
    /// Then sets the alarm for the next due delivery. Failures are logged, never raised: the
    /// alarm or a lease brings the work back.
    pub async fn run_due(&self) {
        if self.run.running.replace(true) {
            self.run.again.set(true);
            return;
        }
        loop {
            self.run.again.set(false);
            if let Err(e) = self.run_once().await {
                self.fx
                    .log(Level::Error, "delivery run failed", json!({ "error": e.0 }));
            }
            if !self.run.again.get() {
                break;
            }
        }
        if let Err(e) = self.schedule_alarm().await {
            self.fx
                .log(Level::Error, "alarm not set", json!({ "error": e.0 }));
        }
        self.run.running.set(false);
    }

    async fn run_once(&self) -> Result<(), StoreError> {
        let s = &self.store;
        let now = self.fx.now_ms();
        let index = s.list(ListQuery::prefix(keys::PENDING_PREFIX)).await?;
        let due: Vec<String> = index
            .into_iter()
            .filter(|(_, v)| v.as_number().is_none_or(|t| t as u64 <= now))
            .filter_map(|(k, _)| k.strip_prefix(keys::PENDING_PREFIX).map(str::to_owned))
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let subs = self.subscribers().await?;
        let lease = self.lease_ms();
        let mut jobs: Vec<Job> = Vec::new();
        let mut writes = Writes::default();
        let records = get_many_json::<Message>(s, &due).await?;
        let present: Vec<String> = records.iter().map(|(k, _)| k.clone()).collect();
        let public_url = self.cfg().public_url.as_deref();
        for (key, mut rec) in records {
            let due_subs: Vec<SubscriberId> = rec
                .deliveries()
                .iter()
                .filter(|d| d.due(now))
                .map(|d| d.subscriber_id.clone())
                .collect();
            for sub_id in due_subs {
                if jobs.len() >= MAX_BATCH {
                    self.run.again.set(true);
                    break;
                }
                let out = match subs.iter().find(|s| s.id == sub_id) {
                    None => Err("subscriber deleted"),
                    Some(s) if !s.enabled() => Err("subscriber disabled"),
                    Some(s) => rec
                        .delivery_mut(&sub_id)
                        .map(|d| d.webhook_id.clone())
                        .and_then(|wid| rec.outbound(s, &wid, now / 1000, public_url))
                        .ok_or("subscriber has no valid signing secret or credential"),
                };
                let Some(d) = rec.delivery_mut(&sub_id) else {
                    continue;
                };
                match out {
                    Ok(out) => {
                        d.lease(now, lease);
                        jobs.push(Job {
                            key: key.clone(),
                            subscriber: sub_id,
                            out,
                        });
                    }
                    Err(reason) => d.abandon(reason),
                }
            }
            writes.extend(Writes::record(&key, &rec)?);
        }
        // Index entries whose record is gone.
        for k in due.iter().filter(|k| !present.contains(k)) {
            writes.delete(keys::pending(k));
        }
        // The leases are stored before any request leaves.
        writes.apply(s).await?;
        // All attempts run at once; each result is recorded as soon as it arrives, one at a
        // time (two deliveries of one alert share a record), so a slow subscriber holds up nobody.
        let timeout = self.cfg().attempt_timeout_ms;
        let mut running: FuturesUnordered<_> = jobs
            .iter()
            .map(|job| async move { (job, self.fx.send(&job.out, timeout).await) })
            .collect();
        while let Some((job, result)) = running.next().await {
            if let Err(e) = self.record_result(&job.key, &job.subscriber, &result).await {
                // The lease runs out and the attempt is repeated: at least once, never lost.
                self.fx.log(
                    Level::Error,
                    "attempt result not stored",
                    json!({ "error": e.0 }),
                );
            }
        }
        Ok(())
    }

    async fn record_result(
        &self,
        key: &str,
        sub_id: &SubscriberId,
        result: &AttemptResult,
    ) -> Result<(), StoreError> {
        let Some(mut rec) = get_json::<Message>(&self.store, key).await? else {
            return Ok(());
        };
        let (what, id) = rec.what();
        let Some(d) = rec.delivery_mut(sub_id) else {
            return Ok(());
        };
        let finished = d.finish(result, &self.cfg().schedule);
        let webhook_id = d.webhook_id.clone();
        Writes::record(key, &rec)?.apply(&self.store).await?;
        self.fx.log(
            Level::Info,
            if what == "alert" {
                "alert delivery"
            } else {
                "notice delivery"
            },
            json!({
                what: id,
                "subscriber": sub_id,
                "webhook_id": webhook_id,
                "status": result.status,
                "error": result.error,
                "latency_ms": result.latency_ms,
                "outcome": match finished {
                    Finished::Delivered => "delivered",
                    Finished::RetryAt(_) => "retry",
                    Finished::Dead => "dead",
                    Finished::Gone => "disabled",
                },
            }),
        );
        if finished == Finished::Gone {
            self.disable(sub_id, "the endpoint answered 410 Gone")
                .await?;
        }
        Ok(())
    }

    /// Sets the alarm to the earliest pending delivery (now, if a run is still wanted). A spare
    /// alarm only runs an empty pass.
    async fn schedule_alarm(&self) -> Result<(), StoreError> {
        let index = self
            .store
            .list(ListQuery::prefix(keys::PENDING_PREFIX))
            .await?;
        let next = index
            .iter()
            .filter_map(|(_, v)| v.as_number())
            .map(|t| t as u64)
            .min();
        if let Some(at) = next {
            let at = if self.run.again.get() {
                self.fx.now_ms()
            } else {
                at
            };
            self.set_alarm(at).await?;
        }
        Ok(())
    }
}
