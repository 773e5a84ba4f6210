//! `AlertHub`: the single Durable Object (binding `ALERT_HUB`, name `global`) that keeps alerts,
//! subscribers and deliveries. A thin shell: the logic is `livehook_core::hub`, run over this
//! object's storage ([`super::store`]) and the runtime ([`effects`]); this file passes typed requests
//! through, starts delivery runs after answering, and hands the alarm to the hub. The live feed
//! is [`live`].

mod effects;
mod live;

use std::rc::Rc;

use livehook_core::hub::Hub;
use livehook_core::protocol::{HubRequest, ObjectError, LIVE_PING, LIVE_PONG};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage,
};

use super::store::DoStore;
use crate::platform::trap::{self, Place};
use crate::platform::{env, log, rpc};
use effects::DoEffects;

#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
impl AlertHub {
    /// The internal call ([`rpc`]; `src/entry.js` hands the object's `rpc` method here): a
    /// [`HubRequest`]'s JSON in, its reply's JSON out.
    pub async fn rpc(&self, body: String) -> std::result::Result<JsValue, JsValue> {
        let request: HubRequest = rpc::request(&body)?;
        if matches!(request, HubRequest::Accept(_)) {
            trap::spring(Place::Hub);
        }
        let handled = self.hub.handle(request).await;
        if let Err(ObjectError::Unavailable(e)) = &handled.reply {
            log::failed("alert hub storage failed", &e);
        }
        if handled.run_deliveries {
            // After the answer: the caller does not wait for deliveries.
            let hub = self.hub.clone();
            self.state.wait_until(async move { hub.run_due().await });
        }
        Ok(rpc::answer(&handled.reply))
    }
}

#[durable_object]
pub struct AlertHub {
    state: Rc<State>,
    hub: Rc<Hub<DoStore, DoEffects>>,
}

impl DurableObject for AlertHub {
    fn new(state: State, env: Env) -> Self {
        let state = Rc::new(state);
        let effects = DoEffects {
            state: state.clone(),
            env: env.clone(),
        };
        let hub = Hub::new(DoStore(state.storage()), effects, env::config(&env));
        Self {
            state,
            hub: Rc::new(hub),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if live::is_upgrade(&req) {
            return live::accept(&self.state, &req);
        }
        rpc::serve_fetch(req, |body| self.rpc(body)).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.hub.run_due().await;
        Response::ok("ok")
    }

    /// Only pings that the runtime's auto-response did not match exactly (e.g. `" ping\n"`)
    /// wake the hub.
    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> Result<()> {
        if let WebSocketIncomingMessage::String(text) = message {
            if text.trim() == LIVE_PING {
                ws.send_with_str(LIVE_PONG)?;
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
