//! Every stored format a stream object writes and reads, pinned byte for byte: the ledger at
//! `state`, the history count at `history` (decimal text), the ring's entries, the KV record
//! and its metadata; the `…/diagnostics` body; and a store written by the build of commit
//! d62d7b9 (`crates/livehook-core/tests/data/stream-objects-d62d7b9.json`, its Durable Object
//! storage read from miniflare's SQLite files, with the answers that build gave for it), read
//! back and written to by this one.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;

use super::isolate::Isolate;
use super::memory::MemoryWorld;
use super::{keys, StreamObject};
use crate::alerts::alert::Alert;
use crate::ingest::event::{
    errored_event_for_tests, ErrorInfo, Event, Kind, ProviderId, State, StatusRecord, StreamKey,
    TimeSource,
};
use crate::ordering::{OrderKey, StreamLedger};
use crate::protocol::{
    read_reply, Call, GetRecord, HistoryQuery, IgnoredNote, Ingest, Inspect, LedgerView, Reply,
    StreamDiagnostics, StreamRequest,
};
use crate::store::memory::{block_on, Call as StoreCall, MemoryStore};
use crate::text::{read_json, write_json};

type TestObject = StreamObject<MemoryStore, MemoryWorld>;

fn ask<C: Call<Wire = StreamRequest>>(o: &TestObject, request: C) -> Reply<C::Reply> {
    let wire: StreamRequest = read_json(&write_json(&request.wire())).unwrap();
    read_reply(&write_json(&block_on(o.handle(wire)).reply))
}

/// A Cloudflare event for input `in1` at `second` past 2026-11-01T12:00:00Z.
fn cf(state: State, second: i64, event_type: &str) -> Event {
    let occurred_at = (1_793_534_400 + second) * 1_000_000_000;
    Event {
        stream: StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, "in1").unwrap(),
        parent_id: None,
        state,
        recording: None,
        occurred_at,
        time_source: TimeSource::Provider,
        event_type: event_type.into(),
        event_id: format!("{event_type}|in1|{occurred_at}|"),
        error: None,
        name: None,
        keeps_state: false,
        warning: None,
        latest_recording: None,
        publisher: None,
    }
}

#[test]
fn what_an_event_writes_is_byte_for_byte_the_format_every_build_wrote() {
    let o = StreamObject::new(
        MemoryStore::default(),
        MemoryWorld::new(1_793_534_401_500),
        Rc::new(Isolate::default()),
    );
    let received_at_ms = 1_793_534_401_500;
    let connected = cf(State::Connected, 1, "live_input.connected");
    ask(
        &o,
        Ingest {
            event: connected.clone(),
            received_at_ms,
            incidents: Default::default(),
            correction: false,
        },
    )
    .unwrap();
    ask(
        &o,
        Ingest {
            event: connected,
            received_at_ms,
            incidents: Default::default(),
            correction: false,
        },
    )
    .unwrap();
    let data = o.store.data.borrow();
    let stored: BTreeMap<&str, &str> = data
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_text().expect("text, never a number")))
        .collect();
    assert_eq!(
        stored,
        BTreeMap::from([
            ("state", GOLDEN_LEDGER),
            ("history", "2"),
            ("e:00", GOLDEN_APPLIED),
            ("e:01", GOLDEN_DUPLICATE),
        ])
    );
    let kv = o.fx.kv.borrow();
    let record = &kv["status:cloudflare:live_input:in1"];
    assert_eq!(record.text, GOLDEN_RECORD);
    assert_eq!(
        record.metadata,
        Some(("connected".to_owned(), "live_input".to_owned()))
    );
    assert_eq!(
        ask(&o, GetRecord).unwrap().json(),
        GOLDEN_RECORD,
        "the API's record is KV's"
    );
}

