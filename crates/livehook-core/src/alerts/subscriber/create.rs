//! The `POST /subscriptions` body: parsed strictly, validated per format, errors that name the
//! field and never echo a value (a URL, a routing key or a token may be a credential).
//!
//! | format       | needs                                   | `url`                                   |
//! |--------------|-----------------------------------------|-----------------------------------------|
//! | `webhook`    | (a `whsec_` secret is made by the hub)  | required                                |
//! | `slack`, `discord`, `teams` | nothing else             | required (the webhook URL)              |
//! | `telegram`   | `chat_id` (string or integer)           | required: `…/bot<token>/sendMessage`    |
//! | `pagerduty`  | `routing_key`                           | optional: [`PAGERDUTY_URL`] (EU accounts: [`PAGERDUTY_EU_URL`]) |
//! | `incidentio` | `token`                                 | required: `…/v2/alert_events/http/<id>` |
//!
//! A credential field on a format that does not use it is refused, and so is a `filter.states`
//! or `filter.warnings` on a paging format (they are told about incidents only).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Filter, Format, FormatSettings, Subscriber, SubscriberError};
use crate::alerts::credential::{Credential, MAX_CREDENTIAL_LEN};
use crate::alerts::secret::SigningSecret;
use crate::alerts::url_policy::validate_url;
use crate::ids::SubscriberId;
use crate::incidents::Cause;

/// PagerDuty's Events API v2 endpoint, the default `url` of a `pagerduty` subscriber.
pub const PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// The same endpoint for accounts in PagerDuty's EU service region.
pub const PAGERDUTY_EU_URL: &str = "https://events.eu.pagerduty.com/v2/enqueue";

const UNKNOWN_CAUSE: &str = "filter.causes: unknown cause (errored, offline, warning)";

/// The body of `POST /subscriptions`, as sent. Not `Debug`: it holds credentials as text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    /// Read in two steps, so an unknown cause gets its own error.
    #[serde(default)]
    pub filter: Value,
    #[serde(default)]
    pub routing_key: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// A string or an integer.
    #[serde(default)]
    pub chat_id: Option<Value>,
}

/// A validated `POST /subscriptions` body, ready for the hub to give an id and a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubscriber {
    pub url: String,
    pub format: Format,
    pub filter: Filter,
    #[serde(flatten)]
    pub settings: FormatSettings,
}

impl NewSubscriber {
    /// The subscriber to store, with the id and signing secret the hub made for it.
    pub fn into_subscriber(
        self,
        id: SubscriberId,
        secret: Option<SigningSecret>,
        created_at: String,
    ) -> Subscriber {
        Subscriber {
            id,
            url: self.url,
            format: self.format,
            filter: self.filter,
            secret,
            also_signing: None,
            settings: self.settings,
            source: super::Source::Api,
            created_at,
            disabled: None,
        }
    }
}

fn invalid(message: impl Into<String>) -> SubscriberError {
    SubscriberError::Invalid(message.into())
}

/// Parses and validates a `POST /subscriptions` body. Errors name fields, never values.
pub fn parse_create(body: &[u8], allow_loopback: bool) -> Result<NewSubscriber, SubscriberError> {
    let req: CreateRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(match e.classify() {
            serde_json::error::Category::Data => {
                "expected {\"url\": string, \"format\"?: \"webhook\"|\"slack\"|\"discord\"|\"teams\"|\"telegram\"|\"pagerduty\"|\"incidentio\", \"routing_key\"?, \"token\"?, \"chat_id\"?, \"filter\"?: {providers, stream_ids, codes, states, warnings, causes}}".to_owned()
            }
            _ => format!("invalid JSON at line {} column {}", e.line(), e.column()),
        })
    })?;
    let format = match req.format.as_deref() {
        None => Format::Webhook,
        Some(f) => Format::parse(f).ok_or_else(|| {
            invalid(
                "format must be webhook, slack, discord, teams, telegram, pagerduty or incidentio",
            )
        })?,
    };
    let routing_key = credential("routing_key", req.routing_key, Format::Pagerduty, format)?;
    let token = credential("token", req.token, Format::Incidentio, format)?;
    let chat_id = only_for("chat_id", req.chat_id, Format::Telegram, format)?
        .map(|v| chat_id(&v))
        .transpose()?;
    let url = match (req.url, format) {
        (None, Format::Pagerduty) => PAGERDUTY_URL.to_owned(),
        (None, _) => {
            return Err(invalid(format!(
                "url is required for format {}",
                format.as_str()
            )))
        }
        (Some(raw), _) => validate_url(&raw, allow_loopback)?.into(),
    };
    if format == Format::Telegram && !is_telegram_url(&url) {
        return Err(SubscriberError::Url(
            "a Telegram URL is https://api.telegram.org/bot<token>/sendMessage",
        ));
    }
    let filter = parse_filter(req.filter)?;
    if format.is_paging() {
        if !filter.states.is_empty() {
            return Err(invalid("filter.states applies to webhook and chat formats"));
        }
        if filter.warnings.is_some() {
            return Err(invalid(
                "filter.warnings applies to webhook and chat formats",
            ));
        }
    }
    Ok(NewSubscriber {
        url,
        format,
        filter,
        settings: FormatSettings {
            routing_key,
            token,
            chat_id,
        },
    })
}

