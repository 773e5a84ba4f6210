//! The per-stream state machine: ordering, de-duplication, KV write coalescing and the alert
//! outbox. The stream object's logic ([`crate::stream`]) loads a [`StreamLedger`], calls these
//! functions with `now`, persists the result and performs the I/O they ask for. It sits above
//! `alerts` because the outbox holds [`Alert`]s.
//!
//! Invariants (each has a test below):
//! - The newest provider event wins: an event older than the current one never overwrites it.
//!   Equal times are broken by [`crate::ingest::event::State::tie_rank`], then by event id, so the final
//!   state does not depend on delivery order. An event that keeps the state (a recording or
//!   health change) is ordered field by field (recording, warning, latest recording) against
//!   the newest event that set that field: it never rolls back a newer state, and a late state
//!   event is not lost behind it.
//! - Events without a provider time (Gcore) are ordered by arrival here.
//! - A redelivered event changes nothing: provider-timed events are de-duplicated against the
//!   last [`SEEN_CAPACITY`] event ids; receipt-timed ones against the last event applied.
//! - KV is written at most once per [`KV_MIN_WRITE_INTERVAL_MS`] per stream (Workers KV allows one
//!   write per second per key): a burst leaves the newest record dirty and an alarm writes it.
//! - An errored event that is not a duplicate queues an alert in the outbox, in the same storage
//!   write as the status, even when it is too old to change the status: the failure happened.
//!   The outbox is emptied only when the alert hub confirms it stored the alert.
//! - An applied event (never a stale or duplicate one) moves the stream's incidents
//!   ([`crate::incidents::track`]); their changes wait in the same write until the hub confirms.
//! - A media server's heartbeats ([`StreamLedger::heartbeat`]) keep a stream on air watched; a
//!   state event ends the watch, and a watch that falls due on air yields the stop to apply
//!   ([`StreamLedger::heartbeat_lost`]).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::alerts::alert::Alert;
use crate::ids::AlertId;
use crate::incidents::track::{self, on_air, IncidentTimers, IncidentTrack};
use crate::ingest::event::{Event, State, StatusRecord, TimeSource, Wins};
use crate::time::{format_rfc3339_ms, millis_to_nanos, nanos_to_millis, parse_rfc3339, Nanos};

/// Workers KV: at most one write per second to the same key.
pub const KV_MIN_WRITE_INTERVAL_MS: u64 = 1000;

/// How old a record's `verified_at` may grow before a confirmation writes it again: a stream
/// the API confirms every minute costs one KV write per 10 minutes, not one a minute.
pub const VERIFIED_REFRESH_MS: u64 = 600_000;
/// How many recent provider event ids a stream remembers for de-duplication.
pub const SEEN_CAPACITY: usize = 64;
/// Most alerts a stream holds while the alert hub cannot take them. Beyond it, events that
/// would queue another are deferred (a 503 the provider retries), never accepted and dropped.
pub const MAX_OUTBOX: usize = 100;
/// Retry backoff for KV writes and alert hand-offs: 1 s doubling to 60 s.
pub const RETRY_BASE_MS: u64 = 1000;
pub const RETRY_MAX_MS: u64 = 60_000;

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It is now the stream's status.
    Applied,
    /// Seen before: nothing changed.
    Duplicate,
    /// Older than the current status: the status did not change (an alert may still be queued).
    Stale,
    /// Not applied: it would queue an alert and the outbox is full (the hub is unreachable).
    Deferred,
}

impl Outcome {
    /// The same name serde gives it (used in the log line).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Deferred => "deferred",
        }
    }
}

/// The order of two events for one stream: provider time, then lifecycle stage, then id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OrderKey {
    pub occurred_at: Nanos,
    pub tie_rank: u8,
    pub event_id: String,
}

impl OrderKey {
    fn of(event: &Event) -> Self {
        OrderKey {
            occurred_at: event.occurred_at,
            tie_rank: event.state.tie_rank(),
            event_id: event.event_id.clone(),
        }
    }
}

