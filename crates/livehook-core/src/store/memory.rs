//! [`Store`] in memory, for host tests: a [`MemoryStore`] (a sorted map, the alarm, the
//! 128-keys-per-call limit of the real storage, switches that make calls fail or wait, and a
//! log of the calls made). Futures here are ready at once unless a test holds the store, so
//! [`block_on`] can drive them.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::{ListQuery, Store, StoreError, Stored, MAX_KEYS_PER_CALL};

/// One storage call, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Get(String),
    GetMany(Vec<String>),
    List(String),
    /// The keys written, in the order given.
    Put(Vec<String>),
    Delete(Vec<String>),
    Alarm,
    SetAlarm(u64),
}

/// Storage in a sorted map.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub data: RefCell<BTreeMap<String, Stored>>,
    pub alarm_ms: Cell<Option<u64>>,
    /// While set, every call fails (storage unavailable). Shared, so a scripted subscriber can
    /// switch it in the middle of a run.
    pub failing: Rc<Cell<bool>>,
    /// While set, puts and deletes fail (reads still work).
    pub failing_writes: Cell<bool>,
    /// While set, every call waits (is pending) once made: a slow storage read, to let other
    /// requests arrive in the middle of one.
    pub held: Cell<bool>,
    /// Storage calls made.
    pub calls: Cell<usize>,
    /// Every call made, in order.
    pub log: RefCell<Vec<Call>>,
}

impl MemoryStore {
    /// A store holding `entries` (text values).
    pub fn with_text<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let store = MemoryStore::default();
        store.data.borrow_mut().extend(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Stored::Text(v.to_owned()))),
        );
        store
    }

    /// Counts and logs a call, then waits while the store is held.
    async fn call(&self, call: Call) -> Result<(), StoreError> {
        self.calls.set(self.calls.get() + 1);
        let write = matches!(call, Call::Put(_) | Call::Delete(_));
        self.log.borrow_mut().push(call);
        Held(self).await;
        if self.failing.get() || (write && self.failing_writes.get()) {
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

    /// The text at `key`, if any.
    pub fn text(&self, key: &str) -> Option<String> {
        self.data
            .borrow()
            .get(key)
            .and_then(|v| v.as_text().map(str::to_owned))
    }

    /// The calls made so far, and a fresh log.
    pub fn take_log(&self) -> Vec<Call> {
        std::mem::take(&mut *self.log.borrow_mut())
    }
}

/// Pending while the store is held.
struct Held<'a>(&'a MemoryStore);

impl Future for Held<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0.held.get() {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        self.call(Call::Get(key.to_owned())).await?;
        Ok(self.data.borrow().get(key).cloned())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Stored)>, StoreError> {
        self.call(Call::GetMany(keys.to_vec())).await?;
        Self::limit(keys.len())?;
        let data = self.data.borrow();
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), data.get(k)?.clone())))
            .collect())
    }

    async fn list(&self, q: ListQuery<'_>) -> Result<Vec<(String, Stored)>, StoreError> {
        self.call(Call::List(q.prefix.to_owned())).await?;
        let data = self.data.borrow();
        let matching = data
            .iter()
            .filter(|(k, _)| k.starts_with(q.prefix))
            .filter(|(k, _)| q.before.is_none_or(|b| k.as_str() < b));
        let limit = q.limit.unwrap_or(usize::MAX);
        let pairs = |(k, v): (&String, &Stored)| (k.clone(), v.clone());
        Ok(if q.reverse {
            matching.rev().take(limit).map(pairs).collect()
        } else {
            matching.take(limit).map(pairs).collect()
        })
    }

    async fn put_all(&self, entries: Vec<(String, Stored)>) -> Result<(), StoreError> {
        let keys = entries.iter().map(|(k, _)| k.clone()).collect();
        self.call(Call::Put(keys)).await?;
        Self::limit(entries.len())?;
        self.data.borrow_mut().extend(entries);
        Ok(())
    }

    async fn delete_all(&self, keys: Vec<String>) -> Result<(), StoreError> {
        self.call(Call::Delete(keys.clone())).await?;
        Self::limit(keys.len())?;
        let mut data = self.data.borrow_mut();
        for k in keys {
            data.remove(&k);
        }
        Ok(())
    }

    async fn alarm(&self) -> Result<Option<u64>, StoreError> {
        self.call(Call::Alarm).await?;
        Ok(self.alarm_ms.get())
    }

    async fn set_alarm(&self, at_ms: u64) -> Result<(), StoreError> {
        self.call(Call::SetAlarm(at_ms)).await?;
        self.alarm_ms.set(Some(at_ms));
        Ok(())
    }
}

/// Drives a future whose every await is ready at once (everything here while the store is not
/// held).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// Polls `fut` once: its output if it is ready.
pub fn poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(fut).poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}
