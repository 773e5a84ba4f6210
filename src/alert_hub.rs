//! `AlertHub`: the single Durable Object that keeps errored-input alerts (binding `ALERT_HUB`).
//! Stream objects hand alerts over with `POST /alerts`; the hub answers 2xx only once the alert
//! is in its storage, and storing the same alert id twice is a no-op, so a stream object can
//! retry a hand-off until it is confirmed without creating duplicates.
//!
//! Internal routes: `POST /alerts` (an [`Alert`]), `GET /alerts?limit=N` (newest first).

use worker::{
    durable_object, js_sys, wasm_bindgen::JsValue, DurableObject, Env, ListOptions, Method,
    Request, Response, Result, State,
};

use crate::alerts::{excess_alerts, Alert, ALERT_PREFIX, MAX_ALERTS};

const COUNT_KEY: &str = "count";
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

#[durable_object]
pub struct AlertHub {
    state: State,
    #[allow(dead_code)]
    env: Env,
}

impl DurableObject for AlertHub {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/alerts") => {
                let alert: Alert = serde_json::from_str(&req.text().await?)?;
                let stored = self.store(&alert).await?;
                Response::from_json(&serde_json::json!({ "id": alert.id, "stored": stored }))
            }
            (Method::Get, "/alerts") => {
                let limit = req
                    .url()?
                    .query_pairs()
                    .find(|(k, _)| k == "limit")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(DEFAULT_LIMIT)
                    .clamp(1, MAX_LIMIT);
                let alerts = self.list(limit, true).await?;
                let alerts: Vec<Alert> = alerts.into_iter().map(|(_, a)| a).collect();
                Response::from_json(&serde_json::json!({ "alerts": alerts }))
            }
            _ => Response::error("not found", 404),
        }
    }
}

impl AlertHub {
    /// Stores an alert once. Returns false if this id was already stored.
    async fn store(&self, alert: &Alert) -> Result<bool> {
        let storage = self.state.storage();
        let id_key = Alert::id_key(&alert.id);
        if storage.get::<String>(&id_key).await?.is_some() {
            return Ok(false);
        }
        let count = storage.get::<usize>(COUNT_KEY).await?.unwrap_or(0) + 1;
        let entries: [(String, JsValue); 3] = [
            (alert.storage_key(), serde_json::to_string(alert)?.into()),
            (id_key, alert.storage_key().into()),
            (COUNT_KEY.to_owned(), (count as f64).into()),
        ];
        let obj = js_sys::Object::new();
        for (k, v) in &entries {
            js_sys::Reflect::set(&obj, &k.into(), v)?;
        }
        // One write: the alert, its id marker and the count land together or not at all.
        storage.put_multiple_raw(obj).await?;
        if count > MAX_ALERTS {
            self.prune(count).await?;
        }
        Ok(true)
    }

    async fn prune(&self, count: usize) -> Result<()> {
        let storage = self.state.storage();
        let oldest = self.list(excess_alerts(count), false).await?;
        let mut doomed: Vec<String> = Vec::new();
        for (key, alert) in &oldest {
            doomed.push(key.clone());
            doomed.push(Alert::id_key(&alert.id));
        }
        storage.delete_multiple(doomed).await?;
        storage.put(COUNT_KEY, count - oldest.len()).await
    }

    async fn list(&self, limit: usize, newest_first: bool) -> Result<Vec<(String, Alert)>> {
        let map = self
            .state
            .storage()
            .list_with_options(
                ListOptions::new()
                    .prefix(ALERT_PREFIX)
                    .reverse(newest_first)
                    .limit(limit),
            )
            .await?;
        let mut out = Vec::new();
        for entry in map.entries() {
            let pair: js_sys::Array = entry?.into();
            let (Some(key), Some(json)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
                continue;
            };
            if let Ok(alert) = serde_json::from_str::<Alert>(&json) {
                out.push((key, alert));
            }
        }
        Ok(out)
    }
}
