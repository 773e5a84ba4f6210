//! One stream's incidents, as its object decides them ([`IncidentTrack`], part of the stream's
//! ledger): when one opens, what joins it, when it resolves, and the changes waiting to be
//! handed to the hub. Pure: `now` is an argument, and the object's alarm calls
//! [`IncidentTrack::on_alarm`] at [`IncidentTrack::next_due_ms`].
//!
//! Invariants (each has a test below):
//! - At most one open incident per stream: an error or warning while one is open joins it
//!   (raising an `offline` or `warning` cause to `errored`), never opens a second.
//! - A stream that was on air (`live`, `connected`) and leaves it opens an `offline` incident
//!   only if it is still off air [`IncidentTimers::offline_after_ms`] later; back on air
//!   before, nothing opens. Leaving the air for good (`finished`, `disabled`, `deleted`) is
//!   not an outage.
//! - An open incident resolves once the stream has stayed on air for
//!   [`IncidentTimers::stable_after_ms`]; leaving the air again within it keeps it open. A
//!   `warning` incident of a stream on air also resolves when its warning is cleared (one
//!   whose warning ended with the stream leaving the air waits for the stable wait). A stream
//!   that ends for good (`finished`, `disabled`, `deleted`) resolves its open incident.
//! - Only events the ledger applies reach here: a stale or duplicate event changes nothing.
//! - A change leaves [`IncidentTrack::outbox`] only when the hub confirms it; consecutive joins
//!   waiting there are one change (the newest), so the outbox stays small.

use serde::{Deserialize, Serialize};

use super::incident::{Cause, ChangeKind, Incident, IncidentChange, ResolvedBy};
use crate::ids::{AlertId, IncidentId};
use crate::ingest::event::{ErrorInfo, State, StreamKey, WarningInfo};

/// `INCIDENT_OFFLINE_AFTER` and `INCIDENT_STABLE_AFTER` (0 turns each off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentTimers {
    pub offline_after_ms: u64,
    pub stable_after_ms: u64,
}

pub const DEFAULT_OFFLINE_AFTER_SECS: u64 = 60;
pub const DEFAULT_STABLE_AFTER_SECS: u64 = 30;

impl Default for IncidentTimers {
    fn default() -> Self {
        IncidentTimers {
            offline_after_ms: DEFAULT_OFFLINE_AFTER_SECS * 1000,
            stable_after_ms: DEFAULT_STABLE_AFTER_SECS * 1000,
        }
    }
}

/// On air: what a viewer would see.
pub fn on_air(state: State) -> bool {
    matches!(state, State::Live | State::Connected)
}

/// Off the air on purpose: no outage.
fn ended(state: State) -> bool {
    matches!(state, State::Finished | State::Disabled | State::Deleted)
}

/// A stream that left the air, not yet long enough to open an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffAir {
    pub since_ms: u64,
    pub due_ms: u64,
}

/// The open incident and where its recovery stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIncident {
    pub incident: Incident,
    /// The last change's sequence number.
    pub seq: u32,
    /// Back on air: resolves at this time unless the stream leaves the air again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_due_ms: Option<u64>,
    /// A `warning` incident whose warning ended with the stream leaving the air: it is an
    /// outage now, and resolves after the stable wait like one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub warning_ended: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A stream's incidents, stored in its ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentTrack {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_air: Option<OffAir>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<OpenIncident>,
    /// Changes not yet confirmed by the hub, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<IncidentChange>,
}

/// What an applied event did to its stream, as the incident track needs it.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    pub stream: &'a StreamKey,
    pub name: Option<&'a str>,
    pub event_id: &'a str,
    pub at_ms: u64,
    /// The state before and after; `before` is `None` for a stream seen for the first time.
    pub before: Option<State>,
    pub after: State,
    /// The event set the state (not only a recording or a warning).
    pub set_state: bool,
    /// The stream's error after the event, if it set `errored`.
    pub error: Option<&'a ErrorInfo>,
    /// A warning the event raised (and that won), and whether a warning was cleared.
    pub warning_raised: Option<&'a WarningInfo>,
    pub warning_cleared: bool,
    /// The alert the event queued, if any.
    pub alert: Option<AlertId>,
}

