//! Writing a response (the runtime's own `Response`, made in one call): JSON bodies with
//! `Cache-Control: no-store`, an [`ApiError`] as HTTP, and the hub's answer (its body forwarded
//! as it came).

use livehook_core::protocol::{Call, Forwarded, HubRequest};
use serde::Serialize;
use worker::web_sys::Response;
use worker::Env;

use super::error::{ApiError, ApiResult};
use crate::platform::{rpc, runtime};

pub fn text_response(status: u16, body: &str) -> Response {
    runtime::json_response(status, body, "")
}

/// The one place an [`ApiError`] becomes HTTP.
pub fn error_response(err: &ApiError) -> Response {
    let allow = match err {
        ApiError::MethodNotAllowed { allow } => allow,
        _ => "",
    };
    runtime::json_response(err.status(), &err.body(), allow)
}

/// `value` as JSON with `status`.
pub fn json(status: u16, value: &impl Serialize) -> ApiResult {
    let body = serde_json::to_string(value).map_err(|_| ApiError::Unavailable)?;
    Ok(text_response(status, &body))
}

/// Asks the hub and answers `status` with its reply's body, as it came.
pub async fn ask_hub<C, T>(env: &Env, status: u16, request: C) -> ApiResult
where
    C: Call<Wire = HubRequest, Reply = Forwarded<T>>,
{
    let hub = rpc::hub(env)?;
    let body = rpc::call(&hub, request).await?;
    Ok(text_response(status, body.json()))
}
