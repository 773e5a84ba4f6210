//! Alerts coming in and read back: accept (idempotent per alert id), fold repeats into the
//! alert of their repeat window, prune beyond [`MAX_ALERTS`], list and get.
//!
//! Invariants (tested in `hub/tests.rs`):
//! - An accepted alert is stored with one pending delivery per matching subscriber, its index
//!   entries and its repeat window, in one write, before the answer.
//! - The same alert id handed over twice is stored once.
//! - An identical error (same input and code) within the repeat window only bumps the
//!   window's alert's repeat count; a re-sent repeat counts once.
//! - Pruning never drops an alert with a delivery still pending.

use serde::Serialize;
use serde_json::json;

use super::effects::{Effects, Level};
use super::keys;
use super::state::Hub;
use super::store::{get_json, get_records, Writes};
use crate::alerts::alert::Alert;
use crate::alerts::delivery::Deliveries;
use crate::alerts::record::{AlertRecord, AlertView, DeliverySummary, RepeatWindow};
use crate::ids::AlertId;
use crate::protocol::{Accepted, AlertQuery, AlertsPage, DeliveryFilter, ObjectError, Reply};
use crate::store::{delete_chunked, ListQuery, Store, StoreError, Stored};
use crate::text::write_json;

/// How many alerts the hub keeps; older ones are pruned.
pub const MAX_ALERTS: usize = 1000;
/// Repeat ids remembered per alert (so a re-sent repeat is not counted twice).
pub const MAX_REPEAT_IDS: usize = 100;
/// Most alerts one prune looks at beyond the excess.
const PRUNE_SLACK: usize = 50;

/// The live feed's message for a new alert.
#[derive(Serialize)]
struct LiveAlert<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    alert: AlertView<'a>,
    deliveries: DeliverySummary,
}

/// How many of the oldest alerts to delete so at most [`MAX_ALERTS`] remain.
pub fn excess_alerts(count: usize) -> usize {
    count.saturating_sub(MAX_ALERTS)
}

impl<S: Store, E: Effects> Hub<S, E> {
    /// Stores an alert (or folds it into its repeat window's alert). Idempotent per alert id.
    pub async fn accept(&self, alert: Alert) -> Reply<Accepted> {
        let s = &self.store;
        if s.get(&keys::alert_id(&alert.id)).await?.is_some() {
            return Ok(Accepted {
                id: alert.id,
                stored: false,
                deliveries: None,
                repeat_of: None,
            });
        }
        let mut previous_repeat_count = 0;
        let window_key = keys::repeat_window(&alert);
        if let Some(ik) = &window_key {
            if let Some(inc) = get_json::<RepeatWindow>(s, ik).await? {
                if let Some(rec) = get_json::<AlertRecord>(s, &inc.alert_key).await? {
                    if inc.covers(alert.received_at_ms, self.cfg().dedupe_window_ms) {
                        return Ok(self.fold_repeat(&inc.alert_key, rec, alert).await?);
                    }
                    previous_repeat_count = rec.repeat_count;
                }
            }
        }
        let subs = self.subscribers().await?;
        let key = keys::alert(&alert);
        let rec = AlertRecord::new(alert, &subs, previous_repeat_count);
        let count = s
            .get(keys::COUNT)
            .await?
            .and_then(|v| v.as_number())
            .unwrap_or(0.0) as usize
            + 1;
        // One write: the alert, its deliveries, its index entries and its repeat window.
        let mut w = Writes::record(&key, &rec)?;
        w.put(keys::alert_id(&rec.alert.id), Stored::Text(key.clone()));
        w.put(keys::stream_alert(&rec.alert, &key), Stored::Number(1.0));
        w.put(keys::COUNT.to_owned(), Stored::Number(count as f64));
        if let Some(ik) = window_key {
            let inc = RepeatWindow {
                alert_key: key.clone(),
                opened_ms: rec.alert.received_at_ms,
            };
            w.put(ik, Stored::json(&inc)?);
        }
        w.apply(s).await?;
        if rec.pending() {
            // A safety net: if the run started after this answer never finishes, the alarm
            // picks the deliveries up.
            self.alarm_no_later_than(self.fx.now_ms() + self.lease_ms())
                .await?;
        }
        if count > MAX_ALERTS {
            self.prune(count).await?;
        }
        self.fx.broadcast(&write_json(&LiveAlert {
            kind: "alert",
            alert: rec.view(),
            deliveries: rec.summary(),
        }));
        self.fx.log(
            Level::Info,
            "alert accepted",
            json!({ "alert": rec.alert.id, "deliveries": rec.deliveries.len() }),
        );
        Ok(Accepted {
            id: rec.alert.id,
            stored: true,
            deliveries: Some(rec.deliveries.len()),
            repeat_of: None,
        })
    }