/// Everything a stream's Durable Object stores (as one JSON value, written atomically).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamLedger {
    pub record: Option<StatusRecord>,
    /// The newest event that set the state.
    pub order: Option<OrderKey>,
    /// The newest event that set each other field, and the newest to set anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_order: Option<OrderKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning_order: Option<OrderKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_link_order: Option<OrderKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_order: Option<OrderKey>,
    /// Recent provider event ids, oldest first.
    #[serde(default)]
    pub seen: VecDeque<String>,
    /// Bumped on every applied event.
    #[serde(default)]
    pub version: u64,
    /// The `version` last confirmed written to KV.
    #[serde(default)]
    pub kv_version: u64,
    /// When the last KV write started (ms): the next may start 1 s later.
    #[serde(default)]
    pub kv_slot_ms: Option<u64>,
    #[serde(default)]
    pub kv_failures: u32,
    /// Alerts accepted but not yet confirmed stored by the alert hub.
    #[serde(default)]
    pub outbox: Vec<Alert>,
    #[serde(default)]
    pub outbox_failures: u32,
    #[serde(default)]
    pub outbox_retry_ms: Option<u64>,
    /// The stream's open incident, its timers, and changes the hub has not confirmed.
    #[serde(default, skip_serializing_if = "IncidentTrack::is_empty")]
    pub incidents: IncidentTrack,
    /// When a provider's API last confirmed or corrected the record (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_ms: Option<u64>,
    /// The publishing client of the start in force, where the server names one
    /// ([`Event::publisher`]): a stop from another client is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// The publishing client of the stop in force, where the server named one: a heartbeat
    /// from another client puts the stream back on air ([`Self::missed_start`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<String>,
    /// The watch on a media server's heartbeats while the stream is on air.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<HeartbeatWatch>,
}

/// A media server's heartbeats for the session on air (nginx-rtmp's `update_publish`): if none
/// comes by `due_ms`, the alarm marks the stream disconnected ([`StreamLedger::heartbeat_lost`]),
/// with the incident settings of the last heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatWatch {
    pub due_ms: u64,
    pub incidents: IncidentTimers,
}

/// The event type of the stop the alarm applies when heartbeats stop.
pub const HEARTBEATS_STOPPED: &str = "heartbeats_stopped";

/// The result of [`StreamLedger::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `Stale` for a state event older than the state, even when it set a field no newer event
    /// had (its recording flag): the state is what the outcome reports on.
    pub outcome: Outcome,
    /// An alert was queued in the outbox by this event.
    pub alert_queued: bool,
    /// The record changed (the live feed is told).
    pub changed: bool,
}

/// The wait after the `failures`-th consecutive failure (1 s, 2 s, 4 s … capped at 60 s).
fn backoff_ms(failures: u32) -> u64 {
    RETRY_BASE_MS
        .saturating_mul(1u64 << failures.saturating_sub(1).min(16))
        .min(RETRY_MAX_MS)
}

impl StreamLedger {
    /// Applies one event received at `received_at_ms`. `notify` lists the non-error states some
    /// subscriber wants to hear about: reaching one of them queues a notification too.
    pub fn apply(&mut self, event: &Event, received_at_ms: u64, notify: &[State]) -> Applied {
        self.apply_timed(event, received_at_ms, notify, IncidentTimers::default())
    }

