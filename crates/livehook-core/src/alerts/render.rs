//! Rendering and signing, pure: the request a delivery attempt sends, for each format. This
//! module renders alerts; [`notice`] renders incident notices, `chat` writes a message for
//! each chat platform, `paging` for PagerDuty and incident.io.
//!
//! An alert, by format:
//! - `webhook`: `{"type":"stream.<state>","timestamp":…,"data":{alert}}` signed with Standard
//!   Webhooks: `webhook-id`, `webhook-timestamp` (seconds) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where the key
//!   is the base64 part of the subscriber's `whsec_…` secret.
//! - `slack`: an incoming-webhook message (`text` fallback plus Block Kit blocks).
//! - `discord`: a webhook message with one embed; mentions are disabled.
//! - `teams`, `telegram`: the same title and facts as an Adaptive Card, or as HTML text.
//! - `pagerduty`, `incidentio`: nothing (they are told about incidents only).
//!
//! Invariants: the body depends only on the alert record (so every attempt of a delivery sends
//! the same bytes); user-controlled text is escaped for Slack mrkdwn and truncated to each
//! platform's limits; nothing from a subscriber's secret appears outside the signature.

use serde::Serialize;

use super::alert::Alert;
use super::record::{AlertRecord, AlertView};
use super::subscriber::{Format, Subscriber};
use crate::ids::MessageId;
use crate::ingest::event::{Kind, ProviderId, State};
use crate::ingest::providers;
use crate::text::{truncate, write_json};

mod chat;
pub mod notice;
mod paging;
mod words;

use chat::{ChatMessage, Tone};
pub use notice::notice_outbound;

pub const USER_AGENT: &str = concat!("livehook/", env!("CARGO_PKG_VERSION"));

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Outbound {
    /// A header's value, by its (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `stream.errored`, `stream.disconnected`, …
pub fn event_type(alert: &Alert) -> String {
    format!("stream.{}", alert.label())
}

/// The Standard Webhooks envelope.
#[derive(Serialize)]
struct WebhookPayload<'a> {
    #[serde(rename = "type")]
    kind: String,
    timestamp: &'a str,
    data: AlertView<'a>,
}

pub fn webhook_body(rec: &AlertRecord) -> String {
    let payload = WebhookPayload {
        kind: event_type(&rec.alert),
        timestamp: &rec.alert.received_at,
        data: rec.view(),
    };
    write_json(&payload)
}

/// `content-type` and `user-agent`, which every request carries.
fn json_headers() -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".to_owned()),
        ("user-agent", USER_AGENT.to_owned()),
    ]
}

