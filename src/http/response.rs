//! Writing a response: JSON bodies with `Cache-Control: no-store`, an [`ApiError`] as HTTP,
//! and the hub's answer (its payload is the body, forwarded as it came).

use livehook_core::protocol::{HubRequest, ReplyKind};
use serde::Serialize;
use worker::{Env, Response};

use super::error::{ApiError, ApiResult};
use crate::platform::rpc;

pub fn text_response(status: u16, body: String) -> Response {
    let mut resp = Response::builder()
        .with_status(status)
        .fixed(body.into_bytes());
    let _ = resp.headers_mut().set("Content-Type", "application/json");
    let _ = resp.headers_mut().set("Cache-Control", "no-store");
    resp
}

/// The one place an [`ApiError`] becomes HTTP.
pub fn error_response(err: &ApiError) -> Response {
    let mut resp = text_response(err.status(), err.body());
    if let ApiError::MethodNotAllowed { allow } = err {
        let _ = resp.headers_mut().set("Allow", allow);
    }
    resp
}

/// `value` as JSON with `status`.
pub fn json(status: u16, value: &impl Serialize) -> ApiResult {
    let body = serde_json::to_string(value).map_err(|_| ApiError::Unavailable)?;
    Ok(text_response(status, body))
}

/// Asks the hub and answers with its reply: the payload is the body; a new subscriber is a 201.
pub async fn ask_hub(env: &Env, request: HubRequest) -> ApiResult {
    let hub = rpc::hub(env)?;
    let answer = rpc::call(&hub, &request).await?;
    let status = match answer.kind {
        ReplyKind::Created => 201,
        _ => 200,
    };
    Ok(text_response(status, answer.body.get().to_owned()))
}
