//! The reconciler's effects over the runtime: the clock, `fetch` to the providers' APIs (bounded
//! in time and size), livehook's own list of live inputs (the KV listing's metadata), and typed
//! calls to the stream objects under a deadline.

use std::rc::Rc;
use std::time::Duration;

use livehook_core::alerts::schedule::parse_retry_after;
use livehook_core::config::Config;
use livehook_core::incidents::track::on_air;
use livehook_core::ingest::event::{Kind, ProviderId, State, StreamKey};
use livehook_core::protocol::{ReconcilePoll, STATUS_KV};
use livehook_core::reconcile::decide::Poll;
use livehook_core::reconcile::outgoing::Outgoing;
use livehook_core::reconcile::pass::{Answer, Applied, Known, NoAnswer};
use livehook_core::reconcile::runner::RunnerEffects;
use livehook_core::store::StoreError;
use worker::{AbortController, Env, Fetch};

use crate::platform::clock::{now_ms, within};
use crate::platform::kv::Kv;
use crate::platform::{request, rpc};

/// How long one API request may take, its body included.
const API_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read (a listing of 10 000 Cloudflare inputs is about 3 MB); a longer one
/// is unreadable, and changes nothing.
const MAX_API_BODY: usize = 16 * 1024 * 1024;
/// How long a stream object may take to apply one poll.
const STREAM_TIMEOUT: Duration = Duration::from_secs(10);
/// Keys per KV listing page (KV's maximum).
const KV_PAGE: u64 = 1000;

pub struct DoEffects {
    pub env: Env,
    pub config: Rc<Config>,
}

impl RunnerEffects for DoEffects {
    fn now_ms(&self) -> u64 {
        now_ms()
    }

    /// Errors are categories only: a network error's text could name the URL.
    async fn send(&self, out: &Outgoing) -> Result<Answer, NoAnswer> {
        let headers: Vec<(&str, &str)> =
            out.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = request::build(out.method, &out.url, &headers, out.body.as_deref(), false)
            .map_err(|_| NoAnswer::Network)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let answer = async {
            let mut resp = Fetch::Request(req)
                .send_with_signal(&signal)
                .await
                .map_err(|_| NoAnswer::Network)?;
            let status = resp.status_code();
            let retry_after_ms = resp
                .headers()
                .get("Retry-After")
                .ok()
                .flatten()
                .and_then(|v| parse_retry_after(&v, now_ms()));
            let body = request::read_at_most(&mut resp, MAX_API_BODY)
                .await
                .unwrap_or_default();
            Ok(Answer {
                status,
                body,
                retry_after_ms,
            })
        };
        match within(API_TIMEOUT, answer).await {
            Some(answer) => answer,
            None => {
                controller.abort();
                Err(NoAnswer::Timeout)
            }
        }
    }

    async fn known(&self, provider: &str) -> Result<Vec<Known>, StoreError> {
        let failed = |e: worker::Error| StoreError(format!("kv list: {e}"));
        let provider = ProviderId::parse(provider)
            .ok_or_else(|| StoreError(format!("unknown provider {provider}")))?;
        let kv = Kv::bound(&self.env, STATUS_KV).map_err(failed)?;
        let prefix = format!(
            "{}{}:",
            StreamKey::kv_prefix(Some(provider)),
            Kind::LiveInput.as_str()
        );
        let mut known = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = kv
                .list(&prefix, KV_PAGE, cursor.as_deref())
                .await
                .map_err(|e| failed(e.into()))?;
            known.extend(page.keys.into_iter().filter_map(|k| {
                let id = k.name.strip_prefix(&prefix)?.to_owned();
                let state = k.state.as_deref().and_then(State::parse);
                Some(Known {
                    id,
                    on_air: state.is_some_and(on_air),
                })
            }));
            match page.cursor {
                Some(next) if !page.list_complete => cursor = Some(next),
                _ => return Ok(known),
            }
        }
    }

    async fn apply(&self, poll: Poll) -> Result<Applied, String> {
        let stream = rpc::stream(&self.env, &poll.stream).map_err(|e| e.to_string())?;
        let request = ReconcilePoll {
            poll,
            settle_ms: self.config.reconcile.settle_ms,
            incidents: self.config.alerts.incidents,
        };
        match within(STREAM_TIMEOUT, rpc::call(&stream, request)).await {
            Some(Ok(reconciled)) => Ok(reconciled.outcome.into()),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("stream object timed out".into()),
        }
    }
}
