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
use super::{json_headers, paging, provider_name, sign, stream_words, Outbound};
use crate::alerts::notice::{NoticeRecord, Storm, StormMessage, Subject};
use crate::alerts::subscriber::{Format, Subscriber};
use crate::ids::MessageId;
use crate::incidents::incident::rfc3339_ms;
use crate::incidents::{Cause, ChangeKind, Incident, ResolvedBy};
use crate::text::{truncate, write_json};

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
        timestamp: rfc3339_ms(created_ms),
        data: incident,
    })
}

/// Links to the board, when `PUBLIC_URL` is set.
pub(super) struct Links<'a> {
    base: Option<&'a str>,
}

impl<'a> Links<'a> {
    pub(super) fn new(public_url: Option<&'a str>) -> Self {
        Links {
            base: public_url
                .map(|u| u.trim_end_matches('/'))
                .filter(|u| !u.is_empty()),
        }
    }

    /// The board itself (PagerDuty's `client_url`).
    pub(super) fn board(&self) -> Option<&'a str> {
        self.base
    }

    /// `{PUBLIC_URL}/#stream={provider}:{kind}:{id}` (the id percent-encoded).
    pub(super) fn stream(&self, i: &Incident) -> Option<String> {
        let id = percent_encode(&i.stream_id);
        self.base
            .map(|b| format!("{b}/#stream={}:{}:{id}", i.provider, i.kind.as_str()))
    }

    /// `{PUBLIC_URL}/#incidents`.
    pub(super) fn incidents(&self) -> Option<String> {
        self.base.map(|b| format!("{b}/#incidents"))
    }

    /// Where a notice about `subject` points.
    pub(super) fn subject(&self, subject: &Subject) -> Option<String> {
        match subject {
            Subject::Incident(i) => self.stream(i),
            Subject::Storm(_) => self.incidents(),
        }
    }
}

/// Every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (what `encodeURIComponent` leaves, less `!*'()`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `45 s`, `4 m 12 s`, `2 h 3 m`.
pub fn format_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} m {} s", s / 60, s % 60),
        _ => format!("{} h {} m", s / 3600, s % 3600 / 60),
    }
}

/// `live input`, or `live inputs` when `count` is not 1.
fn kind_words(kind: crate::ingest::event::Kind, count: u32) -> String {
    let one = kind.as_str().replace('_', " ");
    if count == 1 {
        one
    } else {
        format!("{one}s")
    }
}

/// `Cloudflare Stream live input in1 errored: ERR_GOP_OUT_OF_RANGE` (no icon): a page's summary.
pub(super) fn incident_summary(i: &Incident) -> String {
    let what = stream_words(i.provider, i.kind, &i.stream_id);
    let summary = match i.code().filter(|c| !c.is_empty()) {
        Some(code) => format!("{what} {}: {code}", i.cause.as_str()),
        None => format!("{what} {}", i.cause.as_str()),
    };
    truncate(&summary, 1024)
}

/// `37 Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×30, offline ×7`; `more`
/// says `37 more …` (a summary of those beyond the first ones, told one by one).
pub(super) fn storm_summary(s: &Storm, more: bool) -> String {
    let codes = s
        .codes
        .iter()
        .map(|c| format!("{} ×{}", c.code, c.count))
        .collect::<Vec<_>>()
        .join(", ");
    let more = if more { " more" } else { "" };
    let what = format!(
        "{}{more} {} {} down",
        s.count,
        provider_name(s.provider),
        kind_words(s.kind, s.count)
    );
    let summary = if codes.is_empty() {
        what
    } else {
        format!("{what}: {codes}")
    };
    truncate(&summary, 1024)
}

/// `All 37 Cloudflare Stream live inputs of the storm are back`.
fn storm_back(s: &Storm) -> String {
    format!(
        "All {} {} {} of the storm are back",
        s.count,
        provider_name(s.provider),
        kind_words(s.kind, s.count)
    )
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

/// What a person reads about an incident, most useful first; empty values left out.
pub(super) fn incident_facts(i: &Incident) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Provider", provider_name(i.provider)),
        ("Stream", format!("{} ({})", i.stream_id, i.kind.as_str())),
    ];
    let error = i.error.as_ref();
    let optional = [
        ("Name", i.name.clone()),
        ("Cause", Some(i.cause.as_str().to_owned())),
        ("State", Some(i.state.as_str().to_owned())),
        ("Duration", i.duration_ms.map(format_duration)),
        ("Code", error.map(|e| e.code.clone())),
        ("Message", error.map(|e| e.message.clone())),
        ("Hint", error.map(|e| e.hint.clone())),
        ("Opened", Some(i.opened_at.clone())),
        ("Acknowledged", i.acknowledged_at.clone()),
        ("Resolved", i.resolved_at.clone()),
        (
            "Resolved by",
            i.resolved_by.map(|by| match by {
                ResolvedBy::Recovery => "recovery (back on air)".to_owned(),
                ResolvedBy::Manual => "manual".to_owned(),
            }),
        ),
        (
            "Repeats",
            (i.repeat_count > 0).then(|| format!("{} more error(s) joined", i.repeat_count)),
        ),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v))),
    );
    out
}

pub(super) fn storm_facts(s: &Storm) -> Vec<(&'static str, String)> {
    let codes = s.codes.iter().map(|c| format!("{} ×{}", c.code, c.count));
    vec![
        ("Provider", provider_name(s.provider)),
        (
            "Streams",
            format!("{} {}", s.count, kind_words(s.kind, s.count)),
        ),
        ("Codes", codes.collect::<Vec<_>>().join(", ")),
        ("Since", s.started_at.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
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
                timestamp: Some(rfc3339_ms(rec.created_ms)),
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
                timestamp: Some(rfc3339_ms(rec.created_ms)),
                link,
            }
        }
    }
}

#[cfg(test)]
mod tests;
