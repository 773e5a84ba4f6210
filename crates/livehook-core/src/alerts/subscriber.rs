//! Alert subscribers: who gets notified, in which format, about what. Pure: validation of the
//! `POST /subscriptions` body, the `ALERT_SUBSCRIBERS` configuration list, and the public view
//! of a subscriber (no secret, credential-bearing URLs redacted); what each one wants is its
//! [`Filter`] (in `filter`). Target URLs follow [`super::url_policy`].
//!
//! Invariants (each has a test, here or in `filter`):
//! - A `webhook` subscriber always has a `whsec_` signing secret ([`SigningSecret`]); the secret
//!   is never part of [`SubscriberView`].
//! - A filter names only registered providers.
//! - Slack and Discord webhook URLs are credentials: a view shows only their host.
//! - A filter with no entries in a field matches anything in that field; with no `states` it
//!   matches errored alerts only.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secret::SigningSecret;
use super::target_url::TargetUrl;
use super::url_policy::{validate_url, UrlError};
use crate::ids::SubscriberId;
use crate::time::{format_rfc3339, millis_to_nanos};

mod filter;

pub use filter::{Filter, MAX_CODE_LEN, MAX_FILTER_ENTRIES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A JSON alert signed with Standard Webhooks.
    #[default]
    Webhook,
    /// A Slack incoming-webhook message.
    Slack,
    /// A Discord webhook message.
    Discord,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Webhook => "webhook",
            Format::Slack => "slack",
            Format::Discord => "discord",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Format::Webhook, Format::Slack, Format::Discord]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// The format a bare URL in `ALERT_SUBSCRIBERS` most likely wants.
    fn guess(url: &TargetUrl) -> Self {
        match url.host_str() {
            "hooks.slack.com" => Format::Slack,
            "discord.com" | "discordapp.com" | "ptb.discord.com" | "canary.discord.com"
                if url.path().starts_with("/api/webhooks/") =>
            {
                Format::Discord
            }
            _ => Format::Webhook,
        }
    }
}

/// Where a subscriber was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Api,
    Config,
}

/// Why a subscriber no longer receives alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disabled {
    pub at: String,
    pub reason: String,
}

/// A subscriber as stored in the alert hub (with its signing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    pub id: SubscriberId,
    pub url: String,
    pub format: Format,
    #[serde(default)]
    pub filter: Filter,
    /// For `webhook` subscribers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SigningSecret>,
    /// A second secret that signs too while a secret is rotated (see [`AlsoSigning`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub also_signing: Option<AlsoSigning>,
    pub source: Source,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

/// How long a rotated-out secret keeps signing beside the new one: receivers have a day to
/// switch, and never miss an alert meanwhile.
pub const ROTATION_OVERLAP_MS: u64 = 24 * 3600 * 1000;

/// A second secret that signs deliveries beside the subscriber's own: the previous one for a
/// day after `POST /subscriptions/{id}/rotate`, or `ALERT_WEBHOOK_SECRET_NEXT` for the
/// configured subscribers while it is set. Standard Webhooks allows several signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlsoSigning {
    pub secret: SigningSecret,
    /// Until when (ms since the epoch); `None`: as long as the configuration says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
}

/// What the API shows of a subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriberView {
    pub id: SubscriberId,
    pub url: String,
    pub format: Format,
    pub filter: Filter,
    pub source: Source,
    pub created_at: String,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
    /// While a rotated-out secret still signs: until when (RFC 3339), or `"configured"` while
    /// `ALERT_WEBHOOK_SECRET_NEXT` is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_signs_until: Option<String>,
}

impl Subscriber {
    /// Every secret that signs a delivery made at `now_ms`: its own, then one being rotated.
    pub fn signing_secrets(&self, now_ms: u64) -> impl Iterator<Item = &SigningSecret> {
        let also = self
            .also_signing
            .as_ref()
            .filter(|a| a.until_ms.is_none_or(|until| now_ms < until))
            .map(|a| &a.secret);
        self.secret.iter().chain(also)
    }

