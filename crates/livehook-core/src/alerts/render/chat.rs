//! One chat message, four platforms: a [`ChatMessage`] (title, tone, facts, footer, link) is
//! what an alert or an incident says; [`slack`], [`discord`], [`teams`] and [`telegram`] write it
//! in each platform's JSON, within its limits and with its escaping. Every string a provider
//! sent is escaped where the platform reads markup (Slack mrkdwn, Telegram HTML) and mentions
//! never ping anyone on Discord.

use serde_json::{json, Map, Value};

use crate::text::{truncate, write_json};

/// The colour a message is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Errored: red.
    Bad,
    /// Offline or a warning: amber.
    Warning,
    /// Back on air, resolved: green.
    Good,
    Neutral,
}

/// What a chat message says, before any platform's markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChatMessage {
    /// One line, icon first (at most 150 characters: Slack's header limit).
    pub title: String,
    pub tone: Tone,
    /// `(label, value)` pairs a person reads, in order, empty values left out.
    pub facts: Vec<(&'static str, String)>,
    /// `("livehook alert", "alr_…")`: what this is, and its id.
    pub footer: (&'static str, String),
    /// RFC 3339, for platforms that show one (Discord).
    pub timestamp: Option<String>,
    /// A link to the board, when `PUBLIC_URL` is set.
    pub link: Option<String>,
}

const LINK_TEXT: &str = "Open on the board";
/// Discord's limit on all the text of one embed.
const DISCORD_EMBED_CHARS: usize = 6000;
/// Telegram's limit on a message's text (after entities are parsed; we count the markup too).
pub(crate) const TELEGRAM_TEXT_UNITS: usize = 4096;

/// `&`, `<` and `>` are markup in Slack mrkdwn and in Telegram's HTML.
pub(crate) fn escape_markup(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack: a `text` fallback plus Block Kit blocks (header, up to 10 fields, context).
pub(crate) fn slack(m: &ChatMessage) -> String {
    let text = m
        .facts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let fields: Vec<_> = m
        .facts
        .iter()
        .map(|(k, v)| json!({ "type": "mrkdwn", "text": truncate(&format!("*{k}*\n{}", escape_markup(v)), 2000) }))
        .take(10) // Slack allows at most 10 fields per section
        .collect();
    let mut context =
        vec![json!({ "type": "mrkdwn", "text": format!("{} `{}`", m.footer.0, m.footer.1) })];
    if let Some(link) = &m.link {
        context.push(
            json!({ "type": "mrkdwn", "text": format!("<{}|{LINK_TEXT}>", escape_markup(link)) }),
        );
    }
    write_json(&json!({
        "text": truncate(&escape_markup(&format!("{} · {text}", m.title)), 3000),
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": m.title } },
            { "type": "section", "fields": fields },
            { "type": "context", "elements": context }
        ]
    }))
}

/// Discord: one embed; mentions are disabled, the embed stays within 6 000 characters.
pub(crate) fn discord(m: &ChatMessage) -> String {
    let color = match m.tone {
        Tone::Bad => 0xE0_1E_5A,
        Tone::Warning => 0xEC_B2_2E,
        Tone::Good => 0x2E_B6_7D,
        Tone::Neutral => 0x9E_9E_9E,
    };
    let title = truncate(&m.title, 256);
    let footer = format!("{} {}", m.footer.0, m.footer.1);
    let fixed: usize = [&title, &footer]
        .iter()
        .map(|s| s.chars().count())
        .chain(m.facts.iter().map(|(k, _)| k.len()))
        .sum();
    let values =
        |max: usize| -> Vec<String> { m.facts.iter().map(|(_, v)| truncate(v, max)).collect() };
    let mut kept = values(1024);
    let total = fixed + kept.iter().map(|v| v.chars().count()).sum::<usize>();
    if total > DISCORD_EMBED_CHARS && !kept.is_empty() {
        kept = values(DISCORD_EMBED_CHARS.saturating_sub(fixed) / kept.len());
    }
    let fields: Vec<_> = m
        .facts
        .iter()
        .zip(kept)
        .map(|((k, _), v)| json!({ "name": k, "value": v, "inline": v.chars().count() <= 40 }))
        .collect();
    let mut embed = json!({
        "title": title,
        "color": color,
        "fields": fields,
        "footer": { "text": footer },
    });
    if let Some(map) = embed.as_object_mut() {
        optional(map, "timestamp", m.timestamp.as_deref());
        optional(map, "url", m.link.as_deref());
    }
    write_json(&json!({
        "username": "livehook",
        "allowed_mentions": { "parse": [] },
        "embeds": [embed]
    }))
}

fn optional(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Value::from(v));
    }
}