    /// [`Self::apply`] with the incident settings in force.
    pub fn apply_timed(
        &mut self,
        event: &Event,
        received_at_ms: u64,
        notify: &[State],
        timers: IncidentTimers,
    ) -> Applied {
        let duplicate = match event.time_source {
            TimeSource::Provider => self.seen.contains(&event.event_id),
            TimeSource::Receipt => self
                .order
                .as_ref()
                .is_some_and(|o| o.event_id == event.event_id),
        };
        if duplicate {
            return Applied {
                outcome: Outcome::Duplicate,
                alert_queued: false,
                changed: false,
            };
        }
        let may_alert = event.state == State::Errored
            || event.raised_warning().is_some()
            || (!event.keeps_state && notify.contains(&event.state));
        if may_alert && self.outbox.len() >= MAX_OUTBOX {
            return Applied {
                outcome: Outcome::Deferred,
                alert_queued: false,
                changed: false,
            };
        }
        if event.time_source == TimeSource::Provider {
            if self.seen.len() >= SEEN_CAPACITY {
                self.seen.pop_front();
            }
            self.seen.push_back(event.event_id.clone());
        }
        // An error or a warning happened, even if newer events already changed the stream.
        let failure_alert = Alert::from_event(event, received_at_ms);
        let failure_alert_id = failure_alert.as_ref().map(|a| a.id.clone());
        let mut alert_queued = match failure_alert {
            Some(alert) if !self.outbox.iter().any(|a| a.id == alert.id) => {
                self.outbox.push(alert);
                true
            }
            _ => false,
        };
        let key = OrderKey::of(event);
        let newer = |current: &Option<OrderKey>| match (current, event.time_source) {
            (None, _) => true,
            // No provider time: arrival order decides.
            (Some(_), TimeSource::Receipt) => true,
            (Some(current), TimeSource::Provider) => key > *current,
        };
        // Each field wins against its own newest event, so the result never depends on the
        // delivery order: an older state event still sets a recording flag newer than the one
        // in force.
        // A stop from another publishing client than the start in force is the old session's.
        let old_session_stop = !on_air(event.state)
            && event
                .publisher
                .as_ref()
                .is_some_and(|p| self.publisher.as_ref().is_some_and(|cur| cur != p));
        let sets_state = !event.keeps_state && newer(&self.order) && !old_session_stop;
        let last = newer(&self.last_order);
        let wins = Wins {
            // Until a state event arrives, the newest event's assumption is the state.
            state: sets_state || (event.keeps_state && self.order.is_none() && last),
            recording: event.recording.is_some() && newer(&self.recording_order),
            // A warning belongs to the state it was raised in: one older than the newest state
            // event is history (still an alert), and that state event ended any older warning.
            warning: event.warning.is_some() && newer(&self.warning_order) && newer(&self.order),
            clears_warning: sets_state && newer(&self.warning_order),
            latest_recording: event.latest_recording.is_some() && newer(&self.recording_link_order),
            last,
        };
        if !wins.any() {
            return Applied {
                outcome: Outcome::Stale,
                alert_queued,
                changed: false,
            };
        }
        let changed = self.record.as_ref().is_none_or(|r| r.state != event.state);
        if sets_state && changed && event.state != State::Errored && notify.contains(&event.state) {
            self.outbox.push(Alert::state_change(event, received_at_ms));
            alert_queued = true;
        }
        let received = millis_to_nanos(received_at_ms);
        let before = self.record.take();
        let after = StatusRecord::after(event, before.as_ref(), received, wins);
        let stale_state = !event.keeps_state && !sets_state;
        if !stale_state {
            self.incidents.on_event(
                track::Applied {
                    stream: &event.stream,
                    name: after.name.as_deref(),
                    event_id: &event.event_id,
                    at_ms: received_at_ms,
                    before: before.as_ref().map(|r| r.state),
                    after: after.state,
                    set_state: sets_state,
                    error: event
                        .error
                        .as_ref()
                        .filter(|_| event.state == State::Errored),
                    warning_raised: event.raised_warning().filter(|_| wins.warning),
                    warning_cleared: before.as_ref().is_some_and(|r| r.warning.is_some())
                        && after.warning.is_none(),
                    alert: failure_alert_id,
                },
                timers,
            );
        }
        if sets_state {
            self.publisher = event.publisher.clone().filter(|_| on_air(event.state));
            self.stopped_by = event.publisher.clone().filter(|_| !on_air(event.state));
            // A new session's heartbeats start the watch again; a stop ends it.
            self.heartbeat = None;
        }
        self.record = Some(after);
        for (won, order) in [
            (sets_state, &mut self.order),
            (wins.recording, &mut self.recording_order),
            (wins.warning, &mut self.warning_order),
            (wins.latest_recording, &mut self.recording_link_order),
            (wins.last, &mut self.last_order),
        ] {
            if won {
                *order = Some(key.clone());
            }
        }
        self.version += 1;
        Applied {
            outcome: if stale_state {
                Outcome::Stale
            } else {
                Outcome::Applied
            },
            alert_queued,
            changed: true,
        }
    }

    /// A provider's API confirmed the state at `at_ms` (or set it: the caller applied its
    /// event first). The record's `verified_at` moves when it has none, when it is
    /// [`VERIFIED_REFRESH_MS`] old, or when the record goes to KV anyway; moving it is a change
    /// like any other (a new version for KV).
    pub fn verified(&mut self, at_ms: u64) {
        let at = self.verified_ms.unwrap_or(0).max(at_ms);
        self.verified_ms = Some(at);
        let dirty = self.kv_dirty();
        let Some(record) = self.record.as_mut() else {
            return;
        };
        let shown_ms = record
            .verified_at
            .as_deref()
            .and_then(parse_rfc3339)
            .map(nanos_to_millis);
        let stale = shown_ms.is_none_or(|s| at >= s.saturating_add(VERIFIED_REFRESH_MS));
        if (stale || dirty) && shown_ms != Some(at) {
            record.verified_at = Some(format_rfc3339_ms(at));
            self.version += 1;
        }
    }

    /// KV holds an older record than this state.
    pub fn kv_dirty(&self) -> bool {
        self.version > self.kv_version && self.record.is_some()
    }

    fn kv_due_ms(&self) -> u64 {
        let slot = self
            .kv_slot_ms
            .map_or(0, |s| s.saturating_add(KV_MIN_WRITE_INTERVAL_MS));
        if self.kv_failures == 0 {
            slot
        } else {
            slot.max(
                self.kv_slot_ms
                    .unwrap_or(0)
                    .saturating_add(backoff_ms(self.kv_failures)),
            )
        }
    }

    /// If a KV write may start now, reserves the 1 s slot and returns what to write.
    pub fn begin_kv_write(&mut self, now_ms: u64) -> Option<(u64, StatusRecord)> {
        if !self.kv_dirty() || now_ms < self.kv_due_ms() {
            return None;
        }
        let record = self.record.clone()?;
        self.kv_slot_ms = Some(now_ms);
        Some((self.version, record))
    }

