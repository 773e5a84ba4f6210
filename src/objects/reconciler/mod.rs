//! `Reconciler`: the single Durable Object (binding `RECONCILER`, name `global`) that asks the
//! providers' APIs what livehook's records say (issue #21). A thin shell: the logic is
//! `livehook_core::reconcile::runner`, run over this object's storage ([`super::store`]) and the
//! runtime ([`effects`]); this file passes typed requests through. One object, so one pass runs
//! at a time and each API's budget is counted in one place, whoever asks (the Cron Trigger,
//! `POST /reconcile`).

mod effects;

use std::rc::Rc;

use livehook_core::protocol::{ObjectError, ReconcileHealth, ReconcilerReply, ReconcilerRequest};
use livehook_core::reconcile::runner::Runner;
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::store::DoStore;
use crate::platform::{env, log, rpc};
use effects::DoEffects;

#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
impl Reconciler {
    /// The internal call ([`rpc`]; `src/entry.js` hands the object's `rpc` method here): a
    /// [`ReconcilerRequest`]'s JSON in, its reply's JSON out.
    pub async fn rpc(&self, body: String) -> std::result::Result<JsValue, JsValue> {
        let request: ReconcilerRequest = rpc::request(&body)?;
        let reply = match request {
            ReconcilerRequest::Run => self.runner.run().await.map(|summary| {
                if !summary.already_running {
                    log::info("reconcile pass", json!({ "providers": summary.providers }));
                }
                ReconcilerReply::Ran(summary)
            }),
            ReconcilerRequest::Health => self
                .runner
                .health()
                .await
                .map(|h| ReconcilerReply::Health(ReconcileHealth(h))),
        }
        .map_err(ObjectError::from);
        if let Err(e) = &reply {
            log::failed("reconciler storage failed", e);
        }
        Ok(rpc::answer(&reply))
    }
}

#[durable_object]
pub struct Reconciler {
    runner: Rc<Runner<DoStore, DoEffects>>,
}

impl DurableObject for Reconciler {
    fn new(state: State, env: Env) -> Self {
        let config = env::config(&env);
        let settings = config.reconcile.clone();
        let effects = DoEffects { env, config };
        Self {
            runner: Rc::new(Runner::new(DoStore(state.storage()), effects, settings)),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve_fetch(req, |body| self.rpc(body)).await
    }
}
