use serde_json::{json, Value};

use super::*;
use crate::alerts::credential::Credential;
use crate::alerts::notice::CodeCount;
use crate::alerts::notice::Storm;
use crate::alerts::render::words::format_duration;
use crate::alerts::secret::{SigningSecret, SECRET_BYTES};
use crate::ids::IncidentId;
use crate::incidents::ResolvedBy;
use crate::ingest::event::{ErrorInfo, Kind, ProviderId, StreamKey};

const OPENED_MS: u64 = 1_720_548_471_000;
const PUBLIC: &str = "https://livehook.example.com/";
const ROUTING_KEY: &str = "PDROUTINGKEY0123456789abcdef0123";
const TOKEN: &str = "IOTOKEN-secret-0123456789";
const BOT_URL: &str = "https://api.telegram.org/bot123456:TGBOTTOKEN/sendMessage";

fn incident(cause: Cause) -> Incident {
    let key = StreamKey::new(ProviderId::new("cloudflare"), Kind::LiveInput, "in1").unwrap();
    let mut i = Incident::open(&key, Some("Main <stage>".into()), cause, OPENED_MS, "e1");
    if cause != Cause::Offline {
        i.error = Some(ErrorInfo {
            code: "ERR_GOP_OUT_OF_RANGE".into(),
            message: "bad <GOP> & worse".into(),
            hint: "check the encoder".into(),
        });
    }
    i
}

fn resolved(cause: Cause) -> Incident {
    let mut i = incident(cause);
    i.resolve(OPENED_MS + 252_000, ResolvedBy::Recovery);
    i
}

fn notice(event: ChangeKind, i: Incident) -> NoticeRecord {
    NoticeRecord {
        event,
        subject: Subject::Incident(Box::new(i)),
        created_ms: OPENED_MS + 3_000,
        deliveries: Vec::new(),
    }
}

fn storm(message: StormMessage, event: ChangeKind) -> NoticeRecord {
    NoticeRecord {
        event,
        subject: Subject::Storm(Storm {
            id: IncidentId::parse("inc_storm_0123456789abcdef").unwrap(),
            message,
            provider: ProviderId::new("cloudflare"),
            kind: Kind::LiveInput,
            started_at: "2024-07-09T18:07:51Z".into(),
            count: 37,
            codes: vec![
                CodeCount {
                    code: "ERR_GOP_OUT_OF_RANGE".into(),
                    count: 30,
                },
                CodeCount {
                    code: "offline".into(),
                    count: 7,
                },
            ],
        }),
        created_ms: OPENED_MS,
        deliveries: Vec::new(),
    }
}

fn subscriber(format: Format, url: &str) -> Subscriber {
    let mut sub = Subscriber::for_tests("sub_1", format, url);
    let s = &mut sub.settings;
    s.routing_key = (format == Format::Pagerduty).then(|| Credential::parse(ROUTING_KEY).unwrap());
    s.token = (format == Format::Incidentio).then(|| Credential::parse(TOKEN).unwrap());
    s.chat_id = (format == Format::Telegram).then(|| "-1001234567890".to_owned());
    sub
}

fn msg() -> MessageId {
    MessageId::parse("msg_1").unwrap()
}

fn send(rec: &NoticeRecord, sub: &Subscriber, public_url: Option<&str>) -> Option<Outbound> {
    notice_outbound(rec, sub, &msg(), 1_700_000_000, public_url)
}

/// The body of a rendered request, as JSON.
fn body(rec: &NoticeRecord, sub: &Subscriber, public_url: Option<&str>) -> Value {
    let out = send(rec, sub, public_url).expect("rendered");
    serde_json::from_str(&out.body).unwrap()
}

