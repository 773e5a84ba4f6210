//! The stream object's logic on the host, over [`crate::store::memory`] and [`super::memory`]:
//! one read per load (shared by requests that arrive during it), the writes an event costs, a
//! failed write dropping the in-memory state, the KV coalescing alarm, the hub hand-off, the
//! wanted-states cache, the live-feed gate, the legacy history migration and the typed replies.

use std::pin::pin;
use std::rc::Rc;

use futures_util::future::join;

use super::isolate::Isolate;
use super::memory::{accept_all, HubAnswer, MemoryWorld};
use super::{keys, StreamObject};
use crate::history::{HistoryEntry, HistoryOutcome, MAX_HISTORY};
use crate::ingest::event::{errored_event_for_tests, Event, Kind, ProviderId, State};
use crate::ingest::event::{StreamKey, TimeSource};
use crate::ordering::{Outcome, StreamLedger};
use crate::protocol::{
    read_reply, Call, GetRecord, HistoryQuery, HubReply, IgnoredNote, Ingest, IngestReply, Inspect,
    ObjectError, Reply, StreamRequest, Watching, NOTIFY_STATES_KEY,
};
use crate::store::memory::{block_on, poll_once, Call as StoreCall, MemoryStore};
use crate::store::MAX_KEYS_PER_CALL;
use crate::text::{read_json, write_json};
use crate::time::Nanos;

/// 2026-11-01T12:00:00Z.
const T0: u64 = 1_793_534_400_000;

type TestObject = StreamObject<MemoryStore, MemoryWorld>;

fn object_on(store: MemoryStore) -> TestObject {
    StreamObject::new(store, MemoryWorld::new(T0), Rc::new(Isolate::default()))
}

fn object() -> TestObject {
    object_on(MemoryStore::default())
}

/// A FastPix event for stream `s1`, `at` seconds after T0.
fn ev(id: &str, at: u64, state: State) -> Event {
    Event {
        stream: StreamKey::new(ProviderId::new("fastpix"), Kind::LiveInput, "s1").unwrap(),
        parent_id: None,
        state,
        recording: None,
        occurred_at: (T0 + at * 1000) as Nanos * 1_000_000,
        time_source: TimeSource::Provider,
        event_type: format!("video.live_stream.{}", state.as_str()),
        event_id: id.into(),
        error: None,
        name: None,
        keeps_state: false,
        warning: None,
        latest_recording: None,
        publisher: None,
    }
}

/// A request through the wire both ways, as the worker and the Durable Object exchange it.
fn ask_with_push<C: Call<Wire = StreamRequest>>(
    o: &TestObject,
    request: C,
) -> (Reply<C::Reply>, Option<super::LivePush>) {
    let wire: StreamRequest = read_json(&write_json(&request.wire())).unwrap();
    let handled = block_on(o.handle(wire));
    (read_reply(&write_json(&handled.reply)), handled.push)
}

fn ask<C: Call<Wire = StreamRequest>>(o: &TestObject, request: C) -> Reply<C::Reply> {
    ask_with_push(o, request).0
}

/// Sends `event`, received now.
fn send(o: &TestObject, event: Event) -> Reply<IngestReply> {
    let received_at_ms = o.fx.now_ms.get();
    ask(
        o,
        Ingest {
            event,
            received_at_ms,
            incidents: Default::default(),
            correction: false,
        },
    )
}

fn outcome(o: &TestObject, event: Event) -> Outcome {
    send(o, event).unwrap().outcome
}

/// The ledger as storage holds it.
fn stored_ledger(o: &TestObject) -> StreamLedger {
    read_json(&o.store.text(keys::LEDGER).unwrap()).unwrap()
}

/// The state of the record KV holds for stream `s1`.
fn kv_state(o: &TestObject) -> Option<String> {
    let kv = o.fx.kv.borrow();
    let value = kv.get("status:fastpix:live_input:s1")?;
    let record: crate::ingest::event::StatusRecord = read_json(&value.text).ok()?;
    Some(record.state.as_str().to_owned())
}

/// The `verified_at` of the record in KV.
fn kv_verified_at(o: &TestObject) -> Option<String> {
    let kv = o.fx.kv.borrow();
    let value = kv.get("status:fastpix:live_input:s1")?;
    let record: crate::ingest::event::StatusRecord = read_json(&value.text).ok()?;
    record.verified_at
}

/// The alarm fires when it is due: the clock moves to it, and the runtime no longer reports it
/// while the handler runs.
fn fire_alarm(o: &TestObject) -> Reply<()> {
    let at = o.store.alarm_ms.take().expect("an alarm is set");
    o.fx.now_ms.set(at);
    block_on(o.alarm()).map(|_| ())
}

fn history(o: &TestObject, limit: usize) -> Vec<HistoryEntry> {
    let page = ask(o, HistoryQuery { limit }).unwrap();
    let page: serde_json::Value = serde_json::from_str(page.json()).unwrap();
    serde_json::from_value(page["events"].clone()).unwrap()
}

