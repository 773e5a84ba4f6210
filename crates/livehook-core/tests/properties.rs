//! Property tests (proptest, host) for the invariants docs/reliability.md states:
//! - any sequence of events for a set of streams, in any order, with any duplicates, ends with
//!   each stream at the state of its newest event;
//! - with events that keep the state (recording and health changes) mixed in, each field ends at
//!   its own newest event: the state at the newest state event's, the recording flag at the
//!   newest that says, the warning raised only if the newest warning event raised it after the
//!   newest state event, the latest recording at the newest event that names one;
//! - every errored event and every raised warning (counted once) queues exactly one alert;
//! - the retry schedule: waits within ±20 % of the schedule (or the Retry-After), at most one
//!   round of attempts, and a delivery always ends delivered or dead;
//! - the repeat window covers exactly the identical errors less than the window apart;
//! - every provider's fixtures, parsed by the real parsers and delivered in any order with any
//!   duplicates, leave each stream with the same record and the same alerts.

use std::collections::{BTreeSet, HashMap};

use livehook_core::alerts::delivery::{AttemptResult, Delivery, DeliveryStatus, Finished};
use livehook_core::alerts::record::RepeatWindow;
use livehook_core::alerts::schedule::{jittered, Schedule};
use livehook_core::ids::{AlertId, SubscriberId};
use livehook_core::ingest::event::{
    ErrorInfo, Event, Kind, ProviderId, State, StreamKey, TimeSource, WarningChange, WarningInfo,
};
use livehook_core::ingest::providers::{parse, Parsed, REGISTRY};
use livehook_core::ordering::StreamLedger;
use proptest::prelude::*;

const STATES: [State; 6] = [
    State::Created,
    State::Connected,
    State::Live,
    State::Disconnected,
    State::Idle,
    State::Errored,
];

fn event(stream: usize, id: usize, at: i64, state: State) -> Event {
    Event {
        stream: StreamKey::new(
            ProviderId::new("fastpix"),
            Kind::LiveInput,
            &format!("s{stream}"),
        )
        .expect("valid id"),
        parent_id: None,
        state,
        recording: None,
        occurred_at: at,
        time_source: TimeSource::Provider,
        event_type: format!("t.{}", state.as_str()),
        event_id: format!("e{id}"),
        error: (state == State::Errored).then(|| ErrorInfo {
            code: "ERR_X".into(),
            message: "m".into(),
            hint: "h".into(),
        }),
        name: None,
        keeps_state: false,
        warning: None,
        latest_recording: None,
        publisher: None,
    }
}

/// Events for up to 4 streams: (stream, distinct time, state); plus a delivery order with
/// duplicates, given as indices into the event list.
fn scenario() -> impl Strategy<Value = (Vec<Event>, Vec<usize>)> {
    prop::collection::vec((0usize..4, 0usize..STATES.len()), 1..40)
        .prop_flat_map(|specs| {
            let n = specs.len();
            // Distinct times per event: a permutation of 0..n, so "newest" is well defined.
            let times = Just((0..n as i64).collect::<Vec<_>>()).prop_shuffle();
            let deliveries = prop::collection::vec(0..n, 0..n);
            (Just(specs), times, deliveries)
        })
        .prop_flat_map(|(specs, times, extra)| {
            let events: Vec<Event> = specs
                .iter()
                .enumerate()
                .map(|(i, &(stream, s))| event(stream, i, times[i] * 1_000, STATES[s]))
                .collect();
            // Every event at least once, some again, in any order.
            let mut order: Vec<usize> = (0..events.len()).collect();
            order.extend(extra);
            (Just(events), Just(order).prop_shuffle())
        })
}

/// One event of the mixed scenario: a state event (with or without a recording flag), or one
/// that keeps the state and sets the recording flag or raises or clears a warning.
#[derive(Debug, Clone, Copy)]
enum Spec {
    State(usize, Option<bool>),
    Recording(bool),
    Raise,
    Clear,
    /// A recording that names itself the stream's latest.
    Link,
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (0usize..STATES.len(), prop::option::of(any::<bool>()))
            .prop_map(|(s, r)| Spec::State(s, r)),
        any::<bool>().prop_map(Spec::Recording),
        Just(Spec::Raise),
        Just(Spec::Clear),
        Just(Spec::Link),
    ]
}

fn mixed_event(id: usize, at: i64, spec: Spec) -> Event {
    let keep = |e: Event| Event {
        keeps_state: true,
        event_type: format!("keep.{id}"),
        error: None,
        ..e
    };
    match spec {
        Spec::State(s, recording) => Event {
            recording,
            ..event(0, id, at, STATES[s])
        },
        Spec::Recording(on) => keep(Event {
            recording: Some(on),
            ..event(0, id, at, State::Live)
        }),
        Spec::Link => keep(Event {
            latest_recording: Some(format!("rec-{id}")),
            ..event(0, id, at, State::Live)
        }),
        Spec::Raise | Spec::Clear => keep(Event {
            warning: Some(match spec {
                Spec::Raise => WarningChange::Raised(WarningInfo {
                    code: format!("W{id}"),
                    message: "m".into(),
                }),
                _ => WarningChange::Cleared,
            }),
            ..event(0, id, at, State::Live)
        }),
    }
}