#[test]
fn the_incident_webhook_body_is_frozen() {
    let i = resolved(Cause::Errored);
    assert_eq!(
        webhook_body(ChangeKind::Resolved, &i, OPENED_MS + 253_000),
        format!(
            r#"{{"type":"incident.resolved","timestamp":"2024-07-09T18:12:04Z","data":{{"id":"{}","provider":"cloudflare","stream_id":"in1","kind":"live_input","name":"Main <stage>","cause":"errored","state":"resolved","opened_at":"2024-07-09T18:07:51Z","opened_at_ms":1720548471000,"acknowledged_at":null,"resolved_at":"2024-07-09T18:12:03Z","duration_ms":252000,"resolved_by":"recovery","error":{{"code":"ERR_GOP_OUT_OF_RANGE","message":"bad <GOP> & worse","hint":"check the encoder"}},"repeat_count":0,"alert_ids":[]}}}}"#,
            i.id
        )
    );
}

#[test]
fn incident_webhooks_are_signed_and_never_sent_unsigned() {
    let secret = SigningSecret::generate(&[3u8; SECRET_BYTES]);
    let mut sub = subscriber(Format::Webhook, "https://example.com/hook");
    let rec = notice(ChangeKind::Opened, incident(Cause::Errored));
    assert_eq!(send(&rec, &sub, None), None);
    sub.secret = Some(secret.clone());
    let out = send(&rec, &sub, Some(PUBLIC)).unwrap();
    assert_eq!(out.header("webhook-id"), Some("msg_1"));
    assert_eq!(
        out.header("webhook-signature"),
        Some(secret.sign("msg_1", 1_700_000_000, &out.body).as_str())
    );
    let v: Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(v["type"], "incident.opened");
    assert_eq!(v["timestamp"], "2024-07-09T18:07:54Z");
    assert_eq!(v["data"]["id"], rec.subject_id().as_str());
    let ack = notice(ChangeKind::Acknowledged, incident(Cause::Errored));
    assert_eq!(body(&ack, &sub, None)["type"], "incident.acknowledged");
    // Storms are not webhook events; nobody is told about a joined error.
    assert_eq!(
        send(&storm(StormMessage::Group, ChangeKind::Opened), &sub, None),
        None
    );
    assert_eq!(
        send(
            &notice(ChangeKind::Joined, incident(Cause::Errored)),
            &sub,
            None
        ),
        None
    );
}

#[test]
fn every_attempt_sends_the_same_body() {
    let rec = notice(ChangeKind::Opened, incident(Cause::Errored));
    for format in Format::ALL {
        let mut sub = subscriber(format, "https://example.com/x");
        sub.secret = Some(SigningSecret::generate(&[3u8; SECRET_BYTES]));
        let first = notice_outbound(&rec, &sub, &msg(), 1, Some(PUBLIC)).unwrap();
        let later = notice_outbound(&rec, &sub, &msg(), 9_999, Some(PUBLIC)).unwrap();
        assert_eq!(first.body, later.body, "{format:?}");
    }
}

#[test]
fn pagerduty_triggers_with_the_documented_fields_and_limits() {
    let sub = subscriber(Format::Pagerduty, "https://events.pagerduty.com/v2/enqueue");
    let rec = notice(ChangeKind::Opened, incident(Cause::Errored));
    let out = send(&rec, &sub, Some(PUBLIC)).unwrap();
    assert_eq!(out.url, "https://events.pagerduty.com/v2/enqueue");
    assert!(out.header("authorization").is_none());
    let v: Value = serde_json::from_str(&out.body).unwrap();
    let id = rec.subject_id().as_str();
    assert_eq!(v["routing_key"], ROUTING_KEY);
    assert_eq!(v["event_action"], "trigger");
    assert_eq!(v["dedup_key"], id);
    assert_eq!(v["client"], "livehook");
    assert_eq!(v["client_url"], "https://livehook.example.com");
    let p = &v["payload"];
    assert_eq!(
        p["summary"],
        "Cloudflare Stream live input in1 errored: ERR_GOP_OUT_OF_RANGE"
    );
    assert_eq!(p["source"], "cloudflare:live_input:in1");
    assert_eq!(p["severity"], "critical");
    assert_eq!(p["timestamp"], "2024-07-09T18:07:51Z");
    assert_eq!(
        (&p["component"], &p["group"], &p["class"]),
        (
            &json!("cloudflare"),
            &json!("live_input"),
            &json!("errored")
        )
    );
    assert_eq!(
        p["custom_details"],
        json!({
            "code": "ERR_GOP_OUT_OF_RANGE",
            "message": "bad <GOP> & worse",
            "hint": "check the encoder",
            "name": "Main <stage>",
            "board": "https://livehook.example.com/#stream=cloudflare:live_input:in1",
        })
    );
    for (cause, severity) in [(Cause::Offline, "error"), (Cause::Warning, "warning")] {
        let v = body(&notice(ChangeKind::Opened, incident(cause)), &sub, None);
        assert_eq!(v["payload"]["severity"], severity);
        assert!(v.get("client_url").is_none());
        assert!(v["payload"]["custom_details"].get("board").is_none());
    }
    let offline = body(
        &notice(ChangeKind::Opened, incident(Cause::Offline)),
        &sub,
        None,
    );
    assert_eq!(
        offline["payload"]["summary"],
        "Cloudflare Stream live input in1 offline"
    );
    let mut long = incident(Cause::Errored);
    if let Some(e) = long.error.as_mut() {
        e.code = "C".repeat(3000);
    }
    let v = body(&notice(ChangeKind::Opened, long), &sub, None);
    assert_eq!(
        v["payload"]["summary"].as_str().unwrap().chars().count(),
        1024
    );
    assert!(id.len() <= 255); // dedup_key limit
}

