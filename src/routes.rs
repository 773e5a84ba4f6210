//! The worker's HTTP surface: a `match` over method and path, one handler per route, each a few
//! lines over the pure core. Every failure is an [`ApiError`], turned into a response in
//! [`error_response`] only. One JSON log line per webhook; it never contains a secret.
//!
//! | route                              | handler       |
//! |------------------------------------|---------------|
//! | `POST /webhooks/cloudflare`        | [`webhook`]   |
//! | `POST /webhooks/fastpix`           | [`webhook`]   |
//! | `POST /webhooks/gcore/{token}`     | [`webhook`]   |
//! | `GET /streams`                     | [`list_streams`] |
//! | `GET /streams/{provider}/{id}`     | [`get_stream`] |
//! | `GET /alerts`                      | [`list_alerts`] |
//! | `GET /alerts/live` (WebSocket)     | [`live_feed`] |
//! | `GET /alerts/{id}`                 | hub           |
//! | `POST /alerts/{id}/retry`          | hub           |
//! | `GET, POST /subscriptions`         | hub, [`create_subscription`] |
//! | `GET, DELETE /subscriptions/{id}`  | hub           |
//! | `GET /healthz`                     | health        |

use futures_util::StreamExt;
use serde_json::{json, Value};
use worker::{event, Context, Env, Method, Request, RequestInit, Response, Result};

use crate::auth::{self, AuthError};
use crate::config::{
    Config, ALERT_HUB_DO, ALERT_HUB_NAME, GCORE_ALLOWED_CIDRS, STATUS_KV, STREAMS_DO,
};
use crate::errors::{ApiError, MAX_BODY_BYTES};
use crate::model::{Kind, Provider, State, StatusRecord, StreamKey};
use crate::providers::{self, Parsed};
use crate::runtime::now_ms;
use crate::status::Outcome;
use crate::stream_status::{Ingest, IngestReply};
use crate::time::millis_to_nanos;

type ApiResult = std::result::Result<Response, ApiError>;

/// `GET /streams` page size: default and maximum.
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 100;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let started = now_ms();
    let method = req.method();
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let result = route(req, env, method, &segments, started).await;
    Ok(result.unwrap_or_else(|e| error_response(&e)))
}

async fn route(
    req: Request,
    env: Env,
    method: Method,
    segments: &[&str],
    started: u64,
) -> ApiResult {
    match segments {
        ["webhooks", "cloudflare"] => {
            only(
                Method::Post,
                &method,
                webhook(req, &env, Provider::Cloudflare, None, started),
            )
            .await
        }
        ["webhooks", "fastpix"] => {
            only(
                Method::Post,
                &method,
                webhook(req, &env, Provider::Fastpix, None, started),
            )
            .await
        }
        ["webhooks", "gcore", token] => {
            only(
                Method::Post,
                &method,
                webhook(req, &env, Provider::Gcore, Some(token), started),
            )
            .await
        }
        ["streams"] => {
            only(
                Method::Get,
                &method,
                api(&req, &env, list_streams(&req, &env)),
            )
            .await
        }
        ["streams", provider, id] => {
            let handler = get_stream(&req, &env, provider, id);
            only(Method::Get, &method, api(&req, &env, handler)).await
        }
        ["alerts"] => {
            only(
                Method::Get,
                &method,
                api(&req, &env, list_alerts(&req, &env)),
            )
            .await
        }
        ["alerts", "live"] => only(Method::Get, &method, live_feed(req, &env)).await,
        ["alerts", id] => {
            let handler = hub(&env, Method::Get, format!("/alerts/{}", hub_id(id)?), None);
            only(Method::Get, &method, api(&req, &env, handler)).await
        }
        ["alerts", id, "retry"] => {
            let path = format!("/alerts/{}/retry", hub_id(id)?);
            let handler = hub(&env, Method::Post, path, None);
            only(Method::Post, &method, api(&req, &env, handler)).await
        }
        ["subscriptions"] => match method {
            Method::Post => {
                authorize(&req, &env)?;
                create_subscription(req, &env).await
            }
            Method::Get | Method::Head => {
                let handler = hub(&env, Method::Get, "/subscriptions".into(), None);
                api(&req, &env, handler).await
            }
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        },
        ["subscriptions", id] => {
            let path = format!("/subscriptions/{}", hub_id(id)?);
            match method {
                Method::Get | Method::Head => {
                    api(&req, &env, hub(&env, Method::Get, path, None)).await
                }
                Method::Delete => api(&req, &env, hub(&env, Method::Delete, path, None)).await,
                _ => Err(ApiError::MethodNotAllowed {
                    allow: "GET, DELETE",
                }),
            }
        }
        ["healthz"] => {
            only(Method::Get, &method, async {
                Ok(json_response(200, &Config::from_env(&env).health()))
            })
            .await
        }
        _ => Err(ApiError::NotFound),
    }
}