/// `value`, refused on any format but `owner`.
fn only_for<T>(
    field: &str,
    value: Option<T>,
    owner: Format,
    format: Format,
) -> Result<Option<T>, SubscriberError> {
    match value {
        Some(_) if format != owner => Err(invalid(format!(
            "{field} applies to format {} only",
            owner.as_str()
        ))),
        None if format == owner => Err(invalid(format!(
            "{field} is required for format {}",
            owner.as_str()
        ))),
        v => Ok(v),
    }
}

/// A credential field: required for `owner`, refused elsewhere, never echoed.
fn credential(
    field: &str,
    value: Option<String>,
    owner: Format,
    format: Format,
) -> Result<Option<Credential>, SubscriberError> {
    only_for(field, value, owner, format)?
        .map(|text| {
            Credential::parse(&text).ok_or_else(|| {
                invalid(format!(
                    "{field} must be 1 to {MAX_CREDENTIAL_LEN} visible ASCII characters"
                ))
            })
        })
        .transpose()
}

/// A Telegram chat id: an integer (`-100…` for groups and channels), or `@channelname`.
fn chat_id(value: &Value) -> Result<String, SubscriberError> {
    let text = match value {
        Value::Number(n) => n.as_i64().map(|n| n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    let looks_right = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let number = (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        let name = s.strip_prefix('@').is_some_and(|n| {
            (5..=32).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        number || name
    };
    text.filter(|s| looks_right(s)).ok_or_else(|| {
        invalid("chat_id must be a Telegram chat id (digits, -100… or @channelname)")
    })
}

/// Splits a Telegram Bot API path around its `bot<token>` segment: `(…/, /sendMessage)`.
pub(super) fn telegram_bot_segment(path: &str) -> Option<(&str, &str)> {
    const METHOD: &str = "/sendMessage";
    let rest = path.strip_suffix(METHOD)?;
    let slash = rest.rfind('/')?;
    let token = rest.get(slash + 1..)?.strip_prefix("bot")?;
    (!token.is_empty()).then(|| (rest.get(..=slash).unwrap_or("/"), METHOD))
}

fn is_telegram_url(url: &str) -> bool {
    crate::alerts::target_url::TargetUrl::parse(url)
        .is_ok_and(|u| !u.has_query() && telegram_bot_segment(u.path()).is_some())
}

/// The `filter` object: causes first (an unknown one has its own message), then the rest.
fn parse_filter(value: Value) -> Result<Filter, SubscriberError> {
    if value.is_null() {
        return Ok(Filter::default());
    }
    if let Some(causes) = value.get("causes") {
        let known = causes.as_array().is_some_and(|list| {
            list.iter()
                .all(|c| c.as_str().and_then(Cause::parse).is_some())
        });
        if !known {
            return Err(invalid(UNKNOWN_CAUSE));
        }
    }
    let filter: Filter = serde_json::from_value(value).map_err(|_| {
        invalid("filter: expected {providers?, stream_ids?, codes?, states?, causes?: lists of strings, warnings?: boolean}")
    })?;
    filter.validate()?;
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::subscriber::MAX_FILTER_ENTRIES;
    use crate::ingest::event::{ProviderId, State};

    fn gcore() -> ProviderId {
        ProviderId::new("gcore")
    }

    fn error_of(body: &str) -> String {
        match parse_create(body.as_bytes(), false) {
            Ok(_) => panic!("accepted: {body}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn create_requests_are_validated() {
        let s = parse_create(br#"{"url":"https://example.com/h"}"#, false).unwrap();
        assert_eq!(s.format, Format::Webhook);
        assert_eq!(s.filter, Filter::default());
        let s = parse_create(
            br#"{"url":"https://hooks.slack.com/services/x","format":"slack","filter":{"providers":["gcore"],"codes":["ERR_X"],"states":["errored","disconnected"]}}"#,
            false,
        )
        .unwrap();
        assert_eq!(s.format, Format::Slack);
        assert_eq!(s.filter.providers, vec![gcore()]);
        assert_eq!(s.filter.states, vec![State::Errored, State::Disconnected]);
        let bad: [&[u8]; 8] = [
            b"",
            b"{",
            b"[]",
            br#"{"format":"webhook"}"#,
            br#"{"url":"https://example.com","format":"email"}"#,
            br#"{"url":"https://example.com","filter":{"providers":["youtube"]}}"#,
            br#"{"url":"https://example.com","filter":{"colour":"red"}}"#,
            br#"{"url":"https://example.com","extra":1}"#,
        ];
        for b in bad {
            assert!(
                parse_create(b, false).is_err(),
                "{}",
                String::from_utf8_lossy(b)
            );
        }
        let many: Vec<String> = (0..=MAX_FILTER_ENTRIES)
            .map(|i| format!("\"s{i}\""))
            .collect();
        let body = format!(
            r#"{{"url":"https://example.com","filter":{{"stream_ids":[{}]}}}}"#,
            many.join(",")
        );
        assert!(parse_create(body.as_bytes(), false).is_err());
    }

    #[test]
    fn errors_never_echo_the_url() {
        let secret_url = "http://hooks.example.com/T0SECRET/B0SECRET";
        let err = parse_create(format!(r#"{{"url":"{secret_url}"}}"#).as_bytes(), false)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn each_new_format_reads_its_credentials() {
        let pd = parse_create(
            br#"{"format":"pagerduty","routing_key":"R0123456789abcdef0123456789abcde"}"#,
            false,
        )
        .unwrap();
        assert_eq!(pd.url, PAGERDUTY_URL);
        assert_eq!(
            pd.settings.routing_key.as_ref().map(Credential::expose),
            Some("R0123456789abcdef0123456789abcde")
        );
        let eu =
            format!(r#"{{"format":"pagerduty","routing_key":"k","url":"{PAGERDUTY_EU_URL}"}}"#);
        assert_eq!(
            parse_create(eu.as_bytes(), false).unwrap().url,
            PAGERDUTY_EU_URL
        );
        let io = parse_create(
            br#"{"format":"incidentio","url":"https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66","token":"tok"}"#,
            false,
        )
        .unwrap();
        assert_eq!(
            io.settings.token.as_ref().map(Credential::expose),
            Some("tok")
        );
        assert!(io.settings.routing_key.is_none() && io.settings.chat_id.is_none());
        let teams = parse_create(
            br#"{"format":"teams","url":"https://prod-1.westus.logic.azure.com/workflows/a/triggers/manual/paths/invoke?sig=s"}"#,
            false,
        )
        .unwrap();
        assert_eq!(teams.format, Format::Teams);
        for (chat, stored) in [
            (r#""-1001234567890""#, "-1001234567890"),
            ("-1001234567890", "-1001234567890"),
            ("42", "42"),
            (r#""@livehook_alerts""#, "@livehook_alerts"),
        ] {
            let body = format!(
                r#"{{"format":"telegram","url":"https://api.telegram.org/bot1:AAx/sendMessage","chat_id":{chat}}}"#
            );
            let tg = parse_create(body.as_bytes(), false).unwrap();
            assert_eq!(tg.settings.chat_id.as_deref(), Some(stored), "{chat}");
        }
        // Through the hub's storage and back.
        let stored: NewSubscriber =
            serde_json::from_str(&serde_json::to_string(&pd).unwrap()).unwrap();
        assert_eq!(stored, pd);
        let sub = pd.into_subscriber(SubscriberId::parse("sub_1").unwrap(), None, "t".into());
        assert!(sub.settings.routing_key.is_some() && sub.format == Format::Pagerduty);
    }

    #[test]
    fn missing_misplaced_or_malformed_credentials_name_the_field_only() {
        let tg = "https://api.telegram.org/bot1:SECRETBOT/sendMessage";
        let cases = [
            (
                r#"{"format":"pagerduty"}"#.to_owned(),
                "routing_key is required for format pagerduty",
            ),
            (
                r#"{"format":"pagerduty","routing_key":"SECRET KEY"}"#.into(),
                "routing_key must be 1 to 512 visible ASCII characters",
            ),
            (
                r#"{"format":"incidentio","url":"https://api.incident.io/v2/alert_events/http/x"}"#.into(),
                "token is required for format incidentio",
            ),
            (
                r#"{"format":"incidentio","token":"SECRET"}"#.into(),
                "url is required for format incidentio",
            ),
            (
                format!(r#"{{"format":"telegram","url":"{tg}"}}"#),
                "chat_id is required for format telegram",
            ),
            (
                format!(r#"{{"format":"telegram","url":"{tg}","chat_id":"SECRET"}}"#),
                "chat_id must be a Telegram chat id (digits, -100… or @channelname)",
            ),
            (
                format!(r#"{{"format":"telegram","url":"{tg}","chat_id":1.5}}"#),
                "chat_id must be a Telegram chat id (digits, -100… or @channelname)",
            ),
            (
                r#"{"format":"telegram","url":"https://api.telegram.org/SECRET","chat_id":1}"#.into(),
                "url: a Telegram URL is https://api.telegram.org/bot<token>/sendMessage",
            ),
            (
                r#"{"format":"slack","url":"https://hooks.slack.com/services/x","routing_key":"SECRET"}"#.into(),
                "routing_key applies to format pagerduty only",
            ),
            (
                r#"{"url":"https://example.com","token":"SECRET"}"#.into(),
                "token applies to format incidentio only",
            ),
            (
                r#"{"format":"teams","url":"https://example.com","chat_id":"@SECRET"}"#.into(),
                "chat_id applies to format telegram only",
            ),
            (
                r#"{"format":"teams"}"#.into(),
                "url is required for format teams",
            ),
            (
                r#"{"format":"pagerduty","routing_key":"SECRET","url":"http://SECRET.example.com/"}"#.into(),
                "url: must be https",
            ),
            (
                r#"{"url":"https://example.com","format":"SECRET"}"#.into(),
                "format must be webhook, slack, discord, teams, telegram, pagerduty or incidentio",
            ),
        ];
        for (body, want) in cases {
            let got = error_of(&body);
            assert_eq!(got, want, "{body}");
            assert!(!got.contains("SECRET"), "{got}");
        }
    }

    #[test]
    fn filters_read_causes_and_paging_formats_refuse_states() {
        let s = parse_create(
            br#"{"url":"https://example.com","filter":{"causes":["errored","offline"]}}"#,
            false,
        )
        .unwrap();
        assert_eq!(s.filter.causes, vec![Cause::Errored, Cause::Offline]);
        for causes in [
            r#"["down"]"#,
            r#""errored""#,
            "[1]",
            r#"["errored","SECRET"]"#,
        ] {
            let body = format!(r#"{{"url":"https://example.com","filter":{{"causes":{causes}}}}}"#);
            assert_eq!(error_of(&body), UNKNOWN_CAUSE, "{causes}");
        }
        let pd = r#"{"format":"pagerduty","routing_key":"k","filter":"#;
        assert_eq!(
            error_of(&format!(r#"{pd}{{"states":["errored"]}}}}"#)),
            "filter.states applies to webhook and chat formats"
        );
        assert_eq!(
            error_of(&format!(r#"{pd}{{"warnings":true}}}}"#)),
            "filter.warnings applies to webhook and chat formats"
        );
        let ok = parse_create(
            format!(r#"{pd}{{"causes":["warning"],"providers":["gcore"]}}}}"#).as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!(ok.filter.causes, vec![Cause::Warning]);
        assert!(
            error_of(r#"{"url":"https://example.com","filter":{"states":["melting"]}}"#)
                .starts_with("filter: expected")
        );
    }
}