#[test]
fn pagerduty_acknowledge_and_resolve_carry_only_the_key() {
    let sub = subscriber(Format::Pagerduty, "https://events.pagerduty.com/v2/enqueue");
    for (event, action) in [
        (ChangeKind::Acknowledged, "acknowledge"),
        (ChangeKind::Resolved, "resolve"),
    ] {
        let rec = notice(event, resolved(Cause::Errored));
        assert_eq!(
            body(&rec, &sub, Some(PUBLIC)),
            json!({ "routing_key": ROUTING_KEY, "event_action": action, "dedup_key": rec.subject_id().as_str() })
        );
    }
    let mut keyless = sub.clone();
    keyless.settings.routing_key = None;
    let rec = notice(ChangeKind::Opened, incident(Cause::Errored));
    assert_eq!(send(&rec, &keyless, None), None);
}

#[test]
fn a_storm_pages_once_as_a_group_under_its_own_key() {
    let sub = subscriber(Format::Pagerduty, "https://events.pagerduty.com/v2/enqueue");
    let v = body(
        &storm(StormMessage::Group, ChangeKind::Opened),
        &sub,
        Some(PUBLIC),
    );
    assert_eq!(v["dedup_key"], "inc_storm_0123456789abcdef");
    let p = &v["payload"];
    assert_eq!(
        p["summary"],
        "37 more Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×30, offline ×7"
    );
    assert_eq!(p["source"], "cloudflare");
    assert_eq!(p["severity"], "critical");
    assert_eq!(
        p["custom_details"]["board"],
        "https://livehook.example.com/#incidents"
    );
    assert_eq!(p["custom_details"]["codes"]["offline"], 7);
    let resolve = body(
        &storm(StormMessage::Group, ChangeKind::Resolved),
        &sub,
        None,
    );
    assert_eq!(resolve["event_action"], "resolve");
    // The chat summary is not a page.
    let summary = storm(StormMessage::Summary, ChangeKind::Opened);
    assert_eq!(send(&summary, &sub, None), None);
    assert_eq!(
        send(
            &summary,
            &subscriber(Format::Incidentio, "https://example.com/i"),
            None
        ),
        None
    );
    let io = body(
        &storm(StormMessage::Group, ChangeKind::Opened),
        &subscriber(Format::Incidentio, "https://example.com/i"),
        Some(PUBLIC),
    );
    assert_eq!(io["deduplication_key"], "inc_storm_0123456789abcdef");
    assert_eq!(io["source_url"], "https://livehook.example.com/#incidents");
}

