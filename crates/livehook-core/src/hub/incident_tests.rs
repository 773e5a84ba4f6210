//! Incidents at the hub on the host, over [`super::memory`]: changes recorded once and in
//! order, manual acknowledge and resolve, who is told, storms, listing and pruning.

use serde_json::Value;

use super::tests::{create, hub, hub_with, TestHub, T0};
use crate::alerts::delivery::Deliveries;
use crate::alerts::notice::{NoticeRecord, StormMessage, Subject};
use crate::ids::IncidentId;
use crate::incidents::{Cause, ChangeKind, Incident, IncidentChange, IncidentState, ResolvedBy};
use crate::ingest::event::{ErrorInfo, Kind, ProviderId, StreamKey};
use crate::protocol::{IncidentDetail, IncidentQuery, ObjectError};
use crate::store::memory::block_on;
use crate::store::Stored;

fn key(stream: &str) -> StreamKey {
    StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, stream).unwrap()
}

fn incident(stream: &str, opened_ms: u64) -> Incident {
    let mut i = Incident::open(&key(stream), None, Cause::Errored, opened_ms, stream);
    i.error = Some(ErrorInfo {
        code: "ERR_GOP_OUT_OF_RANGE".into(),
        message: "m".into(),
        hint: "h".into(),
    });
    i
}

fn change(i: &Incident, change: ChangeKind, seq: u32) -> IncidentChange {
    IncidentChange {
        change,
        seq,
        at_ms: T0,
        incident: i.clone(),
    }
}

fn record(h: &TestHub, c: IncidentChange) -> crate::protocol::IncidentRecorded {
    block_on(h.record_incident(c)).unwrap()
}

fn detail(h: &TestHub, id: &IncidentId) -> IncidentDetail {
    block_on(h.get_incident(id)).unwrap()
}

fn list(
    h: &TestHub,
    state: Option<IncidentState>,
    limit: usize,
    cursor: Option<String>,
) -> crate::protocol::IncidentsPage {
    block_on(h.list_incidents(IncidentQuery {
        state,
        provider: None,
        cause: None,
        stream: None,
        limit,
        cursor,
    }))
    .unwrap()
}

/// Every notice stored, as (event, subject kind, subscriber formats' ids).
fn notices(h: &TestHub) -> Vec<NoticeRecord> {
    h.store
        .data
        .borrow()
        .iter()
        .filter(|(k, _)| k.starts_with("notice:"))
        .filter_map(|(_, v)| v.parse())
        .collect()
}

#[test]
fn a_change_is_recorded_once_and_in_order() {
    let h = hub();
    let i = incident("in1", T0);
    let got = record(&h, change(&i, ChangeKind::Opened, 1));
    assert_eq!((got.seq, got.closed), (1, false));
    // The same change again, or an older one after a newer: nothing changes.
    let mut joined = i.clone();
    joined.repeat_count = 2;
    record(&h, change(&joined, ChangeKind::Joined, 3));
    record(&h, change(&i, ChangeKind::Opened, 1));
    let mut older = i.clone();
    older.repeat_count = 1;
    record(&h, change(&older, ChangeKind::Joined, 2));
    let d = detail(&h, &i.id);
    assert_eq!(d.incident.repeat_count, 2);
    let changes: Vec<ChangeKind> = d.timeline.iter().map(|e| e.change).collect();
    assert_eq!(changes, [ChangeKind::Opened, ChangeKind::Joined]);
    assert_eq!(
        h.store.data.borrow().get("inc-count"),
        Some(&Stored::Number(1.0))
    );
    // The live feed hears of each applied change.
    let live: Vec<Value> =
        h.fx.broadcasts
            .borrow()
            .iter()
            .map(|m| serde_json::from_str(m).unwrap())
            .collect();
    assert_eq!(live.len(), 2);
    assert_eq!(live[0]["type"], "incident");
    assert_eq!(live[0]["change"], "opened");
}

