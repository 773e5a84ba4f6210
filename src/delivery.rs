//! Alert delivery bookkeeping, pure: the retry schedule, what one attempt's result means, the
//! per-subscriber delivery state machine, and the incident (de-duplication) window. The
//! `AlertHub` Durable Object stores [`AlertRecord`]s, performs the attempts these functions ask
//! for, and feeds the results back.
//!
//! Invariants (each has a test below):
//! - A delivery is `pending` until a 2xx (`delivered`), a 410 or another non-retryable 4xx/3xx
//!   (`dead` at once), or the end of the schedule (`dead`). Only `pending` deliveries are attempted.
//! - Attempt `n + 1` of a round waits the schedule's `n`-th delay with ±20 % jitter derived from
//!   the delivery's id (so a restart computes the same time), or longer if `Retry-After` says so
//!   (capped at [`MAX_RETRY_AFTER_MS`]).
//! - An attempt leases its delivery until `now + lease`: if the process dies mid-attempt, the
//!   delivery is due again when the lease ends. Nothing accepted is dropped silently.
//! - A delivery keeps one `webhook_id` for all its attempts, manual retries included.
//! - An errored alert for the same input and code within the window of an open incident is a
//!   repeat: counted on the incident's alert, not delivered again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::alerts::Alert;
use crate::subscribers::{hex, Subscriber};
use crate::time::{format_rfc3339, millis_to_nanos};

/// Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts).
pub const DEFAULT_SCHEDULE: &str = "0s,5s,5m,30m,2h,5h,10h,10h";
/// The longest wait a `Retry-After` header can impose.
pub const MAX_RETRY_AFTER_MS: u64 = 10 * 60 * 60 * 1000;
/// How many attempts one alert record keeps per delivery (older ones are dropped, counted).
pub const MAX_ATTEMPTS_KEPT: usize = 50;
/// Longest error text kept for an attempt.
const MAX_ERROR_LEN: usize = 200;

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

    /// Human form for the README and `/healthz`: `0s, 5s, 5m, …`.
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
    let at_ms = crate::time::parse_http_date(value)?.saturating_mul(1000);
    Some(at_ms.saturating_sub(now_ms).min(MAX_RETRY_AFTER_MS))
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Dead,
}

/// One attempt as `GET /alerts/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: String,
    /// HTTP status, or null for a network error or timeout.
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_ms: u64,
}

/// The result of one attempt, as the shell observed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub started_ms: u64,
    pub latency_ms: u64,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The `Retry-After` header, as milliseconds to wait.
    pub retry_after_ms: Option<u64>,
}

/// One alert's delivery to one subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub subscriber_id: String,
    /// Standard Webhooks `webhook-id`: the same for every attempt.
    pub webhook_id: String,
    pub status: DeliveryStatus,
    /// When the next attempt is due (pending), or when an in-flight attempt's lease ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// Attempts made in the current round (a manual retry starts a new round).
    #[serde(default)]
    pub round_attempts: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_reason: Option<String>,
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Attempts dropped from `attempts` to bound the record's size.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts_dropped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn at(ms: u64) -> String {
    format_rfc3339(millis_to_nanos(ms))
}

/// What [`Delivery::finish`] decided, for the shell to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    RetryAt(u64),
    Dead,
    /// Dead, and the subscriber must be disabled (410).
    Gone,
}

impl Delivery {
    pub fn new(alert_id: &str, subscriber_id: &str, now_ms: u64) -> Self {
        let digest = Sha256::digest(format!("{alert_id}:{subscriber_id}").as_bytes());
        Delivery {
            subscriber_id: subscriber_id.to_owned(),
            webhook_id: format!("msg_{}", hex(&digest[..12])),
            status: DeliveryStatus::Pending,
            next_attempt_ms: Some(now_ms),
            next_attempt_at: Some(at(now_ms)),
            round_attempts: 0,
            dead_reason: None,
            attempts: Vec::new(),
            attempts_dropped: 0,
        }
    }

    pub fn due(&self, now_ms: u64) -> bool {
        self.status == DeliveryStatus::Pending && self.next_attempt_ms.is_some_and(|t| t <= now_ms)
    }

