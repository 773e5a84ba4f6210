//! Who is told of an incident, and how a storm is kept from burying them.
//!
//! - Opened: every enabled subscriber whose filter matches the incident (its `causes`,
//!   providers, streams, codes); when an error raises an `offline` or `warning` incident to
//!   `errored`, those it matches now and were not told hear of it then. Acknowledged: those told of the opening that are `webhook` or
//!   `pagerduty`. Resolved: those told of the opening.
//! - A storm: more than `ALERT_STORM_THRESHOLD` incidents of one provider opened within
//!   `ALERT_STORM_WINDOW`. Beyond the threshold, chat formats get one summary per window (its
//!   deliveries wait until the window's end, and incidents opening meanwhile join it), paging
//!   formats one grouped alert (`inc_storm_…`, sent when the storm's first window ends with
//!   the incidents grouped until then, resolved when the last of its incidents resolves), and
//!   `webhook` subscribers still every incident. Every incident is recorded.
//!
//! Invariants (tested in `hub/incident_tests.rs`): a notice is made in the same write as the
//! incident change that caused it; a subscriber is told of one incident's opening once.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::effects::Effects;
use super::incidents::IncidentRecord;
use super::keys;
use super::state::Hub;
use super::store::{get_json, Writes};
use crate::alerts::delivery::Deliveries;
use crate::alerts::delivery::Delivery;
use crate::alerts::notice::{CodeCount, NoticeRecord, Storm, StormMessage, Subject};
use crate::alerts::subscriber::{Format, Subscriber};
use crate::ids::{IncidentId, SubscriberId};
use crate::incidents::{ChangeKind, Incident};
use crate::ingest::event::Kind;
use crate::store::{Store, StoreError, Stored};
use crate::time::format_rfc3339_ms;

/// Most codes a storm message lists.
const MAX_STORM_CODES: usize = 10;

/// One provider's recent openings and its storm, if one is going on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StormState {
    /// The newest openings (ms), at most threshold + 1, within the window.
    #[serde(default)]
    pub recent_ms: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<StormGroup>,
    /// The chat summary still to be sent, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<PendingSummary>,
}

/// The incidents of one storm beyond the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StormGroup {
    pub id: IncidentId,
    pub started_ms: u64,
    pub kind: Kind,
    /// Its incidents not yet resolved, and all of them.
    pub open: u32,
    pub total: u32,
    pub codes: Vec<CodeCount>,
    /// The grouped page's notice (paging formats), once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Who heard of the storm (paging and chat), to be told when it is over.
    #[serde(default)]
    pub told: Vec<SubscriberId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSummary {
    pub key: String,
    pub due_ms: u64,
}

/// The code a storm counts an incident under: its error's, or its cause.
fn storm_code(i: &Incident) -> String {
    i.code()
        .map_or_else(|| i.cause.as_str().to_owned(), str::to_owned)
}

fn count_code(codes: &mut Vec<CodeCount>, code: String) {
    match codes.iter_mut().find(|c| c.code == code) {
        Some(c) => c.count += 1,
        None => codes.push(CodeCount { code, count: 1 }),
    }
    codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
}

/// Counts one more incident (under `code`) in a storm message not yet sent.
fn count_into(n: &mut NoticeRecord, code: String) {
    if let Subject::Storm(s) = &mut n.subject {
        s.count += 1;
        count_code(&mut s.codes, code);
        s.codes.truncate(MAX_STORM_CODES);
    }
}

/// Adds a delivery, due at `due_ms`, for each of `subs` the notice does not address yet.
fn address(n: &mut NoticeRecord, key: &str, subs: &[&Subscriber], due_ms: u64) {
    for s in subs {
        if n.delivery_mut(&s.id).is_none() {
            n.deliveries.push(Delivery::of(key, &s.id, due_ms));
        }
    }
}

/// Which formats hear of an incident change on their own.
fn hears(format: Format, change: ChangeKind) -> bool {
    match change {
        ChangeKind::Opened | ChangeKind::Resolved => true,
        ChangeKind::Acknowledged => matches!(format, Format::Webhook | Format::Pagerduty),
        ChangeKind::Joined => false,
    }
}

/// A notice to `subs`, each delivery due at `due_ms`.
fn notice(
    key: &str,
    event: ChangeKind,
    subject: Subject,
    subs: &[&Subscriber],
    now: u64,
    due_ms: u64,
) -> NoticeRecord {
    NoticeRecord {
        event,
        subject,
        created_ms: now,
        deliveries: subs
            .iter()
            .map(|s| Delivery::of(key, &s.id, due_ms))
            .collect(),
    }
}