impl IncidentTrack {
    pub fn is_empty(&self) -> bool {
        self.off_air.is_none() && self.open.is_none() && self.outbox.is_empty()
    }

    /// The open incident's id.
    pub fn open_id(&self) -> Option<&IncidentId> {
        self.open.as_ref().map(|o| &o.incident.id)
    }

    /// Applies what an event did.
    pub fn on_event(&mut self, e: Applied<'_>, timers: IncidentTimers) {
        let failure = if e.set_state && e.after == State::Errored {
            e.error.map(|err| (Cause::Errored, err.clone()))
        } else {
            None
        }
        .or_else(|| {
            e.warning_raised.map(|w| {
                let info = ErrorInfo {
                    code: w.code.clone(),
                    message: w.message.clone(),
                    hint: String::new(),
                };
                (Cause::Warning, info)
            })
        });
        if let Some((cause, error)) = failure {
            self.off_air = None;
            match &mut self.open {
                Some(open) => {
                    let i = &mut open.incident;
                    if cause == Cause::Errored {
                        i.cause = Cause::Errored;
                        open.stable_due_ms = None;
                    }
                    i.error = Some(error);
                    i.repeat_count = i.repeat_count.saturating_add(1);
                    i.add_alert(e.alert);
                    if e.name.is_some() {
                        i.name = e.name.map(str::to_owned);
                    }
                    self.changed(ChangeKind::Joined, e.at_ms);
                }
                None => {
                    let mut i = Incident::open(
                        e.stream,
                        e.name.map(str::to_owned),
                        cause,
                        e.at_ms,
                        e.event_id,
                    );
                    i.error = Some(error);
                    i.add_alert(e.alert);
                    self.start(i, e.at_ms);
                }
            }
            return;
        }
        if e.warning_cleared {
            if let Some(open) = &mut self.open {
                if open.incident.cause == Cause::Warning {
                    if on_air(e.after) {
                        self.resolve(e.at_ms, ResolvedBy::Recovery);
                        return;
                    }
                    open.warning_ended = true;
                }
            }
        }
        if !e.set_state {
            return;
        }
        let was_on_air = e.before.is_some_and(on_air);
        if on_air(e.after) {
            self.off_air = None;
            if let Some(open) = &mut self.open {
                let outage = open.incident.cause != Cause::Warning || open.warning_ended;
                if open.stable_due_ms.is_none() && outage {
                    if timers.stable_after_ms == 0 {
                        self.resolve(e.at_ms, ResolvedBy::Recovery);
                    } else {
                        open.stable_due_ms = Some(e.at_ms.saturating_add(timers.stable_after_ms));
                    }
                }
            }
            return;
        }
        // Off the air: for good (nothing is expected on air any more, so an open incident
        // is over), or an outage.
        if ended(e.after) {
            self.off_air = None;
            self.resolve(e.at_ms, ResolvedBy::Recovery);
            return;
        }
        if let Some(open) = &mut self.open {
            open.stable_due_ms = None;
            return;
        }
        if was_on_air && self.off_air.is_none() && timers.offline_after_ms > 0 {
            self.off_air = Some(OffAir {
                since_ms: e.at_ms,
                due_ms: e.at_ms.saturating_add(timers.offline_after_ms),
            });
        }
    }

