//! One pass over one provider's API ([`run`]): read its listing to the end within the budget,
//! hand each stream's answer to its stream (through [`PassEffects::apply`], which decides and
//! applies it: [`super::decide`]), and, for Cloudflare, ask for each input's status in the
//! order of [`super::plan::order_checks`] while the budget lasts. The shell performs the
//! requests and keeps [`ApiState`] between passes.
//!
//! Invariants (each has a test below):
//! - A failed call (no answer, a timeout, a 401/403, a 429, a 5xx, an answer that cannot be read)
//!   changes no stream: the pass stops for that API and its health records why.
//! - A 429's `Retry-After` blocks the API's budget; no request is made past the budget.
//! - IVS lists live channels only: after its last page, a channel livehook has on air that no
//!   page listed is `disconnected` (never after a failed or unfinished listing).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::apis::{self, Listed, Observed, Page, PageRequest};
use super::decide::Poll;
use super::health::{ApiHealth, Failure};
use super::plan::{limit, order_checks, Budget, Candidate};
use super::settings::Api;
use crate::ingest::event::{ProviderId, State, StreamKey};

/// How soon a Cloudflare input livehook has on air goes first again: passes run every minute,
/// and asking every on-air input every minute leaves the rest of a large account's round only
/// what they do not use (a 10 000-input run, 1 % on air, slowed to about 50 new inputs a minute
/// of the budget's 120 requests). After 5 minutes an input on air is asked first again; until
/// then it waits its turn.
pub const ON_AIR_RECHECK_MS: u64 = 300_000;

/// The most streams a pass hands to their objects per API (each is a call to a Durable Object,
/// a subrequest of the pass): a longer listing is handed over in turns, across passes.
pub const MAX_STREAM_CALLS: usize = 500;

/// An API's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// A 429's `Retry-After`, in ms.
    pub retry_after_ms: Option<u64>,
}

/// A request that got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    Network,
    Timeout,
}

/// What a poll did to a stream, as the stream's object reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Confirmed,
    Corrected,
    Added,
    /// Settling, stale, deferred, unchanged, not a live input.
    Nothing,
}

impl From<crate::protocol::ReconcileOutcome> for Applied {
    fn from(outcome: crate::protocol::ReconcileOutcome) -> Self {
        use crate::protocol::ReconcileOutcome as O;
        match outcome {
            O::Confirmed => Applied::Confirmed,
            O::Corrected => Applied::Corrected,
            O::Added => Applied::Added,
            O::Settling | O::Stale | O::Deferred | O::Unchanged | O::NotReconciled => {
                Applied::Nothing
            }
        }
    }
}

/// What a pass does to the world.
#[allow(async_fn_in_trait)]
pub trait PassEffects {
    fn now_ms(&self) -> u64;
    /// One request to the API (base URL and credentials added by the shell), bounded in time.
    async fn fetch(&self, request: &PageRequest) -> Result<Answer, NoAnswer>;
    /// One stream's answer, to its stream object; `Err` when the object could not be reached
    /// (counted as an error, retried next pass).
    async fn apply(&self, poll: Poll) -> Result<Applied, String>;
}

/// One of livehook's streams of this provider, as its listing (KV) shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: String,
    pub on_air: bool,
}

/// What a pass keeps for an API between passes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiState {
    #[serde(default)]
    pub budget: Budget,
    #[serde(default)]
    pub health: ApiHealth,
    /// When each stream was last asked about (Cloudflare) or handed to its object (a listing
    /// longer than [`MAX_STREAM_CALLS`]), in ms.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checked: BTreeMap<String, u64>,
    /// When the current round began (Cloudflare's per-input checks, a long listing's turns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_started_ms: Option<u64>,
}

/// What one pass did, as `POST /reconcile` answers it per provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Streams the listing named.
    pub listed: u32,
    /// Streams whose answer was handed to their stream.
    pub checked: u32,
    pub confirmed: u32,
    pub corrected: u32,
    pub added: u32,
    /// Failed calls (the API's or a stream object's).
    pub errors: u32,
}

impl Summary {
    fn count(&mut self, applied: Result<Applied, String>) {
        match applied {
            Ok(Applied::Confirmed) => self.confirmed += 1,
            Ok(Applied::Corrected) => self.corrected += 1,
            Ok(Applied::Added) => self.added += 1,
            Ok(Applied::Nothing) => {}
            Err(_) => self.errors += 1,
        }
        self.checked += 1;
    }
}

