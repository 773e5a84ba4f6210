//! `POST /webhooks/{provider}[/{token}]`, for every provider in the registry: authenticate
//! (headers first, so an unauthenticated body is never buffered where the scheme allows), read
//! the body (bounded), parse and normalize, hand the event to its stream's object, answer with
//! the outcome (or the body the provider's sender needs: [`Reply`]). One JSON log line per
//! webhook; it never contains a secret.

use livehook_core::ingest::event::Event;
use livehook_core::ingest::providers::{self, Inbound, Parsed, Provider, Reply};
use livehook_core::ordering::Outcome;
use livehook_core::protocol::{Heartbeat, IgnoredNote, Ingest, IngestReply};
use livehook_core::time::millis_to_nanos;
use livehook_core::traffic::label;
use serde_json::json;
use worker::web_sys::Request;
use worker::{Context, Env};

use super::error::{ApiError, ApiResult};
use super::request::read_body;
use super::response::{json, text_response};
use crate::platform::clock::now_ms;
use crate::platform::{env, log, rpc, traffic};

/// The one log line per webhook (its fields never hold a secret or a stream key).
#[derive(serde::Serialize)]
struct WebhookLine<'a> {
    msg: &'static str,
    provider: &'a str,
    stream: Option<&'a str>,
    event: Option<&'a str>,
    outcome: &'a str,
    status: u16,
    latency_ms: u64,
}

/// Everything the log line says about one webhook.
#[derive(Default)]
struct WebhookLog {
    stream: Option<String>,
    event: Option<String>,
    outcome: &'static str,
}

pub async fn receive(
    req: Request,
    env: &Env,
    ctx: &Context,
    provider: &'static Provider,
    path_token: Option<&str>,
    started: u64,
) -> ApiResult {
    let mut line = WebhookLog::default();
    let result = handle(&req, env, ctx, provider, path_token, &mut line).await;
    let status = result
        .as_ref()
        .map_or_else(ApiError::status, |r| r.status());
    let outcome = match &result {
        Err(e) if line.outcome.is_empty() => e.code(),
        _ => line.outcome,
    };
    traffic::record(env, provider.route(), &label(outcome, status));
    log::info_typed(&WebhookLine {
        msg: "webhook",
        provider: provider.route(),
        stream: line.stream.as_deref(),
        event: line.event.as_deref(),
        outcome,
        status,
        latency_ms: now_ms().saturating_sub(started),
    });
    result
}

