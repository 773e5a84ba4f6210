//! What every stream object of one isolate shares ([`Isolate`]; the worker keeps one per
//! isolate): which non-error states some subscriber wants (a KV list the alert hub writes,
//! trusted for [`NOTIFY_STATES_TTL_MS`]), and whether anyone watches the live feed
//! ([`LiveGate`]: with nobody watching, an isolate asks at most once a second).

use std::cell::{Cell, RefCell};

use crate::ingest::event::State;
use crate::live::LiveGate;

/// How long the wanted states read from KV are trusted.
pub const NOTIFY_STATES_TTL_MS: u64 = 30_000;

/// Shared by the stream objects of one isolate.
#[derive(Debug, Default)]
pub struct Isolate {
    /// The non-error states some subscriber wants, and when they were read.
    notify_states: RefCell<Option<(u64, Vec<State>)>>,
    /// Whether anyone watches the live feed, as this isolate last heard from the hub.
    live_gate: Cell<LiveGate>,
}

impl Isolate {
    /// The wanted states, if read less than [`NOTIFY_STATES_TTL_MS`] before `now_ms`.
    pub fn notify_states(&self, now_ms: u64) -> Option<Vec<State>> {
        self.notify_states
            .borrow()
            .as_ref()
            .filter(|(at, _)| now_ms.saturating_sub(*at) < NOTIFY_STATES_TTL_MS)
            .map(|(_, states)| states.clone())
    }

    /// The wanted states, as read at `now_ms`.
    pub fn read_notify_states(&self, now_ms: u64, states: Vec<State>) {
        *self.notify_states.borrow_mut() = Some((now_ms, states));
    }

    /// Whether a change at `now_ms` goes to the live feed.
    pub fn should_push(&self, now_ms: u64) -> bool {
        self.live_gate.get().should_push(now_ms)
    }

    /// The hub's answer to a push made at `now_ms`: how many viewers it reached.
    pub fn learned(&self, viewers: usize, now_ms: u64) {
        let mut gate = self.live_gate.get();
        gate.learned(viewers, now_ms);
        self.live_gate.set(gate);
    }
}
