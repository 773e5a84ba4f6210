//! `AlertHub`: the single Durable Object (binding `ALERT_HUB`, name `global`) that keeps alerts,
//! subscribers and deliveries, and fans alerts out. A thin shell over [`crate::delivery`],
//! [`crate::subscribers`] and [`crate::notify`]:
//!
//! - `POST /alerts` (from a stream's object): stores the alert with one pending delivery per
//!   matching subscriber, in one storage write, before answering 2xx; then starts the first
//!   attempts at once. An identical error within the incident window only bumps a repeat count.
//! - Attempts run concurrently, each under its own timeout, leased so that a crash mid-attempt
//!   makes the delivery due again; results move each delivery on; the alarm drives retries.
//! - `GET /alerts`, `GET /alerts/{id}`, `POST /alerts/{id}/retry`, `GET /alerts/live` (WebSocket,
//!   hibernation API), and `POST|GET /subscriptions`, `GET|DELETE /subscriptions/{id}`.
//!
//! Storage (values are JSON text or numbers):
//! `alert:{ms}:{id}` → [`AlertRecord`]; `alert-id:{id}` → its alert key (also for folded repeats);
//! `incident:{stream}:{code}` → [`Incident`]; `pending:{alert key}` → next due ms;
//! `dead:{alert key}` → 1; `sub:{id}` → [`Subscriber`]; `sub-disabled:{id}` → [`Disabled`];
//! `count` → number of alert records.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use worker::wasm_bindgen::JsCast;
use worker::{
    durable_object, js_sys, wasm_bindgen::JsValue, AbortController, DurableObject, Env, Fetch,
    Headers, ListOptions, Method, Request, RequestInit, RequestRedirect, Response, Result,
    ScheduledTime, State, Storage, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::alerts::{excess_alerts, Alert, ALERT_PREFIX, MAX_ALERTS};
use crate::config::{AlertConfig, Config, STATUS_KV};
use crate::delivery::{parse_retry_after, AlertRecord, AttemptResult, Finished, Incident};
use crate::model::State as StreamState;
use crate::notify::{self, Outbound, SECRET_BYTES};
use crate::runtime::{now_ms, within};
use crate::subscribers::{
    hex, Disabled, NewSubscriber, Source, Subscriber, MAX_SUBSCRIBERS, SUBSCRIBER_PREFIX,
};
use crate::time::{format_rfc3339, millis_to_nanos};

const COUNT_KEY: &str = "count";
const PENDING_PREFIX: &str = "pending:";
const DEAD_PREFIX: &str = "dead:";
const DISABLED_PREFIX: &str = "sub-disabled:";
/// How long an attempt's lease outlives its timeout.
const LEASE_MARGIN_MS: u64 = 5_000;
/// Most attempts one run starts; more due ones run right after.
const MAX_BATCH: usize = 50;
/// Repeat ids remembered per alert (so a re-sent repeat is not counted twice).
const MAX_REPEAT_IDS: usize = 100;
/// KV key listing the non-error states some subscriber wants (read by the stream objects).
pub const NOTIFY_STATES_KEY: &str = "meta:notify-states";
/// The WebSocket subprotocol the live feed answers with when offered.
pub const LIVE_PROTOCOL: &str = "livehook";
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

#[durable_object]
pub struct AlertHub {
    state: State,
    env: Env,
    /// One delivery run at a time per instance; a run asked for meanwhile runs after it.
    run: Rc<RunFlags>,
}

#[derive(Default)]
struct RunFlags {
    running: Cell<bool>,
    again: Cell<bool>,
}

impl DurableObject for AlertHub {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            run: Rc::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let url = req.url()?;
        let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        match (req.method(), segments.as_slice()) {
            (Method::Post, ["alerts"]) => {
                let alert: Alert = serde_json::from_str(&req.text().await?)?;
                let reply = self.accept(alert).await?;
                self.kick();
                json_response(200, &reply)
            }
            (Method::Get, ["alerts"]) => self.list_alerts(&query).await,
            (Method::Get, ["alerts", "live"]) => self.live(&req),
            (Method::Get, ["alerts", id]) => match self.find_alert(id).await? {
                Some((_, rec)) => json_response(200, &serde_json::to_value(&rec)?),
                None => hub_error(404, "alert"),
            },
            (Method::Post, ["alerts", id, "retry"]) => self.retry(id).await,
            (Method::Post, ["subscriptions"]) => {
                let new: NewSubscriber = serde_json::from_str(&req.text().await?)?;
                self.create_subscriber(new).await
            }
            (Method::Get, ["subscriptions"]) => {
                let subs = self.subscribers(&self.config().alerts).await?;
                let views: Vec<_> = subs.iter().map(Subscriber::view).collect();
                json_response(200, &json!({ "subscriptions": views }))
            }
            (Method::Get, ["subscriptions", id]) => {
                let subs = self.subscribers(&self.config().alerts).await?;
                match subs.iter().find(|s| s.id == *id) {
                    Some(s) => json_response(200, &serde_json::to_value(s.view())?),
                    None => hub_error(404, "subscriber"),
                }
            }
            (Method::Delete, ["subscriptions", id]) => self.delete_subscriber(id).await,
            _ => hub_error(404, "route"),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.run_due().await;
        Response::ok("ok")
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        if let WebSocketIncomingMessage::String(text) = message {
            if text.trim() == "ping" {
                ws.send_with_str("pong")?;
            }
        }
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> Result<()> {
        let _ = ws.close(Some(1000), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> Result<()> {
        Ok(())
    }
}

fn json_response(status: u16, value: &Value) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// The hub's own error answers; the worker maps them to its `ApiError` in one place.
fn hub_error(status: u16, what: &str) -> Result<Response> {
    let message = match status {
        404 => format!("no such {what}"),
        _ => what.to_owned(),
    };
    json_response(status, &json!({ "error": status, "message": message }))
}

fn log(value: Value) {
    worker::console_log!("{}", value);
}

/// Random bytes from the runtime's CSPRNG (`crypto.getRandomValues`).
fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())?;
    let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into())?;
    let array = js_sys::Uint8Array::new_with_length(N as u32);
    js_sys::Function::from(get).call1(&crypto, &array)?;
    let mut out = [0u8; N];
    array.copy_to(&mut out);
    Ok(out)
}

// ---- storage helpers: every value is JSON text or a number ----

async fn get_json<T: DeserializeOwned>(s: &Storage, key: &str) -> Result<Option<T>> {
    match s.get::<String>(key).await? {
        Some(text) => Ok(serde_json::from_str(&text).ok()),
        None => Ok(None),
    }
}

/// `(key, value)` pairs of a listing, in listing order.
async fn list(s: &Storage, opts: ListOptions<'_>) -> Result<Vec<(String, JsValue)>> {
    let map = s.list_with_options(opts).await?;
    let mut out = Vec::new();
    for entry in map.entries() {
        let pair: js_sys::Array = entry?.into();
        if let Some(key) = pair.get(0).as_string() {
            out.push((key, pair.get(1)));
        }
    }
    Ok(out)
}

async fn list_json<T: DeserializeOwned>(s: &Storage, prefix: &str) -> Result<Vec<T>> {
    Ok(list(s, ListOptions::new().prefix(prefix))
        .await?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str(&v.as_string()?).ok())
        .collect())
}

