//! What one poll of a provider's API means for one stream ([`decide`]): confirm the record,
//! correct it, add a stream livehook never heard of, or wait, because a webhook may still be
//! on its way. A correction or an addition is an [`Event`] of type `reconcile` at the poll's
//! time, applied through the same per-stream ordering as a webhook: a later real webhook still
//! wins, and one older than the poll is stale.
//!
//! Invariants (each has a test below):
//! - A difference is applied only when the record has not changed for the settle time.
//! - An API that reports no status (Cloudflare's `null`) disconnects a stream livehook has on
//!   air, and confirms any other.
//! - Only live inputs are reconciled; simulcast targets, broadcasts and videos are left alone.

use serde::{Deserialize, Serialize};

pub use super::apis::Observed;
use crate::incidents::track::on_air;
use crate::ingest::event::{Event, Kind, State, StatusRecord, StreamKey, TimeSource};
use crate::time::{millis_to_nanos, nanos_to_millis, parse_rfc3339};

/// The event type of a correction or an addition (history, `last_event`).
pub const RECONCILE_EVENT: &str = "reconcile";

/// One poll's answer about one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub stream: StreamKey,
    pub name: Option<String>,
    pub state: Observed,
    /// When the API answered (ms): the event's time.
    pub at_ms: u64,
}

/// What to do with a poll's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The record is right: it is verified now.
    Confirm,
    /// The record is wrong: apply this event.
    Correct(Event),
    /// livehook never heard of the stream: apply this event.
    Add(Event),
    /// The record differs but changed less than the settle time ago: ask again later.
    Settling,
    /// The API's value decides nothing (Cloudflare's `reconnecting`, FastPix's `preparing`).
    Unchanged,
    /// Not a live input: left alone.
    NotReconciled,
}

/// The reconcile event setting `state` at the poll's time.
fn event(poll: &Poll, state: State) -> Event {
    Event {
        name: poll.name.clone(),
        ..Event::state_change(
            poll.stream.clone(),
            state,
            RECONCILE_EVENT.to_owned(),
            format!("{RECONCILE_EVENT}:{}:{}", poll.at_ms, state.as_str()),
            millis_to_nanos(poll.at_ms),
            TimeSource::Provider,
        )
    }
}

/// When the record last changed (ms), from its `received_at`.
fn changed_ms(record: &StatusRecord) -> Option<u64> {
    parse_rfc3339(&record.received_at).map(nanos_to_millis)
}