fn provider(api: Api) -> ProviderId {
    ProviderId::new(api.provider())
}

/// The first request of `api`'s listing (Cloudflare's needs the account).
fn first_request(api: Api, account: &str) -> PageRequest {
    match api {
        Api::Cloudflare => apis::cloudflare::first_request(account),
        Api::Mux => apis::mux::first_request(),
        Api::Gcore => apis::gcore::first_request(),
        Api::Livepeer => apis::livepeer::first_request(),
        Api::Fastpix => apis::fastpix::first_request(),
        Api::Ivs => apis::ivs::first_request(),
    }
}

fn read_page(api: Api, body: &[u8], current: &PageRequest) -> Result<Page, apis::ApiError> {
    match api {
        Api::Cloudflare => apis::cloudflare::read_page(body, current),
        Api::Mux => apis::mux::read_page(body, current),
        Api::Gcore => apis::gcore::read_page(body, current),
        Api::Livepeer => apis::livepeer::read_page(body, current),
        Api::Fastpix => apis::fastpix::read_page(body, current),
        Api::Ivs => apis::ivs::read_page(body, current),
    }
}

/// Why a pass stops asking an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The budget is spent for now: the next pass goes on.
    Budget,
    /// The call failed (recorded in the API's health).
    Failed,
}

/// One request within the budget: the (2xx) answer, or why there is none (a failure is
/// recorded in the API's health; the pass then stops for this API).
async fn ask(
    api: Api,
    request: &PageRequest,
    state: &mut ApiState,
    fx: &impl PassEffects,
) -> Result<Answer, Stop> {
    let lim = limit(api);
    if !state.budget.take(lim, fx.now_ms()) {
        return Err(Stop::Budget);
    }
    let (category, status) = match fx.fetch(request).await {
        Err(NoAnswer::Network) => (Failure::Network, None),
        Err(NoAnswer::Timeout) => (Failure::Timeout, None),
        Ok(answer) => match Failure::of_status(answer.status) {
            None => return Ok(answer),
            Some(category) => {
                if category == Failure::RateLimited {
                    let now = fx.now_ms();
                    state.budget.rate_limited(lim, now, answer.retry_after_ms);
                }
                (category, Some(answer.status))
            }
        },
    };
    state.health.failed(category, status, fx.now_ms());
    Err(Stop::Failed)
}

/// The stream's answer to its object.
fn poll(api: Api, listed: &Listed, observed: Observed, at_ms: u64) -> Option<Poll> {
    Some(Poll {
        stream: StreamKey::new(provider(api), apis::KIND, &listed.id)?,
        name: listed.name.clone(),
        state: observed,
        at_ms,
    })
}

/// One pass over `api`. `account` is Cloudflare's account id; `known` are livehook's streams of
/// this provider.
pub async fn run(
    api: Api,
    account: &str,
    known: &[Known],
    state: &mut ApiState,
    fx: &impl PassEffects,
) -> Summary {
    let mut summary = Summary::default();
    let started = fx.now_ms();
    let mut listed: Vec<Listed> = Vec::new();
    let mut request = Some(first_request(api, account));
    while let Some(current) = request.take() {
        let answer = match ask(api, &current, state, fx).await {
            Ok(answer) => answer,
            Err(stop) => {
                summary.errors += u32::from(stop == Stop::Failed);
                return summary;
            }
        };
        match read_page(api, &answer.body, &current) {
            Err(_) => {
                let status = Some(answer.status);
                state
                    .health
                    .failed(Failure::Unreadable, status, fx.now_ms());
                summary.errors += 1;
                return summary;
            }
            Ok(page) => {
                listed.extend(page.streams);
                request = page.next;
            }
        }
    }
    state.health.answered(fx.now_ms());
    summary.listed = listed.len() as u32;
    if api == Api::Cloudflare {
        check_inputs(account, &listed, known, state, fx, &mut summary).await;
    } else {
        hand_over(api, &listed, state, fx, &mut summary, started).await;
        if api == Api::Ivs {
            // Live channels only: one livehook has on air that no page listed went off air.
            let live: BTreeSet<&str> = listed.iter().map(|l| l.id.as_str()).collect();
            for k in known.iter().filter(|k| k.on_air) {
                if live.contains(k.id.as_str()) {
                    continue;
                }
                let gone = Listed {
                    id: k.id.clone(),
                    name: None,
                    observed: Observed::State(State::Disconnected),
                };
                if let Some(p) = poll(api, &gone, gone.observed, fx.now_ms()) {
                    summary.count(fx.apply(p).await);
                }
            }
        }
    }
    let fixed = summary.corrected + summary.added;
    state.health.corrected(fixed, fx.now_ms());
    summary
}