const GOLDEN_LEDGER: &str = r#"{"record":{"provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"connected","recording":null,"updated_at":"2026-11-01T12:00:01Z","received_at":"2026-11-01T12:00:01.500Z","last_event":"live_input.connected"},"order":{"occurred_at":1793534401000000000,"tie_rank":5,"event_id":"live_input.connected|in1|1793534401000000000|"},"last_order":{"occurred_at":1793534401000000000,"tie_rank":5,"event_id":"live_input.connected|in1|1793534401000000000|"},"seen":["live_input.connected|in1|1793534401000000000|"],"version":1,"kv_version":0,"kv_slot_ms":1793534401500,"kv_failures":0,"outbox":[],"outbox_failures":0,"outbox_retry_ms":null}"#;
const GOLDEN_APPLIED: &str = r#"{"event_type":"live_input.connected","occurred_at":"2026-11-01T12:00:01Z","received_at":"2026-11-01T12:00:01.500Z","outcome":"applied","state":"connected"}"#;
const GOLDEN_DUPLICATE: &str = r#"{"event_type":"live_input.connected","occurred_at":"2026-11-01T12:00:01Z","received_at":"2026-11-01T12:00:01.500Z","outcome":"duplicate","state":"connected"}"#;
const GOLDEN_RECORD: &str = r#"{"provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"connected","recording":null,"updated_at":"2026-11-01T12:00:01Z","received_at":"2026-11-01T12:00:01.500Z","last_event":"live_input.connected"}"#;

/// A ledger with every field set.
fn full_ledger() -> StreamLedger {
    let order = |n: i64, id: &str| OrderKey {
        occurred_at: 1_793_534_400_000_000_000 + n,
        tie_rank: 6,
        event_id: id.into(),
    };
    let errored = errored_event_for_tests("in1", "e1");
    StreamLedger {
        record: Some(StatusRecord::from_event(
            &errored,
            None,
            1_793_534_400_000_000_000,
        )),
        order: Some(order(1, "a")),
        recording_order: Some(order(2, "b")),
        warning_order: Some(order(3, "c")),
        recording_link_order: Some(order(4, "d")),
        last_order: Some(order(5, "e")),
        seen: ["a", "b"].map(String::from).into(),
        version: 7,
        kv_version: 6,
        kv_slot_ms: Some(1_793_534_400_123),
        kv_failures: 2,
        outbox: vec![Alert::from_event(&errored, 1_793_534_400_456).unwrap()],
        outbox_failures: 3,
        outbox_retry_ms: Some(1_793_534_404_456),
        incidents: Default::default(),
        verified_ms: None,
        publisher: None,
        stopped_by: None,
        heartbeat: None,
    }
}

#[test]
fn the_diagnostics_body_is_exactly_the_json_the_stored_ledger_gave() {
    for ledger in [full_ledger(), StreamLedger::default()] {
        let view = LedgerView::from(ledger.clone());
        assert_eq!(
            write_json(&view),
            write_json(&ledger),
            "the API body stays what it was, field for field"
        );
    }
    let body = StreamDiagnostics {
        stream: "cloudflare:live_input:in1".into(),
        kv_in_sync: false,
        alerts_waiting: 1,
        history_entries: 3,
        state: full_ledger().into(),
    };
    assert_eq!(write_json(&body), GOLDEN_DIAGNOSTICS);
    let empty = write_json(&LedgerView::from(StreamLedger::default()));
    assert_eq!(
        empty,
        r#"{"record":null,"order":null,"seen":[],"version":0,"kv_version":0,"kv_slot_ms":null,"kv_failures":0,"outbox":[],"outbox_failures":0,"outbox_retry_ms":null}"#
    );
}