#[test]
fn an_applied_event_costs_one_read_on_load_then_one_three_key_write_and_one_kv_write() {
    let o = object();
    assert_eq!(outcome(&o, ev("a", 1, State::Connected)), Outcome::Applied);
    assert_eq!(
        o.store.take_log(),
        [
            StoreCall::GetMany(vec!["state".into(), "history".into()]),
            StoreCall::Put(vec!["state".into(), "history".into(), "e:00".into()]),
        ],
        "nothing pending: no alarm call"
    );
    assert_eq!((o.fx.kv_writes.get(), o.fx.kv_reads.get()), (1, 1));
    o.fx.advance(2_000);
    assert_eq!(outcome(&o, ev("b", 2, State::Live)), Outcome::Applied);
    assert_eq!(
        o.store.take_log(),
        [StoreCall::Put(vec![
            "state".into(),
            "history".into(),
            "e:01".into()
        ])],
        "the ledger stays in memory; the wanted states are cached"
    );
    assert_eq!((o.fx.kv_writes.get(), o.fx.kv_reads.get()), (2, 1));
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
}

#[test]
fn requests_arriving_while_the_ledger_loads_read_storage_once_and_share_one_ledger() {
    let o = object();
    o.store.held.set(true);
    let first = Ingest {
        event: ev("a", 1, State::Connected),
        received_at_ms: T0,
        incidents: Default::default(),
        correction: false,
    };
    let second = Ingest {
        event: ev("b", 2, State::Live),
        received_at_ms: T0,
        incidents: Default::default(),
        correction: false,
    };
    let mut both = pin!(join(o.handle(first.wire()), o.handle(second.wire())));
    assert!(poll_once(&mut both).is_none(), "the read is under way");
    assert!(poll_once(&mut both).is_none());
    assert_eq!(
        o.store.take_log(),
        [StoreCall::GetMany(vec!["state".into(), "history".into()])],
        "one read for both"
    );
    o.store.held.set(false);
    let (a, b) = block_on(both);
    let outcomes = [a.reply.unwrap(), b.reply.unwrap()].map(|r| match r {
        crate::protocol::StreamReply::Ingested(i) => i.outcome,
        other => panic!("{other:?}"),
    });
    assert_eq!(outcomes, [Outcome::Applied, Outcome::Applied]);
    let reads = o
        .store
        .take_log()
        .iter()
        .filter(|c| matches!(c, StoreCall::GetMany(_)))
        .count();
    assert_eq!(reads, 0, "no second read");
    let ledger = stored_ledger(&o);
    assert_eq!(ledger.version, 2, "one ledger saw both");
    assert_eq!(ledger.seen.len(), 2);
    assert_eq!(o.store.text(keys::COUNT).as_deref(), Some("2"));
}

#[test]
fn a_load_abandoned_midway_leaves_the_next_request_to_read_again() {
    let o = object();
    o.store.held.set(true);
    {
        let mut abandoned = pin!(o.handle(GetRecord.wire()));
        assert!(poll_once(&mut abandoned).is_none());
    }
    o.store.held.set(false);
    assert_eq!(outcome(&o, ev("a", 1, State::Live)), Outcome::Applied);
    let reads = o
        .store
        .take_log()
        .iter()
        .filter(|c| matches!(c, StoreCall::GetMany(_)))
        .count();
    assert_eq!(reads, 2);
}

#[test]
fn a_failed_storage_write_drops_the_in_memory_state_so_the_retry_is_applied() {
    let o = object();
    assert_eq!(ask(&o, GetRecord).err(), Some(ObjectError::NoSuchStream));
    o.store.failing_writes.set(true);
    let failed = send(&o, ev("a", 1, State::Live));
    assert!(
        matches!(failed, Err(ObjectError::Unavailable(_))),
        "{failed:?}"
    );
    assert_eq!(kv_state(&o), None, "nothing was written, KV included");
    o.store.failing_writes.set(false);
    o.store.take_log();
    assert_eq!(
        outcome(&o, ev("a", 1, State::Live)),
        Outcome::Applied,
        "not a duplicate of a change that was never stored"
    );
    assert_eq!(
        o.store.take_log().first(),
        Some(&StoreCall::GetMany(vec!["state".into(), "history".into()])),
        "read again"
    );
    assert_eq!(stored_ledger(&o).version, 1);
    assert_eq!(o.store.text(keys::COUNT).as_deref(), Some("1"));
    assert_eq!(o.store.keys("e:"), ["e:00"], "the count was read again too");
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
}

#[test]
fn a_storage_read_that_fails_is_unavailable_and_nothing_is_kept() {
    let o = object();
    o.store.failing.set(true);
    let got = send(&o, ev("a", 1, State::Live));
    assert!(matches!(&got, Err(ObjectError::Unavailable(m)) if m.starts_with("read ledger")));
    o.store.failing.set(false);
    assert_eq!(outcome(&o, ev("a", 1, State::Live)), Outcome::Applied);
}

#[test]
fn a_burst_leaves_the_newest_record_to_the_alarm_a_second_later() {
    let o = object();
    outcome(&o, ev("1", 1, State::Connected));
    o.fx.advance(100);
    outcome(&o, ev("2", 2, State::Live));
    o.fx.advance(100);
    outcome(&o, ev("3", 3, State::Disconnected));
    assert_eq!(o.fx.kv_writes.get(), 1, "one KV write a second");
    assert_eq!(kv_state(&o).as_deref(), Some("connected"));
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 1_000));
    let diagnostics: serde_json::Value =
        serde_json::from_str(ask(&o, Inspect).unwrap().json()).unwrap();
    assert_eq!(diagnostics["kv_in_sync"], false);
    fire_alarm(&o).unwrap();
    assert_eq!(o.fx.kv_writes.get(), 2);
    assert_eq!(kv_state(&o).as_deref(), Some("disconnected"), "the newest");
    let saved = stored_ledger(&o);
    assert_eq!(
        (saved.version, saved.kv_version),
        (3, 3),
        "saved by the alarm"
    );
    assert_eq!(
        o.store.alarm_ms.get(),
        Some(T0 + 200 + 60_000),
        "nothing left to wake for but the offline grace period of a stream that left the air"
    );
}

