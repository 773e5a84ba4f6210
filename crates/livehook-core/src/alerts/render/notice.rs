//! Incident notices, rendered: [`notice_outbound`] is the request one attempt of a
//! [`NoticeRecord`] to one subscriber sends.
//!
//! - `webhook`: Standard Webhooks event `incident.opened` | `incident.acknowledged` |
//!   `incident.resolved`, body `{"type","timestamp","data":<the incident>}`, signed as alerts
//!   are. Storms are not rendered for webhooks (`None`): webhook subscribers get every
//!   incident's own events, and no storm event type is documented.
//! - `slack`, `discord`, `teams`, `telegram`: a message (`chat`) titled
//!   `🔴 Cloudflare Stream live input in1 errored`, `… resolved after 4 m 12 s`, a storm's
//!   `37 more Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×30, offline ×7`, or
//!   `All 37 … of the storm are back`.
//! - `pagerduty`, `incidentio`: see `paging`.
//!
//! Invariants: a body depends only on the record and the subscriber's settings (every attempt
//! sends the same bytes); `None` when a credential the format needs is missing (never sent
//! without it), and for what nobody is told (a `joined` change).

use serde::Serialize;

use super::chat::{self, ChatMessage, Tone};
use super::words::{
    format_duration, incident_facts, storm_back, storm_facts, storm_summary, Links,
};
use super::{json_headers, paging, sign, stream_words, Outbound};
use crate::alerts::notice::{NoticeRecord, StormMessage, Subject};
use crate::alerts::subscriber::{Format, Subscriber};
use crate::ids::MessageId;
use crate::incidents::{Cause, ChangeKind, Incident};
use crate::text::{truncate, write_json};
use crate::time::format_rfc3339_ms;

/// The request for one attempt of `rec` to `sub`, sent at `now_secs`; `public_url` (the
/// deployment's `PUBLIC_URL`) makes links to the board.
pub fn notice_outbound(
    rec: &NoticeRecord,
    sub: &Subscriber,
    webhook_id: &MessageId,
    now_secs: u64,
    public_url: Option<&str>,
) -> Option<Outbound> {
    if rec.event == ChangeKind::Joined {
        return None;
    }
    let mut headers = json_headers();
    let links = Links::new(public_url);
    let body = match sub.format {
        Format::Webhook => {
            let Subject::Incident(incident) = &rec.subject else {
                return None;
            };
            let body = webhook_body(rec.event, incident, rec.created_ms);
            sign(&mut headers, sub, webhook_id, now_secs, &body)?;
            body
        }
        Format::Slack => chat::slack(&message(rec, &links)),
        Format::Discord => chat::discord(&message(rec, &links)),
        Format::Teams => chat::teams(&message(rec, &links)),
        Format::Telegram => chat::telegram(&message(rec, &links), sub.settings.chat_id.as_deref()?),
        Format::Pagerduty => paging::pagerduty(rec, sub.settings.routing_key.as_ref()?, &links)?,
        Format::Incidentio => {
            let token = sub.settings.token.as_ref()?;
            let body = paging::incidentio(rec, &links)?;
            headers.push(("authorization", format!("Bearer {}", token.expose())));
            body
        }
    };
    Some(Outbound {
        url: sub.url.clone(),
        headers,
        body,
    })
}

/// The Standard Webhooks envelope of an incident event.
#[derive(Serialize)]
struct IncidentPayload<'a> {
    #[serde(rename = "type")]
    kind: String,
    timestamp: String,
    data: &'a Incident,
}

/// `{"type":"incident.<event>","timestamp":<when the notice was made>,"data":<the incident>}`.
pub fn webhook_body(event: ChangeKind, incident: &Incident, created_ms: u64) -> String {
    write_json(&IncidentPayload {
        kind: format!("incident.{}", event.as_str()),
        timestamp: format_rfc3339_ms(created_ms),
        data: incident,
    })
}

fn incident_title(event: ChangeKind, i: &Incident) -> (String, Tone) {
    let what = stream_words(i.provider, i.kind, &i.stream_id);
    let cause = i.cause.as_str();
    let (title, tone) = match event {
        ChangeKind::Resolved => {
            let after = i.duration_ms.map(format_duration);
            let after = after.map_or_else(String::new, |d| format!(" after {d}"));
            (format!("🟢 {what} resolved{after}"), Tone::Good)
        }
        ChangeKind::Acknowledged => (format!("👀 {what} {cause}: acknowledged"), Tone::Neutral),
        ChangeKind::Opened | ChangeKind::Joined => match i.cause {
            Cause::Errored => (format!("🔴 {what} {cause}"), Tone::Bad),
            Cause::Offline => (format!("⚪ {what} {cause}"), Tone::Warning),
            Cause::Warning => (format!("🟠 {what} {cause}"), Tone::Warning),
        },
    };
    (truncate(&title, 150), tone)
}

/// What a notice says in a chat.
fn message(rec: &NoticeRecord, links: &Links) -> ChatMessage {
    let link = links.subject(&rec.subject);
    match &rec.subject {
        Subject::Incident(i) => {
            let (title, tone) = incident_title(rec.event, i);
            ChatMessage {
                title,
                tone,
                facts: incident_facts(i),
                footer: ("livehook incident", i.id.to_string()),
                timestamp: Some(format_rfc3339_ms(rec.created_ms)),
                link,
            }
        }
        Subject::Storm(s) => {
            let down = storm_summary(s, s.message == StormMessage::Summary);
            let (title, tone) = match rec.event {
                ChangeKind::Resolved => (format!("🟢 {}", storm_back(s)), Tone::Good),
                ChangeKind::Acknowledged => (format!("👀 {down}: acknowledged"), Tone::Neutral),
                ChangeKind::Opened | ChangeKind::Joined => (format!("🔴 {down}"), Tone::Bad),
            };
            ChatMessage {
                title: truncate(&title, 150),
                tone,
                facts: storm_facts(s),
                footer: ("livehook storm", s.id.to_string()),
                timestamp: Some(format_rfc3339_ms(rec.created_ms)),
                link,
            }
        }
    }
}

#[cfg(test)]
mod tests;
