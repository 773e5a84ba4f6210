//! `GET /alerts`, `GET /alerts/{id}`, `POST /alerts/{id}/retry` (typed calls to the hub) and
//! `GET /alerts/live` (a WebSocket the hub serves).

use livehook_core::ids::AlertId;
use livehook_core::ingest::auth;
use livehook_core::ingest::event::StreamKey;
use livehook_core::protocol::{AlertLimit, AlertQuery, DeliveryFilter, GetAlert, RetryAlert};
use worker::web_sys::Request;
use worker::Env;

use super::error::{ApiError, ApiResult};
use super::request::{header, parse_param, query};
use super::response::ask_hub;
use crate::platform::{env, rpc};

fn alert_id(id: &str) -> Result<AlertId, ApiError> {
    AlertId::parse(id).ok_or(ApiError::NoSuch("alert"))
}

/// Newest first; `?limit=` (1–200, default 50), `?delivery=dead|pending`,
/// `?stream={provider}:{kind}:{id}`.
pub async fn list(req: &Request, env: &Env) -> ApiResult {
    let q = query(req);
    let limit = parse_param(&q, "limit", AlertLimit::parse)?.unwrap_or_default();
    let delivery = parse_param(&q, "delivery", DeliveryFilter::parse)?;
    let stream = parse_param(&q, "stream", StreamKey::parse)?;
    let query = AlertQuery {
        limit,
        delivery,
        stream,
    };
    ask_hub(env, 200, query).await
}

pub async fn get(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, GetAlert(alert_id(id)?)).await
}

pub async fn retry(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, RetryAlert(alert_id(id)?)).await
}

/// `GET /alerts/live`: a WebSocket served by the hub. The token comes in `Authorization` or,
/// for browsers, as the subprotocol `bearer.<base64url(token)>`.
pub async fn live(req: Request, env: &Env) -> ApiResult {
    let cfg = env::config(env);
    let authorization = header(&req, "Authorization").or_else(|| {
        header(&req, "Sec-WebSocket-Protocol").and_then(|p| auth::bearer_from_protocols(&p))
    });
    cfg.authorize(authorization.as_deref())?;
    let upgrade = header(&req, "Upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::UpgradeRequired);
    }
    Ok(rpc::forward_to_hub(env, req).await?)
}
