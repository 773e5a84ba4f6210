//! `StreamStatus`: one Durable Object per stream (named `{provider}:{kind}:{id}`), the source
//! of truth for that stream's ordering and de-duplication. A thin shell: the logic is
//! `livehook_core::stream`, run over this object's storage ([`super::store`]) and the runtime
//! ([`effects`]); this file passes typed requests through, pushes a change to the live feed
//! after answering, and hands the alarm to the core.

mod effects;

use std::rc::Rc;

use livehook_core::protocol::StreamRequest;
use livehook_core::stream::{Isolate, StreamObject};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::store::DoStore;
use crate::platform::rpc;
use crate::platform::trap::{self, Place};
use effects::DoEffects;

thread_local! {
    /// What the stream objects of this isolate share: the wanted states and the live gate.
    static ISOLATE: Rc<Isolate> = Rc::new(Isolate::default());
}

#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
impl StreamStatus {
    /// The internal call ([`rpc`]; `src/entry.js` hands the object's `rpc` method here): a
    /// [`StreamRequest`]'s JSON in, its reply's JSON out.
    pub async fn rpc(&self, body: String) -> std::result::Result<JsValue, JsValue> {
        trap::spring(Place::StreamObject);
        let request: StreamRequest = rpc::request(&body)?;
        let handled = self.stream.handle(request).await;
        if let Some(push) = handled.push {
            // After the answer: the caller does not wait for the live feed.
            let stream = self.stream.clone();
            self.state
                .wait_until(async move { stream.push_live(push).await });
        }
        Ok(rpc::answer(&handled.reply))
    }
}

#[durable_object]
pub struct StreamStatus {
    state: State,
    stream: Rc<StreamObject<DoStore, DoEffects>>,
}

impl DurableObject for StreamStatus {
    fn new(state: State, env: Env) -> Self {
        let isolate = ISOLATE.with(Rc::clone);
        let stream = StreamObject::new(DoStore(state.storage()), DoEffects { env }, isolate);
        Self {
            state,
            stream: Rc::new(stream),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve_fetch(req, |body| self.rpc(body)).await
    }

    /// An error makes the runtime retry the alarm.
    async fn alarm(&self) -> Result<Response> {
        let push = self
            .stream
            .alarm()
            .await
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        if let Some(push) = push {
            self.stream.push_live(push).await;
        }
        Response::ok("ok")
    }
}
