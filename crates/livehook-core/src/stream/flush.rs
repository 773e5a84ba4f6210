//! What is left to do after a change, and the alarm that retries it and runs the incident
//! timers (an offline incident opens, a recovered one resolves): the KV write (at most one
//! a second per stream: a burst leaves the newest record to the alarm), the hand-off of the
//! outbox's alerts and then its incident changes, in order, to the hub (each bounded by [`HAND_OFF_TIMEOUT_MS`]; an alert leaves the
//! outbox only when the hub confirms it stored it; the alarm is set before the hand-off, so one
//! cut short is retried), and the alarm set for whatever is still pending. A confirmed KV write is saved with the next change (or by the alarm): losing it in
//! a restart only means the record is written once more.

use super::effects::Effects;
use super::live_feed::LivePush;
use super::state::{StreamObject, HAND_OFF_TIMEOUT_MS};
use crate::alerts::alert::Alert;
use crate::ids::IncidentId;
use crate::incidents::IncidentChange;
use crate::ingest::event::StatusRecord;
use crate::protocol::{
    Accept, IncidentRecorded, IncidentResolved, ObjectError, RecordIncident, Reply,
};
use crate::store::{Store, StoreError};
use crate::text::write_json;

impl<S: Store, E: Effects> StreamObject<S, E> {
    /// The alarm: applies the stop of a stream whose heartbeats stopped, writes KV and hands
    /// alerts off if due, then saves what only memory holds. The live-feed push to make, if the
    /// stop changed the record.
    pub async fn alarm(&self) -> Reply<Option<LivePush>> {
        let now = self.fx.now_ms();
        let (stopped, push) = self.heartbeats_stopped(now).await;
        stopped?;
        let (kv_write, incidents_moved) = self
            .with_ledger(|l| {
                let before = l.incidents.clone();
                l.incidents_due(now);
                (l.begin_kv_write(now), l.incidents != before)
            })
            .await?;
        if incidents_moved {
            // An incident opened or resolved: stored before it is handed over.
            self.save().await?;
        }
        if kv_write.is_some() {
            self.unsaved.set(true); // the reserved slot
        }
        self.finish(now, kv_write).await?;
        if self.unsaved.get() {
            self.save().await?;
        }
        Ok(push)
    }

    /// Performs a reserved KV write, hands the outbox over if due, and sets the alarm for what
    /// is left.
    pub(super) async fn finish(
        &self,
        now: u64,
        kv_write: Option<(u64, StatusRecord)>,
    ) -> Reply<()> {
        if let Some((version, record)) = kv_write {
            let written = self.write_kv(&record).await;
            self.with_ledger(|l| match written {
                Ok(()) => l.kv_written(version),
                Err(_) => l.kv_failed(),
            })
            .await?;
            self.unsaved.set(true);
            if let Err(e) = written {
                self.fx.failed("kv write failed", &e);
            }
        }
        let (outbox, changes): (Vec<Alert>, Vec<IncidentChange>) = self
            .with_ledger(|l| {
                if l.outbox_due(now) {
                    (l.outbox.clone(), l.incidents.outbox.clone())
                } else {
                    (Vec::new(), Vec::new())
                }
            })
            .await?;
        if !outbox.is_empty() || !changes.is_empty() {
            // If this object stops before the hub answers (its Wasm trapped), the alarm hands
            // the outbox over: the alerts are stored, and nothing else would wake the object.
            self.alarm_by(now, now.saturating_add(HAND_OFF_TIMEOUT_MS))
                .await?;
            let mut delivered = Vec::new();
            for alert in &outbox {
                if self.hand_off(alert).await.is_ok() {
                    delivered.push(alert.id.clone());
                }
            }
            // Alerts first: an incident names the alerts of its errors.
            let mut recorded = Vec::new();
            if delivered.len() == outbox.len() {
                for change in &changes {
                    match self.hand_off_incident(change).await {
                        Ok(r) => recorded.push(r),
                        Err(_) => break, // in order, or not at all
                    }
                }
            }
            let failed = delivered.len() < outbox.len() || recorded.len() < changes.len();
            self.with_ledger(|l| {
                for id in &delivered {
                    l.alert_handed_off(id);
                }
                for r in &recorded {
                    l.incident_handed_off(&r.id, r.seq);
                    if r.closed {
                        let change = changes
                            .iter()
                            .find(|c| c.incident.id == r.id && c.seq == r.seq);
                        l.incidents.closed_elsewhere(&r.id, change);
                    }
                }
                if failed {
                    l.alert_hand_off_failed(now);
                }
            })
            .await?;
            // Handed-off alerts leave the outbox durably (a re-hand-off would be harmless).
            self.save().await?;
        }
        if let Some(at) = self.with_ledger(|l| l.next_alarm_ms(now)).await? {
            self.alarm_by(now, at).await?;
        }
        Ok(())
    }

    /// Makes the alarm fire by `at` at the latest.
    async fn alarm_by(&self, now: u64, at: u64) -> Reply<()> {
        let current = self.store.alarm().await?;
        if current.is_none_or(|c| c > at || c < now) {
            self.store.set_alarm(at).await?;
        }
        Ok(())
    }

    /// The record at its KV key, with its state and kind as metadata (so `GET /streams` filters
    /// a page without reading the records).
    async fn write_kv(&self, record: &StatusRecord) -> Result<(), StoreError> {
        let key = record.key().kv_key();
        let json = write_json(record);
        self.fx
            .kv_put_record(&key, &json, record.state.as_str(), record.kind.as_str())
            .await
    }

    /// One incident change to the hub, bounded like an alert's hand-off.
    async fn hand_off_incident(&self, change: &IncidentChange) -> Reply<IncidentRecorded> {
        self.fx
            .call_hub(RecordIncident(change.clone()), HAND_OFF_TIMEOUT_MS)
            .await
    }

    /// One alert to the hub. Bounded: if the hub does not answer, the alert stays in the outbox
    /// for the alarm, and the provider's webhook is answered anyway (its event is stored).
    async fn hand_off(&self, alert: &Alert) -> Result<(), ObjectError> {
        self.fx
            .call_hub(Accept(alert.clone()), HAND_OFF_TIMEOUT_MS)
            .await
            .map(|_| ())
    }

    /// `POST /incidents/{id}/resolve`: resolves the open incident if it is `id`, stores that,
    /// and hands the change over.
    pub async fn resolve_incident(&self, id: &IncidentId) -> Reply<IncidentResolved> {
        let now = self.fx.now_ms();
        let resolved = self
            .with_ledger(|l| l.incidents.resolve_by_hand(id, now))
            .await?;
        if resolved {
            self.save().await?;
            self.finish(now, None).await?;
        }
        Ok(IncidentResolved { resolved })
    }
}