/// Cloudflare: each listed input's status, on air first, while the budget lasts.
async fn check_inputs(
    account: &str,
    listed: &[Listed],
    known: &[Known],
    state: &mut ApiState,
    fx: &impl PassEffects,
    summary: &mut Summary,
) {
    let round_start = *state.round_started_ms.get_or_insert(fx.now_ms());
    let on_air: BTreeSet<&str> = known
        .iter()
        .filter(|k| k.on_air)
        .map(|k| k.id.as_str())
        .collect();
    let by_id: BTreeMap<&str, &Listed> = listed.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut candidates: Vec<Candidate> = listed
        .iter()
        .map(|l| Candidate {
            id: l.id.clone(),
            on_air: on_air.contains(l.id.as_str())
                && state
                    .checked
                    .get(&l.id)
                    .is_none_or(|t| fx.now_ms().saturating_sub(*t) >= ON_AIR_RECHECK_MS),
            verified_ms: state.checked.get(&l.id).copied(),
            checked_ms: state.checked.get(&l.id).copied(),
        })
        .collect();
    order_checks(&mut candidates);
    for c in &candidates {
        let Some(l) = by_id.get(c.id.as_str()) else {
            continue;
        };
        let request = apis::cloudflare::input_request(account, &l.id);
        let answer = match ask(Api::Cloudflare, &request, state, fx).await {
            Ok(answer) => answer,
            Err(stop) => {
                summary.errors += u32::from(stop == Stop::Failed);
                break;
            }
        };
        let observed = match apis::cloudflare::read_input(&answer.body) {
            Ok(o) => o,
            Err(_) => {
                let status = Some(answer.status);
                state
                    .health
                    .failed(Failure::Unreadable, status, fx.now_ms());
                summary.errors += 1;
                break;
            }
        };
        state.checked.insert(l.id.clone(), fx.now_ms());
        if let Some(p) = poll(Api::Cloudflare, l, observed, fx.now_ms()) {
            summary.count(fx.apply(p).await);
        }
    }
    end_round(listed, state, round_start, fx.now_ms());
}

/// A listing API's streams, each to its object: the whole listing when it fits in
/// [`MAX_STREAM_CALLS`], else that many a pass, those never handed over first, then the longest
/// ago (the order survives restarts: it is `checked`).
async fn hand_over(
    api: Api,
    listed: &[Listed],
    state: &mut ApiState,
    fx: &impl PassEffects,
    summary: &mut Summary,
    started: u64,
) {
    if listed.len() <= MAX_STREAM_CALLS {
        state.checked.clear();
        state.round_started_ms = None;
        for l in listed {
            if let Some(p) = poll(api, l, l.observed, fx.now_ms()) {
                summary.count(fx.apply(p).await);
            }
        }
        state.health.round_ms = Some(fx.now_ms().saturating_sub(started));
        return;
    }
    let round_start = *state.round_started_ms.get_or_insert(started);
    let mut turn: Vec<&Listed> = listed.iter().collect();
    turn.sort_by_key(|l| state.checked.get(&l.id).copied());
    for l in turn.into_iter().take(MAX_STREAM_CALLS) {
        if let Some(p) = poll(api, l, l.observed, fx.now_ms()) {
            summary.count(fx.apply(p).await);
        }
        state.checked.insert(l.id.clone(), fx.now_ms());
    }
    end_round(listed, state, round_start, fx.now_ms());
}

