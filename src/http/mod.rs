//! The worker's HTTP surface: the `fetch` entry point, one route table ([`routes`]), one
//! handler file per resource, and the one error type with its mapping to HTTP ([`error`]).

pub mod alerts;
pub mod error;
pub mod request;
pub mod response;
pub mod routes;
pub mod streams;
pub mod subscriptions;
pub mod webhooks;

use worker::{event, Context, Env, Request, Response, Result};

use crate::platform::clock::now_ms;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let started = now_ms();
    let method = req.method();
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let result = routes::route(req, &env, method, &segments, started).await;
    Ok(result.unwrap_or_else(|e| response::error_response(&e)))
}