    fn set_next(&mut self, ms: Option<u64>) {
        self.next_attempt_ms = ms;
        self.next_attempt_at = ms.map(at);
    }

    /// An attempt starts: lease the delivery until `now + lease_ms`.
    pub fn lease(&mut self, now_ms: u64, lease_ms: u64) {
        self.set_next(Some(now_ms.saturating_add(lease_ms)));
    }

    /// Records an attempt's result and moves the delivery on.
    pub fn finish(&mut self, r: &AttemptResult, schedule: &Schedule) -> Finished {
        let mut error = r.error.clone();
        if let Some(e) = &mut error {
            if e.len() > MAX_ERROR_LEN {
                let mut cut = MAX_ERROR_LEN;
                while !e.is_char_boundary(cut) {
                    cut -= 1;
                }
                e.truncate(cut);
            }
        }
        self.attempts.push(Attempt {
            at: at(r.started_ms),
            status: r.status,
            error,
            latency_ms: r.latency_ms,
        });
        if self.attempts.len() > MAX_ATTEMPTS_KEPT {
            self.attempts.remove(0);
            self.attempts_dropped += 1;
        }
        self.round_attempts += 1;
        let now = r.started_ms.saturating_add(r.latency_ms);
        let dead = |d: &mut Self, reason: String| {
            d.status = DeliveryStatus::Dead;
            d.dead_reason = Some(reason);
            d.set_next(None);
        };
        match classify(r.status) {
            Verdict::Delivered => {
                self.status = DeliveryStatus::Delivered;
                self.dead_reason = None;
                self.set_next(None);
                Finished::Delivered
            }
            Verdict::Gone => {
                dead(self, "410 Gone: subscriber disabled".into());
                Finished::Gone
            }
            Verdict::Rejected => {
                let status = r.status.unwrap_or_default();
                dead(self, format!("HTTP {status} is not retried"));
                Finished::Dead
            }
            Verdict::Retry => match schedule.delay_before(self.round_attempts + 1) {
                None => {
                    let n = self.round_attempts;
                    dead(self, format!("retry schedule exhausted after {n} attempts"));
                    Finished::Dead
                }
                Some(delay) => {
                    let wait = jittered(delay, &self.webhook_id, self.attempts_total())
                        .max(r.retry_after_ms.unwrap_or(0));
                    let next = now.saturating_add(wait);
                    self.set_next(Some(next));
                    Finished::RetryAt(next)
                }
            },
        }
    }

    fn attempts_total(&self) -> usize {
        self.attempts.len() + self.attempts_dropped
    }

    /// The subscriber is gone or disabled: this delivery cannot happen.
    pub fn abandon(&mut self, reason: &str) {
        self.status = DeliveryStatus::Dead;
        self.dead_reason = Some(reason.to_owned());
        self.set_next(None);
    }

    /// `POST /alerts/{id}/retry`: a dead delivery starts a new round now. False if not dead.
    pub fn requeue(&mut self, now_ms: u64) -> bool {
        if self.status != DeliveryStatus::Dead {
            return false;
        }
        self.status = DeliveryStatus::Pending;
        self.dead_reason = None;
        self.round_attempts = 0;
        self.set_next(Some(now_ms));
        true
    }
}

/// An alert as the hub keeps it: the alert, its incident counters and one delivery per
/// subscriber that matched when it was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub alert: Alert,
    /// Identical errors (same input and code) folded into this alert within the window.
    #[serde(default)]
    pub repeat_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_repeat_at: Option<String>,
    /// Alert ids folded in as repeats (the most recent ones), so a re-sent repeat counts once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repeat_ids: Vec<String>,
    /// Repeats folded into the previous alert for this input and code, told in this one.
    #[serde(default)]
    pub previous_repeat_count: u32,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