/// Streams no longer listed are forgotten; a round ends when every listed stream was asked
/// about (Cloudflare) or handed over (the others) since it began.
fn end_round(listed: &[Listed], state: &mut ApiState, round_start: u64, now_ms: u64) {
    let ids: BTreeSet<&str> = listed.iter().map(|l| l.id.as_str()).collect();
    state.checked.retain(|id, _| ids.contains(id.as_str()));
    let done = listed
        .iter()
        .all(|l| state.checked.get(&l.id).is_some_and(|t| *t >= round_start));
    if done {
        state.health.round_ms = Some(now_ms.saturating_sub(round_start));
        state.round_started_ms = None;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::store::memory::block_on;

    /// A stand-in API: answers by path prefix, counts requests, records what reaches streams.
    struct World {
        now: u64,
        answers: Vec<(&'static str, Result<Answer, NoAnswer>)>,
        asked: RefCell<Vec<String>>,
        applied: RefCell<Vec<(String, Observed)>>,
    }

    fn ok(body: String) -> Result<Answer, NoAnswer> {
        Ok(Answer {
            status: 200,
            body: body.into_bytes(),
            retry_after_ms: None,
        })
    }

    fn status(code: u16, retry_after_ms: Option<u64>) -> Result<Answer, NoAnswer> {
        Ok(Answer {
            status: code,
            body: b"{}".to_vec(),
            retry_after_ms,
        })
    }

    impl World {
        fn new(answers: Vec<(&'static str, Result<Answer, NoAnswer>)>) -> Self {
            World {
                now: 1_800_000_000_000,
                answers,
                asked: RefCell::new(Vec::new()),
                applied: RefCell::new(Vec::new()),
            }
        }
    }

    impl PassEffects for World {
        fn now_ms(&self) -> u64 {
            self.now
        }

        async fn fetch(&self, request: &PageRequest) -> Result<Answer, NoAnswer> {
            let url = request.path_and_query();
            self.asked.borrow_mut().push(url.clone());
            self.answers
                .iter()
                .find(|(prefix, _)| url.starts_with(prefix))
                .map(|(_, a)| a.clone())
                .unwrap_or(Err(NoAnswer::Network))
        }

        async fn apply(&self, poll: Poll) -> Result<Applied, String> {
            let corrected = poll.state == Observed::State(State::Disconnected);
            self.applied
                .borrow_mut()
                .push((poll.stream.id.clone(), poll.state));
            Ok(if corrected {
                Applied::Corrected
            } else {
                Applied::Confirmed
            })
        }
    }

    fn mux_page(ids: std::ops::Range<u32>) -> String {
        let data: Vec<String> = ids
            .map(|i| format!(r#"{{"id":"mux{i:04}","status":"active"}}"#))
            .collect();
        format!(r#"{{"data":[{}]}}"#, data.join(","))
    }

    #[test]
    fn a_listing_is_read_to_the_end_and_each_stream_reaches_its_object() {
        let w = World::new(vec![
            (
                "/video/v1/live-streams?limit=100&page=1",
                ok(mux_page(0..100)),
            ),
            (
                "/video/v1/live-streams?limit=100&page=2",
                ok(mux_page(100..103)),
            ),
        ]);
        let mut state = ApiState::default();
        let s = block_on(run(Api::Mux, "", &[], &mut state, &w));
        assert_eq!(
            (s.listed, s.checked, s.confirmed, s.errors),
            (103, 103, 103, 0)
        );
        assert_eq!(w.asked.borrow().len(), 2);
        assert_eq!(
            w.applied.borrow()[0],
            ("mux0000".to_owned(), Observed::State(State::Live))
        );
        assert_eq!(state.health.last_ok_ms, Some(w.now));
        assert_eq!(state.budget.taken.len(), 2);
    }

    #[test]
    fn a_listing_longer_than_a_pass_may_hand_over_goes_in_turns_oldest_first() {
        // 1 150 streams: 12 pages (the longer page numbers first, as the stand-in matches
        // prefixes).
        let mut pages = Vec::new();
        for n in (1..=12u32).rev() {
            let from = (n - 1) * 100;
            let to = if n == 12 { 1_150 } else { n * 100 };
            let path: &'static str =
                Box::leak(format!("/video/v1/live-streams?limit=100&page={n}").into_boxed_str());
            pages.push((path, ok(mux_page(from..to))));
        }
        let mut state = ApiState::default();
        let mut handed = Vec::new();
        for minute in 0..3u64 {
            let mut w = World::new(pages.clone());
            w.now += minute * 60_000;
            let s = block_on(run(Api::Mux, "", &[], &mut state, &w));
            assert_eq!((s.listed, s.errors), (1_150, 0));
            assert_eq!(s.checked as usize, MAX_STREAM_CALLS, "minute {minute}");
            handed.push(
                w.applied
                    .borrow()
                    .iter()
                    .map(|(id, _)| id.clone())
                    .collect::<Vec<_>>(),
            );
            let round_done = minute == 2;
            assert_eq!(
                state.health.round_ms.is_some(),
                round_done,
                "minute {minute}"
            );
        }
        // First the listing's order, then the 150 never handed over, then the oldest.
        assert_eq!(handed[0][0], "mux0000");
        assert_eq!(handed[1][0], "mux0500");
        assert_eq!(
            &handed[2][..150],
            &(1_000..1_150)
                .map(|i| format!("mux{i:04}"))
                .collect::<Vec<_>>()[..]
        );
        assert_eq!(handed[2][150], "mux0000");
        let all: BTreeSet<&String> = handed.iter().flatten().collect();
        assert_eq!(all.len(), 1_150, "every stream in one round");
        assert_eq!(state.health.round_ms, Some(120_000));
        assert_eq!(state.checked.len(), 1_150);
        // A listing that fits again keeps no per-stream times.
        let w = World::new(vec![(
            "/video/v1/live-streams?limit=100&page=1",
            ok(mux_page(0..3)),
        )]);
        let s = block_on(run(Api::Mux, "", &[], &mut state, &w));
        assert_eq!(s.checked, 3);
        assert!(state.checked.is_empty() && state.round_started_ms.is_none());
    }

    #[test]
    fn a_failure_anywhere_in_the_listing_changes_no_stream() {
        for (second, failure) in [
            (status(500, None), (Failure::Server, Some(500))),
            (status(401, None), (Failure::Unauthorized, Some(401))),
            (Err(NoAnswer::Timeout), (Failure::Timeout, None)),
            (ok("not json".into()), (Failure::Unreadable, Some(200))),
        ] {
            let w = World::new(vec![
                (
                    "/video/v1/live-streams?limit=100&page=1",
                    ok(mux_page(0..100)),
                ),
                ("/video/v1/live-streams?limit=100&page=2", second),
            ]);
            let mut state = ApiState::default();
            let s = block_on(run(Api::Mux, "", &[], &mut state, &w));
            assert_eq!((s.checked, s.errors), (0, 1));
            assert!(w.applied.borrow().is_empty(), "nothing applied");
            let last = state.health.last_error.unwrap();
            assert_eq!((last.category, last.status), failure);
            assert_eq!(state.health.last_ok_ms, None);
        }
    }

    #[test]
    fn a_429_blocks_the_api_until_its_retry_after() {
        let w = World::new(vec![("/stream", status(429, Some(120_000)))]);
        let mut state = ApiState::default();
        let s = block_on(run(Api::Livepeer, "", &[], &mut state, &w));
        assert_eq!(s.errors, 1);
        let e = state.health.last_error.unwrap();
        assert_eq!((e.category, e.status), (Failure::RateLimited, Some(429)));
        // The next pass, a minute later: no request at all.
        let mut later = World::new(vec![("/stream", ok("[]".into()))]);
        later.now = w.now + 60_000;
        let s = block_on(run(Api::Livepeer, "", &[], &mut state, &later));
        assert_eq!((s.errors, later.asked.borrow().len()), (0, 0));
        later.now = w.now + 120_000;
        block_on(run(Api::Livepeer, "", &[], &mut state, &later));
        assert_eq!(later.asked.borrow().len(), 1, "after Retry-After");
    }

    const ARN_LIVE: &str = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
    const ARN_GONE: &str = "arn:aws:ivs:us-west-2:123456789012:channel/ZyXwvu9T8srq";

    #[test]
    fn ivs_disconnects_a_channel_on_air_that_no_page_lists_only_after_the_last_page() {
        let page = format!(r#"{{"streams":[{{"channelArn":"{ARN_LIVE}","state":"LIVE"}}]}}"#);
        let known = [
            Known {
                id: ARN_LIVE.into(),
                on_air: true,
            },
            Known {
                id: ARN_GONE.into(),
                on_air: true,
            },
        ];
        let w = World::new(vec![("/ListStreams", ok(page))]);
        let mut state = ApiState::default();
        let s = block_on(run(Api::Ivs, "", &known, &mut state, &w));
        assert_eq!((s.listed, s.checked, s.corrected), (1, 2, 1));
        assert!(w
            .applied
            .borrow()
            .contains(&(ARN_GONE.to_owned(), Observed::State(State::Disconnected))));
        let failing = World::new(vec![("/ListStreams", status(503, None))]);
        block_on(run(
            Api::Ivs,
            "",
            &known,
            &mut ApiState::default(),
            &failing,
        ));
        assert!(
            failing.applied.borrow().is_empty(),
            "never after a failed listing"
        );
    }

    fn uid(n: u32) -> String {
        format!("{n:032x}")
    }

    /// A Cloudflare account of `inputs` inputs (`uid(1)`…), each of which answers `state`.
    fn cloudflare_account(
        inputs: u32,
        state: &str,
    ) -> Vec<(&'static str, Result<Answer, NoAnswer>)> {
        let listed: Vec<String> = (1..=inputs)
            .map(|n| format!(r#"{{"uid":"{}","meta":{{"name":"in{n}"}}}}"#, uid(n)))
            .collect();
        let list = format!(
            r#"{{"success":true,"result":{{"liveInputs":[{}]}}}}"#,
            listed.join(",")
        );
        let status = format!(
            r#"{{"success":true,"result":{{"uid":"x","status":{{"current":{{"state":"{state}"}}}}}}}}"#
        );
        vec![
            ("/accounts/acc/stream/live_inputs/", ok(status)),
            ("/accounts/acc/stream/live_inputs", ok(list)),
        ]
    }

    #[test]
    fn cloudflare_asks_inputs_on_air_first_within_the_budget_and_goes_on_next_window() {
        let w = World::new(cloudflare_account(4, "client_disconnect"));
        let known = [Known {
            id: uid(3),
            on_air: true,
        }];
        let mut state = ApiState::default();
        // 597 of the window's 600 requests are spent: the listing and two inputs fit.
        state.budget.taken = vec![w.now; 597];
        let s = block_on(run(Api::Cloudflare, "acc", &known, &mut state, &w));
        assert_eq!((s.listed, s.checked, s.errors), (4, 2, 0));
        let first = &w.applied.borrow()[0];
        assert_eq!(first.0, uid(3), "the input on air first");
        assert_eq!(state.health.round_ms, None, "the round is not over");
        // The next window: the input on air again, then the two never asked.
        let mut next = World::new(w.answers.clone());
        next.now = w.now + 300_000;
        let s = block_on(run(Api::Cloudflare, "acc", &known, &mut state, &next));
        let asked: Vec<String> = next.applied.borrow().iter().map(|a| a.0.clone()).collect();
        assert_eq!(
            asked,
            [uid(3), uid(2), uid(4), uid(1)],
            "on air, then the two never asked, then the longest unchecked"
        );
        assert_eq!(s.checked, 4);
        assert_eq!(
            state.health.round_ms,
            Some(300_000),
            "every input asked within the round"
        );
    }

    #[test]
    fn an_input_on_air_goes_first_again_only_five_minutes_after_it_was_asked() {
        let answers = cloudflare_account(3, "connected");
        let known = [Known {
            id: uid(3),
            on_air: true,
        }];
        let mut state = ApiState::default();
        let first_asked = |minute: u64, state: &mut ApiState, room: usize| {
            let mut w = World::new(answers.clone());
            w.now += minute * 60_000;
            // The window holds all but `room` requests: the listing and `room - 1` inputs.
            state.budget.taken = vec![w.now; 600 - room];
            block_on(run(Api::Cloudflare, "acc", &known, state, &w));
            let asked = w
                .applied
                .borrow()
                .iter()
                .map(|a| a.0.clone())
                .collect::<Vec<_>>();
            asked
        };
        assert_eq!(first_asked(0, &mut state, 4), [uid(3), uid(1), uid(2)]);
        // A minute later it is still on air, but was asked a minute ago: the oldest first.
        assert_eq!(first_asked(1, &mut state, 2), [uid(1)]);
        assert_eq!(first_asked(2, &mut state, 2), [uid(2)]);
        // Five minutes after it was asked, first again.
        assert_eq!(first_asked(5, &mut state, 2), [uid(3)]);
    }
}