async fn get_records(s: &Storage, keys: Vec<String>) -> Result<Vec<(String, AlertRecord)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let map = s.get_multiple(keys.clone()).await?;
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let text = map.get(&JsValue::from_str(&k)).as_string()?;
            Some((k, serde_json::from_str(&text).ok()?))
        })
        .collect())
}

/// Keys and values for one atomic write.
type Writes = Vec<(String, JsValue)>;

/// One atomic write of several keys.
async fn put_all(s: &Storage, entries: Writes) -> Result<()> {
    let obj = js_sys::Object::new();
    for (k, v) in &entries {
        js_sys::Reflect::set(&obj, &k.into(), v)?;
    }
    s.put_multiple_raw(obj).await
}

fn text(value: &impl serde::Serialize) -> Result<JsValue> {
    Ok(serde_json::to_string(value)?.into())
}

/// The writes that store a record together with its `pending:`/`dead:` index entries, and
/// the index keys to delete.
fn record_writes(key: &str, rec: &AlertRecord) -> Result<(Writes, Vec<String>)> {
    let mut puts = vec![(key.to_owned(), text(rec)?)];
    let mut deletes = Vec::new();
    match rec.next_due_ms() {
        Some(due) => puts.push((format!("{PENDING_PREFIX}{key}"), (due as f64).into())),
        None => deletes.push(format!("{PENDING_PREFIX}{key}")),
    }
    if rec.dead() {
        puts.push((format!("{DEAD_PREFIX}{key}"), 1.into()));
    } else {
        deletes.push(format!("{DEAD_PREFIX}{key}"));
    }
    Ok((puts, deletes))
}

