//! Writing a response (the runtime's own `Response`, made in one call): JSON bodies with
//! `Cache-Control: no-store`, an [`ApiError`] as HTTP, and the hub's answer (its payload is the
//! body, forwarded as it came).

use livehook_core::protocol::{HubRequest, ReplyKind};
use serde::Serialize;
use worker::web_sys::Response;
use worker::Env;

use super::error::{ApiError, ApiResult};
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

/// Asks the hub and answers with its reply: the payload is the body; a new subscriber is a 201.
pub async fn ask_hub(env: &Env, request: HubRequest) -> ApiResult {
    let hub = rpc::hub(env)?;
    let answer = rpc::call(&hub, &request).await?;
    let status = match answer.kind {
        ReplyKind::Created => 201,
        _ => 200,
    };
    Ok(text_response(status, answer.body.get()))
}
