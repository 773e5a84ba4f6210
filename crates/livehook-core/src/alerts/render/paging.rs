//! Incident notices for paging services: PagerDuty (Events API v2) and incident.io (an HTTP
//! alert source). Both deduplicate by the incident id (a storm's grouped page: the storm id),
//! so a page is triggered once and resolved by the same key.
//!
//! - PagerDuty: `{"routing_key","event_action":"trigger"|"acknowledge"|"resolve","dedup_key"}`,
//!   and on trigger `payload` (`summary` ≤ 1 024 characters, `source`, `severity`, `timestamp`,
//!   `component`, `group`, `class`, `custom_details`), `client` and `client_url`. The routing
//!   key is the one credential that travels in a body: PagerDuty reads it there.
//! - incident.io: `{"title","description","status":"firing"|"resolved","deduplication_key",
//!   "metadata":{provider,stream_id,kind,cause,code},"source_url"?}`; its token goes in the
//!   `Authorization` header, never in the body. An acknowledgement is not sent (incident.io
//!   has no such status).
//!
//! A storm's chat summary is not rendered for them (`None`): they get the grouped page.

use serde_json::{json, Map, Value};

use super::words::{incident_facts, incident_summary, storm_facts, storm_summary, Links};
use crate::alerts::credential::Credential;
use crate::alerts::notice::{NoticeRecord, Storm, StormMessage, Subject};
use crate::incidents::{Cause, ChangeKind, Incident};
use crate::text::{truncate, write_json};

/// The subject a page is about: an incident, or a storm's grouped page (never its summary).
fn paged(subject: &Subject) -> Option<Result<&Incident, &Storm>> {
    match subject {
        Subject::Incident(i) => Some(Ok(i)),
        Subject::Storm(s) if s.message == StormMessage::Group => Some(Err(s)),
        Subject::Storm(_) => None,
    }
}

pub(super) fn pagerduty(
    rec: &NoticeRecord,
    routing_key: &Credential,
    links: &Links,
) -> Option<String> {
    let subject = paged(&rec.subject)?;
    let dedup_key = rec.subject_id().as_str();
    let action = match rec.event {
        ChangeKind::Opened => "trigger",
        ChangeKind::Acknowledged => "acknowledge",
        ChangeKind::Resolved => "resolve",
        ChangeKind::Joined => return None,
    };
    let mut body = json!({
        "routing_key": routing_key.expose(),
        "event_action": action,
        "dedup_key": dedup_key,
    });
    if rec.event != ChangeKind::Opened {
        return Some(write_json(&body));
    }
    let payload = match subject {
        Ok(i) => {
            let mut details = Map::new();
            let error = i.error.as_ref();
            for (key, value) in [
                ("code", error.map(|e| e.code.as_str())),
                ("message", error.map(|e| e.message.as_str())),
                ("hint", error.map(|e| e.hint.as_str())),
                ("name", i.name.as_deref()),
            ] {
                if let Some(v) = value.filter(|v| !v.is_empty()) {
                    details.insert(key.into(), Value::from(v));
                }
            }
            if let Some(board) = links.stream(i) {
                details.insert("board".into(), Value::from(board));
            }
            json!({
                "summary": incident_summary(i),
                "source": format!("{}:{}:{}", i.provider, i.kind.as_str(), i.stream_id),
                "severity": match i.cause {
                    Cause::Errored => "critical",
                    Cause::Offline => "error",
                    Cause::Warning => "warning",
                },
                "timestamp": i.opened_at,
                "component": i.provider.as_str(),
                "group": i.kind.as_str(),
                "class": i.cause.as_str(),
                "custom_details": details,
            })
        }
        Err(s) => {
            let codes: Map<String, Value> = s
                .codes
                .iter()
                .map(|c| (c.code.clone(), Value::from(c.count)))
                .collect();
            let mut details =
                json!({ "count": s.count, "codes": codes, "started_at": s.started_at });
            if let (Some(link), Some(map)) = (links.incidents(), details.as_object_mut()) {
                map.insert("board".into(), Value::from(link));
            }
            json!({
                "summary": storm_summary(s, true),
                "source": s.provider.as_str(),
                "severity": "critical",
                "timestamp": s.started_at,
                "component": s.provider.as_str(),
                "group": s.kind.as_str(),
                "class": "storm",
                "custom_details": details,
            })
        }
    };
    if let Some(map) = body.as_object_mut() {
        map.insert("payload".into(), payload);
        map.insert("client".into(), Value::from("livehook"));
        if let Some(board) = links.board() {
            map.insert("client_url".into(), Value::from(board));
        }
    }
    Some(write_json(&body))
}

pub(super) fn incidentio(rec: &NoticeRecord, links: &Links) -> Option<String> {
    let subject = paged(&rec.subject)?;
    let status = match rec.event {
        ChangeKind::Opened => "firing",
        ChangeKind::Resolved => "resolved",
        ChangeKind::Acknowledged | ChangeKind::Joined => return None,
    };
    let (title, facts, metadata) = match subject {
        Ok(i) => {
            let mut metadata = json!({
                "provider": i.provider.as_str(),
                "stream_id": i.stream_id,
                "kind": i.kind.as_str(),
                "cause": i.cause.as_str(),
            });
            if let (Some(code), Some(map)) = (i.code(), metadata.as_object_mut()) {
                map.insert("code".into(), Value::from(code));
            }
            (incident_summary(i), incident_facts(i), metadata)
        }
        Err(s) => {
            let metadata = json!({
                "provider": s.provider.as_str(),
                "kind": s.kind.as_str(),
                "cause": "storm",
                "count": s.count,
            });
            (storm_summary(s, true), storm_facts(s), metadata)
        }
    };
    let description = facts
        .iter()
        .map(|(k, v)| format!("{k}: {}", truncate(v, 1000)))
        .collect::<Vec<_>>()
        .join("\n");
    let mut body = json!({
        "title": title,
        "description": description,
        "status": status,
        "deduplication_key": rec.subject_id().as_str(),
        "metadata": metadata,
    });
    if let (Some(url), Some(map)) = (links.subject(&rec.subject), body.as_object_mut()) {
        map.insert("source_url".into(), Value::from(url));
    }
    Some(write_json(&body))
}