    /// What is due at `now_ms`: an offline incident opens, a recovered one resolves. `name` is
    /// the stream's name as its record has it.
    pub fn on_alarm(&mut self, stream: &StreamKey, name: Option<&str>, now_ms: u64) {
        if let Some(off) = self.off_air.clone().filter(|o| o.due_ms <= now_ms) {
            self.off_air = None;
            if self.open.is_none() {
                let opened_by = format!("offline:{}", off.since_ms);
                let i = Incident::open(
                    stream,
                    name.map(str::to_owned),
                    Cause::Offline,
                    off.since_ms,
                    &opened_by,
                );
                self.start(i, now_ms);
            }
        }
        let stable = self
            .open
            .as_ref()
            .and_then(|o| o.stable_due_ms)
            .is_some_and(|due| due <= now_ms);
        if stable {
            self.resolve(now_ms, ResolvedBy::Recovery);
        }
    }

    /// `POST /incidents/{id}/resolve`: resolves the open incident if it is `id`.
    pub fn resolve_by_hand(&mut self, id: &IncidentId, now_ms: u64) -> bool {
        if self.open_id() != Some(id) {
            return false;
        }
        self.resolve(now_ms, ResolvedBy::Manual);
        true
    }

    fn resolve(&mut self, at_ms: u64, by: ResolvedBy) {
        if self.open.is_none() {
            return;
        }
        if let Some(open) = &mut self.open {
            open.incident.resolve(at_ms, by);
        }
        self.changed(ChangeKind::Resolved, at_ms);
        self.open = None;
    }

    /// `i` is the stream's open incident from `at_ms`: its opening is queued for the hub.
    fn start(&mut self, i: Incident, at_ms: u64) {
        self.open = Some(OpenIncident {
            incident: i,
            seq: 0,
            stable_due_ms: None,
            warning_ended: false,
        });
        self.changed(ChangeKind::Opened, at_ms);
    }

    /// Queues the open incident's change for the hub.
    fn changed(&mut self, change: ChangeKind, at_ms: u64) {
        let Some(open) = &mut self.open else { return };
        open.seq = open.seq.saturating_add(1);
        let next = IncidentChange {
            change,
            seq: open.seq,
            at_ms,
            incident: open.incident.clone(),
        };
        match self.outbox.last_mut() {
            Some(last)
                if change == ChangeKind::Joined
                    && last.change == ChangeKind::Joined
                    && last.incident.id == next.incident.id =>
            {
                *last = next;
            }
            _ => self.outbox.push(next),
        }
    }

    /// The hub says incident `id` was resolved by hand before `change` reached it: stop
    /// tracking it. If the change was a failure joining it (the stream failed again after the
    /// manual resolve), that failure opens a new incident.
    pub fn closed_elsewhere(&mut self, id: &IncidentId, change: Option<&IncidentChange>) {
        if self.open_id() != Some(id) {
            return;
        }
        self.open = None;
        let Some(c) = change.filter(|c| c.change == ChangeKind::Joined) else {
            return;
        };
        let Some(stream) = c.incident.stream() else {
            return;
        };
        let opened_by = format!("reopened:{}", c.incident.id);
        let mut i = Incident::open(
            &stream,
            c.incident.name.clone(),
            c.incident.cause,
            c.at_ms,
            &opened_by,
        );
        i.error = c.incident.error.clone();
        i.add_alert(c.incident.alert_ids.last().cloned());
        self.start(i, c.at_ms);
    }

