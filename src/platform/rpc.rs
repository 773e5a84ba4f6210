//! Typed calls to the Durable Objects, over the runtime's JS RPC: the caller sends the JSON of one
//! request enum from `livehook_core::protocol` to the object's one method, `rpc` (exported by
//! `src/entry.js`), and gets back the JSON of a `Reply`, read as the reply type the request names
//! (`protocol::Call`). No `Request`, `Response` or body stream is made on either side (a `fetch`
//! to an object costs both sides a request and a response object, their headers and a body
//! read). Objects dispatch on the request's variant.
//!
//! A call that cannot be made or answered (the object threw, the hop failed) is
//! [`ObjectError::Unavailable`], like a storage failure inside the object: the caller answers
//! 503 and the provider retries. A call whose object trapped is [`ObjectError::Trapped`]: 500.
//!
//! The objects also answer the same JSON in a `POST` to `fetch` ([`serve_fetch`]): a worker of
//! the previous version, still running during a gradual deployment, calls them that way.
//!
//! Bodies are parsed with `serde_json`, never as JS objects: JS numbers would round the
//! nanosecond event times.

use std::future::Future;

use livehook_core::ingest::event::StreamKey;
use livehook_core::protocol::{
    answer_body, Call, ObjectError, Reply, ReplyBody, ReplyKind, ALERT_HUB_DO, ALERT_HUB_NAME,
    RECONCILER_DO, RECONCILER_NAME, STREAMS_DO, TRAPPED,
};
use livehook_core::text::{read_json, write_json};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys, Env, Request, Response, Stub};

use super::bindings::ObjectStub;

/// A failed runtime call as [`ObjectError::Unavailable`].
fn unavailable<E: Into<worker::Error>>(what: &'static str) -> impl Fn(E) -> ObjectError {
    move |e| ObjectError::Unavailable(format!("{what}: {}", e.into()))
}

fn stub(env: &Env, binding: &str, name: &str) -> Result<Stub, ObjectError> {
    env.durable_object(binding)
        .and_then(|ns| ns.get_by_name(name))
        .map_err(unavailable("object stub"))
}

/// The stream's own object (named `{provider}:{kind}:{id}`).
pub fn stream(env: &Env, key: &StreamKey) -> Result<ObjectStub, ObjectError> {
    Ok(stub(env, STREAMS_DO, &key.to_string())?.into_rpc())
}

/// The alert hub (one instance).
pub fn hub(env: &Env) -> Result<ObjectStub, ObjectError> {
    Ok(stub(env, ALERT_HUB_DO, ALERT_HUB_NAME)?.into_rpc())
}

/// The reconciler (one instance).
pub fn reconciler(env: &Env) -> Result<ObjectStub, ObjectError> {
    Ok(stub(env, RECONCILER_DO, RECONCILER_NAME)?.into_rpc())
}

/// A failed call: [`ObjectError::Trapped`] if the object's instance trapped during it, else
/// unavailable.
fn call_failed(e: JsValue) -> ObjectError {
    let trapped = e
        .dyn_ref::<js_sys::Error>()
        .is_some_and(|e| e.message() == TRAPPED);
    if trapped {
        ObjectError::Trapped
    } else {
        unavailable::<JsValue>("object call")(e)
    }
}

/// Sends `request` to `object` and returns its reply, of the type the request names (an answer
/// of another kind is [`ObjectError::Unavailable`]). Only the request's JSON and the reading of
/// its body are made per request type; the call itself is one copy in the Wasm for all.
pub fn call<'a, C>(
    object: &'a ObjectStub,
    request: C,
) -> impl Future<Output = Result<C::Reply, ObjectError>> + 'a
where
    C: Call + 'a,
{
    let body = reply_body(object, write_json(&request.wire()), C::Reply::KIND);
    async move { C::Reply::read(body.await?) }
}

/// One call: the request's JSON out, the body of its answer back, unread, once it is of `kind`
/// (what [`call`] reads as the reply type, and what the worker forwards as it came).
pub async fn reply_body(
    object: &ObjectStub,
    request: String,
    kind: ReplyKind,
) -> Result<Box<RawValue>, ObjectError> {
    let pending = object.rpc(&request).map_err(call_failed)?;
    let text = JsFuture::from(pending)
        .await
        .map_err(call_failed)?
        .as_string()
        .ok_or_else(|| ObjectError::Unavailable("object answer is not text".into()))?;
    answer_body(&text, kind)
}

/// Inside an object: the request of a call, from its JSON. A request this version cannot read
/// throws (the caller sees the call fail, as for any error in the object).
pub fn request<T: DeserializeOwned>(body: &str) -> Result<T, JsValue> {
    read_json(body).map_err(|e| JsValue::from_str(&format!("bad object request: {e}")))
}

/// Inside an object: the answer to a call, as the JSON the caller reads.
pub fn answer<T: Serialize>(reply: &Reply<T>) -> JsValue {
    JsValue::from_str(&write_json(reply))
}

/// Inside an object: a call that came as a `POST` to `fetch` (from a worker of the previous
/// version): its body through `handle`, the answer as a 200.
pub async fn serve_fetch<F, Fut>(mut req: Request, handle: F) -> worker::Result<Response>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<JsValue, JsValue>>,
{
    let answer = handle(req.text().await?).await?;
    Response::ok(answer.as_string().unwrap_or_default())
}

/// Passes a client's request through to the hub unchanged (the live feed's WebSocket upgrade,
/// which the hub accepts), and its answer back.
pub async fn forward_to_hub(
    env: &Env,
    req: web_sys::Request,
) -> Result<web_sys::Response, ObjectError> {
    let hub = stub(env, ALERT_HUB_DO, ALERT_HUB_NAME)?;
    let resp = hub
        .fetch_with_request(Request::from(req))
        .await
        .map_err(unavailable("forward"))?;
    Ok(resp.into())
}
