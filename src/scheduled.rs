//! The Cron Trigger's entry (`src/entry.js` hands `scheduled` here): a reconcile pass, when any
//! provider's API is configured. A failed pass is logged; `/healthz` says which API failed.

use livehook_core::protocol::RunPass;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::Env;

use crate::platform::{env, log, rpc};

#[wasm_bindgen(js_name = handleScheduled, wasm_bindgen_futures = worker::wasm_bindgen_futures)]
pub async fn handle_scheduled(env: Env) {
    if !env::config(&env).reconcile.polls_any() {
        return;
    }
    let pass = async { rpc::call(&rpc::reconciler(&env)?, RunPass).await };
    if let Err(e) = pass.await {
        log::failed("reconcile pass failed", &e);
    }
}