    /// When the alarm must fire for a grace period or a stable wait.
    pub fn next_due_ms(&self) -> Option<u64> {
        let off = self.off_air.as_ref().map(|o| o.due_ms);
        let stable = self.open.as_ref().and_then(|o| o.stable_due_ms);
        match (off, stable) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The hub confirmed it recorded this change.
    pub fn handed_off(&mut self, id: &IncidentId, seq: u32) {
        self.outbox
            .retain(|c| !(c.incident.id == *id && c.seq <= seq));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::incident::IncidentState;
    use crate::ingest::event::{Kind, ProviderId};

    const S: u64 = 1000;

    fn key() -> StreamKey {
        StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, "in1").unwrap()
    }

    fn err(code: &str) -> ErrorInfo {
        ErrorInfo {
            code: code.into(),
            message: "m".into(),
            hint: "h".into(),
        }
    }

    /// A stream on a simulated clock.
    struct Sim {
        track: IncidentTrack,
        state: Option<State>,
        timers: IncidentTimers,
        key: StreamKey,
        n: u32,
    }

    impl Sim {
        fn new() -> Self {
            Sim {
                track: IncidentTrack::default(),
                state: None,
                timers: IncidentTimers::default(),
                key: key(),
                n: 0,
            }
        }

        fn event(&mut self, at: u64, state: State, error: Option<ErrorInfo>) {
            self.n += 1;
            let id = format!("e{}", self.n);
            let before = self.state.replace(state);
            self.track.on_event(
                Applied {
                    stream: &self.key,
                    name: None,
                    event_id: &id,
                    at_ms: at,
                    before,
                    after: state,
                    set_state: true,
                    error: error.as_ref(),
                    warning_raised: None,
                    warning_cleared: false,
                    alert: error.as_ref().map(|_| AlertId::from_bytes(&[self.n as u8])),
                },
                self.timers,
            );
        }

        fn warning(&mut self, at: u64, raised: Option<&str>) {
            self.n += 1;
            let id = format!("w{}", self.n);
            let w = raised.map(|code| WarningInfo {
                code: code.into(),
                message: "slow".into(),
            });
            let state = self.state.unwrap_or(State::Live);
            self.track.on_event(
                Applied {
                    stream: &self.key,
                    name: None,
                    event_id: &id,
                    at_ms: at,
                    before: Some(state),
                    after: state,
                    set_state: false,
                    error: None,
                    warning_raised: w.as_ref(),
                    warning_cleared: raised.is_none(),
                    alert: None,
                },
                self.timers,
            );
        }

        /// Fires the alarm at every due time up to `until`.
        fn run_until(&mut self, until: u64) {
            while let Some(due) = self.track.next_due_ms().filter(|d| *d <= until) {
                self.track.on_alarm(&self.key, Some("Main"), due);
            }
        }

        fn kinds(&self) -> Vec<(ChangeKind, u32)> {
            self.track
                .outbox
                .iter()
                .map(|c| (c.change, c.seq))
                .collect()
        }
    }

    #[test]
    fn an_error_opens_at_once_and_recovery_resolves_after_the_stable_wait() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.event(10 * S, State::Errored, Some(err("ERR_GOP")));
        let open = s.track.open.clone().unwrap().incident;
        assert_eq!(
            (open.cause, open.state),
            (Cause::Errored, IncidentState::Open)
        );
        assert_eq!(open.error.as_ref().unwrap().code, "ERR_GOP");
        assert_eq!(open.alert_ids.len(), 1);
        s.event(20 * S, State::Live, None);
        s.run_until(49 * S);
        assert!(s.track.open.is_some(), "29 s on air is not yet stable");
        s.run_until(50 * S);
        assert!(s.track.open.is_none());
        let last = s.track.outbox.last().unwrap();
        assert_eq!(last.change, ChangeKind::Resolved);
        assert_eq!(last.incident.duration_ms, Some(40 * S));
        assert_eq!(last.incident.resolved_by, Some(ResolvedBy::Recovery));
        assert_eq!(
            s.kinds(),
            vec![(ChangeKind::Opened, 1), (ChangeKind::Resolved, 2)]
        );
    }

    #[test]
    fn offline_opens_only_after_the_grace_period() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.event(5 * S, State::Disconnected, None);
        s.run_until(64 * S);
        assert!(s.track.open.is_none(), "59 s off air opens nothing");
        s.event(64 * S, State::Live, None);
        s.run_until(300 * S);
        assert!(
            s.track.open.is_none() && s.track.outbox.is_empty(),
            "back in time"
        );

