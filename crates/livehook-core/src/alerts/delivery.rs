//! One alert's delivery to one subscriber: a small state machine over [`DeliveryState`].
//!
//! Invariants (each has a test below):
//! - A delivery is `Pending` until a 2xx (`Delivered`), a 410 or another non-retryable 4xx/3xx
//!   (`Dead` at once), or the end of the schedule (`Dead`). Only a pending delivery has a due
//!   time, and only a due one is attempted: the type makes a dead delivery with a due time
//!   impossible.
//! - An attempt leases its delivery until `now + lease`: if the process dies mid-attempt, the
//!   delivery is due again when the lease ends. Nothing accepted is dropped silently.
//! - A delivery keeps one `webhook_id` for all its attempts, manual retries included.
//!
//! Stored (and shown by `GET /alerts/{id}`) in a flat form: `status`,
//! `next_attempt_ms`/`next_attempt_at` (pending only), `dead_reason` (dead only); every stored
//! delivery reads back in it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::schedule::{classify, jittered, Schedule, Verdict};
use crate::ids::{AlertId, MessageId, SubscriberId};
use crate::time::format_rfc3339_ms;

/// How many attempts one alert record keeps per delivery (older ones are dropped, counted).
pub const MAX_ATTEMPTS_KEPT: usize = 50;
/// Longest error text kept for an attempt.
const MAX_ERROR_LEN: usize = 200;

/// Where a delivery stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryState {
    /// The next attempt is due at `due_ms`; while an attempt is in flight, `due_ms` is the end
    /// of its lease.
    Pending {
        due_ms: u64,
    },
    Delivered,
    /// No more attempts unless someone retries it by hand.
    Dead {
        reason: String,
    },
}

/// The name of a [`DeliveryState`], for summaries, filters and the stored form.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub subscriber_id: SubscriberId,
    /// Standard Webhooks `webhook-id`: the same for every attempt.
    pub webhook_id: MessageId,
    pub state: DeliveryState,
    /// Attempts made in the current round (a manual retry starts a new round).
    pub round_attempts: usize,
    pub attempts: Vec<Attempt>,
    /// Attempts dropped from `attempts` to bound the record's size.
    pub attempts_dropped: usize,
}

/// A stored message with one delivery per subscriber: an alert record or an incident notice.
/// What the hub indexes (pending, dead, due) is read through this.
pub trait Deliveries {
    fn deliveries(&self) -> &[Delivery];
    fn deliveries_mut(&mut self) -> &mut Vec<Delivery>;

    /// A delivery is still to be made.
    fn pending(&self) -> bool {
        self.deliveries()
            .iter()
            .any(|d| d.status() == DeliveryStatus::Pending)
    }

    /// A delivery is dead (a dead letter).
    fn dead(&self) -> bool {
        self.deliveries()
            .iter()
            .any(|d| d.status() == DeliveryStatus::Dead)
    }

    /// The earliest time a pending delivery is due.
    fn next_due_ms(&self) -> Option<u64> {
        self.deliveries().iter().filter_map(Delivery::due_ms).min()
    }

    fn delivery_mut(&mut self, subscriber_id: &SubscriberId) -> Option<&mut Delivery> {
        self.deliveries_mut()
            .iter_mut()
            .find(|d| d.subscriber_id == *subscriber_id)
    }
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
    pub fn new(alert_id: &AlertId, subscriber_id: &SubscriberId, now_ms: u64) -> Self {
        Self::of(alert_id.as_str(), subscriber_id, now_ms)
    }

    /// A delivery of the message `message` (an alert id, or a notice's storage key), due at
    /// `now_ms`; its `webhook_id` is derived from both ids.
    pub fn of(message: &str, subscriber_id: &SubscriberId, now_ms: u64) -> Self {
        let digest = Sha256::digest(format!("{message}:{subscriber_id}").as_bytes());
        Delivery {
            subscriber_id: subscriber_id.clone(),
            webhook_id: MessageId::from_bytes(&digest[..12]),
            state: DeliveryState::Pending { due_ms: now_ms },
            round_attempts: 0,
            attempts: Vec::new(),
            attempts_dropped: 0,
        }
    }

    pub fn status(&self) -> DeliveryStatus {
        match self.state {
            DeliveryState::Pending { .. } => DeliveryStatus::Pending,
            DeliveryState::Delivered => DeliveryStatus::Delivered,
            DeliveryState::Dead { .. } => DeliveryStatus::Dead,
        }
    }

