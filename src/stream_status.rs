//! `StreamStatus`: one Durable Object per stream (named `{provider}:{kind}:{id}`), the source
//! of truth for that stream's ordering and de-duplication. A thin shell over
//! [`crate::status::StreamState`]: apply with `now`, persist, then do the I/O it asks for (a KV
//! write at most once a second, the alert hand-off to `ALERT_HUB`) and set the alarm that retries
//! whatever is still pending. KV is eventually consistent; this object is not.
//!
//! The state lives in memory while the object does, and is read from storage once per
//! instance. An event costs one storage write (the event, its alert if any, and the KV write
//! slot, together) and one KV write. A confirmed KV write is persisted with the next change:
//! losing it in a restart only means the record is written once more.
//!
//! Internal route: `POST /event` with an [`Ingest`] body → [`IngestReply`].

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result,
    ScheduledTime, State, Storage,
};

use std::cell::{Cell, RefCell};

use crate::alert_hub::NOTIFY_STATES_KEY;
use crate::alerts::Alert;
use crate::config::{ALERT_HUB_DO, ALERT_HUB_NAME, STATUS_KV};
use crate::model::{Event, State as ModelState, StatusRecord};
use crate::runtime::{now_ms, within};
use crate::status::{Outcome, StreamState};

const STATE_KEY: &str = "state";

/// What the worker hands a stream's object.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ingest {
    pub event: Event,
    pub received_at_ms: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct IngestReply {
    pub outcome: Outcome,
    pub alert_queued: bool,
}

#[durable_object]
pub struct StreamStatus {
    state: State,
    env: Env,
    /// The stream's state, once read from storage.
    current: RefCell<Option<StreamState>>,
    /// The in-memory state has changes storage does not have yet (only KV confirmations).
    unsaved: Cell<bool>,
}

/// Longest wait for the alert hub to confirm a hand-off.
const HAND_OFF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long the wanted states read from KV are trusted.
const NOTIFY_STATES_TTL_MS: u64 = 30_000;

thread_local! {
    /// The non-error states some subscriber wants, and when they were read: one copy per isolate,
    /// shared by every stream object in it.
    static NOTIFY_STATES: RefCell<Option<(u64, Vec<ModelState>)>> = const { RefCell::new(None) };
}

impl DurableObject for StreamStatus {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            current: RefCell::new(None),
            unsaved: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/event") => {
                // Parsed with serde_json, not `req.json()`: JS numbers would round the nanosecond times.
                let ingest: Ingest = serde_json::from_str(&req.text().await?)?;
                let reply = self.ingest(ingest).await?;
                Response::from_json(&reply)
            }
            (Method::Get, "/state") => {
                let st = self.with_state(|st| st.clone()).await?;
                Response::from_json(&st)
            }
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.flush(now_ms()).await?;
        if self.unsaved.get() {
            self.save().await?;
        }
        Response::ok("ok")
    }
}

impl StreamStatus {
    fn storage(&self) -> Storage {
        self.state.storage()
    }

    /// Runs `f` on the state (read from storage on first use) with no await inside, so
    /// concurrent requests to this object never interleave within a change.
    async fn with_state<T>(&self, f: impl FnOnce(&mut StreamState) -> T) -> Result<T> {
        if self.current.borrow().is_none() {
            let loaded = match self.storage().get::<String>(STATE_KEY).await? {
                Some(json) => serde_json::from_str(&json)?,
                None => StreamState::default(),
            };
            // Another request may have loaded it while this one waited.
            let mut current = self.current.borrow_mut();
            if current.is_none() {
                *current = Some(loaded);
            }
        }
        let mut current = self.current.borrow_mut();
        let st = current.get_or_insert_with(StreamState::default);
        Ok(f(st))
    }

    /// Writes the in-memory state to storage.
    async fn save(&self) -> Result<()> {
        let json = {
            let current = self.current.borrow();
            match current.as_ref() {
                Some(st) => serde_json::to_string(st)?,
                None => return Ok(()),
            }
        };
        self.unsaved.set(false);
        let saved = self.storage().put(STATE_KEY, json).await;
        if saved.is_err() {
            // Storage did not take the change: forget the in-memory copy so a retried delivery
            // is applied again from what storage holds, not answered as a duplicate.
            *self.current.borrow_mut() = None;
        }
        saved
    }

    /// Errors always notify; other states only if some subscriber asked (a KV list written by
    /// the alert hub, cached per isolate for 30 s).
    async fn notify_states(&self, state: ModelState) -> Vec<ModelState> {
        if state == ModelState::Errored {
            return Vec::new();
        }
        let now = now_ms();
        let cached = NOTIFY_STATES.with(|c| {
            c.borrow()
                .as_ref()
                .filter(|(at, _)| now.saturating_sub(*at) < NOTIFY_STATES_TTL_MS)
                .map(|(_, states)| states.clone())
        });
        if let Some(states) = cached {
            return states;
        }
        let read = async {
            self.env
                .kv(STATUS_KV)?
                .get(NOTIFY_STATES_KEY)
                .json::<Vec<ModelState>>()
                .await
                .map_err(worker::Error::from)
        };
        let states = match read.await {
            Ok(states) => states.unwrap_or_default(),
            Err(e) => {
                worker::console_error!(
                    "{{\"msg\":\"notify states unreadable\",\"error\":{:?}}}",
                    e.to_string()
                );
                Vec::new()
            }
        };
        NOTIFY_STATES.with(|c| *c.borrow_mut() = Some((now, states.clone())));
        states
    }