/// Adds the Standard Webhooks headers for `body` to `headers`; `None` if `sub` has no valid
/// secret (a webhook is never sent unsigned).
fn sign(
    headers: &mut Vec<(&'static str, String)>,
    sub: &Subscriber,
    webhook_id: &MessageId,
    now_secs: u64,
    body: &str,
) -> Option<()> {
    sub.secret.as_ref()?;
    // Several signatures, space-separated, while a secret is rotated: a receiver that knows
    // either secret verifies the delivery.
    let signature = sub
        .signing_secrets(now_secs.saturating_mul(1000))
        .map(|s| s.sign(webhook_id.as_str(), now_secs, body))
        .collect::<Vec<_>>()
        .join(" ");
    headers.push(("webhook-id", webhook_id.to_string()));
    headers.push(("webhook-timestamp", now_secs.to_string()));
    headers.push(("webhook-signature", signature));
    Some(())
}

/// The request for one attempt of `rec` to `sub`, sent at `now_secs`. `None` if a webhook
/// subscriber has no valid secret (it is never sent unsigned), a Telegram one no chat, or the
/// subscriber pages (PagerDuty and incident.io are told about incidents, not alerts).
pub fn outbound(
    rec: &AlertRecord,
    sub: &Subscriber,
    webhook_id: &MessageId,
    now_secs: u64,
) -> Option<Outbound> {
    let mut headers = json_headers();
    let body = match sub.format {
        Format::Webhook => {
            let body = webhook_body(rec);
            sign(&mut headers, sub, webhook_id, now_secs, &body)?;
            body
        }
        Format::Slack => slack_body(rec),
        Format::Discord => discord_body(rec),
        Format::Teams => chat::teams(&message(rec)),
        Format::Telegram => chat::telegram(&message(rec), sub.settings.chat_id.as_deref()?),
        Format::Pagerduty | Format::Incidentio => return None,
    };
    Some(Outbound {
        url: sub.url.clone(),
        headers,
        body,
    })
}

/// The provider's title from the registry; a name no longer registered prints as itself.
fn provider_name(provider: ProviderId) -> String {
    providers::get(provider).map_or_else(|| provider.to_string(), |p| p.title().to_owned())
}

/// `Cloudflare Stream live input in1`: how a message names a stream.
fn stream_words(provider: ProviderId, kind: Kind, stream_id: &str) -> String {
    format!(
        "{} {} {stream_id}",
        provider_name(provider),
        kind.as_str().replace('_', " ")
    )
}

fn title(alert: &Alert) -> String {
    let icon = match alert.state {
        _ if alert.warning => "🟠",
        State::Errored => "🔴",
        State::Live | State::Connected => "🟢",
        _ => "⚪",
    };
    let what = stream_words(alert.provider, alert.kind, &alert.stream_id);
    truncate(&format!("{icon} {what} {}", alert.label()), 150)
}

/// `(label, value)` pairs a person reads, in order; empty values left out.
fn facts(rec: &AlertRecord) -> Vec<(&'static str, String)> {
    let a = &rec.alert;
    let mut out = vec![
        ("Provider", provider_name(a.provider)),
        ("Stream", format!("{} ({})", a.stream_id, a.kind.as_str())),
        ("State", a.state.as_str().to_owned()),
    ];
    for (label, value) in [
        ("Code", &a.code),
        ("Message", &a.message),
        ("Hint", &a.hint),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            out.push((label, v.to_owned()));
        }
    }
    out.push(("Time", a.occurred_at.clone()));
    if rec.previous_repeat_count > 0 {
        out.push((
            "Repeats",
            format!(
                "{} more time(s) during the previous alert's window",
                rec.previous_repeat_count
            ),
        ));
    }
    out
}

/// What an alert says in a chat.
fn message(rec: &AlertRecord) -> ChatMessage {
    ChatMessage {
        title: title(&rec.alert),
        tone: match rec.alert.state {
            State::Errored => Tone::Bad,
            State::Live | State::Connected => Tone::Good,
            _ => Tone::Neutral,
        },
        facts: facts(rec),
        footer: ("livehook alert", rec.alert.id.to_string()),
        timestamp: Some(rec.alert.occurred_at.clone()),
        link: None,
    }
}

pub fn slack_body(rec: &AlertRecord) -> String {
    chat::slack(&message(rec))
}

