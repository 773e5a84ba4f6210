//! Writing a response: JSON bodies with `Cache-Control: no-store`, and the HTTP form of the
//! hub's typed answers.

use livehook_core::protocol::HubReply;
use serde::Serialize;
use worker::Response;

use super::error::ApiError;

pub type ApiResult = Result<Response, ApiError>;

pub fn text_response(status: u16, body: String) -> Response {
    let mut resp = Response::builder()
        .with_status(status)
        .fixed(body.into_bytes());
    let _ = resp.headers_mut().set("Content-Type", "application/json");
    let _ = resp.headers_mut().set("Cache-Control", "no-store");
    resp
}

/// `value` as JSON with `status`.
pub fn json(status: u16, value: &impl Serialize) -> ApiResult {
    let body = serde_json::to_string(value).map_err(|_| ApiError::Unavailable)?;
    Ok(text_response(status, body))
}

/// The hub's answer as the API returns it: each reply's payload is its body.
pub fn hub_reply(reply: HubReply) -> ApiResult {
    match reply {
        HubReply::Accepted(a) => json(200, &a),
        HubReply::Alerts(page) => json(200, &page),
        HubReply::Alert(rec) => json(200, &rec),
        HubReply::Retried(r) => json(200, &r),
        HubReply::Created(c) => json(201, &c),
        HubReply::Subscriptions(page) => json(200, &page),
        HubReply::Subscriber(view) => json(200, &view),
        HubReply::Deleted(d) => json(200, &d),
    }
}