/// Mixed events for one stream at distinct times, and a delivery order with duplicates.
fn mixed_scenario() -> impl Strategy<Value = (Vec<Event>, Vec<usize>)> {
    prop::collection::vec(spec(), 1..30)
        .prop_flat_map(|specs| {
            let n = specs.len();
            let times = Just((0..n as i64).collect::<Vec<_>>()).prop_shuffle();
            (Just(specs), times, prop::collection::vec(0..n, 0..n))
        })
        .prop_flat_map(|(specs, times, extra)| {
            let events: Vec<Event> = specs
                .iter()
                .enumerate()
                .map(|(i, &s)| mixed_event(i, times[i] * 1_000, s))
                .collect();
            let mut order: Vec<usize> = (0..events.len()).collect();
            order.extend(extra);
            (Just(events), Just(order).prop_shuffle())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_field_ends_at_its_own_newest_event_whatever_the_delivery((events, order) in mixed_scenario()) {
        let mut st = StreamLedger::default();
        let mut alerts = 0usize;
        for &i in &order {
            alerts += usize::from(st.apply(&events[i], 0, &[]).alert_queued);
        }
        let record = st.record.as_ref().expect("a record");
        let newest = |f: &dyn Fn(&Event) -> bool| events.iter().filter(|e| f(e)).max_by_key(|e| e.occurred_at);
        let all = newest(&|_| true).expect("events");
        prop_assert_eq!(&record.last_event, &all.event_type);
        let state = newest(&|e| !e.keeps_state);
        match state {
            Some(s) => prop_assert_eq!(record.state, s.state),
            // Only events that keep the state: the newest one's assumption.
            None => prop_assert_eq!(record.state, all.state),
        }
        let recording = newest(&|e| e.recording.is_some()).and_then(|e| e.recording);
        prop_assert_eq!(record.recording, recording);
        let warning = newest(&|e| e.warning.is_some())
            .filter(|w| state.is_none_or(|s| w.occurred_at > s.occurred_at))
            .and_then(|w| w.raised_warning().cloned());
        prop_assert_eq!(&record.warning, &warning);
        let link = newest(&|e| e.latest_recording.is_some()).and_then(|e| e.latest_recording.clone());
        prop_assert_eq!(&record.latest_recording, &link);
        let alerting = events
            .iter()
            .filter(|e| e.state == State::Errored && !e.keeps_state || e.raised_warning().is_some())
            .count();
        prop_assert_eq!(alerts, alerting, "one alert per errored event and raised warning");
    }

    #[test]
    fn final_status_is_the_newest_event_whatever_the_delivery((events, order) in scenario()) {
        let mut states: HashMap<String, StreamLedger> = HashMap::new();
        let mut alerts = 0usize;
        for &i in &order {
            let e = &events[i];
            let st = states.entry(e.stream.id.clone()).or_default();
            if st.apply(e, 0, &[]).alert_queued {
                alerts += 1;
            }
        }
        for (id, st) in &states {
            let newest = events
                .iter()
                .filter(|e| &e.stream.id == id)
                .max_by_key(|e| e.occurred_at)
                .expect("the stream has events");
            let record = st.record.as_ref().expect("a record");
            prop_assert_eq!(record.state, newest.state);
            prop_assert_eq!(&record.last_event, &newest.event_type);
        }
        let errored: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.state == State::Errored)
            .map(|e| e.event_id.as_str())
            .collect();
        prop_assert_eq!(alerts, errored.len(), "one alert per errored event");
    }

    #[test]
    fn deliveries_follow_the_schedule_and_always_end(
        delays in prop::collection::vec(0u64..100_000, 1..9),
        statuses in prop::collection::vec(prop_oneof![
            Just(None), Just(Some(200u16)), Just(Some(410)), Just(Some(429)),
            Just(Some(500)), Just(Some(503)), Just(Some(404)),
        ], 1..30),
        retry_after in prop::option::of(0u64..200_000),
    ) {
        let spec: Vec<String> = delays.iter().map(|d| format!("{d}ms")).collect();
        let schedule = Schedule::parse(&spec.join(",")).expect("valid schedule");
        let alert = AlertId::parse("alr_p").expect("an alert id");
        let sub = SubscriberId::parse("sub_p").expect("a subscriber id");
        let mut d = Delivery::new(&alert, &sub, 0);
        let mut now = 0u64;
        let mut attempts = 0usize;
        for status in statuses {
            if d.status() != DeliveryStatus::Pending {
                break;
            }
            let result = AttemptResult {
                started_ms: now,
                latency_ms: 7,
                status,
                error: None,
                retry_after_ms: retry_after.filter(|_| status == Some(429)),
            };
            attempts += 1;
            match d.finish(&result, &schedule) {
                Finished::RetryAt(at) => {
                    let delay = schedule.delay_before(attempts + 1).expect("a next attempt");
                    let floor = now + 7 + delay * 80 / 100;
                    let ceiling = (now + 7 + delay * 120 / 100 + 1)
                        .max(now + 7 + result.retry_after_ms.unwrap_or(0));
                    prop_assert!(at >= floor && at <= ceiling, "retry at {} not in [{}, {}]", at, floor, ceiling);
                    prop_assert!(at >= now + 7 + result.retry_after_ms.unwrap_or(0));
                    now = at;
                }
                Finished::Delivered => prop_assert_eq!(status.map(|s| s / 100), Some(2)),
                Finished::Gone => prop_assert_eq!(status, Some(410)),
                Finished::Dead => {}
            }
            prop_assert!(attempts <= schedule.attempts(), "never more attempts than the schedule");
        }
        if d.status() == DeliveryStatus::Pending {
            prop_assert!(attempts < schedule.attempts());
            prop_assert!(d.due_ms().is_some());
        } else {
            prop_assert!(d.due_ms().is_none());
        }
        prop_assert_eq!(d.attempts.len(), attempts);
    }

    #[test]
    fn jitter_is_bounded(delay in 0u64..1_000_000_000, seed in "[a-z0-9_]{1,30}", n in 0usize..20) {
        let j = jittered(delay, &seed, n);
        prop_assert!(j >= delay * 80 / 100 && j <= delay * 120 / 100 + 1);
    }

    #[test]
    fn the_repeat_window_is_exact_and_symmetric(opened in 0u64..1 << 40, gap in 0u64..1 << 20, window in 0u64..1 << 20) {
        let i = RepeatWindow { alert_key: "k".into(), opened_ms: opened };
        prop_assert_eq!(i.covers(opened + gap, window), gap < window);
        if gap <= opened {
            prop_assert_eq!(i.covers(opened - gap, window), gap < window);
        }
    }
}

/// Every event the fixtures of providers that send an event time parse to (a recording's link to
/// its live input included), one list per provider. Gcore and the self-hosted servers send no
/// time: arrival order decides there, by design, so they are left out.
fn fixture_events() -> Vec<(&'static str, Vec<Event>)> {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"));
    let mut out = Vec::new();
    for provider in REGISTRY
        .iter()
        .filter(|p| !matches!(p.route(), "gcore" | "srs" | "mediamtx" | "nginx-rtmp"))
    {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(provider.route()))
            .expect("a fixture folder per provider")
            .map(|e| e.expect("readable entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let mut events = Vec::new();
        for path in paths {
            let body = std::fs::read(&path).expect("readable fixture");
            match parse(provider, &body, 7) {
                Ok(Parsed::Event(e)) => events.push(*e),
                Ok(Parsed::Linked { event, also }) => events.extend([*event, *also]),
                Ok(Parsed::Ignored { .. } | Parsed::Test | Parsed::Heartbeat { .. }) | Err(_) => {}
            }
        }
        assert!(
            events.len() >= 5,
            "{}: {} events",
            provider.route(),
            events.len()
        );
        out.push((provider.route(), events));
    }
    out
}

/// Applies `events` in `order` per stream; each stream's record and its alert ids.
fn deliver(events: &[Event], order: &[usize]) -> HashMap<String, (String, Vec<String>)> {
    let mut ledgers: HashMap<String, StreamLedger> = HashMap::new();
    for &i in order {
        let e = &events[i];
        ledgers
            .entry(e.stream.kv_key())
            .or_default()
            .apply(e, 0, &[]);
    }
    ledgers
        .into_iter()
        .map(|(key, l)| {
            let record = serde_json::to_string(&l.record).expect("a record serializes");
            let mut alerts: Vec<String> = l.outbox.iter().map(|a| a.id.to_string()).collect();
            alerts.sort();
            (key, (record, alerts))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_provider_s_fixtures_end_the_same_whatever_the_delivery(
        shuffle in proptest::collection::vec(any::<u32>(), 64)
    ) {
        for (provider, events) in fixture_events() {
            let in_order: Vec<usize> = (0..events.len()).collect();
            // A permutation from the random keys, then up to a third of the events again.
            let mut order = in_order.clone();
            order.sort_by_key(|&i| (shuffle[i % shuffle.len()], i));
            let again = shuffle[0] as usize % (events.len() / 3 + 1);
            order.extend(order.clone().into_iter().take(again));
            prop_assert_eq!(
                deliver(&events, &order),
                deliver(&events, &in_order),
                "{} in order {:?}",
                provider,
                order
            );
        }
    }
}