pub fn discord_body(rec: &AlertRecord) -> String {
    chat::discord(&message(rec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::secret::{SigningSecret, SECRET_BYTES};
    use crate::ingest::event::errored_event_for_tests;
    use serde_json::{json, Value};

    fn record() -> AlertRecord {
        let alert =
            Alert::from_event(&errored_event_for_tests("in1", "e1"), 1_720_548_474_000).unwrap();
        AlertRecord::new(alert, &[], 0)
    }

    fn msg(s: &str) -> MessageId {
        MessageId::parse(s).unwrap()
    }

    fn subscriber(format: Format, secret: Option<&SigningSecret>) -> Subscriber {
        Subscriber {
            secret: secret.cloned(),
            created_at: String::new(),
            ..Subscriber::for_tests("sub_1", format, "https://example.com/hook")
        }
    }

    #[test]
    fn webhook_requests_are_signed_over_their_exact_body() {
        let secret = SigningSecret::generate(&[1u8; SECRET_BYTES]);
        let rec = record();
        let out = outbound(
            &rec,
            &subscriber(Format::Webhook, Some(&secret)),
            &msg("msg_1"),
            1_700_000_000,
        )
        .unwrap();
        let h = |name: &str| out.header(name).unwrap().to_owned();
        assert_eq!(h("webhook-id"), "msg_1");
        assert_eq!(h("webhook-timestamp"), "1700000000");
        assert_eq!(
            h("webhook-signature"),
            secret.sign("msg_1", 1_700_000_000, &out.body)
        );
        let body: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(body["type"], "stream.errored");
        assert_eq!(body["data"]["id"], rec.alert.id.as_str());
        assert_eq!(body["data"]["code"], "ERR_GOP_OUT_OF_RANGE");
        assert_eq!(body["data"]["previous_repeat_count"], 0);
        assert_eq!(body["timestamp"], "2024-07-09T18:07:54Z");
        assert!(!out.body.contains(secret.expose()));
        // Never unsigned.
        assert_eq!(
            outbound(&rec, &subscriber(Format::Webhook, None), &msg("msg_m"), 0),
            None
        );
    }

    #[test]
    fn the_webhook_body_is_frozen() {
        let rec = record();
        assert_eq!(
            webhook_body(&rec),
            format!(
                r#"{{"type":"stream.errored","timestamp":"2024-07-09T18:07:54Z","data":{{"id":"{}","provider":"cloudflare","stream_id":"in1","kind":"live_input","state":"errored","code":"ERR_GOP_OUT_OF_RANGE","message":"m","hint":"h","occurred_at":"2024-07-09T18:07:51.077371662Z","received_at":"2024-07-09T18:07:54Z","received_at_ms":1720548474000,"event_type":"live_input.errored","previous_repeat_count":0}}}}"#,
                rec.alert.id
            )
        );
    }

    #[test]
    fn slack_message_is_readable_and_escaped() {
        let mut rec = record();
        rec.alert.message = Some("bad <GOP> & worse".into());
        rec.previous_repeat_count = 3;
        let out = outbound(&rec, &subscriber(Format::Slack, None), &msg("msg_m"), 0).unwrap();
        assert!(!out.headers.iter().any(|(k, _)| k.starts_with("webhook-")));
        let v: Value = serde_json::from_str(&out.body).unwrap();
        let text = v["text"].as_str().unwrap();
        for want in [
            "Cloudflare Stream",
            "in1",
            "ERR_GOP_OUT_OF_RANGE",
            "bad &lt;GOP&gt; &amp; worse",
            "Hint: h",
            "2024-07-09T18:07:51",
            "3 more time(s)",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert_eq!(v["blocks"][0]["type"], "header");
        let fields = v["blocks"][1]["fields"].as_array().unwrap();
        assert!(fields
            .iter()
            .any(|f| f["text"] == "*Code*\nERR_GOP_OUT_OF_RANGE"));
    }

    #[test]
    fn discord_message_is_readable_and_pings_nobody() {
        let mut rec = record();
        rec.alert.message = Some("@everyone look".into());
        let out = outbound(&rec, &subscriber(Format::Discord, None), &msg("msg_m"), 0).unwrap();
        let v: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(v["allowed_mentions"]["parse"], json!([]));
        let embed = &v["embeds"][0];
        assert!(embed["title"].as_str().unwrap().contains("in1 errored"));
        assert_eq!(embed["timestamp"], "2024-07-09T18:07:51.077371662Z");
        let names: Vec<&str> = embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Provider", "Stream", "State", "Code", "Message", "Hint", "Time"]
        );
    }

    #[test]
    fn the_slack_and_discord_alert_bodies_are_frozen() {
        let mut rec = record();
        rec.previous_repeat_count = 2;
        rec.alert.message = Some("bad <GOP> & worse".into());
        let id = rec.alert.id.clone();
        assert_eq!(
            slack_body(&rec),
            format!(
                r#"{{"blocks":[{{"text":{{"text":"🔴 Cloudflare Stream live input in1 errored","type":"plain_text"}},"type":"header"}},{{"fields":[{{"text":"*Provider*\nCloudflare Stream","type":"mrkdwn"}},{{"text":"*Stream*\nin1 (live_input)","type":"mrkdwn"}},{{"text":"*State*\nerrored","type":"mrkdwn"}},{{"text":"*Code*\nERR_GOP_OUT_OF_RANGE","type":"mrkdwn"}},{{"text":"*Message*\nbad &lt;GOP&gt; &amp; worse","type":"mrkdwn"}},{{"text":"*Hint*\nh","type":"mrkdwn"}},{{"text":"*Time*\n2024-07-09T18:07:51.077371662Z","type":"mrkdwn"}},{{"text":"*Repeats*\n2 more time(s) during the previous alert's window","type":"mrkdwn"}}],"type":"section"}},{{"elements":[{{"text":"livehook alert `{id}`","type":"mrkdwn"}}],"type":"context"}}],"text":"🔴 Cloudflare Stream live input in1 errored · Provider: Cloudflare Stream · Stream: in1 (live_input) · State: errored · Code: ERR_GOP_OUT_OF_RANGE · Message: bad &lt;GOP&gt; &amp; worse · Hint: h · Time: 2024-07-09T18:07:51.077371662Z · Repeats: 2 more time(s) during the previous alert's window"}}"#
            )
        );
        assert_eq!(
            discord_body(&rec),
            format!(
                r#"{{"allowed_mentions":{{"parse":[]}},"embeds":[{{"color":14687834,"fields":[{{"inline":true,"name":"Provider","value":"Cloudflare Stream"}},{{"inline":true,"name":"Stream","value":"in1 (live_input)"}},{{"inline":true,"name":"State","value":"errored"}},{{"inline":true,"name":"Code","value":"ERR_GOP_OUT_OF_RANGE"}},{{"inline":true,"name":"Message","value":"bad <GOP> & worse"}},{{"inline":true,"name":"Hint","value":"h"}},{{"inline":true,"name":"Time","value":"2024-07-09T18:07:51.077371662Z"}},{{"inline":false,"name":"Repeats","value":"2 more time(s) during the previous alert's window"}}],"footer":{{"text":"livehook alert {id}"}},"timestamp":"2024-07-09T18:07:51.077371662Z","title":"🔴 Cloudflare Stream live input in1 errored"}}],"username":"livehook"}}"#
            )
        );
    }

    #[test]
    fn teams_and_telegram_carry_the_alert_and_paging_formats_get_none() {
        let rec = record();
        let mut tg = subscriber(Format::Telegram, None);
        assert_eq!(outbound(&rec, &tg, &msg("msg_m"), 0), None); // no chat: never sent
        tg.settings.chat_id = Some("-100123".into());
        let out = outbound(&rec, &tg, &msg("msg_m"), 0).unwrap();
        let v: Value = serde_json::from_str(&out.body).unwrap();
        assert_eq!(v["chat_id"], "-100123");
        assert!(v["text"].as_str().unwrap().contains("ERR_GOP_OUT_OF_RANGE"));
        let out = outbound(&rec, &subscriber(Format::Teams, None), &msg("msg_m"), 0).unwrap();
        assert!(out.body.contains("AdaptiveCard") && out.body.contains("ERR_GOP_OUT_OF_RANGE"));
        for f in [Format::Pagerduty, Format::Incidentio] {
            assert_eq!(outbound(&rec, &subscriber(f, None), &msg("msg_m"), 0), None);
        }
    }

    #[test]
    fn long_text_is_truncated_to_platform_limits() {
        let mut rec = record();
        rec.alert.message = Some("x".repeat(5000));
        let d: Value = serde_json::from_str(&discord_body(&rec)).unwrap();
        for f in d["embeds"][0]["fields"].as_array().unwrap() {
            assert!(f["value"].as_str().unwrap().chars().count() <= 1024);
        }
        let s: Value = serde_json::from_str(&slack_body(&rec)).unwrap();
        assert!(s["text"].as_str().unwrap().chars().count() <= 3000);
    }

    #[test]
    fn state_change_notifications_have_no_error_fields() {
        let mut e = errored_event_for_tests("in1", "e2");
        e.state = State::Disconnected;
        e.error = None;
        let rec = AlertRecord::new(Alert::state_change(&e, 0), &[], 0);
        let v: Value = serde_json::from_str(&webhook_body(&rec)).unwrap();
        assert_eq!(v["type"], "stream.disconnected");
        assert_eq!(v["data"]["code"], Value::Null);
        assert!(!slack_body(&rec).contains("Code"));
    }
}
