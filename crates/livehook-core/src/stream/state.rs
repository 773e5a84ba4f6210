//! What one stream object holds: its storage, its effects, what every object of its isolate
//! shares ([`Isolate`]), and its ledger once read. The ledger is read from storage once per
//! instance: the first request that needs it reads it, and requests that arrive during that
//! read wait for it instead of reading again ([`StreamObject::with_ledger`]). Every change to
//! the ledger runs with no await inside, so concurrent requests never interleave within one.
//!
//! A write that storage refuses drops the in-memory ledger (and the history count read with
//! it): the next request reads storage again, so a retried delivery is applied again from what
//! storage holds, not answered as a duplicate of a change that was never stored.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::isolate::Isolate;
use super::keys;
use crate::ordering::StreamLedger;
use crate::protocol::{ObjectError, Reply};
use crate::store::{Store, Stored};
use crate::text::{read_json, write_json};

/// Longest wait for the alert hub to answer a hand-off or a live-feed push.
pub const HAND_OFF_TIMEOUT_MS: u64 = 5_000;

/// A stream's object over its storage `S` and the world `E`.
pub struct StreamObject<S, E> {
    pub store: S,
    pub fx: E,
    pub(super) isolate: Rc<Isolate>,
    ledger: RefCell<Slot>,
    /// Requests waiting for the ledger's read.
    waiting: RefCell<Vec<Waker>>,
    /// The in-memory ledger has changes storage does not have yet (only KV confirmations).
    pub(super) unsaved: Cell<bool>,
    /// Entries the stream's history ever received (read with the ledger).
    pub(super) history: Cell<u64>,
    /// The object was written before the history ring: its `h:…` entries are to be moved into
    /// the ring with the next entry.
    pub(super) legacy_history: Cell<bool>,
}

/// The ledger in memory.
enum Slot {
    Empty,
    /// A request is reading it from storage.
    Loading,
    Ready(Box<StreamLedger>),
}

impl<S: Store, E> StreamObject<S, E> {
    pub fn new(store: S, fx: E, isolate: Rc<Isolate>) -> Self {
        StreamObject {
            store,
            fx,
            isolate,
            ledger: RefCell::new(Slot::Empty),
            waiting: RefCell::new(Vec::new()),
            unsaved: Cell::new(false),
            history: Cell::new(0),
            legacy_history: Cell::new(false),
        }
    }

    /// Runs `f` on the ledger (read from storage on first use) with no await inside.
    pub async fn with_ledger<T>(&self, f: impl FnOnce(&mut StreamLedger) -> T) -> Reply<T> {
        loop {
            self.load().await?;
            if let Slot::Ready(ledger) = &mut *self.ledger.borrow_mut() {
                return Ok(f(ledger));
            }
        }
    }

    /// Makes sure the ledger is in memory: reads it, or waits for the read under way.
    async fn load(&self) -> Reply<()> {
        loop {
            match &*self.ledger.borrow() {
                Slot::Ready(_) => return Ok(()),
                Slot::Empty => break,
                Slot::Loading => {}
            }
            LoadEnded(self).await;
        }
        *self.ledger.borrow_mut() = Slot::Loading;
        // Whatever happens to this request (an error, or its future dropped), the slot leaves
        // `Loading` and the waiting requests go on.
        let _end = EndLoad(self);
        let (ledger, count) = self.read().await?;
        self.legacy_history
            .set(ledger.record.is_some() && count.is_none());
        self.history.set(count.unwrap_or(0));
        *self.ledger.borrow_mut() = Slot::Ready(Box::new(ledger));
        Ok(())
    }

    /// The ledger and the history count, in one storage read.
    async fn read(&self) -> Reply<(StreamLedger, Option<u64>)> {
        let wanted = [keys::LEDGER.to_owned(), keys::COUNT.to_owned()];
        let found = self
            .store
            .get_many(&wanted)
            .await
            .map_err(|e| ObjectError::Unavailable(format!("read ledger: {e}")))?;
        let mut ledger = StreamLedger::default();
        let mut count = None;
        for (key, value) in found {
            match (key.as_str(), value.as_text()) {
                (keys::LEDGER, Some(json)) => {
                    ledger = read_json(json)
                        .map_err(|e| ObjectError::Unavailable(format!("parse ledger: {e}")))?;
                }
                (keys::COUNT, Some(n)) => count = n.parse::<u64>().ok(),
                _ => {}
            }
        }
        Ok((ledger, count))
    }

    /// Writes the in-memory ledger to storage.
    pub(super) async fn save(&self) -> Reply<()> {
        self.save_with(Vec::new(), true).await
    }

    /// Writes the history `entries` (key, JSON) with the history's count, and the in-memory
    /// ledger with them if `with_ledger`: one atomic write (for the ledger and one entry, three
    /// keys). If storage does not take it, the in-memory state is dropped, to be read again.
    pub(super) async fn save_with(
        &self,
        entries: Vec<(String, String)>,
        with_ledger: bool,
    ) -> Reply<()> {
        let ledger = match &*self.ledger.borrow() {
            Slot::Ready(l) => with_ledger.then(|| write_json(l)),
            _ => return Ok(()),
        };
        if with_ledger {
            self.unsaved.set(false);
        }
        let mut puts = Vec::with_capacity(entries.len() + 2);
        if let Some(json) = ledger {
            puts.push((keys::LEDGER.to_owned(), Stored::Text(json)));
        }
        if !entries.is_empty() {
            let count = self.history.get().to_string();
            puts.push((keys::COUNT.to_owned(), Stored::Text(count)));
            puts.extend(entries.into_iter().map(|(k, v)| (k, Stored::Text(v))));
        }
        if puts.is_empty() {
            return Ok(());
        }
        let saved = self.store.put_all(puts).await;
        if saved.is_err() {
            *self.ledger.borrow_mut() = Slot::Empty;
        }
        saved.map_err(|e| ObjectError::Unavailable(format!("write ledger: {e}")))
    }
}

/// Ready once no read of the ledger is under way.
struct LoadEnded<'a, S, E>(&'a StreamObject<S, E>);

impl<S, E> Future for LoadEnded<'_, S, E> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if matches!(*self.0.ledger.borrow(), Slot::Loading) {
            self.0.waiting.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// Ends a read of the ledger: a read that did not finish leaves the slot empty; the waiting
/// requests wake.
struct EndLoad<'a, S, E>(&'a StreamObject<S, E>);

impl<S, E> Drop for EndLoad<'_, S, E> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.ledger.try_borrow_mut() {
            if matches!(*slot, Slot::Loading) {
                *slot = Slot::Empty;
            }
        }
        let waiting = std::mem::take(&mut *self.0.waiting.borrow_mut());
        for waker in waiting {
            waker.wake();
        }
    }
}