#[test]
fn a_failed_kv_write_is_retried_by_the_alarm_with_backoff() {
    let o = object();
    o.fx.kv_writes_fail.set(true);
    assert_eq!(
        outcome(&o, ev("1", 1, State::Live)),
        Outcome::Applied,
        "the event is stored: KV catches up"
    );
    assert!(o.fx.logged("kv write failed"));
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 1_000));
    fire_alarm(&o).unwrap();
    assert_eq!(stored_ledger(&o).kv_failures, 2);
    assert_eq!(
        o.store.alarm_ms.get(),
        Some(T0 + 3_000),
        "two failures: 2 s after the last try"
    );
    o.fx.kv_writes_fail.set(false);
    fire_alarm(&o).unwrap();
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
    let saved = stored_ledger(&o);
    assert_eq!((saved.kv_failures, saved.kv_version), (0, 1));
    assert_eq!(o.fx.kv_writes.get(), 3);
}

#[test]
fn an_alert_is_handed_to_the_hub_and_leaves_the_outbox_once_confirmed() {
    let o = object();
    let got = send(&o, errored_event_for_tests("in1", "e1")).unwrap();
    assert_eq!((got.outcome, got.alert_queued), (Outcome::Applied, true));
    assert_eq!(o.fx.hub_calls_of(r#"{"accept""#), 1);
    assert_eq!(o.fx.hub_calls.borrow()[0].1, 5_000, "bounded by 5 s");
    assert!(stored_ledger(&o).outbox.is_empty(), "saved without it");
    assert_eq!(
        o.fx.kv_reads.get(),
        0,
        "errors always notify: no states read"
    );
}

#[test]
fn the_alarm_is_set_before_an_alert_is_handed_off_so_a_hand_off_cut_short_is_retried() {
    let o = object();
    o.store.take_log();
    let got = send(&o, errored_event_for_tests("in1", "e1")).unwrap();
    assert!(got.alert_queued);
    let log = o.store.take_log();
    let set_at = log
        .iter()
        .position(|c| *c == StoreCall::SetAlarm(T0 + 5_000));
    let saved_without = log
        .iter()
        .rposition(|c| matches!(c, StoreCall::Put(keys) if keys.iter().any(|k| k == keys::LEDGER)));
    assert!(
        set_at.is_some(),
        "an alarm by the hand-off's deadline: {log:?}"
    );
    assert!(
        set_at < saved_without,
        "set before the outbox is emptied: {log:?}"
    );
    // Had the object stopped during the hand-off, that alarm hands the stored alert over.
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 5_000));
}

#[test]
fn a_refused_hand_off_keeps_the_alert_in_the_outbox_and_the_alarm_retries_it() {
    let o = object();
    o.fx.hub_answers(|_| HubAnswer::Reply(Err(ObjectError::Unavailable("down".into()))));
    let got = send(&o, errored_event_for_tests("in1", "e1")).unwrap();
    assert_eq!(
        (got.outcome, got.alert_queued),
        (Outcome::Applied, true),
        "answered anyway: the event and its alert are stored"
    );
    let saved = stored_ledger(&o);
    assert_eq!((saved.outbox.len(), saved.outbox_failures), (1, 1));
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 1_000));
    // An answer of another kind is no confirmation either.
    o.fx.hub_answers(|_| HubAnswer::Reply(Ok(HubReply::Watching(Watching { viewers: 1 }))));
    fire_alarm(&o).unwrap();
    let saved = stored_ledger(&o);
    assert_eq!((saved.outbox.len(), saved.outbox_failures), (1, 2));
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 3_000));
    o.fx.hub_answers(accept_all(0));
    fire_alarm(&o).unwrap();
    let saved = stored_ledger(&o);
    assert!(saved.outbox.is_empty());
    assert_eq!((saved.outbox_failures, saved.outbox_retry_ms), (0, None));
    assert_eq!(o.fx.hub_calls_of(r#"{"accept""#), 3);
}

#[test]
fn a_hand_off_that_times_out_is_retried_like_a_refusal() {
    let o = object();
    o.fx.hub_answers(|_| HubAnswer::Silent);
    let got = send(&o, errored_event_for_tests("in1", "e1")).unwrap();
    assert!(got.alert_queued);
    assert_eq!(stored_ledger(&o).outbox.len(), 1);
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 1_000));
    o.fx.hub_answers(accept_all(1));
    fire_alarm(&o).unwrap();
    assert!(stored_ledger(&o).outbox.is_empty());
}