/// Microsoft Teams (Workflows webhook): a message with one Adaptive Card 1.4.
pub(crate) fn teams(m: &ChatMessage) -> String {
    let color = match m.tone {
        Tone::Bad => "Attention",
        Tone::Warning => "Warning",
        Tone::Good => "Good",
        Tone::Neutral => "Default",
    };
    let facts: Vec<_> = m
        .facts
        .iter()
        .map(|(k, v)| json!({ "title": k, "value": truncate(v, 1024) }))
        .collect();
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            { "type": "TextBlock", "text": m.title, "weight": "Bolder", "size": "Medium", "color": color, "wrap": true },
            { "type": "FactSet", "facts": facts },
            { "type": "TextBlock", "text": format!("{} {}", m.footer.0, m.footer.1), "isSubtle": true, "size": "Small", "wrap": true }
        ],
    });
    if let (Some(link), Some(map)) = (&m.link, card.as_object_mut()) {
        map.insert(
            "actions".into(),
            json!([{ "type": "Action.OpenUrl", "title": LINK_TEXT, "url": link }]),
        );
    }
    write_json(&json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card
        }]
    }))
}

/// Telegram `sendMessage`: HTML text (every string escaped) within 4 096 UTF-16 units counted
/// with its markup, so the parsed text is shorter still; facts that do not fit are left out.
pub(crate) fn telegram(m: &ChatMessage, chat_id: &str) -> String {
    let units = |s: &str| s.encode_utf16().count();
    let head = format!("<b>{}</b>", escape_markup(&m.title));
    let mut tail = Vec::new();
    if let Some(link) = &m.link {
        tail.push(format!(
            "<a href=\"{}\">{LINK_TEXT}</a>",
            escape_markup(link).replace('"', "&quot;")
        ));
    }
    tail.push(format!(
        "<i>{}</i> <code>{}</code>",
        m.footer.0,
        escape_markup(&m.footer.1)
    ));
    let mut budget = TELEGRAM_TEXT_UNITS
        .saturating_sub(units(&head))
        .saturating_sub(tail.iter().map(|l| units(l) + 1).sum::<usize>());
    let mut lines = vec![head];
    for (k, v) in &m.facts {
        let label = format!("<b>{k}:</b> ");
        // The label, a newline, and at least a few characters of the value, or nothing.
        let Some(room) = budget.checked_sub(units(&label) + 1).filter(|r| *r >= 16) else {
            continue;
        };
        let line = format!("{label}{}", escape_within(&truncate(v, 1000), room));
        budget = budget.saturating_sub(units(&line) + 1);
        lines.push(line);
    }
    lines.extend(tail);
    write_json(&json!({
        "chat_id": chat_id,
        "text": lines.join("\n"),
        "parse_mode": "HTML",
        "link_preview_options": { "is_disabled": true }
    }))
}

