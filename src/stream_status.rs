//! `StreamStatus`: one Durable Object per stream (named `{provider}:{kind}:{id}`), the source
//! of truth for that stream's ordering and de-duplication. A thin shell over
//! [`crate::status::StreamState`]: load, apply with `now`, persist, then do the I/O it asks for
//! (a KV write at most once a second, the alert hand-off to `ALERT_HUB`) and set the alarm that
//! retries whatever is still pending. KV is eventually consistent; this object is not.
//!
//! Internal route: `POST /event` with an [`Ingest`] body → [`IngestReply`].

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result,
    ScheduledTime, State, Storage,
};

use std::cell::RefCell;

use crate::alert_hub::NOTIFY_STATES_KEY;
use crate::alerts::Alert;
use crate::config::{ALERT_HUB_DO, ALERT_HUB_NAME, STATUS_KV};
use crate::model::{Event, State as ModelState, StatusRecord};
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
    /// The non-error states some subscriber wants, and when they were read from KV.
    notify: RefCell<Option<(u64, Vec<ModelState>)>>,
}

/// How long a stream object trusts its copy of the wanted states.
const NOTIFY_STATES_TTL_MS: u64 = 30_000;

impl DurableObject for StreamStatus {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            notify: RefCell::new(None),
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
            (Method::Get, "/state") => Response::from_json(&self.load().await?),
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.flush(now_ms()).await?;
        Response::ok("ok")
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

impl StreamStatus {
    fn storage(&self) -> Storage {
        self.state.storage()
    }

    async fn load(&self) -> Result<StreamState> {
        match self.storage().get::<String>(STATE_KEY).await? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(StreamState::default()),
        }
    }

    async fn save(&self, st: &StreamState) -> Result<()> {
        self.storage()
            .put(STATE_KEY, serde_json::to_string(st)?)
            .await
    }

    /// Loads, changes and saves the state with no other await in between, so concurrent
    /// requests to this object cannot interleave inside (the runtime's input gate).
    async fn update<T>(&self, f: impl FnOnce(&mut StreamState) -> T) -> Result<T> {
        let mut st = self.load().await?;
        let out = f(&mut st);
        self.save(&st).await?;
        Ok(out)
    }

    /// Errors always notify; other states only if some subscriber asked (a KV list written by
    /// the alert hub, cached here for 30 s).
    async fn notify_states(&self, state: ModelState) -> Vec<ModelState> {
        if state == ModelState::Errored {
            return Vec::new();
        }
        let now = now_ms();
        if let Some((at, states)) = self.notify.borrow().as_ref() {
            if now.saturating_sub(*at) < NOTIFY_STATES_TTL_MS {
                return states.clone();
            }
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
        *self.notify.borrow_mut() = Some((now, states.clone()));
        states
    }

    async fn ingest(&self, ingest: Ingest) -> Result<IngestReply> {
        let notify = self.notify_states(ingest.event.state).await;
        let applied = self
            .update(|st| st.apply(&ingest.event, ingest.received_at_ms, &notify))
            .await?;
        // The event (and any alert) is durable now; the I/O below may fail and be retried.
        if applied.outcome != Outcome::Duplicate {
            self.flush(now_ms()).await?;
        }
        Ok(IngestReply {
            outcome: applied.outcome,
            alert_queued: applied.alert_queued,
        })
    }

    /// Writes KV and hands alerts off if due, then schedules the alarm for whatever is left.
    async fn flush(&self, now: u64) -> Result<()> {
        if let Some((version, record)) = self.update(|st| st.begin_kv_write(now)).await? {
            let ok = self.write_kv(&record).await;
            self.update(|st| match ok {
                Ok(()) => st.kv_written(version),
                Err(_) => st.kv_failed(),
            })
            .await?;
            if let Err(e) = ok {
                worker::console_error!(
                    "{{\"msg\":\"kv write failed\",\"error\":{:?}}}",
                    e.to_string()
                );
            }
        }
        let outbox: Vec<Alert> = {
            let st = self.load().await?;
            if st.outbox_due(now) {
                st.outbox.clone()
            } else {
                Vec::new()
            }
        };
        if !outbox.is_empty() {
            let mut delivered = Vec::new();
            for alert in &outbox {
                if self.hand_off(alert).await.is_ok() {
                    delivered.push(alert.id.clone());
                }
            }
            let failed = delivered.len() < outbox.len();
            self.update(|st| {
                for id in &delivered {
                    st.alert_handed_off(id);
                }
                if failed {
                    st.alert_hand_off_failed(now);
                }
            })
            .await?;
        }
        let next = self.load().await?.next_alarm_ms(now);
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
        let resp = stub.fetch_with_request(req).await?;
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