impl<S: Store, E: Effects> Hub<S, E> {
    /// An incident opened: its notices (or its place in a storm).
    pub(super) async fn opened(
        &self,
        rec: &mut IncidentRecord,
        now: u64,
    ) -> Result<Writes, StoreError> {
        let subs = self.subscribers().await?;
        let wanted: Vec<&Subscriber> = subs
            .iter()
            .filter(|s| s.enabled() && s.filter.matches_incident(&rec.incident))
            .collect();
        let mut w = Writes::default();
        let storm_key = keys::storm(rec.incident.provider);
        let mut storm: StormState = get_json(&self.store, &storm_key).await?.unwrap_or_default();
        let storming = self.note_opening(&mut storm, now);
        let (alone, grouped): (Vec<&Subscriber>, Vec<&Subscriber>) = wanted
            .into_iter()
            .partition(|s| !storming || s.format == Format::Webhook);
        if !alone.is_empty() {
            let key = keys::notice(now, &rec.incident.id, ChangeKind::Opened);
            let subject = Subject::Incident(Box::new(rec.incident.clone()));
            let n = notice(&key, ChangeKind::Opened, subject, &alone, now, now);
            rec.told = alone.iter().map(|s| s.id.clone()).collect();
            rec.notices.push(key.clone());
            w.extend(Writes::record(&key, &n)?);
        }
        if storming {
            w.extend(self.join_storm(&mut storm, rec, &grouped, now).await?);
        }
        w.put(storm_key, Stored::json(&storm)?);
        Ok(w)
    }

    /// Counts an opening; whether its provider is in a storm.
    fn note_opening(&self, storm: &mut StormState, now: u64) -> bool {
        let (threshold, window) = (self.cfg().storm_threshold, self.cfg().storm_window_ms);
        if threshold == 0 || window == 0 {
            storm.recent_ms.clear();
            return false;
        }
        storm.recent_ms.retain(|t| now.saturating_sub(*t) < window);
        storm.recent_ms.push(now);
        let keep = threshold as usize + 1;
        if storm.recent_ms.len() > keep {
            let drop = storm.recent_ms.len() - keep;
            storm.recent_ms.drain(..drop);
        }
        storm.recent_ms.len() > threshold as usize
    }

    /// An incident opened during a storm: it joins the group (paging) and the window's
    /// summary (chat).
    async fn join_storm(
        &self,
        storm: &mut StormState,
        rec: &mut IncidentRecord,
        subs: &[&Subscriber],
        now: u64,
    ) -> Result<Writes, StoreError> {
        let i = &rec.incident;
        let code = storm_code(i);
        let group = storm.group.get_or_insert_with(|| {
            let digest = Sha256::digest(format!("{}\n{now}", i.provider).as_bytes());
            StormGroup {
                id: IncidentId::tagged("storm_", &digest[..12]),
                started_ms: now,
                kind: i.kind,
                open: 0,
                total: 0,
                codes: Vec::new(),
                page: None,
                told: Vec::new(),
            }
        });
        group.open += 1;
        group.total += 1;
        count_code(&mut group.codes, code.clone());
        rec.storm = Some(group.id.clone());
        let mut w = Writes::default();
        let storm_of = |message, count, codes: &[CodeCount], group: &StormGroup| Storm {
            id: group.id.clone(),
            message,
            provider: i.provider,
            kind: group.kind,
            started_at: format_rfc3339_ms(group.started_ms),
            count,
            codes: codes.iter().take(MAX_STORM_CODES).cloned().collect(),
        };
        // Paging: one grouped alert, sent when the storm's first window ends (those paged one
        // by one already know something is wrong), counting the incidents grouped until then.
        let paging: Vec<&Subscriber> = subs
            .iter()
            .copied()
            .filter(|s| s.format.is_paging())
            .collect();
        if !paging.is_empty() {
            let due = group.started_ms.saturating_add(self.cfg().storm_window_ms);
            let key = group
                .page
                .clone()
                .unwrap_or_else(|| keys::notice(group.started_ms, &group.id, ChangeKind::Opened));
            let mut page = match get_json::<NoticeRecord>(&self.store, &key).await? {
                Some(n) => n,
                None => {
                    let subject = Subject::Storm(storm_of(StormMessage::Group, 0, &[], group));
                    notice(&key, ChangeKind::Opened, subject, &[], now, due)
                }
            };
            if now < due {
                count_into(&mut page, code.clone());
            }
            address(&mut page, &key, &paging, due.max(now));
            group.page = Some(key.clone());
            rec.notices.push(key.clone());
            w.extend(Writes::record(&key, &page)?);
        }
        // Chat: this window's summary, sent at its end.
        let chat: Vec<&Subscriber> = subs
            .iter()
            .copied()
            .filter(|s| s.format.is_chat())
            .collect();
        if !chat.is_empty() {
            let pending = storm.summary.clone().filter(|p| p.due_ms > now);
            let existing = match &pending {
                Some(p) => get_json::<NoticeRecord>(&self.store, &p.key).await?,
                None => None,
            };
            let (key, due, mut summary) = match (pending, existing) {
                (Some(p), Some(n)) => (p.key, p.due_ms, n),
                _ => {
                    let due = now.saturating_add(self.cfg().storm_window_ms);
                    let key = keys::notice(now, &group.id, ChangeKind::Opened);
                    let key = format!("{key}:summary");
                    let subject = Subject::Storm(storm_of(StormMessage::Summary, 0, &[], group));
                    let n = notice(&key, ChangeKind::Opened, subject, &[], now, due);
                    (key, due, n)
                }
            };
            count_into(&mut summary, code);
            address(&mut summary, &key, &chat, due);
            storm.summary = Some(PendingSummary {
                key: key.clone(),
                due_ms: due,
            });
            rec.notices.push(key.clone());
            w.extend(Writes::record(&key, &summary)?);
        }
        for s in subs
            .iter()
            .filter(|s| s.format.is_paging() || s.format.is_chat())
        {
            if !group.told.contains(&s.id) {
                group.told.push(s.id.clone());
            }
        }
        Ok(w)
    }

