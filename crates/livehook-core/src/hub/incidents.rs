//! Incidents at the hub: each stream object's changes recorded once and in order, the
//! indexes that answer "what is broken right now?" without walking every stream, manual
//! acknowledge and resolve, listing and reading. Who is told is [`super::notices`].
//!
//! Invariants (tested in `hub/incident_tests.rs`):
//! - A change is applied once: one with a sequence number the hub has seen changes nothing.
//! - An incident resolved by hand stays resolved: a later change from its stream is answered
//!   `closed`, so the stream stops tracking it.
//! - An incident, its index entries and the notices it causes are stored in one write, before
//!   the answer.
//! - `state=open` and `state=acknowledged` read the index of unresolved incidents; a stream's
//!   incidents read its own index: neither walks the others.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::effects::{Effects, Level};
use super::keys;
use super::state::Hub;
use super::store::{get_json, Writes};
use crate::alerts::delivery::Deliveries;
use crate::alerts::delivery::DeliveryStatus;
use crate::alerts::notice::{NoticeRecord, Subject};
use crate::ids::{IncidentId, SubscriberId};
use crate::incidents::{ChangeKind, Incident, IncidentChange, IncidentState, ResolvedBy};
use crate::protocol::{
    Closed, IncidentDetail, IncidentQuery, IncidentRecorded, IncidentsPage, NotificationView,
    ObjectError, Reply, TimelineEntry,
};
use crate::store::{delete_chunked, ListQuery, Store, StoreError, Stored};
use crate::text::write_json;
use crate::time::format_rfc3339_ms;

/// Most incidents the hub keeps; the oldest resolved ones are pruned.
pub const MAX_INCIDENTS: usize = 10_000;
/// Most timeline entries one incident keeps (the first and the newest).
pub const MAX_TIMELINE: usize = 50;
/// Most index entries one page looks at (a filter the index does not answer may leave a page
/// short; its cursor goes on from there).
pub const MAX_SCAN: usize = 2_500;

/// An incident as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub incident: Incident,
    /// The newest change applied from the stream.
    pub seq: u32,
    pub timeline: Vec<TimelineEntry>,
    /// Keys of the notices about it (a storm's too), oldest first.
    #[serde(default)]
    pub notices: Vec<String>,
    /// Subscribers told of its opening on their own (not through a storm's message).
    #[serde(default)]
    pub told: Vec<SubscriberId>,
    /// The storm group it joined, if it opened during a storm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<IncidentId>,
}

/// The index value: what a listing filters on without reading the record.
fn index_value(i: &Incident) -> Stored {
    Stored::Text(format!(
        "{} {} {}",
        i.state.as_str(),
        i.provider,
        i.cause.as_str()
    ))
}

fn entry(at_ms: u64, change: ChangeKind, i: &Incident) -> TimelineEntry {
    TimelineEntry {
        at: format_rfc3339_ms(at_ms),
        change,
        cause: i.cause,
        code: i.error.as_ref().map(|e| e.code.clone()),
        message: i.error.as_ref().map(|e| e.message.clone()),
    }
}

impl IncidentRecord {
    fn push(&mut self, e: TimelineEntry) {
        self.timeline.push(e);
        if self.timeline.len() > MAX_TIMELINE {
            self.timeline.remove(1); // keep the opening
        }
    }

    /// The record and its index entries (the open one only while unresolved), as one group.
    fn writes(&self, key: &str) -> Result<Writes, StoreError> {
        let [all, open, stream] = keys::incident_index(&self.incident);
        let value = index_value(&self.incident);
        let mut w = Writes::default();
        w.put(key.to_owned(), Stored::json(self)?);
        w.put(all, value.clone());
        w.put(stream, value.clone());
        if self.incident.is_resolved() {
            w.delete(open);
        } else {
            w.put(open, value);
        }
        Ok(w)
    }
}

