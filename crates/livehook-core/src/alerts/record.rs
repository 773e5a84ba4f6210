//! An alert as the hub keeps it ([`AlertRecord`]: the alert, its incident counters, one
//! delivery per subscriber that matched when it was accepted), the views the API and the
//! notifications show of it, and the incident (de-duplication) window.
//!
//! Invariants (each has a test below):
//! - A record delivers to the enabled subscribers whose filter matched when it was accepted:
//!   `webhook` subscribers, and chat subscribers for state changes other than errors (errors
//!   and warnings reach chat and paging formats as incidents, `crate::hub::notices`).
//! - An errored alert for the same input and code within the window of an open incident is a
//!   repeat: counted on the incident's alert, not delivered again.

use serde::{Deserialize, Serialize};

use super::alert::Alert;
use super::delivery::{Deliveries, Delivery, DeliveryStatus};
use super::subscriber::{Format, Subscriber};
use crate::ids::AlertId;
use crate::ingest::event::State;

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
    pub repeat_ids: Vec<AlertId>,
    /// Repeats folded into the previous alert for this input and code, told in this one.
    #[serde(default)]
    pub previous_repeat_count: u32,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}

/// Which formats hear of an alert on its own: `webhook` of every alert it wants; chat formats
/// of the state changes they ask for (errors and warnings reach them as incidents); paging
/// formats of incidents only.
fn told_of_alert(format: Format, alert: &Alert) -> bool {
    format == Format::Webhook
        || (format.is_chat() && !alert.warning && alert.state != State::Errored)
}

impl AlertRecord {
    /// A new record with a pending delivery for every enabled subscriber whose filter matches.
    pub fn new(alert: Alert, subscribers: &[Subscriber], previous_repeat_count: u32) -> Self {
        let now = alert.received_at_ms;
        let deliveries = subscribers
            .iter()
            .filter(|s| s.enabled())
            .filter(|s| told_of_alert(s.format, &alert) && s.filter.matches_alert(&alert))
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

    /// The alert as notifications and the live feed show it.
    pub fn view(&self) -> AlertView<'_> {
        AlertView {
            alert: &self.alert,
            previous_repeat_count: self.previous_repeat_count,
        }
    }

    /// The listing view of this record.
    pub fn summarize(&self) -> AlertSummary {
        AlertSummary {
            alert: self.alert.clone(),
            repeat_count: self.repeat_count,
            previous_repeat_count: self.previous_repeat_count,
            deliveries: self.summary(),
        }
    }

    /// Counts per status, for listings.
    pub fn summary(&self) -> DeliverySummary {
        let mut s = DeliverySummary::default();
        for d in &self.deliveries {
            match d.status() {
                DeliveryStatus::Pending => s.pending += 1,
                DeliveryStatus::Delivered => s.delivered += 1,
                DeliveryStatus::Dead => s.dead += 1,
            }
        }
        s
    }
}

impl Deliveries for AlertRecord {
    fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }
    fn deliveries_mut(&mut self) -> &mut Vec<Delivery> {
        &mut self.deliveries
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliverySummary {
    pub pending: usize,
    pub delivered: usize,
    pub dead: usize,
}

/// A repeat window (`ALERT_DEDUPE_SECONDS`): the alert that was notified for an input and
/// code, and when; identical alerts within it are counted on that one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatWindow {
    /// Storage key of the incident's alert record.
    pub alert_key: String,
    pub opened_ms: u64,
}

impl RepeatWindow {
    /// Whether an identical error received at `received_ms` belongs to this window.
    pub fn covers(&self, received_ms: u64, window_ms: u64) -> bool {
        received_ms.abs_diff(self.opened_ms) < window_ms
    }
}

/// The alert as the `data` of a webhook and the payload of the live feed.
#[derive(Debug, Serialize)]
pub struct AlertView<'a> {
    #[serde(flatten)]
    pub alert: &'a Alert,
    pub previous_repeat_count: u32,
}

/// What `GET /alerts` shows of a record: the alert, its repeat counts and a delivery summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertSummary {
    #[serde(flatten)]
    pub alert: Alert,
    pub repeat_count: u32,
    pub previous_repeat_count: u32,
    pub deliveries: DeliverySummary,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::subscriber::{Disabled, Filter, Format};
    use crate::ingest::event::{errored_event_for_tests, State};

    fn sub(id: &str, filter: Filter) -> Subscriber {
        Subscriber {
            filter,
            created_at: String::new(),
            ..Subscriber::for_tests(id, Format::Webhook, "https://example.com")
        }
    }

    #[test]
    fn records_deliver_to_matching_enabled_subscribers_only() {
        let alert = Alert::from_event(&errored_event_for_tests("in1", "e1"), 5).unwrap();
        let mut off = sub("sub_off", Filter::default());
        off.disabled = Some(Disabled {
            at: String::new(),
            reason: "410".into(),
        });
        let subs = [
            sub("sub_all", Filter::default()),
            sub(
                "sub_other_stream",
                Filter {
                    stream_ids: vec!["in2".into()],
                    ..Filter::default()
                },
            ),
            sub(
                "sub_disconnects_only",
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
        assert_eq!(ids, vec!["sub_all"]);
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
    fn the_repeat_window() {
        let i = RepeatWindow {
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