#[test]
fn the_wanted_states_are_read_once_per_isolate_every_30_seconds() {
    let isolate = Rc::new(Isolate::default());
    let a = StreamObject::new(
        MemoryStore::default(),
        MemoryWorld::new(T0),
        isolate.clone(),
    );
    let b = StreamObject::new(MemoryStore::default(), MemoryWorld::new(T0), isolate);
    a.fx.kv.borrow_mut().insert(
        NOTIFY_STATES_KEY.into(),
        super::memory::KvValue {
            text: r#"["disconnected"]"#.into(),
            metadata: None,
        },
    );
    assert!(!send(&a, ev("1", 1, State::Live)).unwrap().alert_queued);
    assert_eq!(a.fx.kv_reads.get(), 1);
    b.fx.advance(10_000);
    let got = send(&b, ev("2", 2, State::Disconnected)).unwrap();
    assert!(got.alert_queued, "b knows the states a read");
    assert_eq!(b.fx.kv_reads.get(), 0, "shared by the isolate's objects");
    send(&b, errored_event_for_tests("in1", "e1")).unwrap();
    assert_eq!(b.fx.kv_reads.get(), 0, "an error reads nothing");
    a.fx.advance(30_000);
    send(&a, ev("3", 3, State::Idle)).unwrap();
    assert_eq!(a.fx.kv_reads.get(), 2, "read again after 30 s");
    // Unreadable: none wanted, logged, and trusted for the same 30 s.
    a.fx.kv_reads_fail.set(true);
    a.fx.advance(30_000);
    let got = send(&a, ev("4", 4, State::Disconnected)).unwrap();
    assert!(!got.alert_queued);
    assert!(a.fx.logged("notify states unreadable"));
    a.fx.advance(1_000);
    send(&a, ev("5", 5, State::Live)).unwrap();
    assert_eq!(a.fx.kv_reads.get(), 3);
}

