//! How much livehook asks each API, and in what order ([`Budget`], [`order_checks`]).
//!
//! - A budget is half the provider's documented rate limit, counted over a sliding window: a
//!   request is made only if the last window's length holds fewer requests than the budget, so
//!   no span of that length ever holds more. A 429's `Retry-After` stops every request to that
//!   API until it has passed.
//! - Per-stream calls (Cloudflare's per-input status) go first to streams livehook has on air (a
//!   lost disconnect is the costly lie), then to those never verified, then to the rest, the
//!   longest unchecked first (a round robin that survives restarts: it is ordered by the last
//!   check, not by a cursor).
//!
//! Invariants (each has a test below): a budget never grants more than its limit in any span of
//! its window's length;
//! a `Retry-After` is honoured even when the window has room; the order is on air, never
//! verified, oldest checked, and stable.

use serde::{Deserialize, Serialize};

use super::settings::Api;

/// Requests per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub requests: u32,
    pub window_ms: u64,
}

/// Half of each API's documented limit. Cloudflare: 1 200 requests per 5 minutes per token.
/// IVS `ListStreams`: 5 per second. Mux, Gcore, Livepeer and FastPix document no figure this
/// project could rely on: 60 a minute (one a second), far below any API's tolerance.
pub fn limit(api: Api) -> Limit {
    match api {
        Api::Cloudflare => Limit {
            requests: 600,
            window_ms: 300_000,
        },
        Api::Ivs => Limit {
            requests: 5,
            window_ms: 2_000,
        },
        Api::Mux | Api::Gcore | Api::Livepeer | Api::Fastpix => Limit {
            requests: 60,
            window_ms: 60_000,
        },
    }
}

/// One API's budget, stored between passes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// When each request of the last window's length was made (ms, oldest first): a sliding
    /// window, so no span of that length ever holds more than the limit.
    #[serde(default)]
    pub taken: Vec<u64>,
    /// No request before this (a 429's `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until_ms: Option<u64>,
}

impl Budget {
    /// The requests still within the window at `now_ms`.
    fn recent(&self, limit: Limit, now_ms: u64) -> impl Iterator<Item = u64> + '_ {
        let window = limit.window_ms;
        self.taken
            .iter()
            .copied()
            .filter(move |t| t.saturating_add(window) > now_ms)
    }

    /// Takes one request at `now_ms` if the budget allows it.
    pub fn take(&mut self, limit: Limit, now_ms: u64) -> bool {
        if self.blocked_until_ms.is_some_and(|t| now_ms < t) {
            return false;
        }
        self.taken = self.recent(limit, now_ms).collect();
        if self.taken.len() >= limit.requests as usize {
            return false;
        }
        self.taken.push(now_ms);
        true
    }

    /// The API answered 429: no request for `retry_after_ms`, or without it until the oldest
    /// request of the window leaves it.
    pub fn rate_limited(&mut self, limit: Limit, now_ms: u64, retry_after_ms: Option<u64>) {
        let oldest = self.recent(limit, now_ms).next().unwrap_or(now_ms);
        let window_end = oldest.saturating_add(limit.window_ms);
        let until = retry_after_ms.map_or(window_end, |ms| now_ms.saturating_add(ms));
        self.blocked_until_ms = Some(until.max(now_ms));
    }

    /// When the next request may be made.
    pub fn next_allowed_ms(&self, limit: Limit, now_ms: u64) -> u64 {
        let recent: Vec<u64> = self.recent(limit, now_ms).collect();
        let room = recent
            .len()
            .checked_sub(limit.requests as usize)
            .and_then(|over| recent.get(over))
            .map_or(now_ms, |t| t.saturating_add(limit.window_ms));
        room.max(self.blocked_until_ms.unwrap_or(0)).max(now_ms)
    }
}

