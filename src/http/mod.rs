//! The worker's HTTP surface: the `fetch` entry point, one route table ([`routes`]), one
//! handler file per resource, and the one error type with its mapping to HTTP ([`error`]).

pub mod alerts;
pub mod error;
pub mod incidents;
pub mod reconcile;
pub mod request;
pub mod response;
pub mod routes;
pub mod streams;
pub mod subscriptions;
pub mod webhooks;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::web_sys::{Request, Response};
use worker::{Context, Env};

use crate::platform::clock::now_ms;
use crate::platform::trap::{self, Place};

/// The Worker's `fetch` (`src/entry.js` hands it every request). It takes the runtime's own
/// `Request` and answers its own `Response`: workers-rs's `#[event(fetch)]` would first copy the
/// request into its wrapper type (reading `request.cf` on every request) and the answer out of
/// its own, work no route here needs.
#[wasm_bindgen(js_name = handleFetch, wasm_bindgen_futures = worker::wasm_bindgen_futures)]
pub async fn handle_fetch(req: Request, env: Env, ctx: JsValue) -> Result<Response, JsValue> {
    trap::arm(&req);
    trap::spring(Place::Fetch);
    let started = now_ms();
    let method = request::Method::of(&req);
    let path = request::path(&req);
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ctx = Context::new(ctx.unchecked_into());
    let result = routes::route(req, &env, &ctx, method, &segments, started).await;
    Ok(result.unwrap_or_else(|e| response::error_response(&e)))
}