#[test]
fn changes_go_to_the_live_feed_while_someone_watches_and_once_a_second_otherwise() {
    let o = object();
    o.fx.hub_answers(accept_all(0));
    let (_, push) = ask_with_push(&o, ingest_now(&o, ev("1", 1, State::Live)));
    let push = push.expect("unknown: push");
    assert_eq!(push.change.version, 1);
    block_on(o.push_live(push));
    assert_eq!(o.fx.hub_calls_of(r#"{"stream_changed""#), 1);
    o.fx.advance(500);
    let (_, push) = ask_with_push(&o, ingest_now(&o, ev("2", 2, State::Idle)));
    assert!(push.is_none(), "nobody watched half a second ago");
    o.fx.advance(500);
    let (_, push) = ask_with_push(&o, ingest_now(&o, ev("3", 3, State::Live)));
    o.fx.hub_answers(accept_all(2));
    block_on(o.push_live(push.expect("the recheck")));
    o.fx.advance(10);
    let (_, push) = ask_with_push(&o, ingest_now(&o, ev("4", 4, State::Idle)));
    assert_eq!(push.map(|p| p.change.version), Some(4), "someone watches");
    let (_, push) = ask_with_push(&o, ingest_now(&o, ev("4", 4, State::Idle)));
    assert!(push.is_none(), "a duplicate changes nothing");
    o.fx.hub_answers(|_| HubAnswer::Silent);
    let (_, push) = ask_with_push(&o, ingest_now(&o, ev("5", 5, State::Live)));
    block_on(o.push_live(push.unwrap()));
    assert!(o.fx.logged("live feed push failed"));
}

fn ingest_now(o: &TestObject, event: Event) -> Ingest {
    Ingest {
        event,
        received_at_ms: o.fx.now_ms.get(),
        incidents: Default::default(),
        correction: false,
    }
}

#[test]
fn an_ignored_message_and_a_duplicate_are_history_only() {
    let o = object();
    outcome(&o, ev("1", 1, State::Live));
    o.store.take_log();
    let noted = ask(
        &o,
        IgnoredNote {
            event_type: Some("video.live_stream.exploded".into()),
            received_at_ms: T0,
        },
    );
    assert!(noted.unwrap().ok);
    assert_eq!(outcome(&o, ev("1", 1, State::Live)), Outcome::Duplicate);
    assert_eq!(
        o.store.take_log(),
        [
            StoreCall::Put(vec!["history".into(), "e:01".into()]),
            StoreCall::Put(vec!["history".into(), "e:02".into()]),
        ]
    );
    let outcomes: Vec<HistoryOutcome> = history(&o, 10).iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [
            HistoryOutcome::Duplicate,
            HistoryOutcome::Ignored,
            HistoryOutcome::Applied
        ]
    );
    // A history write that fails does not fail the webhook.
    o.store.failing_writes.set(true);
    assert_eq!(outcome(&o, ev("1", 1, State::Live)), Outcome::Duplicate);
    assert!(o.fx.logged("history not written"));
}

#[test]
fn a_stream_that_never_received_an_event_is_no_such_stream_on_every_read() {
    let o = object();
    assert_eq!(ask(&o, GetRecord).err(), Some(ObjectError::NoSuchStream));
    assert_eq!(
        ask(&o, HistoryQuery { limit: 5 }).err(),
        Some(ObjectError::NoSuchStream)
    );
    assert_eq!(ask(&o, Inspect).err(), Some(ObjectError::NoSuchStream));
    assert!(o.store.data.borrow().is_empty(), "reads write nothing");
}

#[test]
fn every_request_gets_the_reply_its_type_names() {
    let o = object();
    let ingested: IngestReply = send(&o, ev("1", 1, State::Live)).unwrap();
    assert_eq!(ingested.outcome, Outcome::Applied);
    let record = ask(&o, GetRecord).unwrap();
    assert!(record
        .json()
        .starts_with(r#"{"provider":"fastpix","stream_id":"s1""#));
    let page = ask(&o, HistoryQuery { limit: 1 }).unwrap();
    assert!(page
        .json()
        .starts_with(r#"{"events":[{"event_type":"video.live_stream.live""#));
    let inspected = ask(&o, Inspect).unwrap();
    assert!(inspected
        .json()
        .starts_with(r#"{"stream":"fastpix:live_input:s1","kv_in_sync":true"#));
    let noted = ask(
        &o,
        IgnoredNote {
            event_type: None,
            received_at_ms: T0,
        },
    );
    assert!(noted.unwrap().ok);
}

/// `n` entries in the format written before the ring: `h:{received ms, 15 digits}:{n, 6}`.
fn legacy_store(n: u64) -> MemoryStore {
    let store = MemoryStore::default();
    let mut ledger = StreamLedger::default();
    ledger.apply(&ev("old", 0, State::Live), T0, &[]);
    ledger.kv_written(ledger.version);
    let mut data = store.data.borrow_mut();
    data.insert(
        keys::LEDGER.into(),
        crate::store::Stored::Text(write_json(&ledger)),
    );
    for i in 0..n {
        let mut entry = HistoryEntry::of(
            &ev("old", 0, State::Live),
            T0 - 1_000_000 + i * 100,
            HistoryOutcome::Applied,
            Some(State::Live),
        );
        entry.event_type = format!("legacy.{i}");
        let key = format!("h:{:015}:{:06}", T0 - 1_000_000 + i * 100, i);
        data.insert(key, crate::store::Stored::Text(write_json(&entry)));
    }
    drop(data);
    store
}

#[test]
fn legacy_history_moves_into_the_ring_with_the_next_entry_newest_hundred_kept() {
    let o = object_on(legacy_store(150));
    // Before its next entry: read as written, newest first.
    let before = history(&o, 100);
    assert_eq!(before.len(), 100);
    assert_eq!(before[0].event_type, "legacy.149");
    assert_eq!(before[99].event_type, "legacy.50");
    o.store.take_log();
    assert_eq!(outcome(&o, ev("new", 1, State::Idle)), Outcome::Applied);
    let log = o.store.take_log();
    let puts: Vec<&Vec<String>> = log
        .iter()
        .filter_map(|c| match c {
            StoreCall::Put(k) => Some(k),
            _ => None,
        })
        .collect();
    assert_eq!(
        puts.len(),
        1,
        "the move, the ledger and the new entry land together"
    );
    assert_eq!(
        puts[0].len(),
        103,
        "ledger, count, 100 moved, the new entry"
    );
    assert!(puts[0].len() <= MAX_KEYS_PER_CALL);
    let deletes: Vec<usize> = log
        .iter()
        .filter_map(|c| match c {
            StoreCall::Delete(k) => Some(k.len()),
            _ => None,
        })
        .collect();
    assert_eq!(deletes, [128, 22], "then the old keys, 128 a call");
    assert!(o.store.keys("h:").is_empty());
    assert_eq!(o.store.keys("e:").len(), MAX_HISTORY);
    assert_eq!(o.store.text(keys::COUNT).as_deref(), Some("101"));
    let after = history(&o, 100);
    assert_eq!(after.len(), 100, "100 kept");
    assert_eq!(
        after[0].event_type, "video.live_stream.idle",
        "the new entry first"
    );
    for (n, entry) in after.iter().enumerate().skip(1) {
        assert_eq!(entry.event_type, format!("legacy.{}", 150 - n), "entry {n}");
        assert_eq!(entry.outcome, HistoryOutcome::Applied);
    }
    let diagnostics: serde_json::Value =
        serde_json::from_str(ask(&o, Inspect).unwrap().json()).unwrap();
    assert_eq!(diagnostics["history_entries"], 100);
}

#[test]
fn a_legacy_store_with_few_entries_moves_them_all_and_a_failed_delete_is_only_logged() {
    let o = object_on(legacy_store(3));
    o.store.take_log();
    let noted = ask(
        &o,
        IgnoredNote {
            event_type: Some("x".into()),
            received_at_ms: T0,
        },
    );
    assert!(noted.unwrap().ok);
    assert_eq!(o.store.text(keys::COUNT).as_deref(), Some("4"));
    let types: Vec<String> = history(&o, 10).into_iter().map(|e| e.event_type).collect();
    assert_eq!(types, ["x", "legacy.2", "legacy.1", "legacy.0"]);
    // Deletes that fail leave keys that are never read again.
    let o = object_on(legacy_store(3));
    o.store.failing_writes.set(true);
    o.fx.kv_writes_fail.set(true);
    let got = send(&o, ev("new", 1, State::Idle));
    assert!(
        got.is_err(),
        "the write itself failed: the provider retries"
    );
    o.store.failing_writes.set(false);
    assert_eq!(outcome(&o, ev("new", 1, State::Idle)), Outcome::Applied);
    assert_eq!(history(&o, 10).len(), 4, "moved on the retry");
}

/// The hub calls made so far, by kind: `accept` or `record_incident`, in order.
fn hub_call_kinds(o: &TestObject) -> Vec<String> {
    o.fx.hub_calls
        .borrow()
        .iter()
        .filter_map(|(json, _)| {
            let v: serde_json::Value = serde_json::from_str(json).ok()?;
            v.as_object()?.keys().next().cloned()
        })
        .collect()
}

#[test]
fn an_error_hands_its_alert_then_its_incident_to_the_hub_in_one_answer() {
    let o = object();
    outcome(&o, ev("live", 1, State::Live));
    let mut e = ev("err", 2, State::Errored);
    e.error = errored_event_for_tests("s1", "x").error;
    send(&o, e).unwrap();
    assert_eq!(
        hub_call_kinds(&o),
        ["accept", "record_incident"],
        "the alert first"
    );
    let saved = stored_ledger(&o);
    assert!(saved.incidents.outbox.is_empty(), "confirmed and saved");
    assert!(saved.incidents.open.is_some());
}

#[test]
fn the_alarm_opens_an_offline_incident_when_the_grace_period_ends_and_hands_it_over() {
    let o = object();
    outcome(&o, ev("live", 1, State::Live));
    o.fx.advance(1_000);
    outcome(&o, ev("gone", 2, State::Disconnected));
    // KV is written: the alarm is the grace period's end, 60 s after the disconnect.
    assert!(hub_call_kinds(&o).is_empty());
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 1_000 + 60_000));
    fire_alarm(&o).unwrap();
    assert_eq!(hub_call_kinds(&o), ["record_incident"]);
    let saved = stored_ledger(&o);
    let open = saved.incidents.open.unwrap().incident;
    assert_eq!(open.cause, crate::incidents::Cause::Offline);
    assert_eq!(open.opened_at_ms, T0 + 1_000, "since it left the air");
    assert_eq!(
        o.store.alarm_ms.get(),
        Some(T0 + 61_000 + 5_000),
        "only the hand-off's safety net, which will find nothing to do"
    );
    fire_alarm(&o).unwrap();
    assert_eq!(hub_call_kinds(&o).len(), 1);
    assert_eq!(o.store.alarm_ms.get(), None, "nothing left to wake for");
}

#[test]
fn a_refused_incident_hand_off_stays_in_the_outbox_and_the_alarm_retries_it() {
    let o = object();
    o.fx.hub_answers(|req| match req {
        crate::protocol::HubRequest::RecordIncident(_) => {
            HubAnswer::Reply(Err(ObjectError::Unavailable("down".into())))
        }
        other => accept_all(0)(other),
    });
    let mut e = ev("err", 2, State::Errored);
    e.error = errored_event_for_tests("s1", "x").error;
    send(&o, e).unwrap();
    let saved = stored_ledger(&o);
    assert!(saved.outbox.is_empty(), "the alert went");
    assert_eq!(saved.incidents.outbox.len(), 1, "the incident waits");
    assert_eq!(o.store.alarm_ms.get(), Some(T0 + 1_000));
    o.fx.hub_answers(accept_all(0));
    fire_alarm(&o).unwrap();
    assert!(stored_ledger(&o).incidents.outbox.is_empty());
}

#[test]
fn resolving_by_hand_closes_the_open_incident_once_and_a_hub_closure_stops_tracking_it() {
    let o = object();
    let mut e = ev("err", 2, State::Errored);
    e.error = errored_event_for_tests("s1", "x").error;
    send(&o, e.clone()).unwrap();
    let id = stored_ledger(&o).incidents.open.unwrap().incident.id;
    let got = ask(&o, crate::protocol::ResolveIncident(id.clone())).unwrap();
    assert!(got.resolved);
    assert_eq!(
        hub_call_kinds(&o).last().map(String::as_str),
        Some("record_incident")
    );
    assert!(stored_ledger(&o).incidents.open.is_none());
    assert!(
        !ask(&o, crate::protocol::ResolveIncident(id))
            .unwrap()
            .resolved
    );
    // The hub closed the next one by hand while the stream could not hear: its next change is
    // answered `closed`, and the stream stops tracking it; the failure that change carried
    // opens a new incident.
    let mut again = ev("err2", 3, State::Errored);
    again.error = e.error.clone();
    send(&o, again).unwrap();
    let closed = stored_ledger(&o).incidents.open.unwrap().incident.id;
    o.fx.hub_answers(|req| match req {
        crate::protocol::HubRequest::RecordIncident(c) => HubAnswer::Reply(Ok(
            HubReply::IncidentRecorded(crate::protocol::IncidentRecorded {
                id: c.incident.id.clone(),
                seq: c.seq,
                closed: true,
            }),
        )),
        other => accept_all(0)(other),
    });
    let mut third = ev("err3", 4, State::Errored);
    third.error = e.error;
    send(&o, third).unwrap();
    let saved = stored_ledger(&o);
    let reopened = saved.incidents.open.unwrap().incident;
    assert_ne!(reopened.id, closed, "not the closed one");
    assert_eq!(
        saved.incidents.outbox.len(),
        1,
        "its opening waits for the alarm"
    );
    assert_eq!(
        saved.incidents.outbox[0].change,
        crate::incidents::ChangeKind::Opened
    );
}

/// A poll of stream `s1` (a FastPix live input) at `at_ms`, saying `state`.
fn poll(state: State, at_ms: u64) -> crate::protocol::ReconcilePoll {
    crate::protocol::ReconcilePoll {
        poll: crate::reconcile::decide::Poll {
            stream: StreamKey::new(ProviderId::new("fastpix"), Kind::LiveInput, "s1").unwrap(),
            name: None,
            state: crate::reconcile::decide::Observed::State(state),
            at_ms,
        },
        settle_ms: 120_000,
        incidents: Default::default(),
    }
}

#[test]
fn a_poll_corrects_a_lost_disconnect_after_the_settle_time_and_says_so_in_the_history() {
    use crate::protocol::ReconcileOutcome;
    let o = object();
    outcome(&o, ev("live", 1, State::Live));
    o.fx.advance(60_000);
    let early = ask(&o, poll(State::Disconnected, T0 + 60_000)).unwrap();
    assert_eq!(
        early.outcome,
        ReconcileOutcome::Settling,
        "a webhook may be on its way"
    );
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
    o.fx.advance(60_000);
    let late = ask(&o, poll(State::Disconnected, T0 + 120_000)).unwrap();
    assert_eq!(late.outcome, ReconcileOutcome::Corrected);
    assert_eq!(kv_state(&o).as_deref(), Some("disconnected"));
    let saved = stored_ledger(&o);
    assert_eq!(saved.verified_ms, Some(T0 + 120_000));
    assert_eq!(saved.record.unwrap().last_event, "reconcile");
    let newest = &history(&o, 1)[0];
    assert_eq!(
        (newest.outcome, newest.event_type.as_str()),
        (HistoryOutcome::Corrected, "reconcile")
    );
    // The stream left the air: the offline grace period runs as for a webhook.
    assert!(saved.incidents.off_air.is_some());
    // Asked again, the API agrees: confirmed, nothing written to KV.
    let writes = o.fx.kv_writes.get();
    o.fx.advance(60_000);
    let again = ask(&o, poll(State::Disconnected, T0 + 180_000)).unwrap();
    assert_eq!(again.outcome, ReconcileOutcome::Confirmed);
    assert_eq!(o.fx.kv_writes.get(), writes);
    assert_eq!(stored_ledger(&o).verified_ms, Some(T0 + 180_000));
}

#[test]
fn verified_at_goes_to_kv_with_a_correction_then_at_most_every_ten_minutes() {
    use crate::protocol::ReconcileOutcome;
    use crate::time::format_rfc3339_ms;
    let o = object();
    outcome(&o, ev("live", 1, State::Live));
    assert_eq!(kv_verified_at(&o), None, "a webhook verifies nothing");
    o.fx.advance(120_000);
    let t1 = T0 + 120_000;
    assert_eq!(
        ask(&o, poll(State::Disconnected, t1)).unwrap().outcome,
        ReconcileOutcome::Corrected
    );
    let writes = o.fx.kv_writes.get();
    assert_eq!(kv_verified_at(&o), Some(format_rfc3339_ms(t1)));
    // Confirmed every minute: KV is not written again within ten minutes.
    for minute in 1..10 {
        o.fx.advance(60_000);
        let at = t1 + minute * 60_000;
        let (got, push) = ask_with_push(&o, poll(State::Disconnected, at));
        assert_eq!(got.unwrap().outcome, ReconcileOutcome::Confirmed);
        assert!(push.is_none(), "nothing changed for the board");
    }
    assert_eq!(o.fx.kv_writes.get(), writes);
    assert_eq!(stored_ledger(&o).verified_ms, Some(t1 + 9 * 60_000));
    // Ten minutes after the shown time, a confirmation moves it.
    o.fx.advance(60_000);
    let t2 = t1 + 600_000;
    let (_, push) = ask_with_push(&o, poll(State::Disconnected, t2));
    let pushed = push.expect("the board hears of the new verified_at");
    assert_eq!(
        pushed.change.record.verified_at,
        Some(format_rfc3339_ms(t2))
    );
    assert_eq!(o.fx.kv_writes.get(), writes + 1);
    assert_eq!(kv_verified_at(&o), Some(format_rfc3339_ms(t2)));
    // A webhook keeps it: the API's confirmation is still the newest one.
    o.fx.advance(5_000);
    outcome(&o, ev("live-again", 900, State::Live));
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
    assert_eq!(kv_verified_at(&o), Some(format_rfc3339_ms(t2)));
}

#[test]
fn a_confirmation_within_a_second_of_a_webhook_reaches_kv_by_the_alarm() {
    use crate::protocol::ReconcileOutcome;
    use crate::time::format_rfc3339_ms;
    let o = object();
    outcome(&o, ev("live", 1, State::Live));
    let writes = o.fx.kv_writes.get();
    // The API agrees 300 ms later: KV's one-write-a-second slot is taken.
    o.fx.advance(300);
    let at = T0 + 300;
    let got = ask(&o, poll(State::Live, at)).unwrap();
    assert_eq!(got.outcome, ReconcileOutcome::Confirmed);
    assert_eq!(o.fx.kv_writes.get(), writes, "not within the slot");
    fire_alarm(&o).unwrap();
    assert_eq!(o.fx.kv_writes.get(), writes + 1);
    assert_eq!(kv_verified_at(&o), Some(format_rfc3339_ms(at)));
}

#[test]
fn a_poll_adds_a_stream_never_heard_of_and_a_webhook_after_the_poll_wins() {
    use crate::protocol::ReconcileOutcome;
    let o = object();
    let added = ask(&o, poll(State::Idle, T0)).unwrap();
    assert_eq!(added.outcome, ReconcileOutcome::Added);
    assert_eq!(kv_state(&o).as_deref(), Some("idle"));
    // The provider's webhook from after the poll: applied over the API's state.
    o.fx.advance(1_000);
    assert_eq!(outcome(&o, ev("live", 5, State::Live)), Outcome::Applied);
    assert_eq!(stored_ledger(&o).record.unwrap().state, State::Live);
}

/// A heartbeat from `client` for stream `s1`, received now.
fn beat_from(o: &TestObject, client: &str, stale_after_ms: u64) -> Outcome {
    let at_ms = o.fx.now_ms.get();
    let mut start = ev(
        &format!("update_publish|{client}"),
        at_ms / 1000 - T0 / 1000,
        State::Live,
    );
    start.time_source = TimeSource::Receipt;
    start.event_type = "update_publish".into();
    start.publisher = Some(client.into());
    let beat = crate::protocol::Heartbeat {
        start,
        at_ms,
        stale_after_ms,
        incidents: Default::default(),
    };
    ask(o, beat).unwrap().outcome
}

fn heartbeat(o: &TestObject, stale_after_ms: u64) -> Outcome {
    beat_from(o, "c1", stale_after_ms)
}

/// A receipt-ordered start or stop of stream `s1` by `client`, as a media server sends it.
fn session(id: &str, state: State, client: &str) -> Event {
    let mut e = ev(id, 0, state);
    e.time_source = TimeSource::Receipt;
    e.publisher = Some(client.into());
    e
}

#[test]
fn heartbeats_verify_a_live_stream_and_when_they_stop_the_alarm_marks_it_disconnected() {
    let o = object();
    outcome(&o, session("live", State::Live, "c1"));
    o.fx.advance(30_000);
    assert_eq!(heartbeat(&o, 90_000), Outcome::Applied);
    let first = T0 + 30_000;
    assert_eq!(kv_verified_at(&o).as_deref(), Some("2026-11-01T12:00:30Z"));
    o.fx.advance(30_000);
    assert_eq!(heartbeat(&o, 90_000), Outcome::Applied);
    let watch = stored_ledger(&o).heartbeat.expect("watched");
    assert_eq!(
        watch.due_ms,
        first + 30_000 + 90_000,
        "the newest heartbeat moves it"
    );
    // Heartbeats on air are no history entries.
    assert_eq!(history(&o, 10).len(), 1);
    // The alarm the first heartbeat set finds the watch moved on, and waits for it.
    assert_eq!(o.store.alarm_ms.get(), Some(first + 90_000));
    fire_alarm(&o).unwrap();
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
    assert_eq!(o.store.alarm_ms.get(), Some(watch.due_ms));
    fire_alarm(&o).unwrap();
    assert_eq!(kv_state(&o).as_deref(), Some("disconnected"));
    let newest = &history(&o, 1)[0];
    assert_eq!(
        (newest.outcome, newest.event_type.as_str()),
        (HistoryOutcome::Applied, crate::ordering::HEARTBEATS_STOPPED)
    );
    let saved = stored_ledger(&o);
    assert_eq!(saved.heartbeat, None);
    assert_eq!(saved.record.unwrap().last_event, "heartbeats_stopped");
    // Off air like after any stop: the offline grace period runs.
    assert!(saved.incidents.off_air.is_some());
    // The server was only cut off: its next heartbeat puts the stream back on air.
    o.fx.advance(30_000);
    assert_eq!(heartbeat(&o, 90_000), Outcome::Applied);
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
}

#[test]
fn a_heartbeat_after_its_own_clients_stop_changes_nothing_and_a_stop_or_a_new_start_ends_the_watch()
{
    let o = object();
    outcome(&o, session("live", State::Live, "c1"));
    assert_eq!(heartbeat(&o, 90_000), Outcome::Applied);
    o.fx.advance(1_000);
    outcome(&o, session("again", State::Live, "c1"));
    assert_eq!(
        stored_ledger(&o).heartbeat,
        None,
        "a new session is watched from its own heartbeats"
    );
    assert_eq!(heartbeat(&o, 90_000), Outcome::Applied);
    o.fx.advance(1_000);
    outcome(&o, session("gone", State::Disconnected, "c1"));
    assert_eq!(stored_ledger(&o).heartbeat, None);
    // Sent before that stop, delivered after it.
    assert_eq!(heartbeat(&o, 90_000), Outcome::Stale);
    assert_eq!(kv_state(&o).as_deref(), Some("disconnected"));
    o.fx.advance(200_000);
    block_on(o.alarm()).unwrap();
    assert!(history(&o, 10)
        .iter()
        .all(|e| e.event_type != crate::ordering::HEARTBEATS_STOPPED));
    // With NGINX_RTMP_STALE_AFTER=0 a heartbeat verifies and watches nothing.
    outcome(&o, session("back", State::Live, "c2"));
    assert_eq!(beat_from(&o, "c2", 0), Outcome::Applied);
    assert_eq!(stored_ledger(&o).heartbeat, None);
}

#[test]
fn a_heartbeat_puts_back_on_air_a_stream_whose_start_was_lost_or_that_a_refused_publisher_stopped()
{
    // Never heard of: the publish was lost.
    let o = object();
    assert_eq!(beat_from(&o, "c1", 90_000), Outcome::Applied);
    assert_eq!(kv_state(&o).as_deref(), Some("live"));
    assert!(stored_ledger(&o).heartbeat.is_some(), "and watched");
    let newest = &history(&o, 1)[0];
    assert_eq!(
        (newest.outcome, newest.event_type.as_str()),
        (HistoryOutcome::Applied, "update_publish")
    );
    // c1 publishes; c2 is refused ("Already publishing") after its publish was answered, and its
    // publish_done takes the stream off air while c1 goes on.
    let o = object();
    outcome(&o, session("p1", State::Live, "c1"));
    o.fx.advance(1_000);
    outcome(&o, session("p2", State::Live, "c2"));
    o.fx.advance(1_000);
    assert_eq!(
        outcome(&o, session("d2", State::Disconnected, "c2")),
        Outcome::Applied
    );
    assert_eq!(kv_state(&o).as_deref(), Some("disconnected"));
    o.fx.advance(28_000);
    assert_eq!(beat_from(&o, "c1", 90_000), Outcome::Applied);
    assert_eq!(kv_state(&o).as_deref(), Some("live"), "c1 never stopped");
    // Back within the offline grace period: no incident opened.
    assert!(stored_ledger(&o).incidents.open.is_none());
    // c1's own stop then ends it.
    assert_eq!(
        outcome(&o, session("d1", State::Disconnected, "c1")),
        Outcome::Applied
    );
    assert_eq!(beat_from(&o, "c1", 90_000), Outcome::Stale);
}
