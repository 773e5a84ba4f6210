//! `StreamStatus`: one Durable Object per stream (named `{provider}:{kind}:{id}`), the source
//! of truth for that stream's ordering and de-duplication. A thin shell over
//! [`StreamLedger`]: apply with `now`, persist, then do the I/O it asks for (a KV write at most
//! once a second, the alert hand-off to the hub) and set the alarm that retries whatever is
//! still pending. KV is eventually consistent; this object is not.
//!
//! The ledger lives in memory while the object does, and is read from storage once per
//! instance. An event costs one storage write (the event, its alert if any, and the KV write
//! slot, together) and one KV write. A confirmed KV write is persisted with the next change:
//! losing it in a restart only means the record is written once more.
//!
//! Every received event also leaves a history entry ([`history`]), with the history's count (a
//! ring of keys: never listed to write one) and, when the ledger changed, in the ledger's own
//! storage write. An applied change is pushed to the hub's live feed after the answer, while
//! someone watches.
//!
//! Requests: [`StreamRequest::Ingest`] → [`IngestReply`], [`StreamRequest::Get`] → the record
//! (`GET /streams/{provider}/{id}`), [`StreamRequest::History`] → the newest entries,
//! [`StreamRequest::Ignored`] → a history note, [`StreamRequest::Inspect`] → the ledger
//! (`…/diagnostics`).

mod history;

use std::cell::{Cell, RefCell};
use std::time::Duration;

use livehook_core::alerts::alert::Alert;
use livehook_core::history::{HistoryEntry, HistoryOutcome, HISTORY_COUNT_KEY};
use livehook_core::ingest::event::{State, StatusRecord};
use livehook_core::live::LiveGate;
use livehook_core::ordering::{Outcome, StreamLedger};
use livehook_core::protocol::{
    HubRequest, Ingest, IngestReply, ObjectError, Reply, ReplyKind, StreamChange, StreamInspection,
    StreamReply, StreamRequest, Watching, NOTIFY_STATES_KEY, STATUS_KV,
};
use livehook_core::text::{read_json, write_json};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State as DoState};

use crate::platform::clock::{now_ms, set_alarm_at, within};
use crate::platform::kv::Kv;
use crate::platform::trap::{self, Place};
use crate::platform::{log, rpc, storage};

const LEDGER_KEY: &str = "state";
/// Longest wait for the alert hub to confirm a hand-off.
const HAND_OFF_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the wanted states read from KV are trusted.
const NOTIFY_STATES_TTL_MS: u64 = 30_000;

thread_local! {
    /// The non-error states some subscriber wants, and when they were read: one copy per isolate,
    /// shared by every stream object in it.
    static NOTIFY_STATES: RefCell<Option<(u64, Vec<State>)>> = const { RefCell::new(None) };
    /// Whether anyone watches the live feed, as this isolate last heard from the hub.
    static LIVE_GATE: Cell<LiveGate> = const { Cell::new(LiveGate::new()) };
}

#[durable_object]
pub struct StreamStatus {
    state: DoState,
    env: Env,
    /// The stream's ledger, once read from storage.
    ledger: RefCell<Option<StreamLedger>>,
    /// The in-memory ledger has changes storage does not have yet (only KV confirmations).
    unsaved: Cell<bool>,
    /// Entries the stream's history ever received (read with the ledger).
    history: Cell<u64>,
    /// The object was written before the history ring: its `h:…` entries are to be moved into
    /// the ring with the next entry.
    legacy_history: Cell<bool>,
}