/// What the lists show of an alert: its fields, repeat counts and a delivery summary.
fn summary(rec: &AlertRecord) -> Value {
    let mut v = serde_json::to_value(&rec.alert).unwrap_or_default();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("repeat_count".into(), rec.repeat_count.into());
        obj.insert(
            "previous_repeat_count".into(),
            rec.previous_repeat_count.into(),
        );
        obj.insert(
            "deliveries".into(),
            serde_json::to_value(rec.summary()).unwrap_or_default(),
        );
    }
    v
}

impl AlertHub {
    fn storage(&self) -> Storage {
        self.state.storage()
    }

    /// The configuration, parsed once per isolate (see [`Config::from_env`]).
    fn config(&self) -> Rc<Config> {
        Config::from_env(&self.env)
    }

    /// A handle to this object that a `'static` future can own.
    fn detached(&self) -> AlertHub {
        AlertHub {
            state: State::from(
                AsRef::<JsValue>::as_ref(self.state.as_raw())
                    .clone()
                    .unchecked_into::<worker::worker_sys::DurableObjectState>(),
            ),
            env: self.env.clone(),
            run: self.run.clone(),
        }
    }

    /// Starts a delivery run now, after the current request answers.
    fn kick(&self) {
        let hub = self.detached();
        self.state.wait_until(async move { hub.run_due().await });
    }

    fn broadcast(&self, message: &Value) {
        let text = message.to_string();
        for ws in self.state.get_websockets() {
            let _ = ws.send_with_str(&text);
        }
    }

    /// API and configured subscribers, with disabled flags applied.
    async fn subscribers(&self, cfg: &AlertConfig) -> Result<Vec<Subscriber>> {
        let s = self.storage();
        let mut subs: Vec<Subscriber> = list_json(&s, SUBSCRIBER_PREFIX).await?;
        subs.extend(cfg.subscribers.subscribers.iter().cloned());
        let disabled = list(&s, ListOptions::new().prefix(DISABLED_PREFIX)).await?;
        for (key, value) in disabled {
            let id = &key[DISABLED_PREFIX.len()..];
            let why: Option<Disabled> = value
                .as_string()
                .and_then(|t| serde_json::from_str(&t).ok());
            if let Some(sub) = subs.iter_mut().find(|s| s.id == id) {
                sub.disabled = why;
            }
        }
        Ok(subs)
    }

