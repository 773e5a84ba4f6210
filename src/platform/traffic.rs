//! Webhook traffic for `/healthz` ([`livehook_core::traffic`]): every webhook is one Workers
//! Analytics Engine data point (binding `WEBHOOK_TRAFFIC`; a write per request, no Durable
//! Object, no KV key) and a count in this isolate. Reading asks Analytics Engine's SQL API when
//! it is configured (cached a minute per isolate), and otherwise, or if it fails, reports this
//! isolate's own counts, saying so.

use std::cell::RefCell;
use std::time::Duration;

use livehook_core::config::AnalyticsQuery;
use livehook_core::ingest::providers::REGISTRY;
use livehook_core::traffic::{sql, IsolateCounts, Traffic, DATASET};
use serde_json::{json, Value};
use worker::{AnalyticsEngineDataPointBuilder, Env, Fetch};

use super::clock::{now_ms, within};
use super::{log, request};

/// The Analytics Engine binding (`wrangler.toml`).
pub const BINDING: &str = "WEBHOOK_TRAFFIC";
/// How long one isolate reuses an answer of the SQL API, or its failure (each query counts
/// against the account's quota, and `/healthz` is public).
const CACHE_MS: u64 = 60_000;
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

thread_local! {
    static COUNTS: RefCell<IsolateCounts> = RefCell::new(IsolateCounts::default());
    /// The last answer (or failure) of the SQL API, and when it came.
    static CACHE: RefCell<Option<(u64, Result<Traffic, String>)>> = const { RefCell::new(None) };
}

fn routes() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|p| p.route())
}

/// Counts one webhook to `route` that ended as `label` ([`livehook_core::traffic::label`]).
pub fn record(env: &Env, route: &str, label: &str) {
    COUNTS.with(|c| c.borrow_mut().record(route, label, now_ms()));
    let Ok(dataset) = env.analytics_engine(BINDING) else {
        return; // not bound (tests without it): the isolate's counts still work
    };
    let point = AnalyticsEngineDataPointBuilder::new()
        .indexes([route])
        .add_blob(route)
        .add_blob(label)
        .add_double(1.0)
        .build();
    if dataset.write_data_point(&point).is_err() {
        log::error("traffic write failed", json!({ "provider": route }));
    }
}

/// The `traffic` part of `/healthz`.
pub async fn report(query: Option<&AnalyticsQuery>) -> Value {
    let isolate = || COUNTS.with(|c| c.borrow().traffic(routes(), now_ms()));
    let Some(query) = query else {
        return json!({
            "source": "isolate",
            "note": "this isolate's own counts; set CF_ACCOUNT_ID and ANALYTICS_API_TOKEN for the whole deployment's",
            "providers": isolate().providers,
        });
    };
    let now = now_ms();
    let cached = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(at, _)| now.saturating_sub(*at) < CACHE_MS)
            .map(|(_, t)| t.clone())
    });
    let fresh = match cached {
        Some(result) => result,
        None => {
            let result = ask(query).await;
            if let Err(why) = &result {
                log::failed("traffic query failed", &why);
            }
            CACHE.with(|c| *c.borrow_mut() = Some((now, result.clone())));
            result
        }
    };
    match fresh {
        Ok(t) => json!({ "source": "analytics_engine", "providers": t.providers }),
        Err(why) => {
            json!({
                "source": "isolate",
                "analytics_error": why,
                "providers": isolate().providers,
            })
        }
    }
}

/// One SQL API query. Errors name a category, never the token.
async fn ask(query: &AnalyticsQuery) -> Result<Traffic, String> {
    let auth = format!("Bearer {}", query.token.expose());
    let req = request::build(
        "POST",
        &query.url,
        &[
            ("Authorization", auth.as_str()),
            ("Content-Type", "text/plain"),
        ],
        Some(&sql(DATASET)),
        true,
    )
    .map_err(|_| "invalid request".to_owned())?;
    let resp = match within(QUERY_TIMEOUT, Fetch::Request(req).send()).await {
        Some(Ok(resp)) => resp,
        Some(Err(_)) => return Err("network error".into()),
        None => return Err("timed out".into()),
    };
    if resp.status_code() != 200 {
        return Err(format!("SQL API answered {}", resp.status_code()));
    }
    let body = request::text(resp)
        .await
        .map_err(|_| "unreadable answer".to_owned())?;
    Traffic::from_sql_answer(&body, routes())
}