/// Runs `handler` if `method` is the route's method (GET routes also answer HEAD), else 405.
async fn only(
    allowed: Method,
    method: &Method,
    handler: impl std::future::Future<Output = ApiResult>,
) -> ApiResult {
    let ok = *method == allowed || (allowed == Method::Get && *method == Method::Head);
    match (ok, allowed) {
        (true, _) => handler.await,
        (false, Method::Post) => Err(ApiError::MethodNotAllowed { allow: "POST" }),
        (false, _) => Err(ApiError::MethodNotAllowed { allow: "GET" }),
    }
}

/// The bearer check of every API route.
fn authorize(req: &Request, env: &Env) -> std::result::Result<(), ApiError> {
    let cfg = Config::from_env(env);
    Ok(auth::verify_bearer(
        cfg.api_token.as_ref(),
        header(req, "Authorization").as_deref(),
    )?)
}

/// Runs `handler` once the request carries the API token.
async fn api(
    req: &Request,
    env: &Env,
    handler: impl std::future::Future<Output = ApiResult>,
) -> ApiResult {
    authorize(req, env)?;
    handler.await
}

/// The one place an [`ApiError`] becomes HTTP.
pub fn error_response(err: &ApiError) -> Response {
    let mut resp = text_response(err.status(), err.body());
    if let ApiError::MethodNotAllowed { allow } = err {
        let _ = resp.headers_mut().set("Allow", allow);
    }
    resp
}

fn json_response(status: u16, value: &Value) -> Response {
    text_response(status, value.to_string())
}