    /// An incident resolved: those told of its opening hear of it; its storm's group is
    /// resolved with its last incident.
    pub(super) async fn resolved(
        &self,
        rec: &mut IncidentRecord,
        now: u64,
    ) -> Result<Writes, StoreError> {
        let mut w = self.tell_told(rec, ChangeKind::Resolved, now).await?;
        let Some(group_id) = rec.storm.clone() else {
            return Ok(w);
        };
        let storm_key = keys::storm(rec.incident.provider);
        let Some(mut storm) = get_json::<StormState>(&self.store, &storm_key).await? else {
            return Ok(w);
        };
        let Some(group) = storm.group.as_mut().filter(|g| g.id == group_id) else {
            return Ok(w);
        };
        group.open = group.open.saturating_sub(1);
        if group.open == 0 {
            let subs = self.subscribers().await?;
            let told: Vec<&Subscriber> = subs
                .iter()
                .filter(|s| s.enabled() && group.told.contains(&s.id))
                .collect();
            if !told.is_empty() {
                let key = keys::notice(now, &group.id, ChangeKind::Resolved);
                let subject = Subject::Storm(Storm {
                    id: group.id.clone(),
                    message: StormMessage::Group,
                    provider: rec.incident.provider,
                    kind: group.kind,
                    started_at: format_rfc3339_ms(group.started_ms),
                    count: group.total,
                    codes: group.codes.iter().take(MAX_STORM_CODES).cloned().collect(),
                });
                let n = notice(&key, ChangeKind::Resolved, subject, &told, now, now);
                rec.notices.push(key.clone());
                w.extend(Writes::record(&key, &n)?);
            }
            storm.group = None;
        }
        w.put(storm_key, Stored::json(&storm)?);
        Ok(w)
    }

    /// An incident's cause was raised (an `offline` or `warning` incident an error joined):
    /// subscribers that want it now and were not told of it hear of it as opened.
    pub(super) async fn raised(
        &self,
        rec: &mut IncidentRecord,
        now: u64,
    ) -> Result<Writes, StoreError> {
        let subs = self.subscribers().await?;
        let new: Vec<&Subscriber> = subs
            .iter()
            .filter(|s| s.enabled() && !rec.told.contains(&s.id))
            .filter(|s| s.filter.matches_incident(&rec.incident))
            .collect();
        if new.is_empty() {
            return Ok(Writes::default());
        }
        let key = format!(
            "{}:raised",
            keys::notice(now, &rec.incident.id, ChangeKind::Opened)
        );
        let subject = Subject::Incident(Box::new(rec.incident.clone()));
        let n = notice(&key, ChangeKind::Opened, subject, &new, now, now);
        rec.told.extend(new.iter().map(|s| s.id.clone()));
        rec.notices.push(key.clone());
        Writes::record(&key, &n)
    }

    /// An incident acknowledged: `webhook` and `pagerduty` subscribers told of its opening.
    pub(super) async fn acknowledged(
        &self,
        rec: &mut IncidentRecord,
        now: u64,
    ) -> Result<Writes, StoreError> {
        self.tell_told(rec, ChangeKind::Acknowledged, now).await
    }

    /// A notice of `change` to the subscribers told of the opening that hear of it.
    async fn tell_told(
        &self,
        rec: &mut IncidentRecord,
        change: ChangeKind,
        now: u64,
    ) -> Result<Writes, StoreError> {
        let subs = self.subscribers().await?;
        let to: Vec<&Subscriber> = subs
            .iter()
            .filter(|s| s.enabled() && rec.told.contains(&s.id) && hears(s.format, change))
            .collect();
        if to.is_empty() {
            return Ok(Writes::default());
        }
        let key = keys::notice(now, &rec.incident.id, change);
        let subject = Subject::Incident(Box::new(rec.incident.clone()));
        let n = notice(&key, change, subject, &to, now, now);
        rec.notices.push(key.clone());
        Writes::record(&key, &n)
    }
}