/// What `poll` means for a stream whose record is `record`.
pub fn decide(record: Option<&StatusRecord>, poll: &Poll, settle_ms: u64) -> Decision {
    if poll.stream.kind != Kind::LiveInput {
        return Decision::NotReconciled;
    }
    let Some(record) = record else {
        // Never streamed: the API's state, or idle when it reports none.
        let state = match poll.state {
            Observed::State(s) => s,
            Observed::NoStatus => State::Idle,
            Observed::NoChange => return Decision::Unchanged,
        };
        return Decision::Add(event(poll, state));
    };
    let target = match poll.state {
        Observed::State(s) => s,
        Observed::NoStatus if on_air(record.state) => State::Disconnected,
        Observed::NoStatus => return Decision::Confirm,
        Observed::NoChange => return Decision::Unchanged,
    };
    if target == record.state {
        return Decision::Confirm;
    }
    let settled = changed_ms(record).is_none_or(|t| poll.at_ms.saturating_sub(t) >= settle_ms);
    if !settled {
        return Decision::Settling;
    }
    Decision::Correct(event(poll, target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::ProviderId;
    use crate::ordering::{Outcome, StreamLedger};

    const T0: u64 = 1_793_534_400_000;

    fn key(kind: Kind) -> StreamKey {
        StreamKey::new(ProviderId::new("cloudflare"), kind, "in1").unwrap()
    }

    fn poll(state: Observed, at_ms: u64) -> Poll {
        Poll {
            stream: key(Kind::LiveInput),
            name: Some("Main".into()),
            state,
            at_ms,
        }
    }

    /// A ledger whose stream became `state` by a webhook received at `at_ms`.
    fn ledger(state: State, at_ms: u64) -> StreamLedger {
        let mut l = StreamLedger::default();
        let webhook = Event {
            event_type: "live_input.connected".into(),
            event_id: format!("w{at_ms}"),
            ..event(&poll(Observed::State(state), at_ms), state)
        };
        l.apply(&webhook, at_ms, &[]);
        l
    }

    #[test]
    fn a_lost_disconnect_is_corrected_once_the_record_settled() {
        let mut l = ledger(State::Connected, T0);
        let early = poll(Observed::State(State::Disconnected), T0 + 60_000);
        assert_eq!(
            decide(l.record.as_ref(), &early, 120_000),
            Decision::Settling
        );
        let late = poll(Observed::State(State::Disconnected), T0 + 120_000);
        let Decision::Correct(e) = decide(l.record.as_ref(), &late, 120_000) else {
            panic!("a correction")
        };
        assert_eq!(e.event_type, "reconcile");
        assert_eq!(l.apply(&e, T0 + 120_000, &[]).outcome, Outcome::Applied);
        let r = l.record.as_ref().unwrap();
        assert_eq!(
            (r.state, r.last_event.as_str()),
            (State::Disconnected, "reconcile")
        );
    }

    #[test]
    fn a_webhook_newer_than_the_poll_wins_and_an_older_one_is_stale() {
        let mut l = ledger(State::Connected, T0);
        let p = poll(Observed::State(State::Disconnected), T0 + 200_000);
        let Decision::Correct(correction) = decide(l.record.as_ref(), &p, 120_000) else {
            panic!("a correction")
        };
        // A real webhook from before the poll, delivered after it: stale.
        let older = Event {
            event_type: "live_input.connected".into(),
            event_id: "late".into(),
            ..event(
                &poll(Observed::State(State::Connected), T0 + 150_000),
                State::Connected,
            )
        };
        l.apply(&correction, T0 + 200_000, &[]);
        assert_eq!(l.apply(&older, T0 + 201_000, &[]).outcome, Outcome::Stale);
        // One from after the poll wins.
        let newer = Event {
            event_type: "live_input.connected".into(),
            event_id: "newer".into(),
            ..event(
                &poll(Observed::State(State::Connected), T0 + 250_000),
                State::Connected,
            )
        };
        assert_eq!(l.apply(&newer, T0 + 251_000, &[]).outcome, Outcome::Applied);
        assert_eq!(l.record.as_ref().unwrap().state, State::Connected);
    }

    #[test]
    fn agreement_confirms_and_no_status_disconnects_only_a_stream_on_air() {
        let on = ledger(State::Connected, T0);
        let same = poll(Observed::State(State::Connected), T0 + 1);
        assert_eq!(
            decide(on.record.as_ref(), &same, 120_000),
            Decision::Confirm
        );
        let none = poll(Observed::NoStatus, T0 + 500_000);
        let Decision::Correct(e) = decide(on.record.as_ref(), &none, 120_000) else {
            panic!("on air with no status: disconnected")
        };
        assert_eq!(e.state, State::Disconnected);
        let off = ledger(State::Idle, T0);
        assert_eq!(
            decide(off.record.as_ref(), &none, 120_000),
            Decision::Confirm
        );
    }

    #[test]
    fn an_unknown_stream_is_added_and_other_kinds_are_left_alone() {
        let Decision::Add(e) = decide(None, &poll(Observed::State(State::Live), T0), 120_000)
        else {
            panic!("added")
        };
        assert_eq!((e.state, e.name.as_deref()), (State::Live, Some("Main")));
        let Decision::Add(e) = decide(None, &poll(Observed::NoStatus, T0), 120_000) else {
            panic!("added")
        };
        assert_eq!(e.state, State::Idle, "never streamed");
        let settling = poll(Observed::NoChange, T0);
        assert_eq!(decide(None, &settling, 120_000), Decision::Unchanged);
        let on = ledger(State::Connected, T0);
        assert_eq!(
            decide(on.record.as_ref(), &settling, 120_000),
            Decision::Unchanged,
            "reconnecting decides nothing"
        );
        let mut video = poll(Observed::State(State::Ready), T0);
        video.stream = key(Kind::Video);
        assert_eq!(decide(None, &video, 120_000), Decision::NotReconciled);
    }
}