impl AlertRecord {
    /// A new record with a pending delivery for every enabled subscriber whose filter matches.
    pub fn new(alert: Alert, subscribers: &[Subscriber], previous_repeat_count: u32) -> Self {
        let now = alert.received_at_ms;
        let code = alert.code.as_deref().unwrap_or("");
        let deliveries = subscribers
            .iter()
            .filter(|s| s.enabled())
            .filter(|s| {
                s.filter
                    .matches(alert.provider, &alert.stream_id, alert.state, code)
            })
            .map(|s| Delivery::new(&alert.id, &s.id, now))
            .collect();
        AlertRecord {
            alert,
            repeat_count: 0,
            last_repeat_at: None,
            repeat_ids: Vec::new(),
            previous_repeat_count,
            deliveries,
        }
    }

    pub fn pending(&self) -> bool {
        self.deliveries
            .iter()
            .any(|d| d.status == DeliveryStatus::Pending)
    }

    pub fn dead(&self) -> bool {
        self.deliveries
            .iter()
            .any(|d| d.status == DeliveryStatus::Dead)
    }

    /// The earliest time a pending delivery is due.
    pub fn next_due_ms(&self) -> Option<u64> {
        self.deliveries
            .iter()
            .filter(|d| d.status == DeliveryStatus::Pending)
            .filter_map(|d| d.next_attempt_ms)
            .min()
    }

    /// The alert as notifications and the live feed show it.
    pub fn view(&self) -> crate::notify::AlertView<'_> {
        crate::notify::AlertView {
            alert: &self.alert,
            previous_repeat_count: self.previous_repeat_count,
        }
    }

    pub fn delivery_mut(&mut self, subscriber_id: &str) -> Option<&mut Delivery> {
        self.deliveries
            .iter_mut()
            .find(|d| d.subscriber_id == subscriber_id)
    }

    /// Counts per status, for listings.
    pub fn summary(&self) -> DeliverySummary {
        let mut s = DeliverySummary::default();
        for d in &self.deliveries {
            match d.status {
                DeliveryStatus::Pending => s.pending += 1,
                DeliveryStatus::Delivered => s.delivered += 1,
                DeliveryStatus::Dead => s.dead += 1,
            }
        }
        s
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    pub pending: usize,
    pub delivered: usize,
    pub dead: usize,
}

/// An open incident: the alert that was notified for an input and code, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Storage key of the incident's alert record.
    pub alert_key: String,
    pub opened_ms: u64,
}