    pub fn enabled(&self) -> bool {
        self.disabled.is_none()
    }

    pub fn view(&self) -> SubscriberView {
        SubscriberView {
            id: self.id.clone(),
            url: redact_url(&self.url, self.format),
            format: self.format,
            filter: self.filter.clone(),
            source: self.source,
            created_at: self.created_at.clone(),
            enabled: self.enabled(),
            disabled: self.disabled.clone(),
            previous_secret_signs_until: self.also_signing.as_ref().map(|a| {
                a.until_ms.map_or_else(
                    || "configured".to_owned(),
                    |ms| format_rfc3339(millis_to_nanos(ms)),
                )
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriberError {
    #[error("{0}")]
    Invalid(String),
    #[error("url: {0}")]
    Url(&'static str),
}

impl From<UrlError> for SubscriberError {
    fn from(e: UrlError) -> Self {
        SubscriberError::Url(e.0)
    }
}

/// The body of `POST /subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub url: String,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub filter: Filter,
}

/// A validated `POST /subscriptions` body, ready for the hub to give an id and a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubscriber {
    pub url: String,
    pub format: Format,
    pub filter: Filter,
}

/// Parses and validates a `POST /subscriptions` body. Errors name fields, never values.
pub fn parse_create(body: &[u8], allow_loopback: bool) -> Result<NewSubscriber, SubscriberError> {
    let req: CreateRequest = serde_json::from_slice(body).map_err(|e| {
        SubscriberError::Invalid(match e.classify() {
            serde_json::error::Category::Data => {
                "expected {\"url\": string, \"format\"?: \"webhook\"|\"slack\"|\"discord\", \"filter\"?: {providers, stream_ids, codes, states}}".to_owned()
            }
            _ => format!("invalid JSON at line {} column {}", e.line(), e.column()),
        })
    })?;
    let format = match req.format.as_deref() {
        None => Format::Webhook,
        Some(f) => Format::parse(f).ok_or_else(|| {
            SubscriberError::Invalid("format must be webhook, slack or discord".into())
        })?,
    };
    let url = validate_url(&req.url, allow_loopback)?;
    req.filter.validate()?;
    Ok(NewSubscriber {
        url: url.into(),
        format,
        filter: req.filter,
    })
}

/// What a view shows of a URL: Slack and Discord URLs are credentials (host only); other URLs
/// lose their query string, which often carries a token.
pub fn redact_url(raw: &str, format: Format) -> String {
    let Ok(url) = TargetUrl::parse(raw) else {
        return "(invalid)".into();
    };
    let origin = url.origin();
    match format {
        Format::Slack | Format::Discord => format!("{origin}/…"),
        Format::Webhook if url.has_query() => format!("{origin}{}?…", url.path()),
        Format::Webhook => format!("{origin}{}", url.path()),
    }
}

/// The id of a subscriber declared in configuration: stable across deploys for the same URL.
pub fn config_subscriber_id(url: &str) -> SubscriberId {
    let digest = Sha256::digest(url.as_bytes());
    SubscriberId::tagged("cfg_", &digest[..8])
}

/// The result of reading `ALERT_SUBSCRIBERS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSubscribers {
    pub subscribers: Vec<Subscriber>,
    /// 1-based positions of entries that were refused, with why (no URL is echoed).
    pub invalid: Vec<(usize, String)>,
}

/// Parses `ALERT_SUBSCRIBERS`: entries separated by commas or whitespace, each a URL or
/// `format=URL` (`webhook=`, `slack=`, `discord=`). A bare URL's format follows its host.
/// `webhook` entries are signed with `webhook_secret` (`ALERT_WEBHOOK_SECRET`), required for them.
pub fn parse_config(
    list: &str,
    webhook_secret: Option<&str>,
    allow_loopback: bool,
) -> ConfigSubscribers {
    let mut out = ConfigSubscribers::default();
    let entries = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty());
    for (i, entry) in entries.enumerate() {
        let (format, raw) = match entry.split_once('=') {
            Some((f, rest)) if Format::parse(f).is_some() => (Format::parse(f), rest),
            _ => (None, entry),
        };
        let url = match validate_url(raw, allow_loopback) {
            Ok(url) => url,
            Err(e) => {
                out.invalid
                    .push((i + 1, SubscriberError::from(e).to_string()));
                continue;
            }
        };
        let format = format.unwrap_or_else(|| Format::guess(&url));
        let secret = match (format, webhook_secret) {
            (Format::Webhook, Some(s)) if SigningSecret::parse(s).is_some() => {
                SigningSecret::parse(s)
            }
            (Format::Webhook, _) => {
                out.invalid.push((
                    i + 1,
                    "webhook entries need ALERT_WEBHOOK_SECRET (whsec_…)".into(),
                ));
                continue;
            }
            _ => None,
        };
        let url = String::from(url);
        out.subscribers.push(Subscriber {
            id: config_subscriber_id(&url),
            url,
            format,
            filter: Filter::default(),
            secret,
            also_signing: None,
            source: Source::Config,
            created_at: String::new(),
            disabled: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::{ProviderId, State};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn gcore() -> ProviderId {
        ProviderId::new("gcore")
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
    fn views_hide_secrets_and_credential_urls() {
        let mut s = Subscriber {
            id: SubscriberId::parse("sub_1").unwrap(),
            url: "https://hooks.slack.com/services/T0/B0/XYZSECRET".into(),
            format: Format::Slack,
            filter: Filter::default(),
            secret: None,
            also_signing: None,
            source: Source::Api,
            created_at: "t".into(),
            disabled: None,
        };
        let v = serde_json::to_string(&s.view()).unwrap();
        assert!(
            !v.contains("XYZSECRET") && v.contains("https://hooks.slack.com/…"),
            "{v}"
        );
        s.format = Format::Webhook;
        s.url = "https://example.com/hook?token=XYZSECRET".into();
        s.secret = SigningSecret::parse(SECRET);
        let v = serde_json::to_string(&s.view()).unwrap();
        assert!(!v.contains("XYZSECRET") && !v.contains(SECRET), "{v}");
        assert!(v.contains("https://example.com/hook?…"), "{v}");
    }

    #[test]
    fn config_list_guesses_formats_and_needs_a_secret_for_webhooks() {
        let list = "https://hooks.slack.com/services/a, discord=https://example.com/d
            https://discord.com/api/webhooks/1/t  https://example.com/h  http://example.com/x";
        let c = parse_config(list, None, false);
        let formats: Vec<Format> = c.subscribers.iter().map(|s| s.format).collect();
        assert_eq!(
            formats,
            vec![Format::Slack, Format::Discord, Format::Discord]
        );
        assert_eq!(c.invalid.len(), 2);
        assert_eq!(c.invalid[0].0, 4); // the webhook entry without ALERT_WEBHOOK_SECRET
        assert_eq!(c.invalid[1].0, 5); // plain http
        assert_eq!(c.invalid[1].1, "url: must be https");
        let c = parse_config("https://example.com/h", Some(SECRET), false);
        assert_eq!(
            c.subscribers[0].secret.as_ref().map(SigningSecret::expose),
            Some(SECRET)
        );
        assert_eq!(c.subscribers[0].source, Source::Config);
        // Ids are stable for the same URL.
        let again = parse_config("https://example.com/h", Some(SECRET), false);
        assert_eq!(c.subscribers[0].id, again.subscribers[0].id);
        assert!(c.subscribers[0].id.as_str().starts_with("sub_cfg_"));
        assert_eq!(parse_config("", None, false), ConfigSubscribers::default());
    }
}