    async fn fold_repeat(
        &self,
        key: &str,
        mut rec: AlertRecord,
        alert: Alert,
    ) -> Result<Accepted, StoreError> {
        rec.repeat_count += 1;
        rec.last_repeat_at = Some(alert.received_at.clone());
        rec.repeat_ids.push(alert.id.clone());
        let mut forget = Vec::new();
        while rec.repeat_ids.len() > MAX_REPEAT_IDS {
            forget.push(keys::alert_id(&rec.repeat_ids.remove(0)));
        }
        let puts = vec![
            (key.to_owned(), Stored::json(&rec)?),
            (keys::alert_id(&alert.id), Stored::Text(key.to_owned())),
        ];
        self.store.put_all(puts).await?;
        delete_chunked(&self.store, forget).await?;
        let message = json!({ "type": "alert.repeated", "id": rec.alert.id, "repeat_count": rec.repeat_count });
        self.fx.broadcast(&write_json(&message));
        Ok(Accepted {
            id: alert.id,
            stored: true,
            deliveries: None,
            repeat_of: Some(rec.alert.id),
        })
    }

    /// Deletes the oldest alerts beyond [`MAX_ALERTS`] that have nothing pending.
    async fn prune(&self, count: usize) -> Result<(), StoreError> {
        let s = &self.store;
        let excess = excess_alerts(count);
        let oldest = s
            .list(ListQuery {
                prefix: keys::ALERT_PREFIX,
                reverse: false,
                limit: Some(excess + PRUNE_SLACK),
                before: None,
            })
            .await?;
        let mut doomed = Vec::new();
        let mut removed = 0;
        for (key, value) in oldest {
            if removed == excess {
                break;
            }
            let Some(rec) = value.parse::<AlertRecord>() else {
                continue;
            };
            if rec.pending() {
                continue; // never drop an alert that still has to be delivered
            }
            doomed.push(keys::alert_id(&rec.alert.id));
            doomed.extend(rec.repeat_ids.iter().map(keys::alert_id));
            doomed.push(keys::dead(&key));
            doomed.push(keys::stream_alert(&rec.alert, &key));
            if let Some(ik) = keys::repeat_window(&rec.alert) {
                if get_json::<RepeatWindow>(s, &ik)
                    .await?
                    .is_some_and(|i| i.alert_key == key)
                {
                    doomed.push(ik);
                }
            }
            doomed.push(key);
            removed += 1;
        }
        delete_chunked(s, doomed).await?;
        s.put_all(vec![(
            keys::COUNT.to_owned(),
            Stored::Number((count - removed) as f64),
        )])
        .await
    }

    pub async fn get_alert(&self, id: &AlertId) -> Reply<AlertRecord> {
        match self.find_alert(id).await? {
            Some((_, rec)) => Ok(rec),
            None => Err(ObjectError::NoSuchAlert),
        }
    }

    /// Newest first; all alerts, or those with a dead or a pending delivery, or one stream's
    /// (with either filter too).
    pub async fn list_alerts(&self, q: AlertQuery) -> Reply<AlertsPage> {
        let s = &self.store;
        let limit = q.limit.get();
        let wanted = |rec: &AlertRecord| match q.delivery {
            None => true,
            Some(DeliveryFilter::Dead) => rec.dead(),
            Some(DeliveryFilter::Pending) => rec.pending(),
        };
        let records = match (&q.stream, q.delivery) {
            (Some(stream), _) => {
                let prefix = keys::stream_alerts(stream);
                // A stream keeps few alerts; read a page beyond `limit` for the filter.
                let index = s
                    .list(ListQuery {
                        prefix: &prefix,
                        reverse: true,
                        limit: Some(MAX_ALERTS),
                        before: None,
                    })
                    .await?;
                let keys: Vec<String> = index
                    .into_iter()
                    .filter_map(|(k, _)| k.strip_prefix(prefix.as_str()).map(str::to_owned))
                    .collect();
                let mut records = get_records(s, &keys).await?;
                records.retain(|(_, r)| wanted(r));
                records.truncate(limit);
                records
            }
            (None, Some(which)) => {
                let prefix = match which {
                    DeliveryFilter::Dead => keys::DEAD_PREFIX,
                    DeliveryFilter::Pending => keys::PENDING_PREFIX,
                };
                let index = s
                    .list(ListQuery {
                        prefix,
                        reverse: true,
                        limit: Some(limit),
                        before: None,
                    })
                    .await?;
                let keys: Vec<String> = index
                    .into_iter()
                    .filter_map(|(k, _)| k.strip_prefix(prefix).map(str::to_owned))
                    .collect();
                get_records(s, &keys).await?
            }
            (None, None) => s
                .list(ListQuery {
                    prefix: keys::ALERT_PREFIX,
                    reverse: true,
                    limit: Some(limit),
                    before: None,
                })
                .await?
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.parse::<AlertRecord>()?)))
                .collect(),
        };
        Ok(AlertsPage {
            alerts: records.iter().map(|(_, r)| r.summarize()).collect(),
        })
    }
}