    async fn ingest(&self, ingest: Ingest) -> Result<IngestReply> {
        let notify = self.notify_states(ingest.event.state).await;
        let now = now_ms();
        // Apply and reserve the KV write slot in one change, persisted in one write.
        let (applied, kv_write) = self
            .with_state(|st| {
                let applied = st.apply(&ingest.event, ingest.received_at_ms, &notify);
                let changed = !matches!(applied.outcome, Outcome::Duplicate | Outcome::Deferred);
                let kv_write = changed.then(|| st.begin_kv_write(now)).flatten();
                (applied, kv_write)
            })
            .await?;
        if !matches!(applied.outcome, Outcome::Duplicate | Outcome::Deferred) {
            self.save().await?;
            // The event (and any alert) is durable now; the I/O below may fail and be retried.
            self.finish(now, kv_write).await?;
        }
        Ok(IngestReply {
            outcome: applied.outcome,
            alert_queued: applied.alert_queued,
        })
    }

    /// The alarm: writes KV and hands alerts off if due.
    async fn flush(&self, now: u64) -> Result<()> {
        let kv_write = self.with_state(|st| st.begin_kv_write(now)).await?;
        if kv_write.is_some() {
            self.unsaved.set(true); // the reserved slot
        }
        self.finish(now, kv_write).await
    }

    /// Performs a reserved KV write, hands the outbox over if due, and sets the alarm for what
    /// is left.
    async fn finish(&self, now: u64, kv_write: Option<(u64, StatusRecord)>) -> Result<()> {
        if let Some((version, record)) = kv_write {
            let ok = self.write_kv(&record).await;
            self.with_state(|st| match ok {
                Ok(()) => st.kv_written(version),
                Err(_) => st.kv_failed(),
            })
            .await?;
            self.unsaved.set(true);
            if let Err(e) = ok {
                worker::console_error!(
                    "{{\"msg\":\"kv write failed\",\"error\":{:?}}}",
                    e.to_string()
                );
            }
        }
        let outbox: Vec<Alert> = self
            .with_state(|st| {
                if st.outbox_due(now) {
                    st.outbox.clone()
                } else {
                    Vec::new()
                }
            })
            .await?;
        if !outbox.is_empty() {
            let mut delivered = Vec::new();
            for alert in &outbox {
                if self.hand_off(alert).await.is_ok() {
                    delivered.push(alert.id.clone());
                }
            }
            let failed = delivered.len() < outbox.len();
            self.with_state(|st| {
                for id in &delivered {
                    st.alert_handed_off(id);
                }
                if failed {
                    st.alert_hand_off_failed(now);
                }
            })
            .await?;
            // Handed-off alerts leave the outbox durably (a re-hand-off would be harmless).
            self.save().await?;
        }
        let next = self.with_state(|st| st.next_alarm_ms(now)).await?;
        if let Some(at) = next {
            let current = self.storage().get_alarm().await?;
            if current.is_none_or(|c| c > at as i64 || c < now as i64) {
                // An absolute time: `set_alarm(i64)` would take the number as an offset.
                let when = worker::js_sys::Date::new(&(at as f64).into());
                self.storage().set_alarm(ScheduledTime::new(when)).await?;
            }
        }
        Ok(())
    }

    async fn write_kv(&self, record: &StatusRecord) -> Result<()> {
        let key = crate::model::StreamKey {
            provider: record.provider,
            kind: record.kind,
            id: record.stream_id.clone(),
        }
        .kv_key();
        let meta = serde_json::json!({ "state": record.state, "kind": record.kind });
        self.env
            .kv(STATUS_KV)?
            .put(&key, serde_json::to_string(record)?)?
            .metadata(meta)?
            .execute()
            .await?;
        Ok(())
    }

    async fn hand_off(&self, alert: &Alert) -> Result<()> {
        let stub = self
            .env
            .durable_object(ALERT_HUB_DO)?
            .get_by_name(ALERT_HUB_NAME)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(serde_json::to_string(alert)?.into()));
        let req = Request::new_with_init("https://alert-hub/alerts", &init)?;
        // Bounded: if the hub does not answer, the alert stays in the outbox for the alarm, and
        // the provider's webhook is answered anyway (its event is already stored).
        let resp = within(HAND_OFF_TIMEOUT, stub.fetch_with_request(req))
            .await
            .ok_or_else(|| worker::Error::RustError("alert hub timed out".into()))??;
        if resp.status_code() / 100 == 2 {
            Ok(())
        } else {
            Err(worker::Error::RustError(format!(
                "alert hub answered {}",
                resp.status_code()
            )))
        }
    }
}