impl<S: Store, E: Effects> Hub<S, E> {
    /// A stream object's change: applied once, in order; notices made in the same write.
    pub async fn record_incident(&self, change: IncidentChange) -> Reply<IncidentRecorded> {
        let id = change.incident.id.clone();
        let key = keys::incident_record(&id);
        let existing: Option<IncidentRecord> = get_json(&self.store, &key).await?;
        let recorded = |seq, closed| IncidentRecorded {
            id: id.clone(),
            seq,
            closed,
        };
        if let Some(rec) = &existing {
            if rec.seq >= change.seq {
                let closed = rec.incident.is_resolved() && change.change != ChangeKind::Resolved;
                return Ok(recorded(change.seq, closed));
            }
            if rec.incident.is_resolved() {
                // Resolved here by hand: the stream's later changes belong to nothing.
                let mut rec = rec.clone();
                rec.seq = change.seq;
                rec.writes(&key)?.apply(&self.store).await?;
                return Ok(recorded(change.seq, change.change != ChangeKind::Resolved));
            }
        }
        let now = self.fx.now_ms();
        let is_new = existing.is_none();
        let mut rec = existing.unwrap_or_else(|| IncidentRecord {
            incident: change.incident.clone(),
            seq: 0,
            timeline: Vec::new(),
            notices: Vec::new(),
            told: Vec::new(),
            storm: None,
        });
        let cause_before = rec.incident.cause;
        let acknowledged_at = rec.incident.acknowledged_at.clone();
        let acknowledged = rec.incident.state == IncidentState::Acknowledged;
        rec.incident = change.incident.clone();
        rec.incident.acknowledged_at = acknowledged_at;
        if acknowledged && !rec.incident.is_resolved() {
            rec.incident.state = IncidentState::Acknowledged;
        }
        rec.seq = change.seq;
        if is_new {
            let opened_at = rec.incident.opened_at_ms;
            rec.push(entry(opened_at, ChangeKind::Opened, &rec.incident));
        }
        if change.change != ChangeKind::Opened {
            // (A first change that is not the opening: a lost opening recorded as one.)
            rec.push(entry(change.at_ms, change.change, &rec.incident));
        }
        let happened = match change.change {
            ChangeKind::Joined if is_new => ChangeKind::Opened,
            other => other,
        };
        let mut w = Writes::default();
        if is_new {
            w.extend(self.opened(&mut rec, now).await?);
            self.count_incident(&mut w).await?;
        }
        if !is_new && rec.incident.cause > cause_before && !rec.incident.is_resolved() {
            w.extend(self.raised(&mut rec, now).await?);
        }
        if rec.incident.is_resolved() {
            w.extend(self.resolved(&mut rec, now).await?);
        }
        let mut writes = rec.writes(&key)?;
        writes.extend(w);
        writes.apply(&self.store).await?;
        self.announce(&rec, happened);
        if is_new {
            self.prune_incidents().await?;
        }
        Ok(recorded(change.seq, false))
    }

    async fn count_incident(&self, w: &mut Writes) -> Result<(), StoreError> {
        let count = self
            .store
            .get(keys::INCIDENT_COUNT)
            .await?
            .and_then(|v| v.as_number())
            .unwrap_or(0.0)
            + 1.0;
        w.put(keys::INCIDENT_COUNT.to_owned(), Stored::Number(count));
        Ok(())
    }

    /// Tells the live feed and the log.
    fn announce(&self, rec: &IncidentRecord, change: ChangeKind) {
        self.fx.broadcast(&write_json(&json!({
            "type": "incident",
            "change": change,
            "incident": rec.incident,
        })));
        self.fx.log(
            Level::Info,
            "incident",
            json!({
                "incident": rec.incident.id,
                "change": change,
                "cause": rec.incident.cause,
                "notices": rec.notices.len(),
            }),
        );
    }

    async fn load(&self, id: &IncidentId) -> Reply<(String, IncidentRecord)> {
        let key = keys::incident_record(id);
        match get_json::<IncidentRecord>(&self.store, &key).await? {
            Some(rec) => Ok((key, rec)),
            None => Err(ObjectError::NoSuchIncident),
        }
    }