impl DurableObject for StreamStatus {
    fn new(state: DoState, env: Env) -> Self {
        Self {
            state,
            env,
            ledger: RefCell::new(None),
            unsaved: Cell::new(false),
            history: Cell::new(0),
            legacy_history: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve_fetch(req, |body| self.rpc(body)).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.flush(now_ms())
            .await
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        if self.unsaved.get() {
            self.save()
                .await
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
        }
        Response::ok("ok")
    }
}

#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
impl StreamStatus {
    /// The internal call ([`rpc`]; `src/entry.js` hands the object's `rpc` method here): a
    /// [`StreamRequest`]'s JSON in, its reply's JSON out.
    pub async fn rpc(&self, body: String) -> std::result::Result<JsValue, JsValue> {
        trap::spring(Place::StreamObject);
        let reply: Reply<StreamReply> = match rpc::request(&body)? {
            StreamRequest::Ingest(ingest) => self.ingest(*ingest).await.map(StreamReply::Ingested),
            StreamRequest::Inspect => self.inspect().await,
            StreamRequest::Get => self.record().await,
            StreamRequest::History(q) => self.read_history(q.limit).await,
            StreamRequest::Ignored(note) => self.note_ignored(note).await,
        };
        Ok(rpc::answer(&reply))
    }
}

fn unavailable(what: &'static str) -> impl Fn(worker::Error) -> ObjectError {
    move |e| ObjectError::Unavailable(format!("{what}: {e}"))
}

impl StreamStatus {
    /// Runs `f` on the ledger (read from storage on first use) with no await inside, so
    /// concurrent requests to this object never interleave within a change.
    async fn with_ledger<T>(&self, f: impl FnOnce(&mut StreamLedger) -> T) -> Reply<T> {
        if self.ledger.borrow().is_none() {
            let storage = self.state.storage();
            let [stored, count]: [JsValue; 2] =
                storage::get_many(&storage, &[LEDGER_KEY, HISTORY_COUNT_KEY])
                    .await
                    .map_err(rpc::unavailable("read ledger"))?
                    .try_into()
                    .map_err(|_| ObjectError::Unavailable("read ledger: two values".into()))?;
            let loaded = match stored.as_string() {
                Some(json) => read_json(&json)
                    .map_err(|e| ObjectError::Unavailable(format!("parse ledger: {e}")))?,
                None => StreamLedger::default(),
            };
            let count = count.as_string().and_then(|c| c.parse::<u64>().ok());
            // Another request may have loaded it while this one waited.
            let mut ledger = self.ledger.borrow_mut();
            if ledger.is_none() {
                self.legacy_history
                    .set(loaded.record.is_some() && count.is_none());
                self.history.set(count.unwrap_or(0));
                *ledger = Some(loaded);
            }
        }
        let mut ledger = self.ledger.borrow_mut();
        Ok(f(ledger.get_or_insert_with(StreamLedger::default)))
    }

    /// Writes the in-memory ledger to storage.
    async fn save(&self) -> Reply<()> {
        self.save_with(&history::HistoryWrite::default(), true)
            .await
    }