    /// Stores an alert (or folds it into an open incident). Idempotent per alert id.
    async fn accept(&self, alert: Alert) -> Result<Value> {
        let s = self.storage();
        if s.get::<String>(&Alert::id_key(&alert.id)).await?.is_some() {
            return Ok(json!({ "id": alert.id, "stored": false }));
        }
        let config = self.config();
        let cfg = &config.alerts;
        let mut previous_repeat_count = 0;
        let incident_key = alert.incident_key();
        if let Some(ik) = &incident_key {
            if let Some(inc) = get_json::<Incident>(&s, ik).await? {
                if let Some(mut rec) = get_json::<AlertRecord>(&s, &inc.alert_key).await? {
                    if inc.covers(alert.received_at_ms, cfg.dedupe_window_ms) {
                        return self.fold_repeat(&s, &inc.alert_key, &mut rec, &alert).await;
                    }
                    previous_repeat_count = rec.repeat_count;
                }
            }
        }
        let subs = self.subscribers(cfg).await?;
        let key = alert.storage_key();
        let rec = AlertRecord::new(alert, &subs, previous_repeat_count);
        let count = s.get::<usize>(COUNT_KEY).await?.unwrap_or(0) + 1;
        let (mut puts, _) = record_writes(&key, &rec)?;
        puts.push((Alert::id_key(&rec.alert.id), key.clone().into()));
        puts.push((COUNT_KEY.to_owned(), (count as f64).into()));
        if let Some(ik) = incident_key {
            let inc = Incident {
                alert_key: key.clone(),
                opened_ms: rec.alert.received_at_ms,
            };
            puts.push((ik, text(&inc)?));
        }
        // One write: the alert, its deliveries, its index entries and the incident.
        put_all(&s, puts).await?;
        if rec.pending() {
            // A safety net: if the run started below never finishes, the alarm picks it up.
            let cfg_lease = cfg.attempt_timeout_ms + LEASE_MARGIN_MS;
            self.alarm_no_later_than(now_ms() + cfg_lease).await?;
        }
        if count > MAX_ALERTS {
            self.prune(count).await?;
        }
        self.broadcast(
            &json!({ "type": "alert", "alert": rec.view(), "deliveries": rec.summary() }),
        );
        log(
            json!({ "msg": "alert accepted", "alert": rec.alert.id, "deliveries": rec.deliveries.len() }),
        );
        Ok(json!({ "id": rec.alert.id, "stored": true, "deliveries": rec.deliveries.len() }))
    }

    async fn fold_repeat(
        &self,
        s: &Storage,
        key: &str,
        rec: &mut AlertRecord,
        alert: &Alert,
    ) -> Result<Value> {
        rec.repeat_count += 1;
        rec.last_repeat_at = Some(alert.received_at.clone());
        rec.repeat_ids.push(alert.id.clone());
        let mut forget = Vec::new();
        while rec.repeat_ids.len() > MAX_REPEAT_IDS {
            forget.push(Alert::id_key(&rec.repeat_ids.remove(0)));
        }
        let puts = vec![
            (key.to_owned(), text(rec)?),
            (Alert::id_key(&alert.id), key.into()),
        ];
        put_all(s, puts).await?;
        if !forget.is_empty() {
            s.delete_multiple(forget).await?;
        }
        self.broadcast(&json!({ "type": "alert.repeated", "id": rec.alert.id, "repeat_count": rec.repeat_count }));
        Ok(json!({ "id": alert.id, "stored": true, "repeat_of": rec.alert.id }))
    }

    /// Deletes the oldest alerts beyond [`MAX_ALERTS`] that have nothing pending.
    async fn prune(&self, count: usize) -> Result<()> {
        let s = self.storage();
        let excess = excess_alerts(count);
        let oldest = list(
            &s,
            ListOptions::new()
                .prefix(ALERT_PREFIX)
                .limit(excess + MAX_BATCH),
        )
        .await?;
        let mut doomed = Vec::new();
        let mut removed = 0;
        for (key, value) in oldest {
            if removed == excess {
                break;
            }
            let Some(rec) = value
                .as_string()
                .and_then(|t| serde_json::from_str::<AlertRecord>(&t).ok())
            else {
                continue;
            };
            if rec.pending() {
                continue; // never drop an alert that still has to be delivered
            }
            doomed.push(Alert::id_key(&rec.alert.id));
            doomed.extend(rec.repeat_ids.iter().map(|id| Alert::id_key(id)));
            doomed.push(format!("{DEAD_PREFIX}{key}"));
            if let Some(ik) = rec.alert.incident_key() {
                if get_json::<Incident>(&s, &ik)
                    .await?
                    .is_some_and(|i| i.alert_key == key)
                {
                    doomed.push(ik);
                }
            }
            doomed.push(key);
            removed += 1;
        }
        for chunk in doomed.chunks(128) {
            s.delete_multiple(chunk.to_vec()).await?;
        }
        s.put(COUNT_KEY, count - removed).await
    }

