//! The hub's storage layout: every key it writes, built here only. Values are JSON text or
//! numbers ([`super::store::Stored`]).
//!
//! | key                                 | value                                       |
//! |-------------------------------------|---------------------------------------------|
//! | `alert:{received ms, 15 digits}:{id}` | an `AlertRecord`                          |
//! | `alert-id:{id}`                     | its alert key (also for folded repeats)     |
//! | `incident:{provider}:{kind}:{stream}:{code}` | a `RepeatWindow` (`ALERT_DEDUPE_SECONDS`) |
//! | `pending:{alert key}`               | when its next delivery is due (ms)          |
//! | `dead:{alert key}`                  | 1: it has a dead delivery                   |
//! | `sub:{id}`                          | an API `Subscriber`                         |
//! | `sub-disabled:{id}`                 | `Disabled` (any subscriber, e.g. after 410) |
//! | `count`                             | number of alert records                     |
//! | `stream-alert:{provider}:{kind}:{stream}:{alert key}` | 1: the stream's alerts, by time |
//! | `inc:{id}`                          | an `IncidentRecord`                         |
//! | `inc-at:{opened ms, 15 digits}:{id}` | `{state} {provider} {cause}`: every incident |
//! | `inc-open:{opened ms}:{id}`         | the same, for incidents not resolved        |
//! | `inc-stream:{provider}:{kind}:{stream}:{opened ms}:{id}` | the same, per stream   |
//! | `inc-count`                         | number of incident records                  |
//! | `notice:{made ms, 15 digits}:{id}:{event}` | a `NoticeRecord` (an incident's or a storm's) |
//! | `storm:{provider}`                  | a `StormState`: recent openings, the open group |
//!
//! Alert, incident and notice keys sort by time, so a reverse listing is newest first. A
//! `pending:`/`dead:` entry names an alert key or a notice key.

use crate::alerts::alert::Alert;
use crate::ids::{AlertId, IncidentId, SubscriberId};
use crate::incidents::{ChangeKind, Incident};
use crate::ingest::event::{ProviderId, StreamKey};

pub const COUNT: &str = "count";
pub const ALERT_PREFIX: &str = "alert:";
pub const PENDING_PREFIX: &str = "pending:";
pub const DEAD_PREFIX: &str = "dead:";
pub const SUBSCRIBER_PREFIX: &str = "sub:";
pub const DISABLED_PREFIX: &str = "sub-disabled:";
pub const STREAM_ALERT_PREFIX: &str = "stream-alert:";
const ALERT_ID_PREFIX: &str = "alert-id:";
const INCIDENT_PREFIX: &str = "incident:";

pub const INCIDENT_COUNT: &str = "inc-count";
pub const INCIDENT_AT_PREFIX: &str = "inc-at:";
pub const INCIDENT_OPEN_PREFIX: &str = "inc-open:";
const INCIDENT_STREAM_PREFIX: &str = "inc-stream:";
pub const NOTICE_PREFIX: &str = "notice:";
const INCIDENT_RECORD_PREFIX: &str = "inc:";
const STORM_PREFIX: &str = "storm:";

/// An incident's record.
pub fn incident_record(id: &IncidentId) -> String {
    format!("{INCIDENT_RECORD_PREFIX}{id}")
}

/// `{opened ms, zero-padded}:{id}`: the tail of every incident index key.
fn incident_tail(i: &Incident) -> String {
    format!("{:015}:{}", i.opened_at_ms, i.id)
}

/// Every index key of an incident: all, open (while not resolved), its stream's.
pub fn incident_index(i: &Incident) -> [String; 3] {
    let tail = incident_tail(i);
    [
        format!("{INCIDENT_AT_PREFIX}{tail}"),
        format!("{INCIDENT_OPEN_PREFIX}{tail}"),
        format!(
            "{INCIDENT_STREAM_PREFIX}{}:{}:{}:{tail}",
            i.provider,
            i.kind.as_str(),
            i.stream_id
        ),
    ]
}

/// The prefix of one stream's incident index.
pub fn stream_incidents(stream: &StreamKey) -> String {
    format!("{INCIDENT_STREAM_PREFIX}{stream}:")
}

