//! When to try again: the retry schedule, its jitter, `Retry-After`, and what one attempt's
//! HTTP answer means. Pure and stateless; [`super::delivery`] applies it to a delivery.
//!
//! Invariants (each has a test below):
//! - Attempt `n + 1` of a round waits the schedule's `n`-th delay with ±20 % jitter derived from
//!   the delivery's id (so a restart computes the same time), or longer if `Retry-After` says so
//!   (capped at [`MAX_RETRY_AFTER_MS`]).
//! - 2xx delivers; a network error, timeout, 408, 429 or 5xx is retried; 410 disables the
//!   subscriber; any other answer is final (PagerDuty's 400 for an event it refuses included).
//! - A 429 without `Retry-After` may say how long to wait in its body, as Telegram's do
//!   (`parameters.retry_after`, seconds): read from at most [`MAX_RATE_LIMIT_BODY`] bytes.

use sha2::{Digest, Sha256};

use crate::time::parse_http_date;

/// Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts).
pub const DEFAULT_SCHEDULE: &str = "0s,5s,5m,30m,2h,5h,10h,10h";
/// The longest wait a `Retry-After` header can impose.
pub const MAX_RETRY_AFTER_MS: u64 = 10 * 60 * 60 * 1000;

/// Parses `250ms`, `5s`, `5m`, `2h` or a bare number of seconds into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// The delays before each attempt of a round; `delays_ms.len()` attempts in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    delays_ms: Vec<u64>,
}

impl Default for Schedule {
    fn default() -> Self {
        Self::parse(DEFAULT_SCHEDULE).unwrap_or(Schedule { delays_ms: vec![0] })
    }
}

impl Schedule {
    /// A comma-separated list of durations (the first is usually `0`); at most 20 attempts.
    pub fn parse(s: &str) -> Option<Self> {
        let delays_ms = s
            .split(',')
            .map(parse_duration_ms)
            .collect::<Option<Vec<u64>>>()?;
        (1..=20)
            .contains(&delays_ms.len())
            .then_some(Schedule { delays_ms })
    }

    pub fn attempts(&self) -> usize {
        self.delays_ms.len()
    }

    /// The wait before attempt `n` (1-based) of a round; `None` past the end of the schedule.
    pub fn delay_before(&self, n: usize) -> Option<u64> {
        self.delays_ms.get(n.checked_sub(1)?).copied()
    }

    /// Human form for the docs and `/healthz`: `0s, 5s, 5m, …`.
    pub fn describe(&self) -> String {
        let one = |ms: u64| match ms {
            0 => "0s".to_owned(),
            ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
            ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
            ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
            ms => format!("{ms}ms"),
        };
        self.delays_ms
            .iter()
            .map(|&d| one(d))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `delay` scaled by a factor in [0.8, 1.2] that depends only on `seed` and `attempt`.
pub fn jittered(delay_ms: u64, seed: &str, attempt: usize) -> u64 {
    let digest = Sha256::digest(format!("{seed}:{attempt}").as_bytes());
    let pct = 80 + u64::from(u16::from_be_bytes([digest[0], digest[1]]) % 41);
    delay_ms.saturating_mul(pct) / 100
}

/// `Retry-After` as milliseconds from `now_ms`: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs.saturating_mul(1000).min(MAX_RETRY_AFTER_MS));
    }
    let at_ms = parse_http_date(value)?.saturating_mul(1000);
    Some(at_ms.saturating_sub(now_ms).min(MAX_RETRY_AFTER_MS))
}

/// The most of a 429's body read for its `retry_after` (Telegram's is about 100 bytes).
pub const MAX_RATE_LIMIT_BODY: usize = 4096;

/// Telegram's 429 body, `{"ok":false,"error_code":429,"description":"…",
/// "parameters":{"retry_after":35}}`: how long to wait, in milliseconds (capped like
/// `Retry-After`). `None` for any other body, or one longer than [`MAX_RATE_LIMIT_BODY`].
pub fn retry_after_from_body(body: &[u8]) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct RateLimited {
        parameters: Parameters,
    }
    #[derive(serde::Deserialize)]
    struct Parameters {
        retry_after: serde_json::Number,
    }
    if body.len() > MAX_RATE_LIMIT_BODY {
        return None;
    }
    let answer: RateLimited = serde_json::from_slice(body).ok()?;
    let n = answer.parameters.retry_after;
    let ms = match n.as_u64() {
        Some(secs) => secs.saturating_mul(1000),
        // A fraction of a second, rounded up; negative or not finite: not an answer.
        None => n
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| (s * 1000.0).ceil().min(MAX_RETRY_AFTER_MS as f64) as u64)?,
    };
    Some(ms.min(MAX_RETRY_AFTER_MS))
}