#[test]
fn incidentio_fires_and_resolves_with_the_token_in_the_header_only() {
    let url = "https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66";
    let sub = subscriber(Format::Incidentio, url);
    let rec = notice(ChangeKind::Opened, incident(Cause::Errored));
    let out = send(&rec, &sub, Some(PUBLIC)).unwrap();
    assert_eq!(out.url, url);
    assert_eq!(
        out.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!out.body.contains(TOKEN));
    let v: Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(
        v["title"],
        "Cloudflare Stream live input in1 errored: ERR_GOP_OUT_OF_RANGE"
    );
    assert_eq!(v["status"], "firing");
    assert_eq!(v["deduplication_key"], rec.subject_id().as_str());
    assert_eq!(
        v["metadata"],
        json!({ "provider": "cloudflare", "stream_id": "in1", "kind": "live_input", "cause": "errored", "code": "ERR_GOP_OUT_OF_RANGE" })
    );
    assert_eq!(
        v["source_url"],
        "https://livehook.example.com/#stream=cloudflare:live_input:in1"
    );
    assert!(v["description"]
        .as_str()
        .unwrap()
        .contains("Message: bad <GOP> & worse"));
    let done = body(
        &notice(ChangeKind::Resolved, resolved(Cause::Offline)),
        &sub,
        None,
    );
    assert_eq!(done["status"], "resolved");
    assert!(done["metadata"].get("code").is_none()); // offline: no code
    assert!(done.get("source_url").is_none());
    // incident.io has no acknowledgement; and without a token nothing is sent.
    assert_eq!(
        send(
            &notice(ChangeKind::Acknowledged, incident(Cause::Errored)),
            &sub,
            None
        ),
        None
    );
    let mut tokenless = sub;
    tokenless.settings.token = None;
    assert_eq!(send(&rec, &tokenless, None), None);
}

