//! The hub's effects trait over the runtime: the clock, `crypto.getRandomValues`, the live
//! feed's WebSockets, KV, the JSON logger, and `fetch` for delivery attempts.

use std::rc::Rc;
use std::time::Duration;

use livehook_core::alerts::delivery::AttemptResult;
use livehook_core::alerts::render::Outbound;
use livehook_core::alerts::schedule::{
    parse_retry_after, retry_after_from_body, MAX_RATE_LIMIT_BODY,
};
use livehook_core::hub::effects::{Effects, Level};
use livehook_core::ingest::event::State;
use livehook_core::protocol::{NOTIFY_STATES_KEY, STATUS_KV};
use livehook_core::store::StoreError;
use serde_json::Value;
use worker::{AbortController, Env, Fetch};

use crate::platform::clock::{now_ms, within};
use crate::platform::kv::Kv;
use crate::platform::{bindings, log, request};

pub struct DoEffects {
    /// The object's state, for its WebSockets (shared with the object).
    pub state: Rc<worker::State>,
    pub env: Env,
}

impl Effects for DoEffects {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    fn random(&self, buf: &mut [u8]) -> Result<(), StoreError> {
        bindings::random_bytes(buf).map_err(|e| StoreError(format!("random: {e:?}")))
    }

    fn broadcast(&self, message: &str) -> usize {
        let sockets = self.state.get_websockets();
        for ws in &sockets {
            let _ = ws.send_with_str(message);
        }
        sockets.len()
    }

    fn log(&self, level: Level, msg: &str, fields: Value) {
        match level {
            Level::Info => log::info(msg, fields),
            Level::Error => log::error(msg, fields),
        }
    }

    async fn publish_notify_states(&self, states: &[State]) -> Result<(), StoreError> {
        let failed = |e: worker::Error| StoreError(format!("publish states: {e}"));
        let text = serde_json::to_string(states).map_err(|e| StoreError(e.to_string()))?;
        let kv = Kv::bound(&self.env, STATUS_KV).map_err(failed)?;
        kv.put(NOTIFY_STATES_KEY, &text)
            .await
            .map_err(|e| failed(e.into()))
    }

    /// Errors are reported by category only: a network error's text could contain the target
    /// URL, which may be a credential (Slack, Discord).
    async fn send(&self, out: &Outbound, timeout_ms: u64) -> AttemptResult {
        let started_ms = now_ms();
        let finish = |status: Option<u16>, error: Option<String>, retry_after_ms: Option<u64>| {
            AttemptResult {
                started_ms,
                latency_ms: now_ms().saturating_sub(started_ms),
                status,
                error,
                retry_after_ms,
            }
        };
        let headers: Vec<(&str, &str)> =
            out.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = request::build("POST", &out.url, &headers, Some(&out.body), false);
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
            Some(Ok(mut resp)) => {
                let status = resp.status_code();
                let header = resp
                    .headers()
                    .get("Retry-After")
                    .ok()
                    .flatten()
                    .and_then(|v| parse_retry_after(&v, now_ms()));
                // Telegram says how long to wait in a 429's body, not in a header. Read within
                // what is left of the attempt's time.
                let retry_after = match header {
                    None if status == 429 => {
                        let left = timeout_ms.saturating_sub(now_ms().saturating_sub(started_ms));
                        let body = within(
                            Duration::from_millis(left),
                            request::read_at_most(&mut resp, MAX_RATE_LIMIT_BODY),
                        )
                        .await;
                        if body.is_none() {
                            controller.abort();
                        }
                        body.flatten().and_then(|b| retry_after_from_body(&b))
                    }
                    header => header,
                };
                finish(Some(status), None, retry_after)
            }
            Some(Err(_)) => finish(None, Some("network error".into()), None),
            None => {
                controller.abort();
                finish(None, Some(format!("timed out after {timeout_ms} ms")), None)
            }
        }
    }
}