/// What one attempt's result means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Network error, timeout, 408, 429 or 5xx: try again later.
    Retry,
    /// 410 Gone: the subscriber is disabled.
    Gone,
    /// Any other answer (3xx, 4xx): retrying will not help.
    Rejected,
}

pub fn classify(status: Option<u16>) -> Verdict {
    match status {
        None => Verdict::Retry,
        Some(200..=299) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        Some(408 | 429 | 500..=599) => Verdict::Retry,
        Some(_) => Verdict::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_the_default_schedule() {
        assert_eq!(parse_duration_ms("250ms"), Some(250));
        assert_eq!(parse_duration_ms("5s"), Some(5000));
        assert_eq!(parse_duration_ms("7"), Some(7000));
        assert_eq!(parse_duration_ms("5m"), Some(300_000));
        assert_eq!(parse_duration_ms("2h"), Some(7_200_000));
        for bad in ["", "s", "5d", "-1s", "1.5s"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
        let s = Schedule::default();
        assert_eq!(s.attempts(), 8);
        assert_eq!(s.describe(), "0s, 5s, 5m, 30m, 2h, 5h, 10h, 10h");
        assert_eq!(s.delay_before(1), Some(0));
        assert_eq!(s.delay_before(2), Some(5000));
        assert_eq!(s.delay_before(8), Some(36_000_000));
        assert_eq!(s.delay_before(9), None);
        assert_eq!(s.delay_before(0), None);
        assert_eq!(Schedule::parse("0,1s,x"), None);
        assert_eq!(Schedule::parse(&vec!["1s"; 21].join(",")), None);
    }

    #[test]
    fn jitter_stays_within_twenty_percent_and_is_repeatable() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let j = jittered(10_000, &format!("msg_{i}"), 1);
            assert!((8_000..=12_000).contains(&j), "{j}");
            assert_eq!(j, jittered(10_000, &format!("msg_{i}"), 1));
            seen.insert(j);
        }
        assert!(seen.len() > 20, "jitter should spread: {}", seen.len());
        assert_eq!(jittered(0, "x", 1), 0);
        // A fixed vector: the schedule is reproducible across restarts and releases.
        // (checked with Python: 80 + be16(sha256("msg_fixed:1")[..2]) % 41 = 92 %.)
        assert_eq!(jittered(5_000, "msg_fixed", 1), 4_600);
    }

    #[test]
    fn verdicts_by_status() {
        assert_eq!(classify(Some(200)), Verdict::Delivered);
        assert_eq!(classify(Some(204)), Verdict::Delivered);
        for s in [None, Some(408), Some(429), Some(500), Some(503)] {
            assert_eq!(classify(s), Verdict::Retry, "{s:?}");
        }
        assert_eq!(classify(Some(410)), Verdict::Gone);
        for s in [301, 400, 401, 404, 413] {
            assert_eq!(classify(Some(s)), Verdict::Rejected, "{s}");
        }
    }

    #[test]
    fn pagerduty_answers_400_is_final_and_429_or_5xx_is_retried() {
        // Events API v2: 202 accepted; 400 an event it will never accept (invalid routing key
        // or body); 429 throttled; 5xx its own trouble.
        assert_eq!(classify(Some(202)), Verdict::Delivered);
        assert_eq!(classify(Some(400)), Verdict::Rejected);
        for s in [429, 500, 502, 503] {
            assert_eq!(classify(Some(s)), Verdict::Retry, "{s}");
        }
    }

    #[test]
    fn telegrams_retry_after_is_read_from_its_429_body() {
        let telegram = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#;
        assert_eq!(retry_after_from_body(telegram), Some(35_000));
        assert_eq!(
            retry_after_from_body(br#"{"parameters":{"retry_after":0.25}}"#),
            Some(250)
        );
        assert_eq!(
            retry_after_from_body(br#"{"parameters":{"retry_after":99999999}}"#),
            Some(MAX_RETRY_AFTER_MS)
        );
        for other in [
            &b""[..],
            b"Too Many Requests",
            br#"{"ok":false,"error_code":429}"#,
            br#"{"parameters":{"retry_after":"35"}}"#,
            br#"{"parameters":{"retry_after":-1}}"#,
        ] {
            assert_eq!(retry_after_from_body(other), None, "{other:?}");
        }
        let padded = format!(
            r#"{{"parameters":{{"retry_after":35}},"pad":"{}"}}"#,
            "x".repeat(MAX_RATE_LIMIT_BODY)
        );
        assert_eq!(retry_after_from_body(padded.as_bytes()), None);
    }

    #[test]
    fn retry_after_as_seconds_or_date_and_capped() {
        assert_eq!(parse_retry_after("120", 0), Some(120_000));
        assert_eq!(parse_retry_after("99999999", 0), Some(MAX_RETRY_AFTER_MS));
        // Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 s.
        let now = 1_445_412_470_000;
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(10_000)
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now + 60_000),
            Some(0)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }
}