    /// `POST /incidents/{id}/acknowledge`: someone is on it. 409 once resolved; a second
    /// acknowledgement changes nothing.
    pub async fn acknowledge(&self, id: &IncidentId) -> Reply<IncidentDetail> {
        let (key, mut rec) = self.load(id).await?;
        match rec.incident.state {
            IncidentState::Resolved => {
                return Err(ObjectError::Conflict(
                    "the incident is already resolved".into(),
                ))
            }
            IncidentState::Acknowledged => return self.detail(rec).await,
            IncidentState::Open => {}
        }
        let now = self.fx.now_ms();
        rec.incident.state = IncidentState::Acknowledged;
        rec.incident.acknowledged_at = Some(format_rfc3339_ms(now));
        rec.push(entry(now, ChangeKind::Acknowledged, &rec.incident));
        let notices = self.acknowledged(&mut rec, now).await?;
        let mut w = rec.writes(&key)?;
        w.extend(notices);
        w.apply(&self.store).await?;
        self.announce(&rec, ChangeKind::Acknowledged);
        self.detail(rec).await
    }

    /// `POST /incidents/{id}/resolve`: resolved by hand, subscribers told; the worker then
    /// tells the stream. 409 once resolved.
    pub async fn close(&self, id: &IncidentId) -> Reply<Closed> {
        let (key, mut rec) = self.load(id).await?;
        if rec.incident.is_resolved() {
            return Err(ObjectError::Conflict(
                "the incident is already resolved".into(),
            ));
        }
        let stream = rec
            .incident
            .stream()
            .ok_or_else(|| ObjectError::Unavailable("stored incident names no stream".into()))?;
        let now = self.fx.now_ms();
        rec.incident.resolve(now, ResolvedBy::Manual);
        rec.push(entry(now, ChangeKind::Resolved, &rec.incident));
        let notices = self.resolved(&mut rec, now).await?;
        let mut w = rec.writes(&key)?;
        w.extend(notices);
        w.apply(&self.store).await?;
        self.announce(&rec, ChangeKind::Resolved);
        Ok(Closed { stream })
    }

    /// `GET /incidents/{id}`.
    pub async fn get_incident(&self, id: &IncidentId) -> Reply<IncidentDetail> {
        let (_, rec) = self.load(id).await?;
        self.detail(rec).await
    }

    /// The incident with its timeline and each notification's delivery.
    async fn detail(&self, rec: IncidentRecord) -> Reply<IncidentDetail> {
        let subs = self.subscribers().await?;
        let mut notifications = Vec::new();
        for (_, notice) in
            super::store::get_many_json::<NoticeRecord>(&self.store, &rec.notices).await?
        {
            let storm = match &notice.subject {
                Subject::Storm(s) => Some(s.id.clone()),
                Subject::Incident(_) => None,
            };
            for d in &notice.deliveries {
                notifications.push(NotificationView {
                    event: notice.event,
                    storm: storm.clone(),
                    subscriber_id: d.subscriber_id.clone(),
                    format: subs
                        .iter()
                        .find(|s| s.id == d.subscriber_id)
                        .map(|s| s.format),
                    status: d.status(),
                    next_attempt_at: d
                        .due_ms()
                        .filter(|_| d.status() == DeliveryStatus::Pending)
                        .map(format_rfc3339_ms),
                    dead_reason: d.dead_reason().map(str::to_owned),
                    attempts: d.attempts.clone(),
                });
            }
        }
        Ok(IncidentDetail {
            incident: rec.incident,
            timeline: rec.timeline,
            notifications,
        })
    }