    /// The KV write of `version` succeeded.
    pub fn kv_written(&mut self, version: u64) {
        self.kv_version = self.kv_version.max(version);
        self.kv_failures = 0;
    }

    /// The KV write failed: retry with backoff.
    pub fn kv_failed(&mut self) {
        self.kv_failures = self.kv_failures.saturating_add(1);
    }

    /// Whether the outbox may be flushed now.
    pub fn outbox_due(&self, now_ms: u64) -> bool {
        self.has_outbox() && self.outbox_retry_ms.is_none_or(|t| now_ms >= t)
    }

    /// Alerts or incident changes wait for the hub.
    fn has_outbox(&self) -> bool {
        !self.outbox.is_empty() || !self.incidents.outbox.is_empty()
    }

    /// The incident timers due at `now_ms` (the alarm): an offline incident opens, a
    /// recovered one resolves.
    pub fn incidents_due(&mut self, now_ms: u64) {
        if let Some(record) = &self.record {
            let (key, name) = (record.key(), record.name.clone());
            self.incidents.on_alarm(&key, name.as_deref(), now_ms);
        }
    }

    /// The hub confirmed it recorded an incident change.
    pub fn incident_handed_off(&mut self, id: &crate::ids::IncidentId, seq: u32) {
        self.incidents.handed_off(id, seq);
        self.outbox_settled();
    }

    /// The hub confirmed it stored this alert.
    pub fn alert_handed_off(&mut self, id: &AlertId) {
        self.outbox.retain(|a| a.id != *id);
        self.outbox_settled();
    }

    fn outbox_settled(&mut self) {
        if !self.has_outbox() {
            self.outbox_failures = 0;
            self.outbox_retry_ms = None;
        }
    }

    /// The hand-off failed: keep the alert, retry with backoff.
    pub fn alert_hand_off_failed(&mut self, now_ms: u64) {
        self.outbox_failures = self.outbox_failures.saturating_add(1);
        self.outbox_retry_ms = Some(now_ms.saturating_add(backoff_ms(self.outbox_failures)));
    }

    /// When the Durable Object's alarm must fire next, if anything is pending.
    pub fn next_alarm_ms(&self, now_ms: u64) -> Option<u64> {
        let kv = self.kv_dirty().then(|| self.kv_due_ms().max(now_ms));
        let outbox = self
            .has_outbox()
            .then(|| self.outbox_retry_ms.unwrap_or(now_ms).max(now_ms));
        let incidents = self.incidents.next_due_ms();
        let heartbeat = self.heartbeat.map(|h| h.due_ms.max(now_ms));
        [kv, outbox, incidents, heartbeat]
            .into_iter()
            .flatten()
            .min()
    }

    /// A media server's heartbeat at `at_ms`: while the stream is on air, the record is verified
    /// ([`Self::verified`]) and watched for the next heartbeat within `stale_after_ms` (0: not
    /// watched). Off air (or never heard of) it changes nothing and returns false: whether the
    /// heartbeat's start is applied first is [`Self::missed_start`]'s to say.
    pub fn heartbeat(
        &mut self,
        at_ms: u64,
        stale_after_ms: u64,
        incidents: IncidentTimers,
    ) -> bool {
        if !self.record.as_ref().is_some_and(|r| on_air(r.state)) {
            return false;
        }
        self.heartbeat = (stale_after_ms > 0).then(|| HeartbeatWatch {
            due_ms: at_ms.saturating_add(stale_after_ms),
            incidents,
        });
        self.verified(at_ms);
        true
    }

    /// A heartbeat from `client` says it publishes: with the stream off air (or never heard
    /// of), that start was missed, unless the stop in force is that client's own (a heartbeat
    /// sent before its stop and delivered after it). Its start was lost, or another client's
    /// stop took the stream off air: nginx-rtmp answers a second publisher's `publish` and only
    /// then refuses it ("Already publishing"), and that client's `publish_done` follows.
    pub fn missed_start(&self, client: Option<&str>) -> bool {
        let on = self.record.as_ref().is_some_and(|r| on_air(r.state));
        !on && client.is_some_and(|c| self.stopped_by.as_deref() != Some(c))
    }