fn text_response(status: u16, body: String) -> Response {
    let mut resp = Response::builder()
        .with_status(status)
        .fixed(body.into_bytes());
    let _ = resp.headers_mut().set("Content-Type", "application/json");
    let _ = resp.headers_mut().set("Cache-Control", "no-store");
    resp
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn infra<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ApiError {
    move |e| {
        worker::console_error!("{}", json!({ "msg": what, "error": e.to_string() }));
        ApiError::Unavailable
    }
}

/// Reads at most [`MAX_BODY_BYTES`], refusing larger bodies without buffering them.
async fn read_body(req: &mut Request) -> std::result::Result<Vec<u8>, ApiError> {
    if let Some(len) = header(req, "Content-Length").and_then(|v| v.trim().parse::<u64>().ok()) {
        if len > MAX_BODY_BYTES as u64 {
            return Err(ApiError::PayloadTooLarge);
        }
    }
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(body); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("could not read body".into()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Everything the log line says about one webhook.
#[derive(Default)]
struct WebhookLog {
    stream: Option<String>,
    event: Option<String>,
    outcome: &'static str,
}

async fn webhook(
    mut req: Request,
    env: &Env,
    provider: Provider,
    gcore_token: Option<&str>,
    started: u64,
) -> ApiResult {
    let mut log = WebhookLog::default();
    let result = handle_webhook(&mut req, env, provider, gcore_token, &mut log).await;
    let status = result
        .as_ref()
        .map_or_else(ApiError::status, |r| r.status_code());
    let outcome = match &result {
        Err(e) if log.outcome.is_empty() => e.code(),
        _ => log.outcome,
    };
    worker::console_log!(
        "{}",
        json!({
            "msg": "webhook",
            "provider": provider.as_str(),
            "stream": log.stream,
            "event": log.event,
            "outcome": outcome,
            "status": status,
            "latency_ms": now_ms().saturating_sub(started),
        })
    );
    result
}

async fn handle_webhook(
    req: &mut Request,
    env: &Env,
    provider: Provider,
    gcore_token: Option<&str>,
    log: &mut WebhookLog,
) -> ApiResult {
    let cfg = Config::from_env(env);
    // Header-only checks run before the body is read.
    match provider {
        Provider::Cloudflare => auth::verify_cloudflare(
            cfg.cf_secret.as_ref(),
            header(req, "cf-webhook-auth").as_deref(),
        )?,
        Provider::Gcore => auth::verify_gcore(
            cfg.gcore_token.as_ref(),
            cfg.gcore_cidrs
                .as_deref()
                .ok_or(AuthError::NotConfigured(GCORE_ALLOWED_CIDRS))?,
            gcore_token.unwrap_or_default(),
            header(req, "CF-Connecting-IP").as_deref(),
        )?,
        Provider::Fastpix => {}
    }
    let body = read_body(req).await?;
    if provider == Provider::Fastpix {
        auth::verify_fastpix(
            cfg.fastpix_secret.as_ref(),
            header(req, "FastPix-Signature").as_deref(),
            &body,
        )?;
    }
    let received_at_ms = now_ms();
    let event = match providers::parse(provider, &body, millis_to_nanos(received_at_ms))? {
        Parsed::Test => {
            log.outcome = "test";
            return Ok(json_response(
                200,
                &json!({ "ok": true, "outcome": "test" }),
            ));
        }
        Parsed::Ignored { event_type, reason } => {
            log.outcome = "ignored";
            log.event = event_type;
            return Ok(json_response(
                200,
                &json!({ "ok": true, "outcome": "ignored", "reason": reason }),
            ));
        }
        Parsed::Event(event) => *event,
    };
    let stream = event.stream.to_string();
    log.stream = Some(stream.clone());
    log.event = Some(event.event_type.clone());
    let reply = send_to_stream(
        env,
        Ingest {
            event,
            received_at_ms,
        },
    )
    .await?;
    log.outcome = reply.outcome.as_str();
    if reply.outcome == Outcome::Deferred {
        // The stream's alert backlog is full (the hub is down): the provider must retry.
        return Err(ApiError::Unavailable);
    }
    Ok(json_response(
        200,
        &json!({ "ok": true, "outcome": reply.outcome, "stream": stream, "alert_queued": reply.alert_queued }),
    ))
}

async fn send_to_stream(env: &Env, ingest: Ingest) -> std::result::Result<IngestReply, ApiError> {
    let stub = env
        .durable_object(STREAMS_DO)
        .and_then(|ns| ns.get_by_name(&ingest.event.stream.to_string()))
        .map_err(infra("stream object unavailable"))?;
    let body = serde_json::to_string(&ingest).map_err(infra("serialize ingest"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req =
        Request::new_with_init("https://stream/event", &init).map_err(infra("build request"))?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(infra("stream object fetch"))?;
    if resp.status_code() != 200 {
        return Err(infra("stream object status")(resp.status_code()));
    }
    resp.json::<IngestReply>()
        .await
        .map_err(infra("stream object reply"))
}

fn query(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn parse_param<T>(
    q: &[(String, String)],
    name: &str,
    f: impl Fn(&str) -> Option<T>,
) -> std::result::Result<Option<T>, ApiError> {
    param(q, name)
        .map(|v| f(v).ok_or_else(|| ApiError::BadRequest(format!("invalid `{name}`"))))
        .transpose()
}

/// `GET /streams` body.
#[derive(serde::Serialize)]
struct StreamsPage {
    streams: Vec<StatusRecord>,
    cursor: Option<String>,
    list_complete: bool,
}

async fn list_streams(req: &Request, env: &Env) -> ApiResult {
    let q = query(req);
    let provider = parse_param(&q, "provider", Provider::parse)?;
    let state = parse_param(&q, "state", State::parse)?;
    let kind = parse_param(&q, "kind", Kind::parse)?;
    let limit = parse_param(&q, "limit", |v| {
        v.parse::<u64>().ok().filter(|n| (1..=MAX_PAGE).contains(n))
    })?
    .unwrap_or(DEFAULT_PAGE);
    let kv = env.kv(STATUS_KV).map_err(infra("kv binding"))?;
    let mut list = kv
        .list()
        .prefix(StreamKey::kv_prefix(provider))
        .limit(limit);
    if let Some(cursor) = param(&q, "cursor").filter(|c| !c.is_empty()) {
        list = list.cursor(cursor.to_owned());
    }
    let page = list.execute().await.map_err(infra("kv list"))?;
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
            .json::<StatusRecord>()
            .await
            .map_err(infra("kv get_bulk"))?;
        for name in &wanted {
            if let Some(Some(rec)) = values.get(name) {
                streams.push(rec.clone());
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
    Ok(text_response(
        200,
        serde_json::to_string(&page).map_err(infra("serialize"))?,
    ))
}

async fn get_stream(req: &Request, env: &Env, provider: &str, id: &str) -> ApiResult {
    let provider = Provider::parse(provider).ok_or(ApiError::NoSuch("stream"))?;
    let q = query(req);
    let kind = parse_param(&q, "kind", Kind::parse)?.unwrap_or(Kind::LiveInput);
    let id = urlencoding_decode(id);
    let key = StreamKey::new(provider, kind, &id).ok_or(ApiError::NoSuch("stream"))?;
    let kv = env.kv(STATUS_KV).map_err(infra("kv binding"))?;
    let record = kv
        .get(&key.kv_key())
        .json::<StatusRecord>()
        .await
        .map_err(infra("kv get"))?
        .ok_or(ApiError::NoSuch("stream"))?;
    Ok(json_response(
        200,
        &serde_json::to_value(record).map_err(infra("serialize"))?,
    ))
}

/// Path segments arrive percent-encoded; stream ids only use unreserved characters, but a
/// client may still encode `:` as `%3A`.
fn urlencoding_decode(s: &str) -> String {
    worker::Url::parse(&format!("http://x/?v={s}"))
        .ok()
        .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
        .unwrap_or_else(|| s.to_owned())
}

async fn list_alerts(req: &Request, env: &Env) -> ApiResult {
    let q = query(req);
    let limit = parse_param(&q, "limit", |v| {
        v.parse::<usize>()
            .ok()
            .filter(|n| (1..=crate::alert_hub::MAX_LIMIT).contains(n))
    })?
    .unwrap_or(crate::alert_hub::DEFAULT_LIMIT);
    let delivery = parse_param(&q, "delivery", |v| {
        ["dead", "pending"].into_iter().find(|d| *d == v)
    })?;
    let mut path = format!("/alerts?limit={limit}");
    if let Some(d) = delivery {
        path.push_str("&delivery=");
        path.push_str(d);
    }
    hub(env, Method::Get, path, None).await
}

/// Ids in hub paths are our own (`alr_…`, `sub_…`): anything else cannot exist.
fn hub_id(id: &str) -> std::result::Result<&str, ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(id)
    } else {
        Err(ApiError::NotFound)
    }
}

fn hub_stub(env: &Env) -> std::result::Result<worker::Stub, ApiError> {
    env.durable_object(ALERT_HUB_DO)
        .and_then(|ns| ns.get_by_name(ALERT_HUB_NAME))
        .map_err(infra("alert hub unavailable"))
}

/// Calls the alert hub and maps its answer: 2xx passes through, 404/409 become [`ApiError`]s.
async fn hub(env: &Env, method: Method, path: String, body: Option<String>) -> ApiResult {
    let mut init = RequestInit::new();
    init.with_method(method).with_body(body.map(Into::into));
    let req = Request::new_with_init(&format!("https://alert-hub{path}"), &init)
        .map_err(infra("build request"))?;
    let mut resp = hub_stub(env)?
        .fetch_with_request(req)
        .await
        .map_err(infra("alert hub fetch"))?;
    let status = resp.status_code();
    let text = resp.text().await.map_err(infra("alert hub reply"))?;
    let message = || {
        serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    match status {
        200..=299 => Ok(text_response(status, text)),
        404 if path.starts_with("/subscriptions") => Err(ApiError::NoSuch("subscriber")),
        404 => Err(ApiError::NoSuch("alert")),
        409 => Err(ApiError::Conflict(message())),
        _ => Err(infra("alert hub status")(status)),
    }
}

async fn create_subscription(mut req: Request, env: &Env) -> ApiResult {
    let body = read_body(&mut req).await?;
    let cfg = Config::from_env(env);
    let new = crate::subscribers::parse_create(&body, cfg.alerts.allow_loopback)?;
    let body = serde_json::to_string(&new).map_err(infra("serialize"))?;
    hub(env, Method::Post, "/subscriptions".into(), Some(body)).await
}

/// `GET /alerts/live`: a WebSocket served by the hub. The token comes in `Authorization` or,
/// for browsers, as the subprotocol `bearer.<base64url(token)>`.
async fn live_feed(req: Request, env: &Env) -> ApiResult {
    let cfg = Config::from_env(env);
    let authorization = header(&req, "Authorization").or_else(|| {
        header(&req, "Sec-WebSocket-Protocol").and_then(|p| auth::bearer_from_protocols(&p))
    });
    auth::verify_bearer(cfg.api_token.as_ref(), authorization.as_deref())?;
    let upgrade = header(&req, "Upgrade").unwrap_or_default();
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(ApiError::UpgradeRequired);
    }
    hub_stub(env)?
        .fetch_with_request(req)
        .await
        .map_err(infra("alert hub live"))
}
