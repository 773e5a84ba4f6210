//! The hub's logic on the host, over [`super::memory`]: accept, fold repeats, prune, schedule,
//! retry, dead letters, manual retry, leases and subscriber CRUD.

use std::rc::Rc;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::Value;

use super::intake::MAX_ALERTS;
use super::memory::{answer, MemoryWorld};
use super::state::LEASE_MARGIN_MS;
use super::subscriptions::MAX_SUBSCRIBERS;
use super::{keys, Hub};
use crate::alerts::alert::Alert;
use crate::alerts::delivery::{DeliveryState, DeliveryStatus};
use crate::alerts::subscriber::{parse_create, NewSubscriber};
use crate::config::Config;
use crate::ids::{AlertId, SubscriberId};
use crate::ingest::event::{
    errored_event_for_tests, Kind, ProviderId, State, StatusRecord, StreamKey,
};
use crate::protocol::{
    Accepted, AlertLimit, AlertQuery, Created, DeliveryFilter, HubReply, HubRequest, ObjectError,
    StreamChange, Watching,
};
use crate::store::memory::{block_on, MemoryStore};
use crate::store::Stored;

pub(super) const T0: u64 = 1_720_548_474_000;
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub(super) type TestHub = Hub<MemoryStore, MemoryWorld>;

pub(super) fn hub_with(vars: &[(&str, &str)]) -> TestHub {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config =
        Config::from_lookup(move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()));
    Hub::new(
        MemoryStore::default(),
        MemoryWorld::new(T0),
        Rc::new(config),
    )
}

/// A hub with a short schedule (0, 1 s, 1 s) and a 10 s incident window.
pub(super) fn hub() -> TestHub {
    hub_with(&[
        ("ALERT_RETRY_SCHEDULE", "0,1s,1s"),
        ("ALERT_DEDUPE_SECONDS", "10"),
        ("ALERT_ATTEMPT_TIMEOUT", "1s"),
    ])
}

fn errored(stream: &str, event_id: &str, received_ms: u64) -> Alert {
    Alert::from_event(&errored_event_for_tests(stream, event_id), received_ms).unwrap()
}

pub(super) fn new_sub(body: &str) -> NewSubscriber {
    parse_create(body.as_bytes(), false).unwrap()
}

pub(super) fn create(h: &TestHub, body: &str) -> Created {
    block_on(h.create_subscriber(new_sub(body))).unwrap()
}

fn accept(h: &TestHub, a: Alert) -> Accepted {
    block_on(h.accept(a)).unwrap()
}

fn record(h: &TestHub, id: &AlertId) -> crate::alerts::record::AlertRecord {
    block_on(h.get_alert(id)).unwrap()
}

/// A hub with one webhook subscriber and one errored alert for it, accepted.
fn one_alert_for_one_subscriber() -> (TestHub, Created, Alert) {
    let h = hub();
    let created = create(&h, r#"{"url":"https://example.com/a"}"#);
    let a = errored("in1", "e1", T0);
    accept(&h, a.clone());
    (h, created, a)
}

/// `GET /alerts` with the default limit.
fn query(delivery: Option<DeliveryFilter>, stream: Option<&str>) -> AlertQuery {
    AlertQuery {
        limit: AlertLimit::DEFAULT,
        delivery,
        stream: stream
            .map(|id| StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, id).unwrap()),
    }
}

/// Whether the hub logged a line with this `msg`.
fn logged(h: &TestHub, msg: &str) -> bool {
    h.fx.logs.borrow().iter().any(|(_, m, _)| m == msg)
}

fn count(h: &TestHub) -> f64 {
    h.store
        .data
        .borrow()
        .get(keys::COUNT)
        .and_then(Stored::as_number)
        .unwrap_or(0.0)
}

