//! The one route table. Webhook routes come from the provider registry: `/webhooks/{id}` for
//! each registered provider (`/webhooks/{id}/{token}` where its token rides in the path).
//!
//! | route                                        | handler                         | auth       |
//! |----------------------------------------------|---------------------------------|------------|
//! | `POST /webhooks/{provider}[/{token}]`        | [`webhooks::receive`]           | provider's |
//! | `GET /streams`                               | [`streams::list`]               | bearer     |
//! | `GET /streams/{provider}/{id}`               | [`streams::get`]                | bearer     |
//! | `GET /streams/{provider}/{id}/events`        | [`streams::events`]             | bearer     |
//! | `GET /streams/{provider}/{id}/diagnostics`   | [`streams::diagnostics`]        | bearer     |
//! | `GET /alerts`                                | [`alerts::list`]                | bearer     |
//! | `GET /alerts/live` (WebSocket)               | [`alerts::live`]                | bearer     |
//! | `GET /alerts/{id}`                           | [`alerts::get`]                 | bearer     |
//! | `POST /alerts/{id}/retry`                    | [`alerts::retry`]               | bearer     |
//! | `GET /incidents`                             | [`incidents::list`]             | bearer     |
//! | `GET /incidents/{id}`                        | [`incidents::get`]              | bearer     |
//! | `POST /incidents/{id}/acknowledge`           | [`incidents::acknowledge`]      | bearer     |
//! | `POST /incidents/{id}/resolve`               | [`incidents::resolve`]          | bearer     |
//! | `GET, POST /subscriptions`                   | [`subscriptions`]               | bearer     |
//! | `GET, DELETE /subscriptions/{id}`            | [`subscriptions`]               | bearer     |
//! | `POST /subscriptions/{id}/rotate`            | [`subscriptions`]               | bearer     |
//! | `POST /reconcile`                            | [`reconcile::run`]              | bearer     |
//! | `GET /healthz`                               | configuration report            | none       |
//!
//! Checks run in this order: the path (404), the method (405 with `Allow`; GET routes also
//! answer HEAD), the bearer token (401), then the handler.

use livehook_core::ingest::providers;
use worker::web_sys::Request;
use worker::{Context, Env};

use super::error::{ApiError, ApiResult};
use super::request::{authorize, Method};
use super::response::json;
use super::{alerts, incidents, reconcile, streams, subscriptions, webhooks};
use crate::platform::{env, traffic};

pub async fn route(
    req: Request,
    env: &Env,
    ctx: &Context,
    method: Method,
    segments: &[&str],
    started: u64,
) -> ApiResult {
    match segments {
        ["webhooks", name, rest @ ..] => {
            let provider = providers::by_route(name).ok_or(ApiError::NotFound)?;
            let token = match (provider.token_in_path(), rest) {
                (false, []) => None,
                (true, [token]) => Some(*token),
                _ => return Err(ApiError::NotFound),
            };
            post(method)?;
            webhooks::receive(req, env, ctx, provider, token, started).await
        }
        ["streams"] => {
            get(method)?;
            authorize(&req, env)?;
            streams::list(&req, env).await
        }
        ["streams", provider, id] => {
            get(method)?;
            authorize(&req, env)?;
            streams::get(&req, env, provider, id).await
        }
        ["streams", provider, id, "events"] => {
            get(method)?;
            authorize(&req, env)?;
            streams::events(&req, env, provider, id).await
        }
        ["streams", provider, id, "diagnostics"] => {
            get(method)?;
            authorize(&req, env)?;
            streams::diagnostics(&req, env, provider, id).await
        }
        ["alerts"] => {
            get(method)?;
            authorize(&req, env)?;
            alerts::list(&req, env).await
        }
        ["alerts", "live"] => {
            get(method)?;
            alerts::live(req, env).await
        }
        ["alerts", id] => {
            let id = our_id(id)?;
            get(method)?;
            authorize(&req, env)?;
            alerts::get(env, id).await
        }
        ["alerts", id, "retry"] => {
            let id = our_id(id)?;
            post(method)?;
            authorize(&req, env)?;
            alerts::retry(env, id).await
        }
        ["incidents"] => {
            get(method)?;
            authorize(&req, env)?;
            incidents::list(&req, env).await
        }
        ["incidents", id] => {
            let id = our_id(id)?;
            get(method)?;
            authorize(&req, env)?;
            incidents::get(env, id).await
        }
        ["incidents", id, "acknowledge"] => {
            let id = our_id(id)?;
            post(method)?;
            authorize(&req, env)?;
            incidents::acknowledge(env, id).await
        }
        ["incidents", id, "resolve"] => {
            let id = our_id(id)?;
            post(method)?;
            authorize(&req, env)?;
            incidents::resolve(env, id).await
        }
        ["subscriptions"] => match method {
            Method::Post => {
                authorize(&req, env)?;
                subscriptions::create(req, env).await
            }
            Method::Get | Method::Head => {
                authorize(&req, env)?;
                subscriptions::list(env).await
            }
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        },
        ["subscriptions", id] => {
            let id = our_id(id)?;
            match method {
                Method::Get | Method::Head => {
                    authorize(&req, env)?;
                    subscriptions::get(env, id).await
                }
                Method::Delete => {
                    authorize(&req, env)?;
                    subscriptions::delete(env, id).await
                }
                _ => Err(ApiError::MethodNotAllowed {
                    allow: "GET, DELETE",
                }),
            }
        }
        ["subscriptions", id, "rotate"] => {
            let id = our_id(id)?;
            post(method)?;
            authorize(&req, env)?;
            subscriptions::rotate(env, id).await
        }
        ["reconcile"] => {
            post(method)?;
            authorize(&req, env)?;
            reconcile::run(env, &env::config(env)).await
        }
        ["healthz"] => {
            get(method)?;
            let cfg = env::config(env);
            let mut health = cfg.health();
            health["traffic"] = traffic::report(cfg.analytics.as_ref()).await;
            health["reconcile"] = reconcile::health(env, &cfg).await;
            json(200, &health)
        }
        _ => Err(ApiError::NotFound),
    }
}

/// Ids in these paths are our own (`alr_…`, `inc_…`, `sub_…`): anything outside `[A-Za-z0-9_]{1,64}`
/// is no route at all (checked before auth and method, as for any unknown path).
fn our_id(id: &str) -> Result<&str, ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some(id).ok_or(ApiError::NotFound)
}

/// The route takes POST only.
fn post(method: Method) -> Result<(), ApiError> {
    match method {
        Method::Post => Ok(()),
        _ => Err(ApiError::MethodNotAllowed { allow: "POST" }),
    }
}

/// The route takes GET (and so HEAD) only.
fn get(method: Method) -> Result<(), ApiError> {
    match method {
        Method::Get | Method::Head => Ok(()),
        _ => Err(ApiError::MethodNotAllowed { allow: "GET" }),
    }
}
