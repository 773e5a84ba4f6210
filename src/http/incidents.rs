//! `GET /incidents`, `GET /incidents/{id}`, `POST /incidents/{id}/acknowledge` and
//! `POST /incidents/{id}/resolve`: typed calls to the hub (and, to resolve, to the incident's
//! stream, whose object tracks it).

use livehook_core::ids::IncidentId;
use livehook_core::incidents::{Cause, IncidentState};
use livehook_core::ingest::event::StreamKey;
use livehook_core::ingest::providers;
use livehook_core::protocol::{
    AcknowledgeIncident, CloseIncident, GetIncident, IncidentQuery, ResolveIncident,
    DEFAULT_INCIDENT_LIMIT, MAX_INCIDENT_LIMIT,
};
use worker::web_sys::Request;
use worker::Env;

use super::error::{ApiError, ApiResult};
use super::request::{parse_param, query};
use super::response::ask_hub;
use crate::platform::{log, rpc};

/// Longest cursor a client may send back.
const MAX_CURSOR_LEN: usize = 256;

fn incident_id(id: &str) -> Result<IncidentId, ApiError> {
    IncidentId::parse(id).ok_or(ApiError::NoSuch("incident"))
}

/// Newest first; `?state=`, `?provider=`, `?cause=`, `?stream={provider}:{kind}:{id}`,
/// `?limit=` (1–200, default 50), `?cursor=` (from the previous page).
pub async fn list(req: &Request, env: &Env) -> ApiResult {
    let q = query(req);
    let limit = parse_param(&q, "limit", |v| {
        v.parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_INCIDENT_LIMIT).contains(n))
    })?
    .unwrap_or(DEFAULT_INCIDENT_LIMIT);
    let cursor = parse_param(&q, "cursor", |v| {
        let ok = !v.is_empty()
            && v.len() <= MAX_CURSOR_LEN
            && v.starts_with("inc-")
            && v.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| v.to_owned())
    })?;
    let query = IncidentQuery {
        state: parse_param(&q, "state", IncidentState::parse)?,
        provider: parse_param(&q, "provider", |v| providers::find(v).map(|p| p.id()))?,
        cause: parse_param(&q, "cause", Cause::parse)?,
        stream: parse_param(&q, "stream", StreamKey::parse)?,
        limit,
        cursor,
    };
    ask_hub(env, 200, query).await
}

pub async fn get(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, GetIncident(incident_id(id)?)).await
}

pub async fn acknowledge(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, AcknowledgeIncident(incident_id(id)?)).await
}

/// Resolved at the hub first (404, 409 there), then at its stream, so the stream's next
/// failure opens a new incident. If the stream cannot be told now, the hub tells it when the
/// stream next hands a change over.
pub async fn resolve(env: &Env, id: &str) -> ApiResult {
    let id = incident_id(id)?;
    let closed = rpc::call(&rpc::hub(env)?, CloseIncident(id.clone())).await?;
    let told = match rpc::stream(env, &closed.stream) {
        Ok(object) => rpc::call(&object, ResolveIncident(id.clone()))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = told {
        log::failed("incident stream not told", &e);
    }
    ask_hub(env, 200, GetIncident(id)).await
}