        s.event(400 * S, State::Disconnected, None);
        s.run_until(460 * S);
        let open = s.track.open.clone().unwrap().incident;
        assert_eq!(open.cause, Cause::Offline);
        assert_eq!(
            open.opened_at_ms,
            400 * S,
            "the outage began when it left the air"
        );
        assert_eq!(open.name.as_deref(), Some("Main"));
        assert_eq!(s.kinds(), vec![(ChangeKind::Opened, 1)]);
        assert_eq!(s.track.outbox[0].at_ms, 460 * S);
    }

    #[test]
    fn a_stream_never_on_air_or_ended_on_purpose_opens_nothing() {
        let mut s = Sim::new();
        s.event(0, State::Idle, None);
        s.event(S, State::Disconnected, None);
        s.run_until(1000 * S);
        assert!(s.track.is_empty());
        s.event(2000 * S, State::Live, None);
        s.event(2001 * S, State::Finished, None);
        s.run_until(3000 * S);
        assert!(s.track.is_empty());
    }

    #[test]
    fn flapping_within_the_stable_wait_keeps_one_incident_open() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.event(S, State::Errored, Some(err("E1")));
        for round in 0..5 {
            let t = (10 + round * 20) * S;
            s.event(t, State::Live, None);
            s.event(t + 10 * S, State::Disconnected, None);
            s.run_until(t + 19 * S);
        }
        assert!(s.track.open.is_some());
        assert_eq!(
            s.kinds(),
            vec![(ChangeKind::Opened, 1)],
            "no page, un-page, page"
        );
        s.event(200 * S, State::Live, None);
        s.run_until(230 * S);
        assert_eq!(s.track.outbox.len(), 2);
        assert!(s.track.open.is_none());
    }

    #[test]
    fn errors_and_warnings_join_the_open_incident_and_raise_its_cause() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.event(S, State::Disconnected, None);
        s.run_until(61 * S);
        assert_eq!(
            s.track.open.as_ref().unwrap().incident.cause,
            Cause::Offline
        );
        s.warning(62 * S, Some("Starvation"));
        assert_eq!(
            s.track.open.as_ref().unwrap().incident.cause,
            Cause::Offline
        );
        s.event(63 * S, State::Errored, Some(err("E1")));
        s.event(64 * S, State::Errored, Some(err("E2")));
        let i = &s.track.open.as_ref().unwrap().incident;
        assert_eq!(i.cause, Cause::Errored);
        assert_eq!(i.repeat_count, 3);
        assert_eq!(i.error.as_ref().unwrap().code, "E2");
        // Joins waiting for the hub are one change: the newest.
        assert_eq!(
            s.kinds(),
            vec![(ChangeKind::Opened, 1), (ChangeKind::Joined, 4)]
        );
        s.track.handed_off(&i.id.clone(), 4);
        assert!(s.track.outbox.is_empty());
    }

    #[test]
    fn a_warning_incident_resolves_when_its_warning_clears_on_air() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.warning(S, Some("Starvation Start"));
        let i = s.track.open.clone().unwrap().incident;
        assert_eq!(i.cause, Cause::Warning);
        assert_eq!(i.error.unwrap().code, "Starvation Start");
        assert_eq!(
            s.track.next_due_ms(),
            None,
            "on air, no stable wait for a warning"
        );
        s.warning(9 * S, None);
        assert!(s.track.open.is_none());
        assert_eq!(s.track.outbox.last().unwrap().change, ChangeKind::Resolved);
    }

    #[test]
    fn a_warning_that_ends_with_the_stream_leaving_the_air_waits_for_the_stable_wait() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.warning(S, Some("Starvation Start"));
        // The stream leaves the air: that state event clears the warning.
        s.n += 1;
        let id = format!("off{}", s.n);
        s.state = Some(State::Disconnected);
        s.track.on_event(
            Applied {
                stream: &s.key,
                name: None,
                event_id: &id,
                at_ms: 2 * S,
                before: Some(State::Live),
                after: State::Disconnected,
                set_state: true,
                error: None,
                warning_raised: None,
                warning_cleared: true,
                alert: None,
            },
            s.timers,
        );
        assert!(s.track.open.is_some(), "still an outage");
        s.event(100 * S, State::Live, None);
        s.run_until(129 * S);
        assert!(s.track.open.is_some());
        s.run_until(130 * S);
        assert!(s.track.open.is_none(), "resolved after 30 s back on air");
    }

    #[test]
    fn a_stream_that_ends_for_good_resolves_its_open_incident() {
        let mut s = Sim::new();
        s.event(0, State::Errored, Some(err("E")));
        s.event(5 * S, State::Finished, None);
        assert!(s.track.open.is_none());
        let last = s.track.outbox.last().unwrap();
        assert_eq!(
            (last.change, last.incident.resolved_by),
            (ChangeKind::Resolved, Some(ResolvedBy::Recovery))
        );
    }

    #[test]
    fn a_failure_the_hub_answers_closed_opens_a_new_incident() {
        let mut s = Sim::new();
        s.event(0, State::Errored, Some(err("E1")));
        let first = s.track.open_id().cloned().unwrap();
        s.event(S, State::Errored, Some(err("E2")));
        let joined = s.track.outbox.last().cloned().unwrap();
        assert_eq!(joined.change, ChangeKind::Joined);
        s.track.handed_off(&first, joined.seq);
        s.track.closed_elsewhere(&first, Some(&joined));
        let reopened = s.track.open.clone().unwrap().incident;
        assert_ne!(reopened.id, first);
        assert_eq!(reopened.error.unwrap().code, "E2");
        assert_eq!(s.kinds(), vec![(ChangeKind::Opened, 1)]);
        // A closure heard with a resolve (or nothing) opens nothing.
        let mut quiet = Sim::new();
        quiet.event(0, State::Errored, Some(err("E1")));
        let id = quiet.track.open_id().cloned().unwrap();
        quiet.track.closed_elsewhere(&id, None);
        assert!(quiet.track.open.is_none());
    }

    #[test]
    fn zero_timers_turn_offline_incidents_and_the_stable_wait_off() {
        let mut s = Sim::new();
        s.timers = IncidentTimers {
            offline_after_ms: 0,
            stable_after_ms: 0,
        };
        s.event(0, State::Live, None);
        s.event(S, State::Disconnected, None);
        s.run_until(1000 * S);
        assert!(s.track.is_empty());
        s.event(1001 * S, State::Errored, Some(err("E")));
        s.event(1002 * S, State::Live, None);
        assert!(s.track.open.is_none(), "resolved at once");
        assert_eq!(s.track.outbox.len(), 2);
    }

    #[test]
    fn manual_resolve_closes_only_the_open_incident() {
        let mut s = Sim::new();
        s.event(0, State::Errored, Some(err("E")));
        let id = s.track.open_id().cloned().unwrap();
        assert!(!s
            .track
            .resolve_by_hand(&IncidentId::from_bytes(&[1]), 5 * S));
        assert!(s.track.resolve_by_hand(&id, 5 * S));
        assert!(!s.track.resolve_by_hand(&id, 6 * S), "once");
        let last = s.track.outbox.last().unwrap();
        assert_eq!(last.incident.resolved_by, Some(ResolvedBy::Manual));
        // The next error is a new incident.
        s.event(7 * S, State::Errored, Some(err("E")));
        assert_ne!(s.track.open_id(), Some(&id));
    }

    #[test]
    fn a_restart_keeps_every_timer() {
        let mut s = Sim::new();
        s.event(0, State::Live, None);
        s.event(S, State::Disconnected, None);
        let json = serde_json::to_string(&s.track).unwrap();
        s.track = serde_json::from_str(&json).unwrap();
        assert_eq!(s.track.next_due_ms(), Some(61 * S));
        s.run_until(61 * S);
        assert!(s.track.open.is_some());
        assert_eq!(
            serde_json::to_string(&IncidentTrack::default()).unwrap(),
            "{}"
        );
    }
}
