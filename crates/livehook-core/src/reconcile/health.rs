//! How each provider's API has been answering ([`ApiHealth`]), for `/healthz`'s
//! `reconcile.{provider}`: when it last answered well, its last failure (a category and the
//! HTTP status, never a URL or a credential), the corrections of the last day, and how long a
//! full round of checks took.
//!
//! Invariants (each has a test below): a failure changes no stream (the caller applies nothing
//! from a failed call; this only records it); corrections are counted in hourly buckets over the
//! last 24 hours.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::time::format_rfc3339_ms;

const HOUR_MS: u64 = 3_600_000;
const DAY_HOURS: u64 = 24;

/// Why a call to an API failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// No answer: the connection failed.
    Network,
    /// No answer in time.
    Timeout,
    /// 401 or 403: the credentials are wrong or lack a permission.
    Unauthorized,
    /// 429: over the API's rate limit.
    RateLimited,
    /// 5xx.
    Server,
    /// Another status the API should not answer to these requests.
    Status,
    /// An answer that could not be read.
    Unreadable,
}

impl Failure {
    /// The category of an HTTP answer that is not a success (`None` for a 2xx).
    pub fn of_status(status: u16) -> Option<Self> {
        match status {
            200..=299 => None,
            401 | 403 => Some(Failure::Unauthorized),
            429 => Some(Failure::RateLimited),
            500..=599 => Some(Failure::Server),
            _ => Some(Failure::Status),
        }
    }
}

/// The last failure, as `/healthz` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    pub category: Failure,
    pub status: Option<u16>,
    pub at_ms: u64,
}

/// One API's record of its answers, kept between passes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiHealth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ok_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    /// Corrections per hour: `(hour since the epoch, count)`, the last 24 hours.
    #[serde(default)]
    pub corrections: Vec<(u64, u32)>,
    /// How long the last full round of checks took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_ms: Option<u64>,
}

impl ApiHealth {
    pub fn answered(&mut self, now_ms: u64) {
        self.last_ok_ms = Some(now_ms);
    }

    pub fn failed(&mut self, category: Failure, status: Option<u16>, now_ms: u64) {
        self.last_error = Some(LastError {
            category,
            status,
            at_ms: now_ms,
        });
    }

    /// `n` streams corrected (or added) at `now_ms`.
    pub fn corrected(&mut self, n: u32, now_ms: u64) {
        if n == 0 {
            return;
        }
        let hour = now_ms / HOUR_MS;
        self.corrections
            .retain(|(h, _)| hour.saturating_sub(*h) < DAY_HOURS);
        match self.corrections.iter_mut().find(|(h, _)| *h == hour) {
            Some((_, count)) => *count = count.saturating_add(n),
            None => self.corrections.push((hour, n)),
        }
    }

    pub fn corrected_last_day(&self, now_ms: u64) -> u32 {
        let hour = now_ms / HOUR_MS;
        self.corrections
            .iter()
            .filter(|(h, _)| hour.saturating_sub(*h) < DAY_HOURS)
            .map(|(_, n)| *n)
            .sum()
    }

    /// `/healthz`'s `reconcile.{provider}` for a polled API.
    pub fn view(&self, now_ms: u64) -> Value {
        json!({
            "configured": true,
            "last_ok_at": self.last_ok_ms.map(format_rfc3339_ms),
            "last_error": self.last_error.map(|e| json!({
                "category": e.category,
                "status": e.status,
                "at": format_rfc3339_ms(e.at_ms),
            })),
            "corrected_last_day": self.corrected_last_day(now_ms),
            "round_seconds": self.round_ms.map(|ms| ms / 1000),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_into_categories() {
        assert_eq!(Failure::of_status(200), None);
        assert_eq!(Failure::of_status(401), Some(Failure::Unauthorized));
        assert_eq!(Failure::of_status(403), Some(Failure::Unauthorized));
        assert_eq!(Failure::of_status(429), Some(Failure::RateLimited));
        assert_eq!(Failure::of_status(503), Some(Failure::Server));
        assert_eq!(Failure::of_status(404), Some(Failure::Status));
    }

    #[test]
    fn corrections_count_over_the_last_day_only() {
        let mut h = ApiHealth::default();
        h.corrected(3, 0);
        h.corrected(2, HOUR_MS * 5);
        h.corrected(0, HOUR_MS * 6);
        assert_eq!(h.corrected_last_day(HOUR_MS * 23), 5);
        assert_eq!(
            h.corrected_last_day(HOUR_MS * 24),
            2,
            "the first hour is a day old"
        );
        h.corrected(1, HOUR_MS * 40);
        assert_eq!(h.corrections, vec![(40, 1)], "old buckets go");
    }

    #[test]
    fn the_view_names_a_category_and_a_status_and_nothing_else() {
        let mut h = ApiHealth::default();
        h.answered(1_000);
        h.failed(Failure::Unauthorized, Some(401), 61_000);
        h.round_ms = Some(93_500);
        let v = h.view(61_000);
        assert_eq!(v["configured"], true);
        assert_eq!(v["last_ok_at"], "1970-01-01T00:00:01Z");
        assert_eq!(v["last_error"]["category"], "unauthorized");
        assert_eq!(v["last_error"]["status"], 401);
        assert_eq!(v["round_seconds"], 93);
        assert_eq!(v.as_object().unwrap().len(), 5);
        assert_eq!(v["last_error"].as_object().unwrap().len(), 3);
    }
}
