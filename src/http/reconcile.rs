//! `POST /reconcile` (a pass over every configured provider API now, answered with its summary
//! per provider) and `/healthz`'s `reconcile` (each API's health), both from the reconciler.

use std::time::Duration;

use livehook_core::config::Config;
use livehook_core::protocol::{Call, Payload, ReconcileHealthReport, RunPass};
use livehook_core::reconcile::runner::RunSummary;
use livehook_core::text::write_json;
use serde_json::Value;
use worker::Env;

use super::error::{ApiError, ApiResult};
use super::response::{forward, json};
use crate::platform::clock::within;
use crate::platform::{log, rpc};

/// How long `/healthz` waits for the reconciler's report before showing the settings only.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs a pass now. Without any API configured there is nothing to ask: the empty summary.
pub async fn run(env: &Env, config: &Config) -> ApiResult {
    if !config.reconcile.polls_any() {
        return json(200, &RunSummary::default());
    }
    let reconciler = rpc::reconciler(env).map_err(ApiError::from);
    forward(
        reconciler,
        200,
        write_json(&RunPass.wire()),
        RunSummary::KIND,
    )
    .await
}

/// `/healthz`'s `reconcile`: the reconciler's report when an API is polled (the settings alone
/// if it does not answer in time), else the settings.
pub async fn health(env: &Env, config: &Config) -> Value {
    if !config.reconcile.polls_any() {
        return config.reconcile.configured();
    }
    let report = async { rpc::call(&rpc::reconciler(env)?, ReconcileHealthReport).await };
    match within(HEALTH_TIMEOUT, report).await {
        Some(Ok(report)) => return report.0,
        Some(Err(e)) => log::failed("reconciler health unavailable", &e),
        None => {}
    }
    config.reconcile.configured()
}