    async fn find_alert(&self, id: &str) -> Result<Option<(String, AlertRecord)>> {
        let s = self.storage();
        let Some(key) = s.get::<String>(&Alert::id_key(id)).await? else {
            return Ok(None);
        };
        Ok(get_json(&s, &key).await?.map(|rec| (key, rec)))
    }

    async fn list_alerts(&self, query: &HashMap<String, String>) -> Result<Response> {
        let limit = query
            .get("limit")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(DEFAULT_LIMIT)
            .clamp(1, MAX_LIMIT);
        let s = self.storage();
        let records: Vec<(String, AlertRecord)> = match query.get("delivery").map(String::as_str) {
            Some(which @ ("dead" | "pending")) => {
                let prefix = if which == "dead" {
                    DEAD_PREFIX
                } else {
                    PENDING_PREFIX
                };
                let index = list(
                    &s,
                    ListOptions::new().prefix(prefix).reverse(true).limit(limit),
                )
                .await?;
                let keys = index
                    .into_iter()
                    .map(|(k, _)| k[prefix.len()..].to_owned())
                    .collect();
                get_records(&s, keys).await?
            }
            _ => list(
                &s,
                ListOptions::new()
                    .prefix(ALERT_PREFIX)
                    .reverse(true)
                    .limit(limit),
            )
            .await?
            .into_iter()
            .filter_map(|(k, v)| Some((k, serde_json::from_str(&v.as_string()?).ok()?)))
            .collect(),
        };
        let alerts: Vec<Value> = records.iter().map(|(_, r)| summary(r)).collect();
        json_response(200, &json!({ "alerts": alerts }))
    }

    /// `POST /alerts/{id}/retry`: dead deliveries to subscribers that still exist start over.
    async fn retry(&self, id: &str) -> Result<Response> {
        let Some((key, mut rec)) = self.find_alert(id).await? else {
            return hub_error(404, "alert");
        };
        let subs = self.subscribers(&self.config().alerts).await?;
        let now = now_ms();
        let mut requeued = Vec::new();
        let mut skipped = Vec::new();
        for d in rec.deliveries.iter_mut() {
            if d.status != crate::delivery::DeliveryStatus::Dead {
                continue;
            }
            match subs.iter().find(|s| s.id == d.subscriber_id) {
                Some(sub) if sub.enabled() => {
                    d.requeue(now);
                    requeued.push(d.subscriber_id.clone());
                }
                Some(_) => skipped.push(
                    json!({ "subscriber_id": d.subscriber_id, "reason": "subscriber disabled" }),
                ),
                None => skipped.push(
                    json!({ "subscriber_id": d.subscriber_id, "reason": "subscriber deleted" }),
                ),
            }
        }
        self.save_record(&key, &rec).await?;
        if !requeued.is_empty() {
            self.kick();
        }
        json_response(
            200,
            &json!({ "id": rec.alert.id, "requeued": requeued, "skipped": skipped }),
        )
    }

    async fn save_record(&self, key: &str, rec: &AlertRecord) -> Result<()> {
        let s = self.storage();
        let (puts, deletes) = record_writes(key, rec)?;
        put_all(&s, puts).await?;
        s.delete_multiple(deletes).await?;
        Ok(())
    }

