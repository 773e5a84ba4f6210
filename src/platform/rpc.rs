//! Typed calls to the Durable Objects. Every call is a `POST` of one request enum from
//! `livehook_core::protocol` to one fixed URL, answered with the JSON of a `Reply`; objects
//! dispatch on the request's variant, never on a path. A call that cannot be made or answered
//! (the object threw, the network hop failed) is [`ObjectError::Unavailable`], like a storage
//! failure inside the object: the caller answers 503 and the provider retries.
//!
//! Bodies are parsed with `serde_json`, never as JS objects: JS numbers would round the
//! nanosecond event times.

use livehook_core::ingest::event::StreamKey;
use livehook_core::protocol::{
    Answer, ObjectError, Reply, ALERT_HUB_DO, ALERT_HUB_NAME, STREAMS_DO,
};
use livehook_core::text::{read_json, write_json};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Request, Response, Stub};

/// The one URL of internal calls (objects route on the body).
const RPC_URL: &str = "https://livehook.internal/rpc";

fn unavailable(what: &'static str) -> impl Fn(worker::Error) -> ObjectError {
    move |e| ObjectError::Unavailable(format!("{what}: {e}"))
}

/// The stream's own object (named `{provider}:{kind}:{id}`).
pub fn stream(env: &Env, key: &StreamKey) -> Result<Stub, ObjectError> {
    env.durable_object(STREAMS_DO)
        .and_then(|ns| ns.get_by_name(&key.to_string()))
        .map_err(unavailable("stream object"))
}

/// The alert hub (one instance).
pub fn hub(env: &Env) -> Result<Stub, ObjectError> {
    env.durable_object(ALERT_HUB_DO)
        .and_then(|ns| ns.get_by_name(ALERT_HUB_NAME))
        .map_err(unavailable("alert hub"))
}

/// Sends `request` to the object behind `stub` and returns its answer.
pub async fn call(stub: &Stub, request: &impl Serialize) -> Result<Answer, ObjectError> {
    send(stub, write_json(request)).await
}

async fn send(stub: &Stub, body: String) -> Result<Answer, ObjectError> {
    let req = super::request::post(RPC_URL, &[], &body, true)
        .map_err(|e| unavailable("build request")(e.into()))?;
    let resp = stub
        .fetch_with_request(req)
        .await
        .map_err(unavailable("object call"))?;
    if resp.status_code() != 200 {
        return Err(ObjectError::Unavailable(format!(
            "object answered {}",
            resp.status_code()
        )));
    }
    let text = super::request::text(resp)
        .await
        .map_err(|e| unavailable("object answer")(e.into()))?;
    read_json::<Reply<Answer>>(&text)
        .map_err(|e| ObjectError::Unavailable(format!("object answer: {e}")))?
}

/// Inside an object: the request of a call.
pub async fn request<T: DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    Ok(read_json(&req.text().await?)?)
}

/// Inside an object: the answer to a call.
pub fn answer<T: Serialize>(reply: &Reply<T>) -> worker::Result<Response> {
    Response::ok(write_json(reply))
}

/// Passes a client's request through to the object unchanged (the live feed's WebSocket
/// upgrade, which the hub accepts).
pub async fn forward(stub: &Stub, req: Request) -> Result<Response, ObjectError> {
    stub.fetch_with_request(req)
        .await
        .map_err(unavailable("forward"))
}