#[test]
fn slack_and_discord_tell_the_opening_and_how_long_it_lasted() {
    let slack = subscriber(Format::Slack, "https://hooks.slack.com/services/T/B/x");
    let rec = notice(ChangeKind::Opened, incident(Cause::Errored));
    let v = body(&rec, &slack, None);
    assert_eq!(
        v["blocks"][0]["text"]["text"],
        "🔴 Cloudflare Stream live input in1 errored"
    );
    let text = v["text"].as_str().unwrap();
    for want in [
        "Code: ERR_GOP_OUT_OF_RANGE",
        "bad &lt;GOP&gt; &amp; worse",
        "Hint: check the encoder",
        "Name: Main &lt;stage&gt;",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert_eq!(
        v["blocks"][2]["elements"][0]["text"],
        format!("livehook incident `{}`", rec.subject_id())
    );
    let done = body(
        &notice(ChangeKind::Resolved, resolved(Cause::Errored)),
        &slack,
        None,
    );
    assert_eq!(
        done["blocks"][0]["text"]["text"],
        "🟢 Cloudflare Stream live input in1 resolved after 4 m 12 s"
    );
    let discord = subscriber(Format::Discord, "https://discord.com/api/webhooks/1/t");
    let v = body(
        &notice(ChangeKind::Resolved, resolved(Cause::Errored)),
        &discord,
        Some(PUBLIC),
    );
    let embed = &v["embeds"][0];
    assert_eq!(
        embed["title"],
        "🟢 Cloudflare Stream live input in1 resolved after 4 m 12 s"
    );
    assert_eq!(
        embed["url"],
        "https://livehook.example.com/#stream=cloudflare:live_input:in1"
    );
    assert_eq!(embed["color"], 0x2E_B6_7D);
    assert!(embed["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "Duration" && f["value"] == "4 m 12 s"));
}

#[test]
fn storms_tell_chats_one_summary_and_when_all_are_back() {
    let slack = subscriber(Format::Slack, "https://hooks.slack.com/services/T/B/x");
    let v = body(
        &storm(StormMessage::Summary, ChangeKind::Opened),
        &slack,
        Some(PUBLIC),
    );
    assert_eq!(
        v["blocks"][0]["text"]["text"],
        "🔴 37 more Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×30, offline ×7"
    );
    assert_eq!(
        v["blocks"][2]["elements"][1]["text"],
        "<https://livehook.example.com/#incidents|Open on the board>"
    );
    let back = body(
        &storm(StormMessage::Group, ChangeKind::Resolved),
        &slack,
        None,
    );
    assert_eq!(
        back["blocks"][0]["text"]["text"],
        "🟢 All 37 Cloudflare Stream live inputs of the storm are back"
    );
    assert_eq!(back["blocks"][2]["elements"].as_array().unwrap().len(), 1);
}

#[test]
fn teams_cards_are_coloured_by_cause_and_link_the_board() {
    let teams = subscriber(
        Format::Teams,
        "https://prod.westus.logic.azure.com/workflows/x?sig=SIG",
    );
    for (rec, color) in [
        (
            notice(ChangeKind::Opened, incident(Cause::Errored)),
            "Attention",
        ),
        (
            notice(ChangeKind::Opened, incident(Cause::Offline)),
            "Warning",
        ),
        (
            notice(ChangeKind::Opened, incident(Cause::Warning)),
            "Warning",
        ),
        (
            notice(ChangeKind::Resolved, resolved(Cause::Errored)),
            "Good",
        ),
    ] {
        let out = send(&rec, &teams, Some(PUBLIC)).unwrap();
        assert!(!out.body.contains("SIG"));
        let v: Value = serde_json::from_str(&out.body).unwrap();
        let card = &v["attachments"][0]["content"];
        assert_eq!(card["version"], "1.4");
        assert_eq!(card["body"][0]["color"], color);
        let facts = card["body"][1]["facts"].as_array().unwrap();
        assert_eq!(
            facts[0],
            json!({ "title": "Provider", "value": "Cloudflare Stream" })
        );
        assert_eq!(
            card["actions"][0]["url"],
            "https://livehook.example.com/#stream=cloudflare:live_input:in1"
        );
    }
}

#[test]
fn telegram_messages_escape_provider_text_and_never_carry_the_bot_token() {
    let tg = subscriber(Format::Telegram, BOT_URL);
    let out = send(
        &notice(ChangeKind::Opened, incident(Cause::Errored)),
        &tg,
        Some(PUBLIC),
    )
    .unwrap();
    assert_eq!(out.url, BOT_URL);
    assert!(!out.body.contains("TGBOTTOKEN") && !out.body.contains("bot123456"));
    let v: Value = serde_json::from_str(&out.body).unwrap();
    assert_eq!(v["chat_id"], "-1001234567890");
    assert_eq!(v["parse_mode"], "HTML");
    assert_eq!(v["link_preview_options"]["is_disabled"], true);
    let text = v["text"].as_str().unwrap();
    for want in [
        "<b>🔴 Cloudflare Stream live input in1 errored</b>",
        "<b>Stream:</b> in1 (live_input)",
        "<b>Name:</b> Main &lt;stage&gt;",
        "<b>Cause:</b> errored",
        "<b>Code:</b> ERR_GOP_OUT_OF_RANGE",
        "<b>Message:</b> bad &lt;GOP&gt; &amp; worse",
        "<b>Hint:</b> check the encoder",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }
    assert!(text.encode_utf16().count() <= 4096);
    let mut chatless = tg;
    chatless.settings.chat_id = None;
    assert_eq!(
        send(
            &notice(ChangeKind::Opened, incident(Cause::Errored)),
            &chatless,
            None
        ),
        None
    );
}

#[test]
fn durations_read_as_people_say_them() {
    assert_eq!(format_duration(0), "0 s");
    assert_eq!(format_duration(45_999), "45 s");
    assert_eq!(format_duration(252_000), "4 m 12 s");
    assert_eq!(format_duration(3_600_000 + 3 * 60_000 + 59_000), "1 h 3 m");
    assert_eq!(format_duration(7_380_000), "2 h 3 m");
}

#[test]
fn board_links_encode_the_stream_id_and_need_a_public_url() {
    let mut i = incident(Cause::Errored);
    i.stream_id = "a b/#c".into();
    let links = Links::new(Some("https://x.example/"));
    assert_eq!(
        links.stream(&i).as_deref(),
        Some("https://x.example/#stream=cloudflare:live_input:a%20b%2F%23c")
    );
    assert_eq!(Links::new(None).stream(&i), None);
    assert_eq!(Links::new(Some("")).incidents(), None);
}