/// A stream an API may be asked about, as livehook knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub on_air: bool,
    /// When an API last confirmed or corrected it.
    pub verified_ms: Option<u64>,
    /// When livehook last asked about it.
    pub checked_ms: Option<u64>,
}

/// The order to ask in: on air first, then never verified, then the longest unchecked; ties
/// by id, so the order is the same on every pass.
pub fn order_checks(candidates: &mut [Candidate]) {
    candidates.sort_by(|a, b| {
        b.on_air
            .cmp(&a.on_air)
            .then_with(|| a.verified_ms.is_some().cmp(&b.verified_ms.is_some()))
            .then_with(|| a.checked_ms.cmp(&b.checked_ms))
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_grants_its_limit_per_window_and_no_more() {
        let limit = limit(Api::Cloudflare);
        let mut b = Budget::default();
        let granted = (0..1000).filter(|_| b.take(limit, 10_000)).count();
        assert_eq!(granted, 600, "half of Cloudflare's 1 200 per 5 minutes");
        assert!(!b.take(limit, 10_000 + 299_999));
        assert!(b.take(limit, 10_000 + 300_000), "the next window");
        assert_eq!(b.taken.len(), 1);
    }

    #[test]
    fn no_span_of_the_window_ever_holds_more_than_the_budget() {
        // Requests asked for every 250 ms for 20 minutes, in bursts and pauses: in any 5-minute
        // span, at most 600 are granted.
        let limit = limit(Api::Cloudflare);
        let mut b = Budget::default();
        let mut granted = Vec::new();
        for step in 0..4_800u64 {
            let now = step * 250;
            let bursts = if (now / 60_000) % 3 == 0 { 40 } else { 1 };
            for _ in 0..bursts {
                if b.take(limit, now) {
                    granted.push(now);
                }
            }
        }
        let most = granted
            .iter()
            .map(|start| {
                granted
                    .iter()
                    .filter(|t| **t >= *start && **t < start + 300_000)
                    .count()
            })
            .max()
            .unwrap();
        assert_eq!(most, 600);
        assert!(granted.len() > 2_000, "the budget is used, not just held");
    }

    #[test]
    fn retry_after_blocks_even_with_room_in_the_window() {
        let limit = limit(Api::Ivs);
        let mut b = Budget::default();
        assert!(b.take(limit, 0));
        b.rate_limited(limit, 100, Some(30_000));
        assert!(
            !b.take(limit, 5_000),
            "the window has room, the API said wait"
        );
        assert_eq!(b.next_allowed_ms(limit, 5_000), 30_100);
        assert!(b.take(limit, 30_100));
        // A 429 without Retry-After waits for the window's end.
        b.rate_limited(limit, 30_200, None);
        assert_eq!(b.blocked_until_ms, Some(32_100));
    }

    #[test]
    fn ivs_is_held_to_half_of_five_a_second() {
        let limit = limit(Api::Ivs);
        let mut b = Budget::default();
        let mut granted = 0;
        for ms in (0..60_000).step_by(10) {
            granted += usize::from(b.take(limit, ms));
        }
        assert_eq!(granted, 150, "2.5 a second over a minute");
    }

    fn c(id: &str, on_air: bool, verified: Option<u64>, checked: Option<u64>) -> Candidate {
        Candidate {
            id: id.into(),
            on_air,
            verified_ms: verified,
            checked_ms: checked,
        }
    }

    #[test]
    fn on_air_first_then_never_verified_then_the_longest_unchecked() {
        let mut all = vec![
            c("quiet-old", false, Some(1), Some(10)),
            c("quiet-new", false, Some(1), Some(50)),
            c("never", false, None, None),
            c("live-b", true, Some(1), Some(40)),
            c("live-a", true, Some(1), Some(40)),
            c("live-never", true, None, None),
        ];
        order_checks(&mut all);
        let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "live-never",
                "live-a",
                "live-b",
                "never",
                "quiet-old",
                "quiet-new"
            ]
        );
    }
}