    /// Runs every due delivery; one run at a time, repeated while more became due meanwhile.
    async fn run_due(&self) {
        if self.run.running.replace(true) {
            self.run.again.set(true);
            return;
        }
        loop {
            self.run.again.set(false);
            if let Err(e) = self.run_once().await {
                worker::console_error!(
                    "{}",
                    json!({ "msg": "delivery run failed", "error": e.to_string() })
                );
            }
            if !self.run.again.get() {
                break;
            }
        }
        if let Err(e) = self.schedule_alarm().await {
            worker::console_error!(
                "{}",
                json!({ "msg": "alarm not set", "error": e.to_string() })
            );
        }
        self.run.running.set(false);
    }

    async fn run_once(&self) -> Result<()> {
        let s = self.storage();
        let config = self.config();
        let cfg = &config.alerts;
        let now = now_ms();
        let index = list(&s, ListOptions::new().prefix(PENDING_PREFIX)).await?;
        let due: Vec<String> = index
            .into_iter()
            .filter(|(_, v)| v.as_f64().is_none_or(|t| t as u64 <= now))
            .map(|(k, _)| k[PENDING_PREFIX.len()..].to_owned())
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let subs = self.subscribers(cfg).await?;
        let mut jobs: Vec<(String, String, Outbound)> = Vec::new();
        let mut puts = Vec::new();
        let mut deletes = Vec::new();
        for (key, mut rec) in get_records(&s, due.clone()).await? {
            let due_subs: Vec<String> = rec
                .deliveries
                .iter()
                .filter(|d| d.due(now))
                .map(|d| d.subscriber_id.clone())
                .collect();
            for sub_id in due_subs {
                if jobs.len() >= MAX_BATCH {
                    self.run.again.set(true);
                    break;
                }
                let sub = subs.iter().find(|s| s.id == sub_id);
                let out = match sub {
                    None => Err("subscriber deleted"),
                    Some(s) if !s.enabled() => Err("subscriber disabled"),
                    Some(s) => rec
                        .delivery_mut(&sub_id)
                        .map(|d| d.webhook_id.clone())
                        .and_then(|wid| notify::outbound(&rec, s, &wid, now / 1000))
                        .ok_or("subscriber has no valid signing secret"),
                };
                let Some(d) = rec.delivery_mut(&sub_id) else {
                    continue;
                };
                match out {
                    Ok(out) => {
                        d.lease(now, cfg.attempt_timeout_ms + LEASE_MARGIN_MS);
                        jobs.push((key.clone(), sub_id, out));
                    }
                    Err(reason) => d.abandon(reason),
                }
            }
            let (p, d) = record_writes(&key, &rec)?;
            puts.extend(p);
            deletes.extend(d);
        }
        // Index entries whose record is gone.
        let present: Vec<&String> = puts.iter().map(|(k, _)| k).collect();
        deletes.extend(
            due.iter()
                .filter(|k| !present.contains(k))
                .map(|k| format!("{PENDING_PREFIX}{k}")),
        );
        // The leases are stored before any request leaves.
        if !puts.is_empty() {
            put_all(&s, puts).await?;
        }
        if !deletes.is_empty() {
            s.delete_multiple(deletes).await?;
        }
        // All attempts run at once; each result is recorded as soon as it arrives, one at a
        // time (two deliveries of one alert share a record), so a slow subscriber holds up nobody.
        let timeout = cfg.attempt_timeout_ms;
        let mut running: FuturesUnordered<_> = jobs
            .iter()
            .map(|job| async move { (job, attempt(&job.2, timeout).await) })
            .collect();
        while let Some(((key, sub_id, _), result)) = running.next().await {
            if let Err(e) = self.record_result(cfg, key, sub_id, &result).await {
                // The lease runs out and the attempt is repeated: at least once, never lost.
                worker::console_error!(
                    "{}",
                    json!({ "msg": "attempt result not stored", "error": e.to_string() })
                );
            }
        }
        Ok(())
    }