impl Incident {
    /// Whether an identical error received at `received_ms` belongs to this incident.
    pub fn covers(&self, received_ms: u64, window_ms: u64) -> bool {
        received_ms.abs_diff(self.opened_ms) < window_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{errored_event_for_tests, State};
    use crate::subscribers::{Filter, Format, Source};

    fn result(status: Option<u16>, started_ms: u64) -> AttemptResult {
        AttemptResult {
            started_ms,
            latency_ms: 10,
            status,
            error: status.is_none().then(|| "timeout".to_owned()),
            retry_after_ms: None,
        }
    }

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

    #[test]
    fn a_delivery_follows_the_schedule_then_dies() {
        let schedule = Schedule::parse("0,1s,10s").unwrap();
        let mut d = Delivery::new("alr_1", "sub_1", 0);
        assert!(d.due(0));
        d.lease(0, 30_000);
        assert!(!d.due(1));
        assert!(
            d.due(30_000),
            "a lost attempt is due again when its lease ends"
        );
        let Finished::RetryAt(t1) = d.finish(&result(Some(503), 0), &schedule) else {
            panic!()
        };
        assert!((10 + 800..=10 + 1200).contains(&t1), "{t1}");
        let Finished::RetryAt(t2) = d.finish(&result(None, t1), &schedule) else {
            panic!()
        };
        assert!((t1 + 10 + 8_000..=t1 + 10 + 12_000).contains(&t2), "{t2}");
        assert_eq!(d.finish(&result(Some(500), t2), &schedule), Finished::Dead);
        assert_eq!(d.status, DeliveryStatus::Dead);
        assert_eq!(d.attempts.len(), 3);
        assert_eq!(d.next_attempt_ms, None);
        assert!(d.dead_reason.as_deref().unwrap().contains("exhausted"));
        // A manual retry: a new round with the same webhook id.
        let id = d.webhook_id.clone();
        assert!(d.requeue(100_000));
        assert!(d.due(100_000));
        assert_eq!(
            d.finish(&result(Some(200), 100_000), &schedule),
            Finished::Delivered
        );
        assert_eq!(d.webhook_id, id);
        assert_eq!(d.attempts.len(), 4);
        assert!(!d.requeue(200_000), "only dead deliveries are re-queued");
    }

    #[test]
    fn retry_after_extends_the_wait_and_410_or_4xx_end_it() {
        let schedule = Schedule::parse("0,1s,1s").unwrap();
        let mut d = Delivery::new("a", "s", 0);
        let r = AttemptResult {
            retry_after_ms: Some(60_000),
            ..result(Some(429), 0)
        };
        assert_eq!(d.finish(&r, &schedule), Finished::RetryAt(60_010));
        let mut gone = Delivery::new("a", "s", 0);
        assert_eq!(
            gone.finish(&result(Some(410), 0), &schedule),
            Finished::Gone
        );
        assert_eq!(gone.status, DeliveryStatus::Dead);
        let mut rejected = Delivery::new("a", "s", 0);
        assert_eq!(
            rejected.finish(&result(Some(400), 0), &schedule),
            Finished::Dead
        );
        assert_eq!(
            rejected.dead_reason.as_deref(),
            Some("HTTP 400 is not retried")
        );
    }

    #[test]
    fn webhook_ids_are_stable_per_alert_and_subscriber() {
        let a = Delivery::new("alr_1", "sub_1", 0);
        assert_eq!(a.webhook_id, Delivery::new("alr_1", "sub_1", 99).webhook_id);
        assert_ne!(a.webhook_id, Delivery::new("alr_1", "sub_2", 0).webhook_id);
        assert!(a.webhook_id.starts_with("msg_") && a.webhook_id.len() == 28);
    }

    #[test]
    fn attempts_are_bounded() {
        let schedule = Schedule::parse("0,0").unwrap();
        let mut d = Delivery::new("a", "s", 0);
        for i in 0..(MAX_ATTEMPTS_KEPT as u64 + 5) {
            d.requeue(i);
            d.finish(&result(Some(500), i), &schedule);
        }
        assert_eq!(d.attempts.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(d.attempts_dropped, 5);
    }

    fn sub(id: &str, filter: Filter) -> Subscriber {
        Subscriber {
            id: id.into(),
            url: "https://example.com".into(),
            format: Format::Webhook,
            filter,
            secret: None,
            source: Source::Api,
            created_at: String::new(),
            disabled: None,
        }
    }

    #[test]
    fn records_deliver_to_matching_enabled_subscribers_only() {
        let alert = Alert::from_event(&errored_event_for_tests("in1", "e1"), 5).unwrap();
        let mut off = sub("off", Filter::default());
        off.disabled = Some(crate::subscribers::Disabled {
            at: String::new(),
            reason: "410".into(),
        });
        let subs = [
            sub("all", Filter::default()),
            sub(
                "other-stream",
                Filter {
                    stream_ids: vec!["in2".into()],
                    ..Filter::default()
                },
            ),
            sub(
                "disconnects-only",
                Filter {
                    states: vec![State::Disconnected],
                    ..Filter::default()
                },
            ),
            off,
        ];
        let rec = AlertRecord::new(alert, &subs, 0);
        let ids: Vec<&str> = rec
            .deliveries
            .iter()
            .map(|d| d.subscriber_id.as_str())
            .collect();
        assert_eq!(ids, vec!["all"]);
        assert_eq!(rec.next_due_ms(), Some(5));
        assert!(rec.pending());
        assert_eq!(
            rec.summary(),
            DeliverySummary {
                pending: 1,
                delivered: 0,
                dead: 0
            }
        );
    }

    #[test]
    fn the_incident_window() {
        let i = Incident {
            alert_key: "k".into(),
            opened_ms: 1_000_000,
        };
        let window = 300_000;
        assert!(i.covers(1_000_000, window));
        assert!(i.covers(1_299_999, window));
        assert!(!i.covers(1_300_000, window));
        // An earlier error delivered late still belongs to the incident it preceded.
        assert!(i.covers(990_000, window));
        assert!(!i.covers(1_000_000, 0), "a zero window disables folding");
    }
}