async fn handle(
    req: &Request,
    env: &Env,
    ctx: &Context,
    provider: &Provider,
    path_token: Option<&str>,
    line: &mut WebhookLog,
) -> ApiResult {
    let cfg = env::config(env);
    let headers = req.headers();
    let header = move |name: &str| headers.get(name).ok().flatten();
    let inbound = Inbound {
        header: &header,
        path_token,
        now_s: now_ms() / 1000,
    };
    providers::authenticate_headers(provider, &cfg.providers, &inbound)?;
    let body = read_body(req).await?;
    if provider.is_probe(&inbound, &body) {
        return test_answer(line);
    }
    providers::authenticate_body(provider, &cfg.providers, &inbound, &body)?;
    let received_at_ms = now_ms();
    let parsed = providers::parse(provider, &body, millis_to_nanos(received_at_ms))?;
    let reply = provider.reply(&parsed);
    let event = match parsed {
        Parsed::Test => return test_answer(line),
        Parsed::Ignored {
            event_type,
            reason,
            stream,
        } => {
            line.outcome = "ignored";
            if let Some(key) = stream {
                // The stream's history records it; a failure here does not fail the webhook.
                line.stream = Some(key.to_string());
                let note = IgnoredNote {
                    event_type: event_type.clone(),
                    received_at_ms,
                };
                let noted = match rpc::stream(env, &key) {
                    Ok(object) => rpc::call(&object, note).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                if let Err(e) = noted {
                    log::failed("history note failed", &e);
                }
            }
            line.event = event_type;
            return answer(reply, || {
                json(
                    200,
                    &json!({ "ok": true, "outcome": "ignored", "reason": reason }),
                )
            });
        }
        Parsed::Heartbeat { start } => {
            line.outcome = "heartbeat";
            line.stream = Some(start.stream.to_string());
            line.event = Some(start.event_type.clone());
            heartbeat(env, ctx, provider, *start, received_at_ms).await;
            return answer(reply, || {
                json(200, &json!({ "ok": true, "outcome": "heartbeat" }))
            });
        }
        Parsed::Event(event) => (*event, None),
        Parsed::Linked { event, also } => (*event, Some(*also)),
    };
    let (event, also) = event;
    let stream = event.stream.to_string();
    line.stream = Some(stream.clone());
    line.event = Some(event.event_type.clone());
    if provider.answers_first() {
        // A media server waits for this answer to let its publisher in, and never retries: the
        // event reaches its stream after the answer; a failure is logged.
        line.outcome = "accepted";
        let env = env.clone();
        ctx.wait_until(async move {
            for event in std::iter::once(event).chain(also) {
                match ingest(&env, event, received_at_ms).await {
                    Ok(r) if r.outcome == Outcome::Deferred => {
                        log::failed("webhook not stored", &"the stream's alert backlog is full")
                    }
                    Ok(_) => {}
                    Err(e) => log::failed("webhook not stored", &e),
                }
            }
        });
        return answer(reply, || {
            json(
                200,
                &json!({ "ok": true, "outcome": "accepted", "stream": stream }),
            )
        });
    }
    let ingested = ingest(env, event, received_at_ms).await?;
    line.outcome = ingested.outcome.as_str();
    if ingested.outcome == Outcome::Deferred {
        // The stream's alert backlog is full (the hub is down): the provider must retry.
        return Err(ApiError::Unavailable);
    }
    if let Some(also) = also {
        // The other stream's part (a live input's latest recording): if it cannot be stored,
        // the provider's retry stores it (the first part is then a duplicate).
        let linked = ingest(env, also, received_at_ms).await?;
        if linked.outcome == Outcome::Deferred {
            return Err(ApiError::Unavailable);
        }
    }
    answer(reply, || {
        json(
            200,
            &Accepted {
                alert_queued: ingested.alert_queued,
                ok: true,
                outcome: ingested.outcome,
                stream: &stream,
            },
        )
    })
}

/// The 200 to an accepted webhook: livehook's own JSON (`standard`), or the body its sender
/// needs (a media server's hook in the publish path).
fn answer(reply: Reply, standard: impl FnOnce() -> ApiResult) -> ApiResult {
    match reply {
        Reply::Standard => standard(),
        Reply::Json(body) => Ok(text_response(200, body)),
        Reply::Empty => Ok(text_response(200, "")),
    }
}

/// The answer to an event that reached its stream (fields in alphabetical order, as documented).
#[derive(serde::Serialize)]
struct Accepted<'a> {
    alert_queued: bool,
    ok: bool,
    outcome: Outcome,
    stream: &'a str,
}

/// A provider's connectivity check: 200, nothing stored.
fn test_answer(line: &mut WebhookLog) -> ApiResult {
    line.outcome = "test";
    json(200, &json!({ "ok": true, "outcome": "test" }))
}

/// Hands a media server's heartbeat to its stream's object: after the answer where the sender
/// waits for it (it drops its publisher on any answer but a 2xx), so a heartbeat that cannot be
/// stored is logged, never refused.
async fn heartbeat(
    env: &Env,
    ctx: &Context,
    provider: &Provider,
    start: Event,
    received_at_ms: u64,
) {
    let cfg = env::config(env);
    let beat = Heartbeat {
        at_ms: received_at_ms,
        stale_after_ms: cfg.alerts.heartbeat_stale_after_ms,
        incidents: cfg.alerts.incidents,
        start,
    };
    let env = env.clone();
    let store = async move {
        let kept = match rpc::stream(&env, &beat.start.stream) {
            Ok(object) => rpc::call(&object, beat).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = kept {
            log::failed("heartbeat not stored", &e);
        }
    };
    if provider.answers_first() {
        ctx.wait_until(store);
    } else {
        store.await;
    }
}

/// Hands one event to its stream's object.
async fn ingest(env: &Env, event: Event, received_at_ms: u64) -> Result<IngestReply, ApiError> {
    let object = rpc::stream(env, &event.stream)?;
    let request = Ingest {
        event,
        received_at_ms,
        incidents: env::config(env).alerts.incidents,
        correction: false,
    };
    Ok(rpc::call(&object, request).await?)
}