    async fn record_result(
        &self,
        cfg: &AlertConfig,
        key: &str,
        sub_id: &str,
        result: &AttemptResult,
    ) -> Result<()> {
        let s = self.storage();
        let Some(mut rec) = get_json::<AlertRecord>(&s, key).await? else {
            return Ok(());
        };
        let alert_id = rec.alert.id.clone();
        let Some(d) = rec.delivery_mut(sub_id) else {
            return Ok(());
        };
        let finished = d.finish(result, &cfg.schedule);
        let webhook_id = d.webhook_id.clone();
        self.save_record(key, &rec).await?;
        log(json!({
            "msg": "alert delivery",
            "alert": alert_id,
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
        }));
        if finished == Finished::Gone {
            self.disable(sub_id, "the endpoint answered 410 Gone")
                .await?;
        }
        Ok(())
    }

    async fn disable(&self, sub_id: &str, reason: &str) -> Result<()> {
        let disabled = Disabled {
            at: format_rfc3339(millis_to_nanos(now_ms())),
            reason: reason.to_owned(),
        };
        self.storage()
            .put(
                &format!("{DISABLED_PREFIX}{sub_id}"),
                serde_json::to_string(&disabled)?,
            )
            .await?;
        self.publish_notify_states().await
    }

    /// Sets the alarm to the earliest pending delivery (or clears nothing: a spare alarm only
    /// runs an empty pass).
    async fn schedule_alarm(&self) -> Result<()> {
        let index = list(&self.storage(), ListOptions::new().prefix(PENDING_PREFIX)).await?;
        let next = index
            .iter()
            .filter_map(|(_, v)| v.as_f64())
            .map(|t| t as u64)
            .min();
        if let Some(at) = next {
            let at = if self.run.again.get() { now_ms() } else { at };
            self.set_alarm(at).await?;
        }
        Ok(())
    }

    /// Makes sure the alarm fires no later than `at`.
    async fn alarm_no_later_than(&self, at: u64) -> Result<()> {
        let current = self.storage().get_alarm().await?;
        if current.is_none_or(|c| c > at as i64) {
            self.set_alarm(at).await?;
        }
        Ok(())
    }

    async fn set_alarm(&self, at: u64) -> Result<()> {
        // An absolute time: `set_alarm(i64)` would take the number as an offset.
        let when = js_sys::Date::new(&(at.max(now_ms()) as f64).into());
        self.storage().set_alarm(ScheduledTime::new(when)).await
    }

    async fn create_subscriber(&self, new: NewSubscriber) -> Result<Response> {
        let s = self.storage();
        let existing: Vec<Subscriber> = list_json(&s, SUBSCRIBER_PREFIX).await?;
        if existing.len() >= MAX_SUBSCRIBERS {
            return hub_error(409, &format!("at most {MAX_SUBSCRIBERS} subscribers"));
        }
        let id = format!("sub_{}", hex(&random_bytes::<10>()?));
        let secret = match new.format {
            crate::subscribers::Format::Webhook => {
                Some(notify::format_secret(&random_bytes::<SECRET_BYTES>()?))
            }
            _ => None,
        };
        let sub = Subscriber {
            id: id.clone(),
            url: new.url,
            format: new.format,
            filter: new.filter,
            secret: secret.clone(),
            source: Source::Api,
            created_at: format_rfc3339(millis_to_nanos(now_ms())),
            disabled: None,
        };
        s.put(&Subscriber::storage_key(&id), serde_json::to_string(&sub)?)
            .await?;
        self.publish_notify_states().await?;
        log(
            json!({ "msg": "subscriber created", "subscriber": id, "format": sub.format.as_str() }),
        );
        let mut body = serde_json::to_value(sub.view())?;
        if let (Some(obj), Some(secret)) = (body.as_object_mut(), secret) {
            // Shown once: only its holder can verify signatures.
            obj.insert("secret".into(), secret.into());
        }
        json_response(201, &body)
    }