    /// When the watched heartbeats stopped (the watch is due at `now_ms`) and the stream is
    /// still on air: the `disconnected` event to apply, and the incident settings to apply it
    /// with. The watch ends either way.
    pub fn heartbeat_lost(&mut self, now_ms: u64) -> Option<(Event, IncidentTimers)> {
        let watch = self.heartbeat.filter(|h| h.due_ms <= now_ms)?;
        self.heartbeat = None;
        let record = self.record.as_ref().filter(|r| on_air(r.state))?;
        let event = Event::media_server(
            record.key(),
            State::Disconnected,
            HEARTBEATS_STOPPED.to_owned(),
            None,
            millis_to_nanos(now_ms),
        );
        Some((event, watch.incidents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{ErrorInfo, Kind, ProviderId, StreamKey};

    fn ev(id: &str, at: Nanos, state: State) -> Event {
        Event {
            stream: StreamKey::new(ProviderId::new("fastpix"), Kind::LiveInput, "s1").unwrap(),
            parent_id: None,
            state,
            recording: None,
            occurred_at: at,
            time_source: TimeSource::Provider,
            event_type: format!("t.{}", state.as_str()),
            event_id: id.into(),
            error: (state == State::Errored).then(|| ErrorInfo {
                code: "ERR_X".into(),
                message: "m".into(),
                hint: "h".into(),
            }),
            name: None,
            keeps_state: false,
            warning: None,
            latest_recording: None,
            publisher: None,
        }
    }

    /// A media server's hook (by receipt) from publishing client `client`.
    fn hook(id: &str, state: State, client: &str) -> Event {
        Event {
            time_source: TimeSource::Receipt,
            publisher: Some(client.into()),
            ..ev(id, 0, state)
        }
    }

    #[test]
    fn an_old_sessions_late_stop_never_undoes_a_new_publish() {
        let mut s = StreamLedger::default();
        assert_eq!(
            s.apply(&hook("p1", State::Live, "c1"), 1, &[]).outcome,
            Outcome::Applied
        );
        // The encoder reconnects: the new session's start arrives before the old one's stop.
        assert_eq!(
            s.apply(&hook("p2", State::Live, "c2"), 2, &[]).outcome,
            Outcome::Applied
        );
        assert_eq!(s.publisher.as_deref(), Some("c2"));
        let late = s.apply(&hook("u1", State::Disconnected, "c1"), 3, &[]);
        assert_eq!(late.outcome, Outcome::Stale);
        assert_eq!(s.record.as_ref().unwrap().state, State::Live);
        // The new session's own stop applies, and then nothing is in force.
        let own = s.apply(&hook("u2", State::Disconnected, "c2"), 4, &[]);
        assert_eq!(own.outcome, Outcome::Applied);
        assert_eq!(s.record.as_ref().unwrap().state, State::Disconnected);
        assert_eq!(s.publisher, None);
        // With no start in force (or no client named), a stop applies by receipt.
        assert_eq!(
            s.apply(&hook("u3", State::Disconnected, "c9"), 5, &[])
                .outcome,
            Outcome::Applied
        );
        assert_eq!(
            s.apply(&hook("p3", State::Live, "c3"), 6, &[]).outcome,
            Outcome::Applied
        );
        assert_eq!(
            s.apply(&gcore("u4", State::Disconnected), 7, &[]).outcome,
            Outcome::Applied
        );
    }

    fn gcore(id: &str, state: State) -> Event {
        Event {
            time_source: TimeSource::Receipt,
            ..ev(id, 0, state)
        }
    }

    fn state_of(s: &StreamLedger) -> State {
        s.record.as_ref().unwrap().state
    }

    #[test]
    fn older_event_never_overwrites_newer_status() {
        let mut s = StreamLedger::default();
        assert_eq!(
            s.apply(&ev("b", 20, State::Live), 1, &[]).outcome,
            Outcome::Applied
        );
        assert_eq!(
            s.apply(&ev("a", 10, State::Connected), 2, &[]).outcome,
            Outcome::Stale
        );
        assert_eq!(state_of(&s), State::Live);
        assert_eq!(s.version, 1);
    }

    #[test]
    fn redelivered_event_changes_nothing() {
        let mut s = StreamLedger::default();
        s.apply(&ev("a", 10, State::Live), 1, &[]);
        let before = s.clone();
        assert_eq!(
            s.apply(&ev("a", 10, State::Live), 2, &[]).outcome,
            Outcome::Duplicate
        );
        assert_eq!(s, before);
    }

    #[test]
    fn equal_times_resolve_the_same_whatever_the_order() {
        let a = ev("a", 10, State::Connected);
        let b = ev("b", 10, State::Live);
        let mut s1 = StreamLedger::default();
        s1.apply(&a, 1, &[]);
        s1.apply(&b, 2, &[]);
        let mut s2 = StreamLedger::default();
        s2.apply(&b, 1, &[]);
        s2.apply(&a, 2, &[]);
        assert_eq!(state_of(&s1), State::Live);
        assert_eq!(state_of(&s2), State::Live);
    }

    #[test]
    fn every_permutation_of_a_burst_ends_at_the_newest_event() {
        let events = [
            ev("1", 1, State::Created),
            ev("2", 2, State::Connected),
            ev("3", 3, State::Live),
            ev("4", 4, State::Disconnected),
            ev("5", 5, State::Idle),
        ];
        // All 120 orders, each event delivered twice.
        let mut idx = [0usize, 1, 2, 3, 4];
        let mut count = 0;
        permute(&mut idx, 0, &mut |order| {
            let mut s = StreamLedger::default();
            for &i in order.iter().chain(order.iter().rev()) {
                s.apply(&events[i], 0, &[]);
            }
            assert_eq!(state_of(&s), State::Idle, "{order:?}");
            assert_eq!(s.record.as_ref().unwrap().last_event, "t.idle");
            count += 1;
        });
        assert_eq!(count, 120);
    }

    fn permute(a: &mut [usize; 5], k: usize, f: &mut dyn FnMut(&[usize; 5])) {
        if k == a.len() {
            f(a);
            return;
        }
        for i in k..a.len() {
            a.swap(k, i);
            permute(a, k + 1, f);
            a.swap(k, i);
        }
    }

    #[test]
    fn receipt_timed_events_follow_arrival_and_drop_only_an_immediate_repeat() {
        let mut s = StreamLedger::default();
        let steps = [
            ("live", State::Live, Outcome::Applied),
            ("live", State::Live, Outcome::Duplicate),
            ("off", State::Disconnected, Outcome::Applied),
            // Live again after going offline is a real change, not a duplicate.
            ("live", State::Live, Outcome::Applied),
        ];
        for (i, (id, state, want)) in steps.into_iter().enumerate() {
            assert_eq!(
                s.apply(&gcore(id, state), i as u64, &[]).outcome,
                want,
                "step {i}"
            );
        }
        assert_eq!(state_of(&s), State::Live);
    }

    #[test]
    fn the_seen_set_is_bounded() {
        let mut s = StreamLedger::default();
        for i in 0..(SEEN_CAPACITY as i64 + 10) {
            s.apply(&ev(&i.to_string(), i, State::Live), 0, &[]);
        }
        assert_eq!(s.seen.len(), SEEN_CAPACITY);
    }

    #[test]
    fn errored_events_queue_one_alert_even_when_stale() {
        let mut s = StreamLedger::default();
        s.apply(&ev("new", 20, State::Live), 0, &[]);
        let r = s.apply(&ev("old-err", 10, State::Errored), 5, &[]);
        assert_eq!(
            r,
            Applied {
                outcome: Outcome::Stale,
                alert_queued: true,
                changed: false
            }
        );
        assert_eq!(state_of(&s), State::Live);
        assert_eq!(s.outbox.len(), 1);
        // The same errored event again: no second alert.
        let r = s.apply(&ev("old-err", 10, State::Errored), 6, &[]);
        assert_eq!(
            r,
            Applied {
                outcome: Outcome::Duplicate,
                alert_queued: false,
                changed: false
            }
        );
        assert_eq!(s.outbox.len(), 1);
    }

    #[test]
    fn the_outbox_empties_only_on_confirmed_hand_off() {
        let mut s = StreamLedger::default();
        s.apply(&ev("e", 10, State::Errored), 0, &[]);
        s.kv_written(s.version);
        let id = s.outbox[0].id.clone();
        assert!(s.outbox_due(0));
        s.alert_hand_off_failed(1_000);
        assert_eq!(s.outbox.len(), 1);
        assert!(!s.outbox_due(1_500));
        assert!(s.outbox_due(2_000));
        assert_eq!(s.next_alarm_ms(1_500), Some(2_000));
        s.alert_hand_off_failed(2_000);
        assert_eq!(s.outbox_retry_ms, Some(4_000));
        s.alert_handed_off(&id);
        assert!(s.outbox.is_empty());
        // The incident the error opened waits in the same outbox, behind its alert.
        assert_eq!(s.outbox_retry_ms, Some(4_000));
        let change = s.incidents.outbox[0].clone();
        s.incident_handed_off(&change.incident.id, change.seq);
        assert_eq!(s.outbox_retry_ms, None);
    }

    #[test]
    fn a_full_outbox_defers_events_that_would_alert_and_nothing_else() {
        let mut s = StreamLedger::default();
        for i in 0..MAX_OUTBOX as i64 {
            let applied = s.apply(&ev(&format!("e{i}"), i, State::Errored), 0, &[]);
            assert!(applied.alert_queued);
        }
        let before = s.clone();
        let next = ev("over", 1_000, State::Errored);
        let deferred = s.apply(&next, 0, &[]);
        assert_eq!(deferred.outcome, Outcome::Deferred);
        assert_eq!(
            s, before,
            "a deferred event changes nothing, not even the seen set"
        );
        // A wanted state change would alert too: deferred; an unwanted one is applied.
        let live = ev("live", 1_001, State::Live);
        assert_eq!(s.apply(&live, 0, &[State::Live]).outcome, Outcome::Deferred);
        assert_eq!(s.apply(&live, 0, &[]).outcome, Outcome::Applied);
        // Once the hub takes one, the provider's retry of the deferred event is accepted: its
        // alert is queued (its status is stale by now: the live event is newer).
        let first = s.outbox[0].id.clone();
        s.alert_handed_off(&first);
        let retried = s.apply(&next, 0, &[]);
        assert_eq!(
            (retried.outcome, retried.alert_queued),
            (Outcome::Stale, true)
        );
    }

    #[test]
    fn kv_is_written_at_most_once_a_second_and_ends_at_the_newest() {
        let mut s = StreamLedger::default();
        s.apply(&ev("1", 1, State::Connected), 0, &[]);
        let (v1, r1) = s.begin_kv_write(1_000).unwrap();
        assert_eq!(r1.state, State::Connected);
        // A burst inside the same second: no second write, an alarm instead.
        s.apply(&ev("2", 2, State::Live), 0, &[]);
        s.apply(&ev("3", 3, State::Disconnected), 0, &[]);
        assert_eq!(s.begin_kv_write(1_500), None);
        s.kv_written(v1);
        assert!(s.kv_dirty());
        assert_eq!(s.next_alarm_ms(1_500), Some(2_000));
        let (v3, r3) = s.begin_kv_write(2_000).unwrap();
        assert_eq!(r3.state, State::Disconnected);
        s.kv_written(v3);
        assert!(!s.kv_dirty());
        // Nothing for KV: what is left is the offline grace period of a stream that left the
        // air (received at 0, due 60 s later).
        assert_eq!(s.incidents.next_due_ms(), Some(60_000));
        assert_eq!(s.next_alarm_ms(2_000), Some(60_000));
    }

    #[test]
    fn a_late_confirmation_of_an_old_write_keeps_the_newer_record_dirty() {
        let mut s = StreamLedger::default();
        s.apply(&ev("1", 1, State::Connected), 0, &[]);
        let (v1, _) = s.begin_kv_write(0).unwrap();
        s.apply(&ev("2", 2, State::Live), 0, &[]);
        s.kv_written(v1);
        assert!(s.kv_dirty());
    }

    #[test]
    fn failed_kv_writes_back_off() {
        let mut s = StreamLedger::default();
        s.apply(&ev("1", 1, State::Live), 0, &[]);
        s.begin_kv_write(10_000).unwrap();
        s.kv_failed();
        s.kv_failed();
        // Two failures: 2 s after the slot started.
        assert_eq!(s.begin_kv_write(11_000), None);
        assert_eq!(s.next_alarm_ms(11_000), Some(12_000));
        assert!(s.begin_kv_write(12_000).is_some());
    }

    #[test]
    fn outcome_names_match_their_json() {
        for o in [Outcome::Applied, Outcome::Duplicate, Outcome::Stale] {
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.as_str())
            );
        }
    }

    #[test]
    fn nothing_pending_means_no_alarm() {
        assert_eq!(StreamLedger::default().next_alarm_ms(5), None);
    }

    #[test]
    fn stored_state_round_trips_as_json() {
        let mut s = StreamLedger::default();
        s.apply(&ev("e", 10, State::Errored), 0, &[]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<StreamLedger>(&json).unwrap(), s);
    }

    #[test]
    fn wanted_state_changes_queue_a_notification_once() {
        let mut s = StreamLedger::default();
        let notify = [State::Disconnected];
        let r = s.apply(&ev("1", 1, State::Live), 0, &notify);
        assert!(!r.alert_queued, "live is not wanted");
        let r = s.apply(&ev("2", 2, State::Disconnected), 0, &notify);
        assert!(r.alert_queued);
        assert_eq!(s.outbox.len(), 1);
        assert_eq!(s.outbox[0].state, State::Disconnected);
        assert_eq!(s.outbox[0].code, None);
        // Not a change: disconnected again (a different event) does not notify twice.
        let r = s.apply(&ev("3", 3, State::Disconnected), 0, &notify);
        assert!(!r.alert_queued);
        // A stale disconnect is old news.
        s.apply(&ev("4", 10, State::Live), 0, &notify);
        let r = s.apply(&ev("5", 5, State::Disconnected), 0, &notify);
        assert_eq!(r.outcome, Outcome::Stale);
        assert!(!r.alert_queued);
        assert_eq!(s.outbox.len(), 1);
    }

    fn keeps_state(id: &str, at: Nanos) -> Event {
        Event {
            keeps_state: true,
            ..ev(id, at, State::Live)
        }
    }

    #[test]
    fn a_late_state_event_is_not_lost_behind_a_newer_recording_event() {
        let mut s = StreamLedger::default();
        s.apply(&ev("start", 10, State::Live), 0, &[]);
        let rec_end = Event {
            recording: Some(false),
            event_type: "recording.end".into(),
            ..keeps_state("rec-end", 12)
        };
        assert_eq!(s.apply(&rec_end, 0, &[]).outcome, Outcome::Applied);
        // The stream's end (11) arrives after the recording's end (12).
        assert_eq!(
            s.apply(&ev("end", 11, State::Idle), 0, &[]).outcome,
            Outcome::Applied
        );
        let r = s.record.as_ref().unwrap();
        assert_eq!((r.state, r.recording), (State::Idle, Some(false)));
        assert_eq!(
            r.last_event, "recording.end",
            "the newest event is the last one shown"
        );
    }

    #[test]
    fn a_stale_state_event_still_sets_a_recording_flag_no_newer_event_gave() {
        // Delivered in order, idle@5 (recording false) then active@20 (silent) leaves false;
        // the other way round must too: the state is stale, the flag is not.
        let idle = Event {
            recording: Some(false),
            ..ev("idle", 5, State::Idle)
        };
        let mut s = StreamLedger::default();
        s.apply(&ev("active", 20, State::Live), 0, &[]);
        let r = s.apply(&idle, 0, &[]);
        assert_eq!((r.outcome, r.changed), (Outcome::Stale, true));
        let rec = s.record.as_ref().unwrap();
        assert_eq!((rec.state, rec.recording), (State::Live, Some(false)));
        assert_eq!(rec.last_event, "t.live");
        // Older than the flag too: stale and unchanged.
        let again = Event {
            recording: Some(true),
            ..ev("idle-older", 4, State::Idle)
        };
        let r = s.apply(&again, 0, &[]);
        assert_eq!((r.outcome, r.changed), (Outcome::Stale, false));
    }

    #[test]
    fn an_event_that_keeps_the_state_never_rolls_it_back() {
        let mut s = StreamLedger::default();
        s.apply(&ev("end", 20, State::Idle), 0, &[]);
        let late = Event {
            recording: Some(true),
            ..keeps_state("rec-start", 15)
        };
        assert_eq!(s.apply(&late, 0, &[]).outcome, Outcome::Applied);
        let r = s.record.as_ref().unwrap();
        assert_eq!((r.state, r.recording), (State::Idle, Some(true)));
        assert_eq!(r.last_event, "t.idle", "an older event is not the last one");
        // Older than the recording it would set: stale.
        let older = Event {
            recording: Some(false),
            ..keeps_state("rec-old", 14)
        };
        assert_eq!(s.apply(&older, 0, &[]).outcome, Outcome::Stale);
        // A first event that keeps the state: its state is the assumption for a new stream.
        let mut fresh = StreamLedger::default();
        fresh.apply(&late, 0, &[]);
        assert_eq!(fresh.record.as_ref().unwrap().state, State::Live);
    }

    #[test]
    fn warnings_are_raised_cleared_and_end_with_the_state_they_were_raised_in() {
        use crate::ingest::event::{WarningChange, WarningInfo};
        let raise = |id: &str, at| Event {
            warning: Some(WarningChange::Raised(WarningInfo {
                code: "Starvation Start".into(),
                message: "m".into(),
            })),
            ..keeps_state(id, at)
        };
        let clear = |id: &str, at| Event {
            warning: Some(WarningChange::Cleared),
            ..keeps_state(id, at)
        };
        let mut s = StreamLedger::default();
        s.apply(&ev("live", 10, State::Live), 0, &[]);
        let a = s.apply(&raise("w1", 11), 0, &[]);
        assert_eq!((a.outcome, a.alert_queued), (Outcome::Applied, true));
        assert!(s.record.as_ref().unwrap().warning.is_some());
        assert_eq!(s.record.as_ref().unwrap().state, State::Live);
        assert_eq!(s.outbox.last().map(|a| a.warning), Some(true));
        s.apply(&clear("w2", 12), 0, &[]);
        assert_eq!(s.record.as_ref().unwrap().warning, None);
        // A late raise, older than the clear: still an alert (it happened), not the record's.
        let late = s.apply(&raise("w0", 11), 0, &[]);
        assert_eq!((late.outcome, late.alert_queued), (Outcome::Stale, true));
        assert_eq!(s.record.as_ref().unwrap().warning, None);
        // Raised again, then the stream ends: the warning ends with it.
        s.apply(&raise("w3", 13), 0, &[]);
        s.apply(&ev("off", 14, State::Disconnected), 0, &[]);
        assert_eq!(s.record.as_ref().unwrap().warning, None);
    }
}