    /// Writes the history entries of `written` with the history's count, and the in-memory
    /// ledger with them if `with_ledger`: one atomic write (for one entry and the ledger, one call
    /// into the runtime). If storage does not take it, the in-memory state is dropped, to be read
    /// again: a retried delivery is then applied again from what storage holds, not answered as
    /// a duplicate.
    async fn save_with(&self, written: &history::HistoryWrite, with_ledger: bool) -> Reply<()> {
        let ledger = match self.ledger.borrow().as_ref() {
            Some(l) => with_ledger.then(|| write_json(l)),
            None => return Ok(()),
        };
        if with_ledger {
            self.unsaved.set(false);
        }
        let count = self.history.get().to_string();
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(written.entries.len() + 2);
        if let Some(json) = &ledger {
            pairs.push((LEDGER_KEY, json));
        }
        if !written.entries.is_empty() {
            pairs.push((HISTORY_COUNT_KEY, &count));
            pairs.extend(
                written
                    .entries
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
        }
        // With legacy history moved into the ring: up to 100 entries more (at most 128 keys).
        let all: Vec<(&str, JsValue)> = pairs
            .iter()
            .map(|(k, v)| (*k, JsValue::from_str(v)))
            .collect();
        let saved = storage::put_all(&self.state.storage(), &all).await;
        if saved.is_err() {
            *self.ledger.borrow_mut() = None;
        }
        saved.map_err(rpc::unavailable("write ledger"))
    }

    async fn inspect(&self) -> Reply<StreamReply> {
        let ledger = self.with_ledger(|l| l.clone()).await?;
        let Some(record) = &ledger.record else {
            return Err(ObjectError::NoSuchStream);
        };
        let history_entries = self.ring().await?.len();
        Ok(StreamReply::Inspected(Box::new(StreamInspection {
            stream: record.key().to_string(),
            kv_in_sync: !ledger.kv_dirty(),
            alerts_waiting: ledger.outbox.len(),
            history_entries,
            state: ledger,
        })))
    }

    /// Errors always notify; other states only if some subscriber asked (a KV list written by
    /// the alert hub, cached per isolate for 30 s).
    async fn notify_states(&self, state: State) -> Vec<State> {
        if state == State::Errored {
            return Vec::new();
        }
        let now = now_ms();
        let cached = NOTIFY_STATES.with(|c| {
            c.borrow()
                .as_ref()
                .filter(|(at, _)| now.saturating_sub(*at) < NOTIFY_STATES_TTL_MS)
                .map(|(_, states)| states.clone())
        });
        if let Some(states) = cached {
            return states;
        }
        let read = async {
            let text: Option<String> = Kv::bound(&self.env, STATUS_KV)?
                .get_text(NOTIFY_STATES_KEY)
                .await
                .map_err(worker::Error::from)?;
            match text {
                Some(t) => read_json::<Vec<State>>(&t).map_err(worker::Error::from),
                None => Ok(Vec::new()),
            }
        };
        let states = match read.await {
            Ok(states) => states,
            Err(e) => {
                log::failed("notify states unreadable", &e);
                Vec::new()
            }
        };
        NOTIFY_STATES.with(|c| *c.borrow_mut() = Some((now, states.clone())));
        states
    }

    async fn ingest(&self, ingest: Ingest) -> Reply<IngestReply> {
        let notify = self.notify_states(ingest.event.state).await;
        let now = now_ms();
        // Apply and reserve the KV write slot in one change, persisted in one write.
        let (applied, kv_write, after) = self
            .with_ledger(|l| {
                let applied = l.apply(&ingest.event, ingest.received_at_ms, &notify);
                let changed = !matches!(applied.outcome, Outcome::Duplicate | Outcome::Deferred);
                let kv_write = changed.then(|| l.begin_kv_write(now)).flatten();
                let after = l.record.as_ref().map(|r| (l.version, r.clone()));
                (applied, kv_write, after)
            })
            .await?;
        let entry = HistoryOutcome::of(applied.outcome).map(|outcome| {
            let state = after.as_ref().map(|(_, r)| r.state);
            HistoryEntry::of(&ingest.event, ingest.received_at_ms, outcome, state)
        });
        match applied.outcome {
            Outcome::Deferred => {}
            // Nothing changed: only the history learns of it (best effort).
            Outcome::Duplicate => {
                if let Some(entry) = entry {
                    self.record_history(entry).await;
                }
            }
            Outcome::Applied | Outcome::Stale => {
                // A history that cannot be written (legacy entries unreadable) does not fail the
                // event: it is stored without its entry.
                let written = match entry {
                    Some(e) => self.history_write(e).await.unwrap_or_else(|e| {
                        log::failed("history not written", &e);
                        history::HistoryWrite::default()
                    }),
                    None => history::HistoryWrite::default(),
                };
                self.save_with(&written, true).await?;
                self.forget_legacy(written.legacy).await;
                // The event (and any alert) is durable now; the I/O below may fail and be retried.
                if applied.changed {
                    if let Some((version, record)) = after {
                        self.push_to_live_feed(version, record);
                    }
                }
                self.finish(now, kv_write).await?;
            }
        }
        Ok(IngestReply {
            outcome: applied.outcome,
            alert_queued: applied.alert_queued,
        })
    }

    /// The record, strongly consistent: what the last applied event left.
    async fn record(&self) -> Reply<StreamReply> {
        match self.with_ledger(|l| l.record.clone()).await? {
            Some(record) => Ok(StreamReply::Record(Box::new(record))),
            None => Err(ObjectError::NoSuchStream),
        }
    }

    /// Tells the hub's live feed, after the answer (a viewer keeps the highest version), while
    /// someone watches: the isolate's [`LiveGate`] learns that from each push's answer.
    fn push_to_live_feed(&self, version: u64, record: StatusRecord) {
        let now = now_ms();
        if !LIVE_GATE.with(|g| g.get().should_push(now)) {
            return;
        }
        let env = self.env.clone();
        self.state.wait_until(async move {
            let change = HubRequest::StreamChanged(Box::new(StreamChange { version, record }));
            let pushed = match rpc::hub(&env) {
                Ok(hub) => within(HAND_OFF_TIMEOUT, rpc::call(&hub, &change)).await,
                Err(e) => Some(Err(e)),
            };
            let watching = match pushed {
                Some(Ok(answer)) if answer.kind == ReplyKind::Watching => {
                    answer.parse::<Watching>()
                }
                Some(Ok(_)) => Err(ObjectError::Unavailable("unexpected hub answer".into())),
                Some(Err(e)) => Err(e),
                None => Err(ObjectError::Unavailable("timed out".into())),
            };
            match watching {
                Ok(w) => LIVE_GATE.with(|g| {
                    let mut gate = g.get();
                    gate.learned(w.viewers, now);
                    g.set(gate);
                }),
                Err(e) => log::failed("live feed push failed", &e),
            }
        });
    }

    /// The alarm: writes KV and hands alerts off if due.
    async fn flush(&self, now: u64) -> Reply<()> {
        let kv_write = self.with_ledger(|l| l.begin_kv_write(now)).await?;
        if kv_write.is_some() {
            self.unsaved.set(true); // the reserved slot
        }
        self.finish(now, kv_write).await
    }

    /// Performs a reserved KV write, hands the outbox over if due, and sets the alarm for what
    /// is left.
    async fn finish(&self, now: u64, kv_write: Option<(u64, StatusRecord)>) -> Reply<()> {
        if let Some((version, record)) = kv_write {
            let written = self.write_kv(&record).await;
            self.with_ledger(|l| match written {
                Ok(()) => l.kv_written(version),
                Err(_) => l.kv_failed(),
            })
            .await?;
            self.unsaved.set(true);
            if let Err(e) = written {
                log::failed("kv write failed", &e);
            }
        }
        let outbox: Vec<Alert> = self
            .with_ledger(|l| {
                if l.outbox_due(now) {
                    l.outbox.clone()
                } else {
                    Vec::new()
                }
            })
            .await?;
        if !outbox.is_empty() {
            // If this object stops before the hub answers (a trap), the alarm hands the outbox
            // over: the alerts are stored, and nothing else would wake the object.
            self.set_alarm_by(now + HAND_OFF_TIMEOUT.as_millis() as u64)
                .await?;
            let mut delivered = Vec::new();
            for alert in &outbox {
                if self.hand_off(alert).await.is_ok() {
                    delivered.push(alert.id.clone());
                }
            }
            let failed = delivered.len() < outbox.len();
            self.with_ledger(|l| {
                for id in &delivered {
                    l.alert_handed_off(id);
                }
                if failed {
                    l.alert_hand_off_failed(now);
                }
            })
            .await?;
            // Handed-off alerts leave the outbox durably (a re-hand-off would be harmless).
            self.save().await?;
        }
        if let Some(at) = self.with_ledger(|l| l.next_alarm_ms(now)).await? {
            self.set_alarm_by(at).await?;
        }
        Ok(())
    }

    /// Makes the alarm fire by `at` (ms) at the latest.
    async fn set_alarm_by(&self, at: u64) -> Reply<()> {
        let now = now_ms();
        let storage = self.state.storage();
        let current = storage
            .get_alarm()
            .await
            .map_err(unavailable("get alarm"))?;
        if current.is_none_or(|c| c > at as i64 || c < now as i64) {
            set_alarm_at(&storage, at)
                .await
                .map_err(unavailable("set alarm"))?;
        }
        Ok(())
    }

    async fn write_kv(&self, record: &StatusRecord) -> Result<()> {
        let key = record.key().kv_key();
        // Metadata lets `GET /streams` filter a page without reading the records.
        Kv::bound(&self.env, STATUS_KV)?
            .put_record(
                &key,
                &write_json(record),
                record.state.as_str(),
                record.kind.as_str(),
            )
            .await?;
        Ok(())
    }

    /// Bounded: if the hub does not answer, the alert stays in the outbox for the alarm, and the
    /// provider's webhook is answered anyway (its event is already stored).
    async fn hand_off(&self, alert: &Alert) -> Reply<()> {
        let hub = rpc::hub(&self.env)?;
        let request = HubRequest::Accept(alert.clone());
        let call = rpc::call(&hub, &request);
        match within(HAND_OFF_TIMEOUT, call).await {
            Some(Ok(answer)) if answer.kind == ReplyKind::Accepted => Ok(()),
            Some(Ok(_)) => Err(ObjectError::Unavailable("unexpected hub answer".into())),
            Some(Err(e)) => Err(e),
            None => Err(ObjectError::Unavailable("alert hub timed out".into())),
        }
    }
}
