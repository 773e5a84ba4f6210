//! `GET /streams` (a page of the KV listing: eventually consistent), and from the stream's own
//! object (strongly consistent): `GET /streams/{provider}/{id}` (its record),
//! `…/events` (its history) and `…/diagnostics` (its state: whether KV has caught up, which
//! alerts wait for the hub, recent event ids).

use std::future::Future;

use livehook_core::history::{DEFAULT_EVENTS, MAX_HISTORY};
use livehook_core::ingest::event::{Kind, State, StatusRecord, StreamKey};
use livehook_core::ingest::providers;
use livehook_core::protocol::{
    Call, Forwarded, GetRecord, HistoryQuery, Inspect, Payload, StreamRequest, STATUS_KV,
};
use livehook_core::text::{read_json, write_json};
use worker::web_sys::Request;
use worker::Env;

use super::error::{ApiError, ApiResult};
use super::request::{param, parse_param, percent_decode, query};
use super::response::{forward, json};
use crate::platform::kv::Kv;
use crate::platform::{log, rpc};

/// `GET /streams` page size: default and maximum.
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 100;

fn kv_failed<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ApiError {
    move |e| {
        log::failed(what, &e);
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
    let kv = Kv::bound(env, STATUS_KV).map_err(kv_failed("kv binding"))?;
    let cursor = param(&q, "cursor").filter(|c| !c.is_empty());
    let prefix = StreamKey::kv_prefix(provider);
    let page = kv
        .list(&prefix, limit, cursor)
        .await
        .map_err(kv_failed("kv list"))?;
    // Filters use the metadata stored with each key, so only matching records are fetched.
    let matches =
        |got: &Option<String>, want: Option<&str>| want.is_none_or(|w| got.as_deref() == Some(w));
    let wanted: Vec<String> = page
        .keys
        .into_iter()
        .filter(|k| {
            matches(&k.state, state.map(State::as_str)) && matches(&k.kind, kind.map(Kind::as_str))
        })
        .map(|k| k.name)
        .collect();
    let mut streams: Vec<StatusRecord> = Vec::with_capacity(wanted.len());
    if !wanted.is_empty() {
        let values = kv
            .get_texts(&wanted)
            .await
            .map_err(kv_failed("kv get_bulk"))?;
        for (_, text) in &values {
            // A value that is not a record (none should be) is left out, not served.
            if let Ok(rec) = read_json::<StatusRecord>(text) {
                streams.push(rec);
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

/// `GET /streams/{provider}/{id}`: the record from the stream's own object, strongly
/// consistent (right after a webhook got its 2xx, this shows that event). The listing reads KV.
pub async fn get(req: &Request, env: &Env, provider: &str, id: &str) -> ApiResult {
    ask_stream(req, env, provider, id, GetRecord).await
}

/// `GET /streams/{provider}/{id}/events`: the stream's newest history entries; `?limit=`
/// (1–100, default 50).
pub async fn events(req: &Request, env: &Env, provider: &str, id: &str) -> ApiResult {
    let q = query(req);
    let limit = parse_param(&q, "limit", |v| {
        v.parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_HISTORY).contains(n))
    })?
    .unwrap_or(DEFAULT_EVENTS);
    ask_stream(req, env, provider, id, HistoryQuery { limit }).await
}

/// Asks the stream's object and answers with its reply's body, as it came.
fn ask_stream<C, T>(
    req: &Request,
    env: &Env,
    provider: &str,
    id: &str,
    request: C,
) -> impl Future<Output = ApiResult>
where
    C: Call<Wire = StreamRequest, Reply = Forwarded<T>>,
    T: Payload,
{
    let object = stream_key(req, provider, id)
        .and_then(|key| rpc::stream(env, &key).map_err(ApiError::from));
    forward(object, 200, write_json(&request.wire()), T::KIND)
}

/// `GET /streams/{provider}/{id}/diagnostics`: the stream object's own state.
pub async fn diagnostics(req: &Request, env: &Env, provider: &str, id: &str) -> ApiResult {
    ask_stream(req, env, provider, id, Inspect).await
}
