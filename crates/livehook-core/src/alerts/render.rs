//! Alert rendering and signing, pure: the request a delivery attempt sends, for each format.
//!
//! - `webhook`: `{"type":"stream.<state>","timestamp":…,"data":{alert}}` signed with Standard
//!   Webhooks: `webhook-id`, `webhook-timestamp` (seconds) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where the key
//!   is the base64 part of the subscriber's `whsec_…` secret.
//! - `slack`: an incoming-webhook message (`text` fallback plus Block Kit blocks).
//! - `discord`: a webhook message with one embed; mentions are disabled.
//!
//! Invariants: the body depends only on the alert record (so every attempt of a delivery sends
//! the same bytes); user-controlled text is escaped for Slack mrkdwn and truncated to each
//! platform's limits; nothing from a subscriber's secret appears outside the signature.

use serde::Serialize;
use serde_json::json;

use super::alert::Alert;
use super::record::{AlertRecord, AlertView};
use super::subscriber::{Format, Subscriber};
use crate::ids::MessageId;
use crate::ingest::event::State;
use crate::ingest::providers;
use crate::text::{truncate, write_json};

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

/// The request for one attempt of `rec` to `sub`, sent at `now_secs`. `None` if a webhook
/// subscriber has no valid secret (it is never sent unsigned).
pub fn outbound(
    rec: &AlertRecord,
    sub: &Subscriber,
    webhook_id: &MessageId,
    now_secs: u64,
) -> Option<Outbound> {
    let mut headers = vec![
        ("content-type", "application/json".to_owned()),
        ("user-agent", USER_AGENT.to_owned()),
    ];
    let body = match sub.format {
        Format::Webhook => {
            sub.secret.as_ref()?;
            let body = webhook_body(rec);
            // Several signatures, space-separated, while a secret is rotated: a receiver that
            // knows either secret verifies the delivery.
            let signature = sub
                .signing_secrets(now_secs.saturating_mul(1000))
                .map(|s| s.sign(webhook_id.as_str(), now_secs, &body))
                .collect::<Vec<_>>()
                .join(" ");
            headers.push(("webhook-id", webhook_id.to_string()));
            headers.push(("webhook-timestamp", now_secs.to_string()));
            headers.push(("webhook-signature", signature));
            body
        }
        Format::Slack => slack_body(rec),
        Format::Discord => discord_body(rec),
    };
    Some(Outbound {
        url: sub.url.clone(),
        headers,
        body,
    })
}

/// The provider's title from the registry; a name no longer registered prints as itself.
fn provider_name(alert: &Alert) -> String {
    providers::get(alert.provider)
        .map_or_else(|| alert.provider.to_string(), |p| p.title().to_owned())
}

fn title(alert: &Alert) -> String {
    let icon = match alert.state {
        _ if alert.warning => "🟠",
        State::Errored => "🔴",
        State::Live | State::Connected => "🟢",
        _ => "⚪",
    };
    let kind = alert.kind.as_str().replace('_', " ");
    let title = format!(
        "{icon} {} {kind} {} {}",
        provider_name(alert),
        alert.stream_id,
        alert.label()
    );
    truncate(&title, 150)
}

/// `(label, value)` pairs a person reads, in order; empty values left out.
fn facts(rec: &AlertRecord) -> Vec<(&'static str, String)> {
    let a = &rec.alert;
    let mut out = vec![
        ("Provider", provider_name(a)),
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

/// Slack mrkdwn treats `&`, `<` and `>` as control characters.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn slack_body(rec: &AlertRecord) -> String {
    let facts = facts(rec);
    let text = facts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let fields: Vec<_> = facts
        .iter()
        .map(|(k, v)| json!({ "type": "mrkdwn", "text": truncate(&format!("*{k}*\n{}", slack_escape(v)), 2000) }))
        .take(10) // Slack allows at most 10 fields per section
        .collect();
    write_json(&json!({
        "text": truncate(&slack_escape(&format!("{} · {text}", title(&rec.alert))), 3000),
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": title(&rec.alert) } },
            { "type": "section", "fields": fields },
            { "type": "context", "elements": [
                { "type": "mrkdwn", "text": format!("livehook alert `{}`", rec.alert.id) }
            ] }
        ]
    }))
}

pub fn discord_body(rec: &AlertRecord) -> String {
    let color = match rec.alert.state {
        State::Errored => 0xE0_1E_5A,
        State::Live | State::Connected => 0x2E_B6_7D,
        _ => 0x9E_9E_9E,
    };
    let fields: Vec<_> = facts(rec)
        .into_iter()
        .map(|(k, v)| {
            json!({ "name": k, "value": truncate(&v, 1024), "inline": v.chars().count() <= 40 })
        })
        .collect();
    write_json(&json!({
        "username": "livehook",
        "allowed_mentions": { "parse": [] },
        "embeds": [{
            "title": truncate(&title(&rec.alert), 256),
            "color": color,
            "fields": fields,
            "timestamp": rec.alert.occurred_at,
            "footer": { "text": format!("livehook alert {}", rec.alert.id) },
        }]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::secret::{SigningSecret, SECRET_BYTES};
    use crate::alerts::subscriber::{Filter, Source};
    use crate::ids::SubscriberId;
    use crate::ingest::event::errored_event_for_tests;
    use serde_json::Value;

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
            id: SubscriberId::parse("sub_1").unwrap(),
            url: "https://example.com/hook".into(),
            format,
            filter: Filter::default(),
            secret: secret.cloned(),
            also_signing: None,
            source: Source::Api,
            created_at: String::new(),
            disabled: None,
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
