//! The hub's effects in memory, for host tests: a [`MemoryWorld`] (a settable clock, counting
//! randomness, scripted subscriber answers, and everything broadcast, published and logged,
//! kept for inspection). Its storage is [`crate::store::memory::MemoryStore`].

use std::cell::{Cell, RefCell};

use serde_json::Value;

use super::effects::{Effects, Level};
use crate::alerts::delivery::AttemptResult;
use crate::alerts::render::Outbound;
use crate::ingest::event::State;
use crate::store::StoreError;

/// How a scripted subscriber answers one request.
pub type Responder = Box<dyn Fn(&Outbound) -> AttemptResult>;

/// The world around the hub, in memory.
pub struct MemoryWorld {
    pub now_ms: Cell<u64>,
    random_counter: Cell<u8>,
    /// Answers each attempt (default: 200).
    pub respond: RefCell<Responder>,
    pub sent: RefCell<Vec<Outbound>>,
    pub broadcasts: RefCell<Vec<String>>,
    /// How many live-feed viewers a broadcast reaches.
    pub viewers: Cell<usize>,
    pub published: RefCell<Vec<Vec<State>>>,
    pub logs: RefCell<Vec<(Level, String, Value)>>,
}

impl MemoryWorld {
    pub fn new(now_ms: u64) -> Self {
        MemoryWorld {
            now_ms: Cell::new(now_ms),
            random_counter: Cell::new(0),
            respond: RefCell::new(Box::new(|_| answer(Some(200)))),
            sent: RefCell::new(Vec::new()),
            broadcasts: RefCell::new(Vec::new()),
            viewers: Cell::new(1),
            published: RefCell::new(Vec::new()),
            logs: RefCell::new(Vec::new()),
        }
    }

    pub fn advance(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get() + ms);
    }

    /// Every subscriber answers with `status` (`None`: a network error).
    pub fn answer_with(&self, status: Option<u16>) {
        *self.respond.borrow_mut() = Box::new(move |_| answer(status));
    }
}

/// An attempt that took 5 ms and got `status`.
pub fn answer(status: Option<u16>) -> AttemptResult {
    AttemptResult {
        started_ms: 0,
        latency_ms: 5,
        status,
        error: status.is_none().then(|| "network error".to_owned()),
        retry_after_ms: None,
    }
}

impl Effects for MemoryWorld {
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    fn random(&self, buf: &mut [u8]) -> Result<(), StoreError> {
        // Distinct, not random: each call fills with the next counter value.
        let n = self.random_counter.get().wrapping_add(1);
        self.random_counter.set(n);
        buf.fill(n);
        Ok(())
    }

    fn broadcast(&self, message: &str) -> usize {
        self.broadcasts.borrow_mut().push(message.to_owned());
        self.viewers.get()
    }

    fn log(&self, level: Level, msg: &str, fields: Value) {
        self.logs.borrow_mut().push((level, msg.to_owned(), fields));
    }

    async fn publish_notify_states(&self, states: &[State]) -> Result<(), StoreError> {
        self.published.borrow_mut().push(states.to_vec());
        Ok(())
    }

    async fn send(&self, out: &Outbound, _timeout_ms: u64) -> AttemptResult {
        self.sent.borrow_mut().push(out.clone());
        let mut r = (self.respond.borrow())(out);
        r.started_ms = self.now_ms.get();
        r
    }
}