#[test]
fn an_accepted_alert_is_stored_with_its_deliveries_index_and_incident_before_the_answer() {
    let h = hub();
    create(&h, r#"{"url":"https://example.com/a"}"#);
    create(
        &h,
        r#"{"url":"https://hooks.slack.com/services/x","filter":{"providers":["gcore"]}}"#,
    );
    let a = errored("in1", "e1", T0);
    let calls_before = h.store.calls.get();
    let got = accept(&h, a.clone());
    assert_eq!(
        (got.stored, got.deliveries, got.repeat_of),
        (true, Some(1), None)
    );
    let key = keys::alert(&a);
    let data = h.store.data.borrow();
    assert!(data.contains_key(&key));
    assert_eq!(
        data.get(&keys::alert_id(&a.id)),
        Some(&Stored::Text(key.clone()))
    );
    assert_eq!(
        data.get(&keys::pending(&key)),
        Some(&Stored::Number(T0 as f64))
    );
    assert!(data.contains_key(&keys::repeat_window(&a).unwrap()));
    assert_eq!(data.get(keys::COUNT), Some(&Stored::Number(1.0)));
    drop(data);
    // The safety-net alarm: no later than the first attempt's lease.
    let alarm = h.store.alarm_ms.get().unwrap();
    assert!(alarm <= T0 + 1_000 + LEASE_MARGIN_MS, "{alarm}");
    // Reads (already-stored check, incident, subscribers, count) and one write, then the alarm.
    assert!(h.store.calls.get() - calls_before <= 10);
    let live: Value = serde_json::from_str(&h.fx.broadcasts.borrow()[0]).unwrap();
    assert_eq!(
        (live["type"].as_str(), live["alert"]["id"].as_str()),
        (Some("alert"), Some(a.id.as_str()))
    );
    // The same alert handed over again (a lost answer) is stored once.
    let again = accept(&h, a.clone());
    assert_eq!((again.stored, again.id), (false, a.id));
    assert_eq!(count(&h), 1.0);
}

#[test]
fn identical_errors_within_the_window_fold_into_the_incident_and_count_once() {
    let h = hub();
    let first = errored("in1", "e1", T0);
    accept(&h, first.clone());
    let repeat = errored("in1", "e2", T0 + 5_000);
    let got = accept(&h, repeat.clone());
    assert_eq!(got.repeat_of, Some(first.id.clone()));
    // Re-sent: counted once. Found by its own id too.
    accept(&h, repeat.clone());
    let rec = record(&h, &repeat.id);
    assert_eq!(rec.alert.id, first.id);
    assert_eq!(rec.repeat_count, 1);
    assert_eq!(count(&h), 1.0);
    // Another input is another incident.
    assert_eq!(accept(&h, errored("in2", "e3", T0 + 6_000)).repeat_of, None);
    // After the window: a new alert that tells how many repeats the previous one had.
    let later = errored("in1", "e4", T0 + 10_000);
    let got = accept(&h, later.clone());
    assert_eq!((got.stored, got.repeat_of), (true, None));
    assert_eq!(record(&h, &later.id).previous_repeat_count, 1);
    let b = h.fx.broadcasts.borrow();
    assert!(b.iter().any(|m| m.contains(r#""type":"alert.repeated""#)));
}

#[test]
fn a_run_delivers_a_signed_webhook_and_clears_the_index() {
    let h = hub();
    let created = create(&h, r#"{"url":"https://example.com/a"}"#);
    let secret = created.secret.clone().unwrap();
    let a = errored("in1", "e1", T0);
    accept(&h, a.clone());
    block_on(h.run_due());
    let sent = h.fx.sent.borrow();
    assert_eq!(sent.len(), 1);
    let out = &sent[0];
    let header = |name: &str| out.header(name).unwrap().to_owned();
    let ts: u64 = header("webhook-timestamp").parse().unwrap();
    assert_eq!(
        header("webhook-signature"),
        secret.sign(&header("webhook-id"), ts, &out.body)
    );
    let body: Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(body["data"]["id"], a.id.as_str());
    let rec = record(&h, &a.id);
    assert_eq!(rec.deliveries[0].state, DeliveryState::Delivered);
    assert!(h.store.keys(keys::PENDING_PREFIX).is_empty());
    // The key bytes are the secret's base64 part.
    assert_eq!(
        STANDARD.encode(secret.key()),
        secret.expose().trim_start_matches("whsec_")
    );
}

#[test]
fn failures_follow_the_schedule_then_dead_letter_and_a_manual_retry_delivers() {
    let (h, _, a) = one_alert_for_one_subscriber();
    h.fx.answer_with(Some(503));
    block_on(h.run_due());
    let due = record(&h, &a.id).deliveries[0].due_ms().unwrap();
    // 1 s ± 20 % after the attempt ended, and the alarm is set for it.
    assert!((T0 + 5 + 800..=T0 + 5 + 1_200).contains(&due), "{due}");
    assert_eq!(h.store.alarm_ms.get(), Some(due));
    // Not due yet: nothing is sent.
    block_on(h.run_due());
    assert_eq!(h.fx.sent.borrow().len(), 1);
    for _ in 0..2 {
        h.fx.advance(1_500);
        block_on(h.run_due());
    }
    let rec = record(&h, &a.id);
    assert_eq!(h.fx.sent.borrow().len(), 3);
    assert_eq!(rec.deliveries[0].status(), DeliveryStatus::Dead);
    assert!(rec.deliveries[0]
        .dead_reason()
        .unwrap()
        .contains("exhausted after 3"));
    let dead = block_on(h.list_alerts(query(Some(DeliveryFilter::Dead), None))).unwrap();
    assert_eq!(dead.alerts.len(), 1);
    assert_eq!(dead.alerts[0].deliveries.dead, 1);
    // Manual retry: a new round, now answered.
    h.fx.answer_with(Some(200));
    let handled = block_on(h.handle(HubRequest::Retry(a.id.clone())));
    assert!(handled.run_deliveries);
    let Ok(HubReply::Retried(r)) = handled.reply else {
        panic!("{handled:?}")
    };
    assert_eq!(r.requeued.len(), 1);
    block_on(h.run_due());
    let rec = record(&h, &a.id);
    assert_eq!(rec.deliveries[0].state, DeliveryState::Delivered);
    assert_eq!(rec.deliveries[0].attempts.len(), 4);
    let dead = block_on(h.list_alerts(query(Some(DeliveryFilter::Dead), None))).unwrap();
    assert!(dead.alerts.is_empty());
    // Nothing dead: a retry requeues nothing and asks for no run.
    let handled = block_on(h.handle(HubRequest::Retry(a.id.clone())));
    assert!(!handled.run_deliveries);
}

#[test]
fn a_410_disables_the_subscriber_and_a_retry_skips_it() {
    let h = hub();
    let created = create(
        &h,
        r#"{"url":"https://example.com/a","filter":{"states":["errored","disconnected"]}}"#,
    );
    assert_eq!(
        h.fx.published.borrow().last(),
        Some(&vec![State::Disconnected])
    );
    let a = errored("in1", "e1", T0);
    accept(&h, a.clone());
    h.fx.answer_with(Some(410));
    block_on(h.run_due());
    let view = block_on(h.get_subscriber(&created.subscriber.id)).unwrap();
    assert!(!view.enabled);
    assert_eq!(
        h.fx.published.borrow().last(),
        Some(&Vec::new()),
        "a disabled subscriber wants nothing"
    );
    let r = block_on(h.retry(&a.id)).unwrap();
    assert!(r.requeued.is_empty());
    assert_eq!(r.skipped[0].reason, "subscriber disabled");
    // New alerts no longer go to it.
    assert_eq!(accept(&h, errored("in2", "e2", T0)).deliveries, Some(0));
}

#[test]
fn deliveries_to_a_deleted_subscriber_die_with_the_reason() {
    let (h, created, a) = one_alert_for_one_subscriber();
    block_on(h.delete_subscriber(&created.subscriber.id)).unwrap();
    block_on(h.run_due());
    assert!(h.fx.sent.borrow().is_empty());
    let rec = record(&h, &a.id);
    assert_eq!(rec.deliveries[0].dead_reason(), Some("subscriber deleted"));
    let r = block_on(h.retry(&a.id)).unwrap();
    assert_eq!(r.skipped[0].reason, "subscriber deleted");
}

#[test]
fn a_lost_result_makes_the_delivery_due_again_when_its_lease_ends() {
    let (h, _, a) = one_alert_for_one_subscriber();
    // Storage fails while the request is out: the result cannot be recorded.
    let failing = h.store.failing.clone();
    *h.fx.respond.borrow_mut() = Box::new(move |_| {
        failing.set(true);
        answer(Some(200))
    });
    block_on(h.run_due());
    assert!(logged(&h, "attempt result not stored"));
    h.store.failing.set(false);
    let d = &record(&h, &a.id).deliveries[0];
    assert_eq!(
        d.due_ms(),
        Some(T0 + 1_000 + LEASE_MARGIN_MS),
        "leased, not lost"
    );
    *h.fx.respond.borrow_mut() = Box::new(|_| answer(Some(200)));
    block_on(h.run_due());
    assert_eq!(h.fx.sent.borrow().len(), 1, "not due before the lease ends");
    h.fx.advance(1_000 + LEASE_MARGIN_MS);
    block_on(h.run_due());
    assert_eq!(h.fx.sent.borrow().len(), 2, "sent again: at least once");
    assert_eq!(
        record(&h, &a.id).deliveries[0].state,
        DeliveryState::Delivered
    );
}

#[test]
fn a_run_sends_every_due_delivery_in_batches_within_the_storage_limits() {
    let h = hub();
    create(&h, r#"{"url":"https://example.com/a"}"#);
    for i in 0..120 {
        accept(&h, errored(&format!("in{i}"), &format!("e{i}"), T0 + i));
    }
    h.fx.advance(1_000);
    // 120 due records: more than one batch of attempts and more keys than one storage call
    // takes (the memory store refuses calls over 128 keys, as the real one does).
    block_on(h.run_due());
    assert_eq!(h.fx.sent.borrow().len(), 120);
    assert!(h.store.keys(keys::PENDING_PREFIX).is_empty());
    assert!(!logged(&h, "delivery run failed"));
}

#[test]
fn pruning_keeps_at_most_max_alerts_but_never_one_still_pending() {
    assert_eq!(super::intake::excess_alerts(MAX_ALERTS + 3), 3);
    assert_eq!(super::intake::excess_alerts(MAX_ALERTS), 0);
    assert_eq!(super::intake::excess_alerts(10), 0);
    let h = hub();
    let created = create(
        &h,
        r#"{"url":"https://example.com/a","filter":{"stream_ids":["keep"]}}"#,
    );
    // The oldest alert has a pending delivery; the others have none.
    let keep = errored("keep", "k", T0);
    accept(&h, keep.clone());
    let first_plain = errored("s0", "e0", T0 + 1);
    for i in 0..(MAX_ALERTS as u64 + 2) {
        accept(&h, errored(&format!("s{i}"), &format!("e{i}"), T0 + 1 + i));
    }
    assert_eq!(count(&h), MAX_ALERTS as f64);
    assert_eq!(h.store.keys(keys::ALERT_PREFIX).len(), MAX_ALERTS);
    assert!(
        block_on(h.get_alert(&keep.id)).is_ok(),
        "pending alerts are kept"
    );
    assert_eq!(
        block_on(h.get_alert(&first_plain.id)).err(),
        Some(ObjectError::NoSuchAlert)
    );
    assert!(!h
        .store
        .data
        .borrow()
        .contains_key(&keys::repeat_window(&first_plain).unwrap()));
    let _ = created;
}

#[test]
fn subscribers_are_created_listed_got_and_deleted_and_secrets_shown_once() {
    let h = hub_with(&[
        ("ALERT_SUBSCRIBERS", "https://example.com/configured"),
        ("ALERT_WEBHOOK_SECRET", SECRET),
    ]);
    let created = create(&h, r#"{"url":"https://example.com/a?token=x"}"#);
    let secret = created.secret.clone().unwrap();
    let created_json = serde_json::to_string(&created).unwrap();
    assert!(created_json.contains(secret.expose()));
    let slack = create(
        &h,
        r#"{"url":"https://hooks.slack.com/services/T/B/x","format":"slack"}"#,
    );
    assert!(slack.secret.is_none());
    let page = block_on(h.list_subscribers()).unwrap();
    assert_eq!(page.subscriptions.len(), 3);
    let listed = serde_json::to_string(&page).unwrap();
    assert!(
        !listed.contains(secret.expose()) && !listed.contains(SECRET),
        "{listed}"
    );
    let got = block_on(h.get_subscriber(&created.subscriber.id)).unwrap();
    assert_eq!(got.url, "https://example.com/a?…");
    // Configured subscribers are read-only here.
    let configured = page
        .subscriptions
        .iter()
        .find(|s| s.id.as_str().starts_with("sub_cfg_"))
        .unwrap();
    assert!(matches!(
        block_on(h.delete_subscriber(&configured.id)),
        Err(ObjectError::Conflict(m)) if m.contains("ALERT_SUBSCRIBERS")
    ));
    let deleted = block_on(h.delete_subscriber(&created.subscriber.id)).unwrap();
    assert!(deleted.deleted);
    assert_eq!(
        block_on(h.get_subscriber(&created.subscriber.id)).err(),
        Some(ObjectError::NoSuchSubscriber)
    );
    assert_eq!(
        block_on(h.delete_subscriber(&created.subscriber.id)).err(),
        Some(ObjectError::NoSuchSubscriber)
    );
    assert!(h
        .fx
        .logs
        .borrow()
        .iter()
        .all(|(_, _, fields)| !fields.to_string().contains(secret.expose())));
}

/// The signatures of the last delivery, checked against `secrets`: which of them signed it.
fn signed_by(h: &TestHub, secrets: &[&crate::alerts::secret::SigningSecret]) -> Vec<bool> {
    let sent = h.fx.sent.borrow();
    let out = sent.last().expect("a delivery");
    let header = |name: &str| out.header(name).unwrap().to_owned();
    let ts: u64 = header("webhook-timestamp").parse().unwrap();
    let signatures = header("webhook-signature");
    let parts: Vec<&str> = signatures.split(' ').collect();
    assert!(parts.iter().all(|p| p.starts_with("v1,")), "{signatures}");
    secrets
        .iter()
        .map(|s| parts.contains(&s.sign(&header("webhook-id"), ts, &out.body).as_str()))
        .collect()
}

#[test]
fn a_rotated_secret_signs_beside_the_new_one_for_a_day_then_only_the_new_one_does() {
    let h = hub();
    let created = create(&h, r#"{"url":"https://example.com/a"}"#);
    let old = created.secret.clone().unwrap();
    let rotated = block_on(h.rotate_subscriber(&created.subscriber.id)).unwrap();
    let new = rotated.secret.clone();
    assert_ne!(new.expose(), old.expose());
    assert_eq!(
        rotated.subscriber.previous_secret_signs_until.as_deref(),
        Some("2024-07-10T18:07:54Z"),
        "T0 + 24 h"
    );
    // Shown once: the view and the logs never hold either secret.
    let view = serde_json::to_string(&block_on(h.get_subscriber(&created.subscriber.id)).unwrap())
        .unwrap();
    assert!(!view.contains(new.expose()) && !view.contains(old.expose()));
    assert!(view.contains("previous_secret_signs_until"));
    assert!(logged(&h, "subscriber secret rotated"));
    assert!(h.fx.logs.borrow().iter().all(|(_, _, f)| {
        let f = f.to_string();
        !f.contains(new.expose()) && !f.contains(old.expose())
    }));
    // Within the day: both sign.
    accept(&h, errored("in1", "e1", T0));
    block_on(h.run_due());
    assert_eq!(signed_by(&h, &[&new, &old]), [true, true]);
    // A day later: only the new one.
    h.fx.advance(24 * 3600 * 1000);
    accept(&h, errored("in2", "e2", h.fx.now_ms.get()));
    block_on(h.run_due());
    assert_eq!(signed_by(&h, &[&new, &old]), [true, false]);
    let parts =
        h.fx.sent
            .borrow()
            .last()
            .unwrap()
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count();
    assert_eq!(parts, 1);
    // Rotating again drops the oldest at once: the new pair is (newest, new).
    let again = block_on(h.rotate_subscriber(&created.subscriber.id)).unwrap();
    accept(&h, errored("in3", "e3", h.fx.now_ms.get()));
    block_on(h.run_due());
    assert_eq!(
        signed_by(&h, &[&again.secret, &new, &old]),
        [true, true, false]
    );
}

#[test]
fn only_api_webhook_subscribers_rotate_and_configured_ones_use_the_next_setting() {
    const NEXT: &str = "whsec_c2Vjb25kLXNlY3JldC1mb3ItbGl2ZWhvb2s=";
    let h = hub_with(&[
        ("ALERT_SUBSCRIBERS", "https://example.com/configured"),
        ("ALERT_WEBHOOK_SECRET", SECRET),
        ("ALERT_WEBHOOK_SECRET_NEXT", NEXT),
    ]);
    let page = block_on(h.list_subscribers()).unwrap();
    let configured = &page.subscriptions[0];
    assert_eq!(
        configured.previous_secret_signs_until.as_deref(),
        Some("configured")
    );
    assert!(matches!(
        block_on(h.rotate_subscriber(&configured.id)),
        Err(ObjectError::Conflict(m)) if m.contains("ALERT_WEBHOOK_SECRET_NEXT")
    ));
    let slack = create(
        &h,
        r#"{"url":"https://hooks.slack.com/services/T/B/x","format":"slack"}"#,
    );
    let refused = block_on(h.rotate_subscriber(&slack.subscriber.id));
    assert!(
        matches!(&refused, Err(ObjectError::Conflict(m)) if m.contains("slack")),
        "{refused:?}"
    );
    let unknown = SubscriberId::parse("sub_0123456789abcdef0123").unwrap();
    assert_eq!(
        block_on(h.rotate_subscriber(&unknown)).err(),
        Some(ObjectError::NoSuchSubscriber)
    );
    // The configured webhook is signed with both values while the next one is set.
    accept(&h, errored("in1", "e1", T0));
    block_on(h.run_due());
    let current = crate::alerts::secret::SigningSecret::parse(SECRET).unwrap();
    let next = crate::alerts::secret::SigningSecret::parse(NEXT).unwrap();
    assert_eq!(signed_by(&h, &[&current, &next]), [true, true]);
    // An invalid next value is reported, and changes nothing.
    let bad = hub_with(&[("ALERT_WEBHOOK_SECRET_NEXT", "not-a-whsec")]);
    assert!(bad.cfg().invalid.contains(&"ALERT_WEBHOOK_SECRET_NEXT"));
}

#[test]
fn at_most_max_subscribers_are_created() {
    let h = hub();
    for i in 0..MAX_SUBSCRIBERS {
        create(&h, &format!(r#"{{"url":"https://example.com/{i}"}}"#));
    }
    let over = block_on(h.create_subscriber(new_sub(r#"{"url":"https://example.com/x"}"#)));
    assert!(matches!(over, Err(ObjectError::Conflict(m)) if m == "at most 100 subscribers"));
}

#[test]
fn requests_map_to_typed_replies_and_storage_failures_to_unavailable() {
    let h = hub();
    let missing = AlertId::parse("alr_0000").unwrap();
    let got = block_on(h.handle(HubRequest::GetAlert(missing.clone())));
    assert_eq!(got.reply.err(), Some(ObjectError::NoSuchAlert));
    let got = block_on(h.handle(HubRequest::GetSubscriber(
        SubscriberId::parse("sub_0000").unwrap(),
    )));
    assert_eq!(got.reply.err(), Some(ObjectError::NoSuchSubscriber));
    let accepted = block_on(h.handle(HubRequest::Accept(errored("in1", "e1", T0))));
    assert!(accepted.run_deliveries);
    assert!(matches!(accepted.reply, Ok(HubReply::Accepted(_))));
    h.store.failing.set(true);
    let got = block_on(h.handle(HubRequest::ListAlerts(query(None, None))));
    assert!(matches!(got.reply, Err(ObjectError::Unavailable(_))));
    // A failing run is logged, not raised.
    block_on(h.run_due());
    assert!(logged(&h, "delivery run failed"));
}

#[test]
fn a_stream_lists_its_own_alerts_newest_first_and_pruning_drops_them_from_its_index() {
    let h = hub();
    create(
        &h,
        r#"{"url":"https://example.com/a","filter":{"stream_ids":["keep"]}}"#,
    );
    let mine: Vec<Alert> = (0..3)
        .map(|i| errored("mine", &format!("m{i}"), T0 + 20_000 * i))
        .collect();
    for a in &mine {
        accept(&h, a.clone());
        accept(
            &h,
            errored("other", &format!("o{}", a.id), a.received_at_ms + 1),
        );
    }
    let page = block_on(h.list_alerts(query(None, Some("mine")))).unwrap();
    let ids: Vec<&str> = page.alerts.iter().map(|s| s.alert.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            mine[2].id.as_str(),
            mine[1].id.as_str(),
            mine[0].id.as_str()
        ]
    );
    let none = block_on(h.list_alerts(query(Some(DeliveryFilter::Dead), Some("mine")))).unwrap();
    assert!(none.alerts.is_empty(), "no dead delivery for these");
    // Enough newer alerts to prune all of `mine`: their index entries go with them.
    for i in 0..MAX_ALERTS as u64 {
        accept(
            &h,
            errored(&format!("s{i}"), &format!("n{i}"), T0 + 100_000 + i),
        );
    }
    assert!(block_on(h.list_alerts(query(None, Some("mine"))))
        .unwrap()
        .alerts
        .is_empty());
    assert!(h
        .store
        .keys("stream-alert:cloudflare:live_input:mine:")
        .is_empty());
}

#[test]
fn a_stream_change_reaches_the_live_feed_and_stores_nothing() {
    let h = hub();
    let event = errored_event_for_tests("in1", "e1");
    let record = StatusRecord::from_event(&event, None, 0);
    let calls = h.store.calls.get();
    let got = block_on(h.handle(HubRequest::StreamChanged(Box::new(StreamChange {
        version: 7,
        record,
    }))));
    assert!(matches!(
        got.reply,
        Ok(HubReply::Watching(Watching { viewers: 1 }))
    ));
    assert_eq!(h.store.calls.get(), calls, "no storage call");
    let live: Value = serde_json::from_str(&h.fx.broadcasts.borrow()[0]).unwrap();
    assert_eq!(live["type"], "stream");
    assert_eq!(live["version"], 7);
    assert_eq!(live["record"]["stream_id"], "in1");
    assert_eq!(live["record"]["state"], "errored");
}
