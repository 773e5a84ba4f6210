//! Typed calls to the Durable Objects. Every call is a `POST` of one request enum from
//! `livehook_core::protocol` to one fixed URL, answered with the JSON of a `Reply`; objects
//! dispatch on the request's variant, never on a path. A call that cannot be made or answered
//! (the object threw, the network hop failed) is [`ObjectError::Unavailable`], like a storage
//! failure inside the object: the caller answers 503 and the provider retries.
//!
//! Bodies are parsed with `serde_json`, never as JS objects: JS numbers would round the
//! nanosecond event times.

use livehook_core::ingest::event::StreamKey;
use livehook_core::protocol::{ObjectError, Reply, ALERT_HUB_DO, ALERT_HUB_NAME, STREAMS_DO};
use livehook_core::text::read_json;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Method, Request, RequestInit, Response, Stub};

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

/// Sends `request` to the object behind `stub` and returns its typed answer.
pub async fn call<Req: Serialize, Rep: DeserializeOwned>(
    stub: &Stub,
    request: &Req,
) -> Result<Rep, ObjectError> {
    let body = serde_json::to_string(request)
        .map_err(|e| ObjectError::Unavailable(format!("serialize request: {e}")))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init(RPC_URL, &init).map_err(unavailable("build request"))?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(unavailable("object call"))?;
    if resp.status_code() != 200 {
        return Err(ObjectError::Unavailable(format!(
            "object answered {}",
            resp.status_code()
        )));
    }
    let text = resp.text().await.map_err(unavailable("object answer"))?;
    read_json::<Reply<Rep>>(&text)
        .map_err(|e| ObjectError::Unavailable(format!("object answer: {e}")))?
}

/// Inside an object: the request of a call.
pub async fn request<T: DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    Ok(read_json(&req.text().await?)?)
}

/// Inside an object: the answer to a call.
pub fn answer<T: Serialize>(reply: &Reply<T>) -> worker::Result<Response> {
    Response::ok(serde_json::to_string(reply)?)
}

/// Passes a client's request through to the object unchanged (the live feed's WebSocket
/// upgrade, which the hub accepts).
pub async fn forward(stub: &Stub, req: Request) -> Result<Response, ObjectError> {
    stub.fetch_with_request(req)
        .await
        .map_err(unavailable("forward"))
}
