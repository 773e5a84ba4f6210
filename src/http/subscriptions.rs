//! `POST /subscriptions` (validated here, stored by the hub), `GET /subscriptions`,
//! `GET /subscriptions/{id}`, `DELETE /subscriptions/{id}`, `POST /subscriptions/{id}/rotate`.

use livehook_core::alerts::subscriber::parse_create;
use livehook_core::ids::SubscriberId;
use livehook_core::protocol::{
    CreateSubscriber, DeleteSubscriber, GetSubscriber, ListSubscribers, RotateSubscriber,
};
use worker::web_sys::Request;
use worker::Env;

use super::error::{ApiError, ApiResult};
use super::request::read_body;
use super::response::ask_hub;
use crate::platform::env;

fn subscriber_id(id: &str) -> Result<SubscriberId, ApiError> {
    SubscriberId::parse(id).ok_or(ApiError::NoSuch("subscriber"))
}

pub async fn create(req: Request, env: &Env) -> ApiResult {
    let body = read_body(&req).await?;
    let new = parse_create(&body, env::config(env).alerts.allow_loopback)?;
    ask_hub(env, 201, CreateSubscriber(new)).await
}

pub async fn list(env: &Env) -> ApiResult {
    ask_hub(env, 200, ListSubscribers).await
}

pub async fn get(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, GetSubscriber(subscriber_id(id)?)).await
}

pub async fn rotate(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, RotateSubscriber(subscriber_id(id)?)).await
}

pub async fn delete(env: &Env, id: &str) -> ApiResult {
    ask_hub(env, 200, DeleteSubscriber(subscriber_id(id)?)).await
}