    /// When the next attempt is due (pending deliveries only).
    pub fn due_ms(&self) -> Option<u64> {
        match self.state {
            DeliveryState::Pending { due_ms } => Some(due_ms),
            _ => None,
        }
    }

    /// Why it died (dead deliveries only).
    pub fn dead_reason(&self) -> Option<&str> {
        match &self.state {
            DeliveryState::Dead { reason } => Some(reason),
            _ => None,
        }
    }

    pub fn due(&self, now_ms: u64) -> bool {
        self.due_ms().is_some_and(|t| t <= now_ms)
    }

    /// An attempt starts: lease the delivery until `now + lease_ms`.
    pub fn lease(&mut self, now_ms: u64, lease_ms: u64) {
        if let DeliveryState::Pending { due_ms } = &mut self.state {
            *due_ms = now_ms.saturating_add(lease_ms);
        }
    }

    fn die(&mut self, reason: String) {
        self.state = DeliveryState::Dead { reason };
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
            at: format_rfc3339_ms(r.started_ms),
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
        match classify(r.status) {
            Verdict::Delivered => {
                self.state = DeliveryState::Delivered;
                Finished::Delivered
            }
            Verdict::Gone => {
                self.die("410 Gone: subscriber disabled".into());
                Finished::Gone
            }
            Verdict::Rejected => {
                let status = r.status.unwrap_or_default();
                self.die(format!("HTTP {status} is not retried"));
                Finished::Dead
            }
            Verdict::Retry => match schedule.delay_before(self.round_attempts + 1) {
                None => {
                    let n = self.round_attempts;
                    self.die(format!("retry schedule exhausted after {n} attempts"));
                    Finished::Dead
                }
                Some(delay) => {
                    let wait = jittered(delay, self.webhook_id.as_str(), self.attempts_total())
                        .max(r.retry_after_ms.unwrap_or(0));
                    let next = now.saturating_add(wait);
                    self.state = DeliveryState::Pending { due_ms: next };
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
        self.die(reason.to_owned());
    }

    /// `POST /alerts/{id}/retry`: a dead delivery starts a new round now. False if not dead.
    pub fn requeue(&mut self, now_ms: u64) -> bool {
        if !matches!(self.state, DeliveryState::Dead { .. }) {
            return false;
        }
        self.state = DeliveryState::Pending { due_ms: now_ms };
        self.round_attempts = 0;
        true
    }
}

/// The stored form: its field names and order are the stored format, fixed.
#[derive(Serialize)]
struct WireOut<'a> {
    subscriber_id: &'a SubscriberId,
    webhook_id: &'a MessageId,
    status: DeliveryStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<String>,
    round_attempts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    dead_reason: Option<&'a str>,
    attempts: &'a [Attempt],
    #[serde(skip_serializing_if = "is_zero")]
    attempts_dropped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Deserialize)]
struct WireIn {
    subscriber_id: SubscriberId,
    webhook_id: MessageId,
    status: DeliveryStatus,
    #[serde(default)]
    next_attempt_ms: Option<u64>,
    #[serde(default)]
    round_attempts: usize,
    #[serde(default)]
    dead_reason: Option<String>,
    #[serde(default)]
    attempts: Vec<Attempt>,
    #[serde(default)]
    attempts_dropped: usize,
}

impl Serialize for Delivery {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let due = self.due_ms();
        WireOut {
            subscriber_id: &self.subscriber_id,
            webhook_id: &self.webhook_id,
            status: self.status(),
            next_attempt_ms: due,
            next_attempt_at: due.map(format_rfc3339_ms),
            round_attempts: self.round_attempts,
            dead_reason: self.dead_reason(),
            attempts: &self.attempts,
            attempts_dropped: self.attempts_dropped,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Delivery {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireIn::deserialize(d)?;
        let state = match w.status {
            // A pending delivery without a time (never written) is due at once.
            DeliveryStatus::Pending => DeliveryState::Pending {
                due_ms: w.next_attempt_ms.unwrap_or(0),
            },
            DeliveryStatus::Delivered => DeliveryState::Delivered,
            DeliveryStatus::Dead => DeliveryState::Dead {
                reason: w.dead_reason.unwrap_or_default(),
            },
        };
        Ok(Delivery {
            subscriber_id: w.subscriber_id,
            webhook_id: w.webhook_id,
            state,
            round_attempts: w.round_attempts,
            attempts: w.attempts,
            attempts_dropped: w.attempts_dropped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alr(s: &str) -> AlertId {
        AlertId::parse(s).unwrap()
    }

    fn sub(s: &str) -> SubscriberId {
        SubscriberId::parse(s).unwrap()
    }

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
    fn a_delivery_follows_the_schedule_then_dies() {
        let schedule = Schedule::parse("0,1s,10s").unwrap();
        let mut d = Delivery::new(&alr("alr_1"), &sub("sub_1"), 0);
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
        assert_eq!(d.status(), DeliveryStatus::Dead);
        assert_eq!(d.attempts.len(), 3);
        assert_eq!(d.due_ms(), None);
        assert!(d.dead_reason().unwrap().contains("exhausted"));
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
        let mut d = Delivery::new(&alr("alr_a"), &sub("sub_s"), 0);
        let r = AttemptResult {
            retry_after_ms: Some(60_000),
            ..result(Some(429), 0)
        };
        assert_eq!(d.finish(&r, &schedule), Finished::RetryAt(60_010));
        let mut gone = Delivery::new(&alr("alr_a"), &sub("sub_s"), 0);
        assert_eq!(
            gone.finish(&result(Some(410), 0), &schedule),
            Finished::Gone
        );
        assert_eq!(gone.status(), DeliveryStatus::Dead);
        let mut rejected = Delivery::new(&alr("alr_a"), &sub("sub_s"), 0);
        assert_eq!(
            rejected.finish(&result(Some(400), 0), &schedule),
            Finished::Dead
        );
        assert_eq!(rejected.dead_reason(), Some("HTTP 400 is not retried"));
    }

    #[test]
    fn webhook_ids_are_stable_per_alert_and_subscriber() {
        let a = Delivery::new(&alr("alr_1"), &sub("sub_1"), 0);
        assert_eq!(
            a.webhook_id,
            Delivery::new(&alr("alr_1"), &sub("sub_1"), 99).webhook_id
        );
        assert_ne!(
            a.webhook_id,
            Delivery::new(&alr("alr_1"), &sub("sub_2"), 0).webhook_id
        );
        assert!(a.webhook_id.as_str().starts_with("msg_") && a.webhook_id.as_str().len() == 28);
    }

    #[test]
    fn attempts_are_bounded() {
        let schedule = Schedule::parse("0,0").unwrap();
        let mut d = Delivery::new(&alr("alr_a"), &sub("sub_s"), 0);
        for i in 0..(MAX_ATTEMPTS_KEPT as u64 + 5) {
            d.requeue(i);
            d.finish(&result(Some(500), i), &schedule);
        }
        assert_eq!(d.attempts.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(d.attempts_dropped, 5);
    }

    #[test]
    fn the_stored_form_is_frozen_and_reads_back() {
        let schedule = Schedule::parse("0,1s").unwrap();
        let mut d = Delivery::new(&alr("alr_1"), &sub("sub_1"), 1_000);
        let pending = serde_json::to_string(&d).unwrap();
        assert_eq!(
            pending,
            format!(
                r#"{{"subscriber_id":"sub_1","webhook_id":"{}","status":"pending","next_attempt_ms":1000,"next_attempt_at":"1970-01-01T00:00:01Z","round_attempts":0,"attempts":[]}}"#,
                d.webhook_id
            )
        );
        assert_eq!(serde_json::from_str::<Delivery>(&pending).unwrap(), d);
        d.finish(&result(Some(400), 2_000), &schedule);
        let dead = serde_json::to_string(&d).unwrap();
        assert!(
            dead.contains(r#""status":"dead""#) && !dead.contains("next_attempt"),
            "{dead}"
        );
        assert!(
            dead.contains(r#""dead_reason":"HTTP 400 is not retried""#),
            "{dead}"
        );
        assert_eq!(serde_json::from_str::<Delivery>(&dead).unwrap(), d);
        // A dead delivery cannot carry a due time, even if the stored form had one.
        let odd = dead.replace(
            r#""round_attempts""#,
            r#""next_attempt_ms":5,"round_attempts""#,
        );
        let back: Delivery = serde_json::from_str(&odd).unwrap();
        assert_eq!((back.due_ms(), back.due(u64::MAX)), (None, false));
    }
}