const GOLDEN_DIAGNOSTICS: &str = r#"{"stream":"cloudflare:live_input:in1","kv_in_sync":false,"alerts_waiting":1,"history_entries":3,"state":{"record":{"provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"errored","recording":null,"updated_at":"2024-07-09T18:07:51.077371662Z","received_at":"2026-11-01T12:00:00Z","last_event":"live_input.errored","error":{"code":"ERR_GOP_OUT_OF_RANGE","message":"m","hint":"h"}},"order":{"occurred_at":1793534400000000001,"tie_rank":6,"event_id":"a"},"recording_order":{"occurred_at":1793534400000000002,"tie_rank":6,"event_id":"b"},"warning_order":{"occurred_at":1793534400000000003,"tie_rank":6,"event_id":"c"},"recording_link_order":{"occurred_at":1793534400000000004,"tie_rank":6,"event_id":"d"},"last_order":{"occurred_at":1793534400000000005,"tie_rank":6,"event_id":"e"},"seen":["a","b"],"version":7,"kv_version":6,"kv_slot_ms":1793534400123,"kv_failures":2,"outbox":[{"id":"alr_8b5cc4df7eec7d32a7814eca","provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"errored","code":"ERR_GOP_OUT_OF_RANGE","message":"m","hint":"h","occurred_at":"2024-07-09T18:07:51.077371662Z","received_at":"2026-11-01T12:00:00.456Z","received_at_ms":1793534400456,"event_type":"live_input.errored"}],"outbox_failures":3,"outbox_retry_ms":1793534404456}}"#;

/// The fixture: each object's storage, KV as listed, and the answers of the build that wrote it.
#[derive(Deserialize)]
struct Fixture {
    objects: BTreeMap<String, BTreeMap<String, String>>,
    kv: BTreeMap<String, KvEntry>,
    answers: BTreeMap<String, Answers>,
}