    /// `GET /incidents`: newest first, from the narrowest index the query allows.
    pub async fn list_incidents(&self, q: IncidentQuery) -> Reply<IncidentsPage> {
        let prefix = match (&q.stream, q.state) {
            (Some(stream), _) => keys::stream_incidents(stream),
            (None, Some(IncidentState::Open | IncidentState::Acknowledged)) => {
                keys::INCIDENT_OPEN_PREFIX.to_owned()
            }
            _ => keys::INCIDENT_AT_PREFIX.to_owned(),
        };
        // A cursor is the last key of the previous page, in the same index.
        let before = q
            .cursor
            .as_deref()
            .filter(|c| c.starts_with(prefix.as_str()));
        if q.cursor.is_some() && before.is_none() {
            return Ok(IncidentsPage {
                incidents: Vec::new(),
                cursor: None,
            });
        }
        let index = self
            .store
            .list(ListQuery {
                prefix: &prefix,
                reverse: true,
                limit: Some(MAX_SCAN),
                before,
            })
            .await?;
        let scanned_all = index.len() < MAX_SCAN;
        let wanted = |value: &Stored| {
            let mut parts = value.as_text().unwrap_or_default().split(' ');
            let (state, provider, cause) = (parts.next(), parts.next(), parts.next());
            q.state.is_none_or(|s| state == Some(s.as_str()))
                && q.provider.is_none_or(|p| provider == Some(p.as_str()))
                && q.cause.is_none_or(|c| cause == Some(c.as_str()))
        };
        let mut page_keys = Vec::new();
        let mut last_key = None;
        let mut full = false;
        for (key, value) in &index {
            last_key = Some(key.clone());
            if wanted(value) {
                page_keys.push(key.clone());
                if page_keys.len() == q.limit {
                    full = true;
                    break;
                }
            }
        }
        let cursor = if full || !scanned_all { last_key } else { None };
        let ids: Vec<String> = page_keys
            .iter()
            .filter_map(|k| keys::incident_of_index(k))
            .map(|id| keys::incident_record(&id))
            .collect();
        let records = super::store::get_many_json::<IncidentRecord>(&self.store, &ids).await?;
        Ok(IncidentsPage {
            incidents: records.into_iter().map(|(_, r)| r.incident).collect(),
            cursor,
        })
    }

    /// Deletes the oldest resolved incidents beyond [`MAX_INCIDENTS`], with their notices
    /// (unless one still has a delivery pending).
    async fn prune_incidents(&self) -> Result<(), StoreError> {
        let s = &self.store;
        let count = s
            .get(keys::INCIDENT_COUNT)
            .await?
            .and_then(|v| v.as_number())
            .unwrap_or(0.0) as usize;
        let excess = count.saturating_sub(MAX_INCIDENTS);
        if excess == 0 {
            return Ok(());
        }
        let oldest = s
            .list(ListQuery {
                prefix: keys::INCIDENT_AT_PREFIX,
                reverse: false,
                limit: Some(excess + 50),
                before: None,
            })
            .await?;
        let ids: Vec<String> = oldest
            .iter()
            .filter(|(_, v)| v.as_text().is_some_and(|t| t.starts_with("resolved ")))
            .filter_map(|(k, _)| keys::incident_of_index(k))
            .map(|id| keys::incident_record(&id))
            .collect();
        let mut doomed = Vec::new();
        let mut removed = 0;
        for (key, rec) in super::store::get_many_json::<IncidentRecord>(s, &ids).await? {
            if removed == excess {
                break;
            }
            let own: Vec<String> = rec
                .notices
                .iter()
                .filter(|n| n.contains(rec.incident.id.as_str()))
                .cloned()
                .collect();
            let notices = super::store::get_many_json::<NoticeRecord>(s, &own).await?;
            if notices.iter().any(|(_, n)| n.pending()) {
                continue;
            }
            for (k, _) in notices {
                doomed.push(keys::dead(&k));
                doomed.push(keys::pending(&k));
                doomed.push(k);
            }
            doomed.extend(keys::incident_index(&rec.incident));
            doomed.push(key);
            removed += 1;
        }
        delete_chunked(s, doomed).await?;
        s.put_all(vec![(
            keys::INCIDENT_COUNT.to_owned(),
            Stored::Number(count.saturating_sub(removed) as f64),
        )])
        .await
    }
}