/// `s` escaped, cut (with `…`) so the result takes at most `max_units` UTF-16 units.
fn escape_within(s: &str, max_units: usize) -> String {
    let escaped = escape_markup(s);
    if escaped.encode_utf16().count() <= max_units {
        return escaped;
    }
    let mut out = String::new();
    let mut used = 1; // the `…`
    for c in s.chars() {
        let piece = escape_markup(c.encode_utf8(&mut [0; 4]));
        let cost = piece.encode_utf16().count();
        if used + cost > max_units {
            break;
        }
        used += cost;
        out.push_str(&piece);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> ChatMessage {
        ChatMessage {
            title: "🔴 Cloudflare Stream live input in1 errored".into(),
            tone: Tone::Bad,
            facts: vec![
                ("Stream", "in1 (live_input)".into()),
                ("Message", "bad <GOP> & \"worse\" @everyone".into()),
            ],
            footer: ("livehook incident", "inc_1".into()),
            timestamp: Some("2024-07-09T18:07:51Z".into()),
            link: Some("https://board.example.com/#stream=cloudflare:live_input:in1".into()),
        }
    }

    fn parse(body: &str) -> Value {
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn slack_escapes_and_links() {
        let v = parse(&slack(&message()));
        assert!(v["text"]
            .as_str()
            .unwrap()
            .contains("bad &lt;GOP&gt; &amp;"));
        let context = &v["blocks"][2]["elements"];
        assert_eq!(context[0]["text"], "livehook incident `inc_1`");
        assert_eq!(
            context[1]["text"],
            "<https://board.example.com/#stream=cloudflare:live_input:in1|Open on the board>"
        );
    }

    #[test]
    fn discord_links_pings_nobody_and_keeps_the_embed_within_its_limit() {
        let v = parse(&discord(&message()));
        assert_eq!(v["allowed_mentions"]["parse"], json!([]));
        assert_eq!(v["embeds"][0]["url"], message().link.unwrap());
        assert_eq!(v["embeds"][0]["color"], 0xE0_1E_5A);
        let mut long = message();
        long.facts = (0..12).map(|_| ("Message", "x".repeat(5000))).collect();
        long.link = None;
        let v = parse(&discord(&long));
        let embed = &v["embeds"][0];
        assert!(embed.get("url").is_none());
        let chars: usize = embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["value"].as_str().unwrap().chars().count() + f["name"].as_str().unwrap().len()
            })
            .sum::<usize>()
            + embed["title"].as_str().unwrap().chars().count()
            + embed["footer"]["text"].as_str().unwrap().chars().count();
        assert!(chars <= DISCORD_EMBED_CHARS, "{chars}");
    }

    #[test]
    fn teams_is_an_adaptive_card_with_facts_colour_and_a_board_action() {
        let v = parse(&teams(&message()));
        assert_eq!(v["type"], "message");
        let a = &v["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(a["contentUrl"], Value::Null);
        let card = &a["content"];
        assert_eq!(
            card["$schema"],
            "http://adaptivecards.io/schemas/adaptive-card.json"
        );
        assert_eq!(
            (card["type"].as_str(), card["version"].as_str()),
            (Some("AdaptiveCard"), Some("1.4"))
        );
        assert_eq!(card["body"][0]["color"], "Attention");
        assert_eq!(card["body"][1]["type"], "FactSet");
        assert_eq!(
            card["body"][1]["facts"][0],
            json!({ "title": "Stream", "value": "in1 (live_input)" })
        );
        assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
        for (tone, color) in [(Tone::Warning, "Warning"), (Tone::Good, "Good")] {
            let m = ChatMessage {
                tone,
                link: None,
                ..message()
            };
            let v = parse(&teams(&m));
            assert_eq!(v["attachments"][0]["content"]["body"][0]["color"], color);
            assert!(v["attachments"][0]["content"].get("actions").is_none());
        }
    }

    #[test]
    fn telegram_escapes_html_and_stays_within_4096_units() {
        let v = parse(&telegram(&message(), "-100123"));
        assert_eq!(v["chat_id"], "-100123");
        assert_eq!(v["parse_mode"], "HTML");
        assert_eq!(v["link_preview_options"], json!({ "is_disabled": true }));
        let text = v["text"].as_str().unwrap();
        assert!(text.starts_with("<b>🔴 Cloudflare Stream live input in1 errored</b>\n"));
        assert!(
            text.contains("<b>Message:</b> bad &lt;GOP&gt; &amp; \"worse\" @everyone"),
            "{text}"
        );
        assert!(text
            .contains("<a href=\"https://board.example.com/#stream=cloudflare:live_input:in1\">"));
        assert!(text.ends_with("<i>livehook incident</i> <code>inc_1</code>"));
        let mut long = message();
        long.facts = (0..12).map(|_| ("Message", "<&>".repeat(400))).collect();
        let v = parse(&telegram(&long, "1"));
        let text = v["text"].as_str().unwrap();
        assert!(text.encode_utf16().count() <= TELEGRAM_TEXT_UNITS);
        assert!(text.contains("<b>Message:</b>") && text.ends_with("</code>"));
        assert!(!text.contains("<&>"));
    }
}