/// The incident id at the end of an index key.
pub fn incident_of_index(key: &str) -> Option<IncidentId> {
    IncidentId::parse(key.rsplit(':').next()?)
}

/// A notice: `notice:{made ms}:{incident or storm id}:{event}`.
pub fn notice(made_ms: u64, id: &IncidentId, event: ChangeKind) -> String {
    format!("{NOTICE_PREFIX}{made_ms:015}:{id}:{}", event.as_str())
}

/// One provider's storm state.
pub fn storm(provider: ProviderId) -> String {
    format!("{STORM_PREFIX}{provider}")
}

/// `alert:{received_at_ms, zero-padded}:{id}`: lexicographic order is time order.
pub fn alert(a: &Alert) -> String {
    format!("{ALERT_PREFIX}{:015}:{}", a.received_at_ms, a.id)
}

/// The key that records "this alert id is stored", and where.
pub fn alert_id(id: &AlertId) -> String {
    format!("{ALERT_ID_PREFIX}{id}")
}

/// Errored alerts (or warnings) for the same input and code share a repeat window (the key's
/// `incident:` prefix is the stored format's).
pub fn repeat_window(a: &Alert) -> Option<String> {
    let code = a.repeat_code()?;
    Some(format!(
        "{INCIDENT_PREFIX}{}:{}:{}:{code}",
        a.provider,
        a.kind.as_str(),
        a.stream_id
    ))
}

/// The prefix of one stream's alert index: `stream-alert:{provider}:{kind}:{id}:`.
pub fn stream_alerts(stream: &StreamKey) -> String {
    format!("{STREAM_ALERT_PREFIX}{stream}:")
}

/// The alert's entry in its stream's index.
pub fn stream_alert(a: &Alert, alert_key: &str) -> String {
    format!(
        "{STREAM_ALERT_PREFIX}{}:{}:{}:{alert_key}",
        a.provider,
        a.kind.as_str(),
        a.stream_id
    )
}

pub fn pending(alert_key: &str) -> String {
    format!("{PENDING_PREFIX}{alert_key}")
}

pub fn dead(alert_key: &str) -> String {
    format!("{DEAD_PREFIX}{alert_key}")
}

pub fn subscriber(id: &SubscriberId) -> String {
    format!("{SUBSCRIBER_PREFIX}{id}")
}

pub fn disabled(id: &SubscriberId) -> String {
    format!("{DISABLED_PREFIX}{id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::errored_event_for_tests;

    fn errored(event_id: &str, received_ms: u64) -> Alert {
        Alert::from_event(&errored_event_for_tests("in1", event_id), received_ms).unwrap()
    }

    #[test]
    fn storage_keys_sort_by_time() {
        let early = errored("z", 999);
        let late = errored("a", 1000);
        assert!(alert(&early) < alert(&late));
    }

    #[test]
    fn keys_are_frozen() {
        let a = errored("a", 1_720_548_474_000);
        assert_eq!(alert(&a), format!("alert:001720548474000:{}", a.id));
        assert_eq!(alert_id(&a.id), format!("alert-id:{}", a.id));
        assert_eq!(
            repeat_window(&a).as_deref(),
            Some("incident:cloudflare:live_input:in1:ERR_GOP_OUT_OF_RANGE")
        );
        let mut change = a.clone();
        change.state = crate::ingest::event::State::Disconnected;
        assert_eq!(
            repeat_window(&change),
            None,
            "only errors and warnings repeat"
        );
        assert_eq!(pending("k"), "pending:k");
        let stream = StreamKey::new(a.provider, a.kind, &a.stream_id).unwrap();
        assert!(stream_alert(&a, "k").starts_with(&stream_alerts(&stream)));
        assert_eq!(
            stream_alert(&a, "k"),
            "stream-alert:cloudflare:live_input:in1:k"
        );
        assert_eq!(dead("k"), "dead:k");
        let sub = SubscriberId::parse("sub_1").unwrap();
        assert_eq!(
            (subscriber(&sub), disabled(&sub)),
            ("sub:sub_1".into(), "sub-disabled:sub_1".into())
        );
    }
}