#[test]
fn who_is_told_of_opening_acknowledging_and_resolving() {
    let h = hub();
    let hook = create(&h, r#"{"url":"https://example.com/a"}"#);
    let slack = create(
        &h,
        r#"{"url":"https://hooks.slack.com/services/x","format":"slack"}"#,
    );
    create(
        &h,
        r#"{"url":"https://example.com/gcore","filter":{"providers":["gcore"]}}"#,
    );
    let i = incident("in1", T0);
    record(&h, change(&i, ChangeKind::Opened, 1));
    let opened = notices(&h);
    assert_eq!(opened.len(), 1);
    let told: Vec<_> = opened[0]
        .deliveries
        .iter()
        .map(|d| d.subscriber_id.clone())
        .collect();
    assert_eq!(
        told,
        [hook.subscriber.id.clone(), slack.subscriber.id.clone()]
    );

    let acked = block_on(h.acknowledge(&i.id)).unwrap();
    assert_eq!(acked.incident.state, IncidentState::Acknowledged);
    let ack_notice = notices(&h)
        .into_iter()
        .find(|n| n.event == ChangeKind::Acknowledged)
        .unwrap();
    let told: Vec<_> = ack_notice
        .deliveries
        .iter()
        .map(|d| d.subscriber_id.clone())
        .collect();
    assert_eq!(
        told,
        std::slice::from_ref(&hook.subscriber.id),
        "slack is not told of acknowledgements"
    );
    // Acknowledging again changes nothing.
    block_on(h.acknowledge(&i.id)).unwrap();
    assert_eq!(notices(&h).len(), 2);

    let mut resolved = i.clone();
    resolved.resolve(T0 + 60_000, ResolvedBy::Recovery);
    record(&h, change(&resolved, ChangeKind::Resolved, 2));
    let d = detail(&h, &i.id);
    assert_eq!(d.incident.state, IncidentState::Resolved);
    assert!(
        d.incident.acknowledged_at.is_some(),
        "kept from the hub's acknowledgement"
    );
    assert_eq!(
        d.notifications.len(),
        5,
        "2 opened, 1 acknowledged, 2 resolved"
    );
    assert_eq!(
        list(&h, Some(IncidentState::Open), 50, None)
            .incidents
            .len(),
        0
    );
    assert_eq!(
        list(&h, Some(IncidentState::Resolved), 50, None)
            .incidents
            .len(),
        1
    );
}

#[test]
fn resolved_by_hand_stays_resolved_and_the_stream_is_told_so() {
    let h = hub();
    let i = incident("in1", T0);
    record(&h, change(&i, ChangeKind::Opened, 1));
    let closed = block_on(h.close(&i.id)).unwrap();
    assert_eq!(closed.stream, key("in1"));
    assert_eq!(
        block_on(h.close(&i.id)).err(),
        Some(ObjectError::Conflict(
            "the incident is already resolved".into()
        ))
    );
    assert!(matches!(
        block_on(h.acknowledge(&i.id)),
        Err(ObjectError::Conflict(_))
    ));
    let mut joined = i.clone();
    joined.repeat_count = 1;
    let got = record(&h, change(&joined, ChangeKind::Joined, 2));
    assert!(got.closed, "the stream stops tracking it");
    let d = detail(&h, &i.id);
    assert_eq!(
        (
            d.incident.state,
            d.incident.resolved_by,
            d.incident.repeat_count
        ),
        (IncidentState::Resolved, Some(ResolvedBy::Manual), 0)
    );
    assert_eq!(
        block_on(h.get_incident(&IncidentId::from_bytes(&[9]))).err(),
        Some(ObjectError::NoSuchIncident)
    );
}

#[test]
fn a_storm_sends_chat_one_summary_per_window_and_pages_once_while_webhooks_get_everything() {
    let h = hub_with(&[("ALERT_STORM_THRESHOLD", "3"), ("ALERT_STORM_WINDOW", "60")]);
    create(&h, r#"{"url":"https://example.com/a"}"#);
    create(
        &h,
        r#"{"url":"https://hooks.slack.com/services/x","format":"slack"}"#,
    );
    let pd = create(&h, r#"{"format":"pagerduty","routing_key":"R0UTINGKEY"}"#);
    let mut opened = Vec::new();
    for n in 0..10 {
        h.fx.now_ms.set(T0 + n * 1000);
        let mut i = incident(&format!("in{n}"), T0 + n * 1000);
        if n >= 8 {
            if let Some(e) = &mut i.error {
                e.code = "ERR_STORAGE_QUOTA_EXHAUSTED".into();
            }
        }
        record(&h, change(&i, ChangeKind::Opened, 1));
        opened.push(i);
    }
    let all = notices(&h);
    let own: Vec<&NoticeRecord> = all
        .iter()
        .filter(|n| matches!(n.subject, Subject::Incident(_)))
        .collect();
    assert_eq!(
        own.len(),
        10,
        "every incident has its own notice for the webhook"
    );
    let with_chat = own.iter().filter(|n| n.deliveries.len() == 3).count();
    assert_eq!(
        with_chat, 3,
        "the first three reach chat and paging one by one"
    );
    let pages: Vec<&NoticeRecord> = all
        .iter()
        .filter(|n| matches!(&n.subject, Subject::Storm(s) if s.message == StormMessage::Group))
        .collect();
    assert_eq!(pages.len(), 1, "one grouped page for the rest");
    assert_eq!(pages[0].deliveries.len(), 1);
    assert_eq!(pages[0].deliveries[0].subscriber_id, pd.subscriber.id);
    let Subject::Storm(page) = &pages[0].subject else {
        unreachable!()
    };
    assert_eq!(page.count, 7, "every incident grouped in the window");
    assert_eq!(
        pages[0].next_due_ms(),
        Some(T0 + 3_000 + 60_000),
        "sent when the storm's first window ends"
    );
    let summaries: Vec<&NoticeRecord> = all
        .iter()
        .filter(|n| matches!(&n.subject, Subject::Storm(s) if s.message == StormMessage::Summary))
        .collect();
    assert_eq!(summaries.len(), 1, "one summary for the window");
    let Subject::Storm(s) = &summaries[0].subject else {
        unreachable!()
    };
    assert_eq!(s.count, 7);
    assert_eq!(
        s.codes
            .iter()
            .map(|c| (c.code.as_str(), c.count))
            .collect::<Vec<_>>(),
        [
            ("ERR_GOP_OUT_OF_RANGE", 5),
            ("ERR_STORAGE_QUOTA_EXHAUSTED", 2)
        ]
    );
    assert_eq!(
        summaries[0].next_due_ms(),
        Some(T0 + 3_000 + 60_000),
        "sent at the end of the window that began with the storm"
    );
    // Every incident is recorded and listed.
    assert_eq!(
        list(&h, Some(IncidentState::Open), 200, None)
            .incidents
            .len(),
        10
    );
    // The storm's incidents resolve; the last one ends the storm with one message.
    for i in &opened[3..] {
        let mut r = i.clone();
        r.resolve(T0 + 100_000, ResolvedBy::Recovery);
        record(&h, change(&r, ChangeKind::Resolved, 2));
    }
    let over: Vec<NoticeRecord> = notices(&h)
        .into_iter()
        .filter(|n| n.event == ChangeKind::Resolved && matches!(n.subject, Subject::Storm(_)))
        .collect();
    assert_eq!(over.len(), 1);
    assert_eq!(
        over[0].deliveries.len(),
        2,
        "chat hears the storm is over, and the grouped page resolves"
    );
    // Sent now: the grouped page's resolve carries its dedup key.
    h.fx.now_ms.set(T0 + 200_000);
    block_on(h.run_due());
    let sent = h.fx.sent.borrow();
    let resolve = sent
        .iter()
        .find(|o| o.body.contains(r#""event_action":"resolve""#))
        .expect("the group's resolve");
    let Subject::Storm(group) = &pages[0].subject else {
        unreachable!()
    };
    assert!(resolve.body.contains(group.id.as_str()));
}

#[test]
fn zero_turns_storm_grouping_off() {
    let h = hub_with(&[("ALERT_STORM_THRESHOLD", "0")]);
    create(
        &h,
        r#"{"url":"https://hooks.slack.com/services/x","format":"slack"}"#,
    );
    for n in 0..30 {
        record(
            &h,
            change(&incident(&format!("in{n}"), T0 + n), ChangeKind::Opened, 1),
        );
    }
    assert_eq!(notices(&h).len(), 30);
}

#[test]
fn pages_are_newest_first_and_the_cursor_goes_on_where_the_page_ended() {
    let h = hub();
    for n in 0..7u64 {
        let i = incident(&format!("in{n}"), T0 + n * 1000);
        record(&h, change(&i, ChangeKind::Opened, 1));
    }
    let first = list(&h, Some(IncidentState::Open), 3, None);
    let ids: Vec<&str> = first
        .incidents
        .iter()
        .map(|i| i.stream_id.as_str())
        .collect();
    assert_eq!(ids, ["in6", "in5", "in4"]);
    let second = list(&h, Some(IncidentState::Open), 3, first.cursor.clone());
    let ids: Vec<&str> = second
        .incidents
        .iter()
        .map(|i| i.stream_id.as_str())
        .collect();
    assert_eq!(ids, ["in3", "in2", "in1"]);
    let last = list(&h, Some(IncidentState::Open), 3, second.cursor.clone());
    assert_eq!(last.incidents.len(), 1);
    assert_eq!(last.cursor, None);
    // A cursor of another index is not honoured.
    let foreign = list(&h, Some(IncidentState::Resolved), 3, first.cursor);
    assert!(foreign.incidents.is_empty());
    // The open index is read, never the whole list: 7 open among them all.
    let by_stream = block_on(h.list_incidents(IncidentQuery {
        state: None,
        provider: None,
        cause: None,
        stream: Some(key("in2")),
        limit: 50,
        cursor: None,
    }))
    .unwrap();
    assert_eq!(by_stream.incidents.len(), 1);
}

#[test]
fn an_error_raising_an_offline_incident_tells_those_who_want_errors_only() {
    let h = hub();
    let errors_only = create(&h, r#"{"url":"https://example.com/a"}"#);
    let everything = create(
        &h,
        r#"{"url":"https://example.com/b","filter":{"causes":["errored","offline"]}}"#,
    );
    let mut i = incident("in1", T0);
    i.cause = Cause::Offline;
    i.error = None;
    record(&h, change(&i, ChangeKind::Opened, 1));
    let told = |h: &TestHub| -> Vec<Vec<String>> {
        notices(h)
            .iter()
            .map(|n| {
                n.deliveries
                    .iter()
                    .map(|d| d.subscriber_id.to_string())
                    .collect()
            })
            .collect()
    };
    assert_eq!(told(&h), [vec![everything.subscriber.id.to_string()]]);
    let mut raised = incident("in1", T0);
    raised.id = i.id.clone();
    raised.repeat_count = 1;
    record(&h, change(&raised, ChangeKind::Joined, 2));
    let all = told(&h);
    assert_eq!(all.len(), 2);
    assert!(all.contains(&vec![errors_only.subscriber.id.to_string()]));
    // Both hear of its resolution.
    raised.resolve(T0 + 10_000, ResolvedBy::Recovery);
    record(&h, change(&raised, ChangeKind::Resolved, 3));
    let resolved = notices(&h)
        .into_iter()
        .find(|n| n.event == ChangeKind::Resolved)
        .unwrap();
    assert_eq!(resolved.deliveries.len(), 2);
}
