//! The HTTP boundary's one error enum, mapped to a status code and a short JSON body in exactly
//! one place ([`ApiError::status`], [`ApiError::code`], [`ApiError::body`]; `response` writes
//! it). Bodies never echo secrets or payload values: parse and auth errors only name fields and
//! headers. Errors from the core's boundaries (auth, parse, subscriber, object) convert into it.

use livehook_core::alerts::subscriber::SubscriberError;
use livehook_core::ingest::auth::AuthError;
use livehook_core::ingest::providers::ParseError;
use livehook_core::protocol::ObjectError;
use livehook_core::text::write_json;
use serde_json::json;

use crate::platform::log;

/// Largest webhook body accepted. Provider payloads are a few KB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every handler returns.
pub type ApiResult = Result<worker::web_sys::Response, ApiError>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("no such route")]
    NotFound,
    /// A stream, alert or subscriber that does not exist.
    #[error("no such {0}")]
    NoSuch(&'static str),
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed { allow: &'static str },
    #[error("body larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Subscriber(#[from] SubscriberError),
    #[error("{0}")]
    Conflict(String),
    #[error("this route is a WebSocket: send `Upgrade: websocket`")]
    UpgradeRequired,
    /// Storage or a Durable Object failed: retrying is the right answer for the sender.
    #[error("temporarily unavailable, retry")]
    Unavailable,
    /// A Durable Object trapped while handling the call (`src/entry.js` answers the same body
    /// when the worker's own instance traps).
    #[error("internal error: the request was not completed, retry")]
    Internal,
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound | ApiError::NoSuch(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::PayloadTooLarge => 413,
            ApiError::Parse(_) | ApiError::BadRequest(_) | ApiError::Subscriber(_) => 400,
            ApiError::Conflict(_) => 409,
            ApiError::UpgradeRequired => 426,
            ApiError::Auth(AuthError::Missing(_) | AuthError::Invalid(_)) => 401,
            ApiError::Auth(AuthError::NotConfigured(_) | AuthError::IpNotAllowed) => 403,
            ApiError::Unavailable => 503,
            ApiError::Internal => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound | ApiError::NoSuch(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Parse(ParseError::Empty) => "empty_body",
            ApiError::Parse(ParseError::Json { .. }) => "invalid_json",
            ApiError::Parse(_) => "invalid_payload",
            ApiError::Auth(AuthError::NotConfigured(_)) => "not_configured",
            ApiError::Auth(AuthError::IpNotAllowed) => "forbidden",
            ApiError::Auth(_) => "unauthorized",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Subscriber(_) => "invalid_subscriber",
            ApiError::Conflict(_) => "conflict",
            ApiError::UpgradeRequired => "upgrade_required",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal => "internal_error",
        }
    }

    /// `{"error":"<code>","message":"<text>"}`.
    pub fn body(&self) -> String {
        write_json(&json!({ "error": self.code(), "message": self.to_string() }))
    }
}

impl From<ObjectError> for ApiError {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::NoSuchAlert => ApiError::NoSuch("alert"),
            ObjectError::NoSuchSubscriber => ApiError::NoSuch("subscriber"),
            ObjectError::NoSuchStream => ApiError::NoSuch("stream"),
            ObjectError::NoSuchIncident => ApiError::NoSuch("incident"),
            ObjectError::Conflict(message) => ApiError::Conflict(message),
            ObjectError::Unavailable(error) => {
                log::failed("internal call failed", &error);
                ApiError::Unavailable
            }
            ObjectError::Trapped => ApiError::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_errors_map_to_the_api_errors_the_routes_gave_before() {
        let cases = [
            (ObjectError::NoSuchAlert, 404, "no such alert"),
            (ObjectError::NoSuchSubscriber, 404, "no such subscriber"),
            (ObjectError::NoSuchStream, 404, "no such stream"),
            (ObjectError::NoSuchIncident, 404, "no such incident"),
            (
                ObjectError::Conflict("at most 100 subscribers".into()),
                409,
                "at most 100 subscribers",
            ),
        ];
        for (e, status, message) in cases {
            let api = ApiError::from(e);
            assert_eq!((api.status(), api.to_string().as_str()), (status, message));
        }
    }

    #[test]
    fn a_trapped_object_is_the_same_500_that_src_entry_js_answers() {
        let api = ApiError::from(ObjectError::Trapped);
        assert_eq!(api.status(), 500);
        let entry_js = include_str!("../entry.js");
        let body: serde_json::Value = serde_json::from_str(&api.body()).unwrap();
        assert!(
            entry_js.contains(&format!("error: {}", body["error"])),
            "{body}"
        );
        assert!(
            entry_js.contains(&format!("message: {}", body["message"])),
            "{body}"
        );
        assert!(entry_js.contains(&format!(
            "const TRAPPED = \"{}\"",
            livehook_core::protocol::TRAPPED
        )));
    }

    #[test]
    fn every_error_maps_to_a_4xx_except_unavailable_and_internal() {
        let cases = [
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::NoSuch("stream"), 404, "not_found"),
            (
                SubscriberError::Url("must be https").into(),
                400,
                "invalid_subscriber",
            ),
            (ApiError::Conflict("x".into()), 409, "conflict"),
            (ApiError::UpgradeRequired, 426, "upgrade_required"),
            (
                ApiError::MethodNotAllowed { allow: "POST" },
                405,
                "method_not_allowed",
            ),
            (ApiError::PayloadTooLarge, 413, "payload_too_large"),
            (ParseError::Empty.into(), 400, "empty_body"),
            (
                ParseError::Json { line: 1, column: 2 }.into(),
                400,
                "invalid_json",
            ),
            (
                ParseError::InvalidId { field: "f" }.into(),
                400,
                "invalid_payload",
            ),
            (AuthError::Missing("h").into(), 401, "unauthorized"),
            (AuthError::Invalid("h").into(), 401, "unauthorized"),
            (AuthError::IpNotAllowed.into(), 403, "forbidden"),
            (AuthError::NotConfigured("S").into(), 403, "not_configured"),
            (ApiError::BadRequest("x".into()), 400, "bad_request"),
            (ApiError::Unavailable, 503, "unavailable"),
            (ApiError::Internal, 500, "internal_error"),
        ];
        for (err, status, code) in cases {
            assert_eq!((err.status(), err.code()), (status, code), "{err:?}");
            let body: serde_json::Value = serde_json::from_str(&err.body()).unwrap();
            assert_eq!(body["error"], code);
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
}