#[derive(Deserialize)]
struct KvEntry {
    value: String,
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Answers {
    record: String,
    events: String,
    diagnostics: String,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/stream-objects-d62d7b9.json"
    );
    read_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn object_of(storage: &BTreeMap<String, String>, now_ms: u64) -> TestObject {
    let store = MemoryStore::with_text(storage.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    StreamObject::new(store, MemoryWorld::new(now_ms), Rc::new(Isolate::default()))
}

#[test]
fn a_store_written_by_the_previous_build_answers_byte_for_byte_as_it_did() {
    let fixture = fixture();
    assert_eq!(fixture.objects.len(), 2);
    for (name, storage) in &fixture.objects {
        let answers = &fixture.answers[name];
        let o = object_of(storage, 1_796_626_200_000);
        assert_eq!(ask(&o, GetRecord).unwrap().json(), answers.record, "{name}");
        let events = ask(&o, HistoryQuery { limit: 100 }).unwrap();
        assert_eq!(events.json(), answers.events, "{name}");
        assert_eq!(
            ask(&o, Inspect).unwrap().json(),
            answers.diagnostics,
            "{name}"
        );
        assert!(
            !o.store
                .take_log()
                .iter()
                .any(|c| matches!(c, StoreCall::Put(_) | StoreCall::Delete(_))),
            "reads write nothing"
        );
        // The stored ledger reads and writes back byte for byte.
        let ledger: StreamLedger = read_json(&storage[keys::LEDGER]).unwrap();
        assert_eq!(write_json(&ledger), storage[keys::LEDGER], "{name}");
    }
    for (key, entry) in &fixture.kv {
        let record: StatusRecord = read_json(&entry.value).unwrap();
        assert_eq!(write_json(&record), entry.value, "{key}");
        assert_eq!(&record.key().kv_key(), key);
        let metadata = BTreeMap::from([
            ("state".to_owned(), record.state.as_str().to_owned()),
            ("kind".to_owned(), record.kind.as_str().to_owned()),
        ]);
        assert_eq!(entry.metadata, metadata, "{key}");
    }
}

#[test]
fn a_store_written_by_the_previous_build_takes_new_events_where_it_left_off() {
    let fixture = fixture();
    let name = "cloudflare:live_input:f1c0000000000000000000000000beef";
    let storage = &fixture.objects[name];
    // Later than the waiting alert's retry time: the alert goes to the hub now.
    let now = 1_796_626_200_000;
    let o = object_of(storage, now);
    let mut event = cf(State::Live, 10, "live_input.connected");
    event.stream = StreamKey::parse(name).unwrap();
    let got = ask(
        &o,
        Ingest {
            event,
            received_at_ms: now,
            incidents: Default::default(),
            correction: false,
        },
    )
    .unwrap();
    assert!(!got.alert_queued);
    assert_eq!(
        o.fx.hub_calls_of(r#"{"accept":{"id":"alr_4bbed256691940884269e4bb""#),
        1
    );
    assert_eq!(o.store.text(keys::COUNT).as_deref(), Some("4"));
    let before: StreamLedger = read_json(&storage[keys::LEDGER]).unwrap();
    let after: StreamLedger = read_json(&o.store.text(keys::LEDGER).unwrap()).unwrap();
    assert_eq!(after.version, before.version + 1);
    assert!(after.outbox.is_empty(), "the waiting alert was handed off");
    assert!(before.seen.iter().all(|id| after.seen.contains(id)));
    let kv = o.fx.kv.borrow();
    let written = &kv[&StreamKey::parse(name).unwrap().kv_key()];
    assert_eq!(written.metadata, Some(("live".into(), "live_input".into())));
    drop(kv);
    let newest = ask(&o, HistoryQuery { limit: 1 }).unwrap();
    assert!(newest
        .json()
        .contains(r#""outcome":"applied","state":"live""#));
    // An ignored message on the other object: its entry goes to the next slot of its ring.
    let other = &fixture.objects["fastpix:live_input:fixture-stream"];
    let o = object_of(other, now);
    let note = IgnoredNote {
        event_type: Some("video.live_stream.exploded".into()),
        received_at_ms: now,
    };
    assert!(ask(&o, note).unwrap().ok);
    assert_eq!(o.store.text(keys::COUNT).as_deref(), Some("6"));
    assert_eq!(o.store.keys("e:").len(), 6);
    assert_eq!(
        o.store.text(keys::LEDGER).as_deref(),
        Some(other[keys::LEDGER].as_str()),
        "a note leaves the ledger as it was"
    );
}

#[test]
fn an_error_event_keeps_its_error_in_every_format() {
    let o = StreamObject::new(
        MemoryStore::default(),
        MemoryWorld::new(1_720_548_474_000),
        Rc::new(Isolate::default()),
    );
    let mut event = errored_event_for_tests("in1", "e1");
    event.error = Some(ErrorInfo {
        code: "ERR_GOP_OUT_OF_RANGE".into(),
        message: "Keyframe interval too long".into(),
        hint: "h".into(),
    });
    ask(
        &o,
        Ingest {
            event,
            received_at_ms: 1_720_548_474_000,
            incidents: Default::default(),
            correction: false,
        },
    )
    .unwrap();
    assert_eq!(o.store.text("e:00").as_deref(), Some(GOLDEN_ERRORED_ENTRY));
    let kv = o.fx.kv.borrow();
    assert_eq!(
        kv["status:cloudflare:live_input:in1"].text,
        GOLDEN_ERRORED_RECORD
    );
}

const GOLDEN_ERRORED_ENTRY: &str = r#"{"event_type":"live_input.errored","occurred_at":"2024-07-09T18:07:51.077371662Z","received_at":"2024-07-09T18:07:54Z","outcome":"applied","state":"errored","error_code":"ERR_GOP_OUT_OF_RANGE"}"#;
const GOLDEN_ERRORED_RECORD: &str = r#"{"provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"errored","recording":null,"updated_at":"2024-07-09T18:07:51.077371662Z","received_at":"2024-07-09T18:07:54Z","last_event":"live_input.errored","error":{"code":"ERR_GOP_OUT_OF_RANGE","message":"Keyframe interval too long","hint":"h"}}"#;
