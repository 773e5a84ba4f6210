//! `GET /streams` (a page of the KV listing), `GET /streams/{provider}/{id}` (one record from KV)
//! and `GET /streams/{provider}/{id}/diagnostics` (the stream object's own state, strongly
//! consistent: whether KV has caught up, which alerts wait for the hub, recent event ids).

use livehook_core::ingest::event::{Kind, State, StatusRecord, StreamKey};
use livehook_core::ingest::providers;
use livehook_core::protocol::{ReplyKind, StreamRequest, STATUS_KV};
use livehook_core::text::read_json;
use serde_json::{json, Value};
use worker::{Env, Request};

use super::error::{ApiError, ApiResult};
use super::request::{param, parse_param, percent_decode, query};
use super::response::{json, text_response};
use crate::platform::{log, rpc};

/// `GET /streams` page size: default and maximum.
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 100;

fn kv_failed<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ApiError {
    move |e| {
        log::error(what, json!({ "error": e.to_string() }));
        ApiError::Unavailable
    }
}

/// The stream a `/streams/{provider}/{id}` path names (`?kind=`, default `live_input`).
fn stream_key(req: &Request, provider: &str, id: &str) -> Result<StreamKey, ApiError> {
    let provider = providers::find(provider).ok_or(ApiError::NoSuch("stream"))?;
    let q = query(req);
    let kind = parse_param(&q, "kind", Kind::parse)?.unwrap_or(Kind::LiveInput);
    StreamKey::new(provider.id(), kind, &percent_decode(id)).ok_or(ApiError::NoSuch("stream"))
}

/// `GET /streams` body.
#[derive(serde::Serialize)]
struct StreamsPage {
    streams: Vec<StatusRecord>,
    cursor: Option<String>,
    list_complete: bool,
}

/// `GET /streams`: one page of KV, filtered by the metadata stored with each key.
pub async fn list(req: &Request, env: &Env) -> ApiResult {
    let q = query(req);
    let provider = parse_param(&q, "provider", |v| providers::find(v).map(|p| p.id()))?;
    let state = parse_param(&q, "state", State::parse)?;
    let kind = parse_param(&q, "kind", Kind::parse)?;
    let limit = parse_param(&q, "limit", |v| {
        v.parse::<u64>().ok().filter(|n| (1..=MAX_PAGE).contains(n))
    })?
    .unwrap_or(DEFAULT_PAGE);
    let kv = env.kv(STATUS_KV).map_err(kv_failed("kv binding"))?;
    let mut list = kv
        .list()
        .prefix(StreamKey::kv_prefix(provider))
        .limit(limit);
    if let Some(cursor) = param(&q, "cursor").filter(|c| !c.is_empty()) {
        list = list.cursor(cursor.to_owned());
    }
    let page = list.execute().await.map_err(kv_failed("kv list"))?;
    // Filters use the metadata stored with each key, so only matching records are fetched.
    let wanted: Vec<String> = page
        .keys
        .into_iter()
        .filter(|k| {
            let meta = k.metadata.as_ref();
            let matches = |field: &str, want: Option<&str>| {
                want.is_none_or(|w| {
                    meta.and_then(|m| m.get(field)).and_then(Value::as_str) == Some(w)
                })
            };
            matches("state", state.map(State::as_str)) && matches("kind", kind.map(Kind::as_str))
        })
        .map(|k| k.name)
        .collect();
    let mut streams: Vec<StatusRecord> = Vec::with_capacity(wanted.len());
    if !wanted.is_empty() {
        let values = kv
            .get_bulk(&wanted)
            .text()
            .await
            .map_err(kv_failed("kv get_bulk"))?;
        for name in &wanted {
            if let Some(Some(text)) = values.get(name) {
                // A value that is not a record (none should be) is left out, not served.
                if let Ok(rec) = read_json::<StatusRecord>(text) {
                    streams.push(rec);
                }
            }
        }
    }
    let cursor = if page.list_complete {
        None
    } else {
        page.cursor
    };
    let page = StreamsPage {
        list_complete: cursor.is_none(),
        streams,
        cursor,
    };
    json(200, &page)
}

/// `GET /streams/{provider}/{id}`: the record in KV (eventually consistent: up to a second
/// behind the stream's object here, up to 60 s in other locations).
pub async fn get(req: &Request, env: &Env, provider: &str, id: &str) -> ApiResult {
    let key = stream_key(req, provider, id)?;
    let kv = env.kv(STATUS_KV).map_err(kv_failed("kv binding"))?;
    let text = kv
        .get(&key.kv_key())
        .text()
        .await
        .map_err(kv_failed("kv get"))?
        .ok_or(ApiError::NoSuch("stream"))?;
    // Served as stored, once it reads as a record.
    read_json::<StatusRecord>(&text).map_err(kv_failed("kv record"))?;
    Ok(text_response(200, text))
}

/// `GET /streams/{provider}/{id}/diagnostics`: asks the stream's object itself.
pub async fn diagnostics(req: &Request, env: &Env, provider: &str, id: &str) -> ApiResult {
    let key = stream_key(req, provider, id)?;
    let object = rpc::stream(env, &key)?;
    let answer = rpc::call(&object, &StreamRequest::Inspect).await?;
    match answer.kind {
        ReplyKind::Inspected => Ok(text_response(200, answer.body.get().to_owned())),
        _ => Err(ApiError::Unavailable),
    }
}
