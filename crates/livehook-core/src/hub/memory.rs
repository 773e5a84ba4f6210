//! The hub's traits in memory, for host tests: a [`MemoryStore`] (a sorted map, the alarm, the
//! 128-keys-per-call limit of the real storage, and a switch that makes every call fail) and a
//! [`MemoryWorld`] (a settable clock, counting randomness, scripted subscriber answers, and
//! everything broadcast, published and logged, kept for inspection). Futures here never wait,
//! so [`block_on`] can drive them.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use serde_json::Value;

use super::store::{Effects, Level, ListQuery, Store, StoreError, Stored, MAX_KEYS_PER_CALL};
use crate::alerts::delivery::AttemptResult;
use crate::alerts::render::Outbound;
use crate::ingest::event::State;

/// Storage in a sorted map.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub data: RefCell<BTreeMap<String, Stored>>,
    pub alarm_ms: Cell<Option<u64>>,
    /// While set, every call fails (storage unavailable). Shared, so a scripted subscriber can
    /// switch it in the middle of a run.
    pub failing: Rc<Cell<bool>>,
    /// Storage calls made.
    pub calls: Cell<usize>,
}

impl MemoryStore {
    fn call(&self) -> Result<(), StoreError> {
        self.calls.set(self.calls.get() + 1);
        if self.failing.get() {
            Err(StoreError("storage unavailable (test)".into()))
        } else {
            Ok(())
        }
    }

    fn limit(n: usize) -> Result<(), StoreError> {
        if n > MAX_KEYS_PER_CALL {
            Err(StoreError(format!("{n} keys in one call")))
        } else {
            Ok(())
        }
    }

    /// The keys with `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.data
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        self.call()?;
        Ok(self.data.borrow().get(key).cloned())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Stored)>, StoreError> {
        self.call()?;
        Self::limit(keys.len())?;
        let data = self.data.borrow();
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), data.get(k)?.clone())))
            .collect())
    }

    async fn list(&self, q: ListQuery<'_>) -> Result<Vec<(String, Stored)>, StoreError> {
        self.call()?;
        let data = self.data.borrow();
        let matching = data.iter().filter(|(k, _)| k.starts_with(q.prefix));
        let limit = q.limit.unwrap_or(usize::MAX);
        let pairs = |(k, v): (&String, &Stored)| (k.clone(), v.clone());
        Ok(if q.reverse {
            matching.rev().take(limit).map(pairs).collect()
        } else {
            matching.take(limit).map(pairs).collect()
        })
    }

    async fn put_all(&self, entries: Vec<(String, Stored)>) -> Result<(), StoreError> {
        self.call()?;
        Self::limit(entries.len())?;
        self.data.borrow_mut().extend(entries);
        Ok(())
    }

    async fn delete_all(&self, keys: Vec<String>) -> Result<(), StoreError> {
        self.call()?;
        Self::limit(keys.len())?;
        let mut data = self.data.borrow_mut();
        for k in keys {
            data.remove(&k);
        }
        Ok(())
    }

    async fn alarm(&self) -> Result<Option<u64>, StoreError> {
        self.call()?;
        Ok(self.alarm_ms.get())
    }

    async fn set_alarm(&self, at_ms: u64) -> Result<(), StoreError> {
        self.call()?;
        self.alarm_ms.set(Some(at_ms));
        Ok(())
    }
}

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

/// Drives a future whose every await is ready at once (everything in this module).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