    async fn delete_subscriber(&self, id: &str) -> Result<Response> {
        let s = self.storage();
        let config = self.config();
        let cfg = &config.alerts;
        if cfg.subscribers.subscribers.iter().any(|sub| sub.id == id) {
            return hub_error(
                409,
                "declared in ALERT_SUBSCRIBERS: remove it there and redeploy",
            );
        }
        let key = Subscriber::storage_key(id);
        if s.get::<String>(&key).await?.is_none() {
            return hub_error(404, "subscriber");
        }
        s.delete_multiple(vec![key, format!("{DISABLED_PREFIX}{id}")])
            .await?;
        self.publish_notify_states().await?;
        log(json!({ "msg": "subscriber deleted", "subscriber": id }));
        json_response(200, &json!({ "id": id, "deleted": true }))
    }

    /// Tells the stream objects (through KV) which non-error states some subscriber wants.
    async fn publish_notify_states(&self) -> Result<()> {
        let subs = self.subscribers(&self.config().alerts).await?;
        let mut states: Vec<StreamState> = subs
            .iter()
            .filter(|s| s.enabled())
            .flat_map(|s| s.filter.states.iter().copied())
            .filter(|st| *st != StreamState::Errored)
            .collect();
        states.sort_by_key(|s| s.as_str());
        states.dedup();
        self.env
            .kv(STATUS_KV)?
            .put(NOTIFY_STATES_KEY, serde_json::to_string(&states)?)?
            .execute()
            .await?;
        Ok(())
    }

    fn live(&self, req: &Request) -> Result<Response> {
        let upgrade = req.headers().get("Upgrade")?.unwrap_or_default();
        if !upgrade.eq_ignore_ascii_case("websocket") {
            return hub_error(426, "upgrade required");
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server
            .send_with_str(json!({ "type": "hello", "protocol": 1 }).to_string())?;
        let offered = req
            .headers()
            .get("Sec-WebSocket-Protocol")?
            .unwrap_or_default();
        let mut resp = Response::from_websocket(pair.client)?;
        if offered.split(',').any(|p| p.trim() == LIVE_PROTOCOL) {
            resp.headers_mut()
                .set("Sec-WebSocket-Protocol", LIVE_PROTOCOL)?;
        }
        Ok(resp)
    }
}

/// One delivery attempt under `timeout_ms`. Errors are reported by category only: a network
/// error's text could contain the target URL, which may be a credential (Slack, Discord).
async fn attempt(out: &Outbound, timeout_ms: u64) -> AttemptResult {
    let started_ms = now_ms();
    let finish =
        |status: Option<u16>, error: Option<String>, retry_after_ms: Option<u64>| AttemptResult {
            started_ms,
            latency_ms: now_ms().saturating_sub(started_ms),
            status,
            error,
            retry_after_ms,
        };
    let req = (|| {
        let headers = Headers::new();
        for (k, v) in &out.headers {
            headers.set(k, v)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(out.body.as_str().into()))
            .with_redirect(RequestRedirect::Manual);
        Request::new_with_init(&out.url, &init)
    })();
    let Ok(req) = req else {
        return finish(None, Some("invalid request".into()), None);
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let sent = within(
        Duration::from_millis(timeout_ms),
        fetch.send_with_signal(&signal),
    );
    match sent.await {
        Some(Ok(resp)) => {
            let status = resp.status_code();
            let retry_after = resp
                .headers()
                .get("Retry-After")
                .ok()
                .flatten()
                .and_then(|v| parse_retry_after(&v, now_ms()));
            finish(Some(status), None, retry_after)
        }
        Some(Err(_)) => finish(None, Some("network error".into()), None),
        None => {
            controller.abort();
            finish(None, Some(format!("timed out after {timeout_ms} ms")), None)
        }
    }
}
