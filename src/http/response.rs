//! Writing a response (the runtime's own `Response`, made in one call): JSON bodies with
//! `Cache-Control: no-store`, an [`ApiError`] as HTTP, and the hub's answer (its body forwarded
//! as it came).

use std::future::Future;

use livehook_core::protocol::{Call, Forwarded, HubRequest, Payload, ReplyKind};
use livehook_core::text::write_json;
use serde::Serialize;
use worker::web_sys::Response;
use worker::Env;

use super::error::{ApiError, ApiResult};
use crate::platform::bindings::ObjectStub;
use crate::platform::{bindings, rpc};

pub fn text_response(status: u16, body: &str) -> Response {
    bindings::json_response(status, body, "")
}

/// The one place an [`ApiError`] becomes HTTP.
pub fn error_response(err: &ApiError) -> Response {
    let allow = match err {
        ApiError::MethodNotAllowed { allow } => allow,
        _ => "",
    };
    bindings::json_response(err.status(), &err.body(), allow)
}

/// `value` as JSON with `status`.
pub fn json(status: u16, value: &impl Serialize) -> ApiResult {
    let body = serde_json::to_string(value).map_err(|_| ApiError::Unavailable)?;
    Ok(text_response(status, &body))
}

/// Asks the hub and answers `status` with its reply's body, as it came.
pub fn ask_hub<C, T>(env: &Env, status: u16, request: C) -> impl Future<Output = ApiResult>
where
    C: Call<Wire = HubRequest, Reply = Forwarded<T>>,
    T: Payload,
{
    let hub = rpc::hub(env).map_err(ApiError::from);
    forward(hub, status, write_json(&request.wire()), T::KIND)
}

/// Sends a request's JSON to `object` and answers `status` with the body of its reply, which
/// must be of `kind`, as it came. (Only the request's JSON is made per request type: the call is
/// one copy in the Wasm for all of them.)
pub async fn forward(
    object: Result<ObjectStub, ApiError>,
    status: u16,
    request: String,
    kind: ReplyKind,
) -> ApiResult {
    let body = rpc::reply_body(&object?, request, kind).await?;
    Ok(text_response(status, body.get()))
}
