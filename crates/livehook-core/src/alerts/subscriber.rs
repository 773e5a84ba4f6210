//! Alert subscribers: who gets notified, in which format, about what. Pure: validation of the
//! `POST /subscriptions` body (in `create`), the `ALERT_SUBSCRIBERS` configuration list (in
//! `config`), and the public view of a subscriber (no secret, credential-bearing URLs
//! redacted); what each one wants is its [`Filter`] (in `filter`). Target URLs follow
//! [`super::url_policy`].
//!
//! Invariants (each has a test, here or in `filter`, `create`, `config`):
//! - A `webhook` subscriber always has a `whsec_` signing secret ([`SigningSecret`]); a
//!   `pagerduty` one a `routing_key`, an `incidentio` one a `token`, a `telegram` one a
//!   `chat_id`. Secrets and credentials are never part of [`SubscriberView`], and their `Debug`
//!   prints `[redacted]`.
//! - A filter names only registered providers and known causes.
//! - Slack, Discord and Teams webhook URLs are credentials: a view shows only their origin;
//!   a Telegram URL's bot token is hidden.
//! - A filter with no entries in a field matches anything in that field; with no `states` it
//!   matches errored alerts only, with no `causes` errored incidents only.
//! - Subscribers stored before credentials existed read back, and write back, identically.

use serde::{Deserialize, Serialize};

use super::credential::Credential;
use super::secret::SigningSecret;
use super::target_url::TargetUrl;
use super::url_policy::UrlError;
use crate::ids::SubscriberId;
use crate::time::{format_rfc3339, millis_to_nanos};

mod config;
mod create;
mod filter;

pub use config::{config_subscriber_id, parse_config, ConfigSubscribers};
pub use create::{parse_create, CreateRequest, NewSubscriber, PAGERDUTY_EU_URL, PAGERDUTY_URL};
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
    /// A Microsoft Teams Workflows webhook: an Adaptive Card.
    Teams,
    /// A Telegram bot's `sendMessage`, to one chat.
    Telegram,
    /// PagerDuty Events API v2: pages on-call, resolved by the same dedup key.
    Pagerduty,
    /// An incident.io HTTP alert source.
    Incidentio,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Webhook,
        Format::Slack,
        Format::Discord,
        Format::Teams,
        Format::Telegram,
        Format::Pagerduty,
        Format::Incidentio,
    ];

    /// The formats `ALERT_SUBSCRIBERS` may name: those that need no credential beside the URL.
    const CONFIGURABLE: [Format; 3] = [Format::Webhook, Format::Slack, Format::Discord];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Webhook => "webhook",
            Format::Slack => "slack",
            Format::Discord => "discord",
            Format::Teams => "teams",
            Format::Telegram => "telegram",
            Format::Pagerduty => "pagerduty",
            Format::Incidentio => "incidentio",
        }
    }

    /// Any format's name (`POST /subscriptions`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// A format `ALERT_SUBSCRIBERS` may name (`webhook=`, `slack=`, `discord=`).
    fn parse_configurable(s: &str) -> Option<Self> {
        Self::CONFIGURABLE.into_iter().find(|f| f.as_str() == s)
    }

    /// Messages people read in a channel: told about alerts, incidents and storm summaries.
    pub fn is_chat(self) -> bool {
        matches!(
            self,
            Format::Slack | Format::Discord | Format::Teams | Format::Telegram
        )
    }

    /// Paging services: told about incidents only (and a storm as one grouped page).
    pub fn is_paging(self) -> bool {
        matches!(self, Format::Pagerduty | Format::Incidentio)
    }

    /// Deliveries are signed with the subscriber's `whsec_` secret.
    pub fn is_signed(self) -> bool {
        self == Format::Webhook
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

/// A subscriber as stored in the alert hub (with its signing secret and credentials).
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
    /// What its format needs beside the URL (stored flat: `routing_key`, `token`, `chat_id`).
    #[serde(flatten)]
    pub settings: FormatSettings,
    pub source: Source,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

/// What a format needs beside its URL, each field absent unless the format uses it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormatSettings {
    /// For `pagerduty`: the Events API v2 integration key (sent in each event's body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_key: Option<Credential>,
    /// For `incidentio`: the alert source's token (sent as `Authorization: Bearer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Credential>,
    /// For `telegram`: the chat (`-100…`, a user id, or `@channelname`). Not a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
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
    /// A `telegram` subscriber's chat (not a secret; the bot token in its URL is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
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
            chat_id: self.settings.chat_id.clone(),
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

#[cfg(test)]
impl Subscriber {
    /// An enabled API subscriber with no secret, settings or filter, for tests.
    pub(crate) fn for_tests(id: &str, format: Format, url: &str) -> Self {
        Subscriber {
            id: SubscriberId::parse(id).expect("a sub_ id"),
            url: url.into(),
            format,
            filter: Filter::default(),
            secret: None,
            also_signing: None,
            settings: FormatSettings::default(),
            source: Source::Api,
            created_at: "t".into(),
            disabled: None,
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

/// What a view shows of a URL: Slack, Discord and Teams URLs are credentials (origin only; a
/// Teams Workflows URL carries a `sig=` signature); a Telegram URL shows `bot…` for its bot
/// token; other URLs lose their query string, which often carries a token.
pub fn redact_url(raw: &str, format: Format) -> String {
    let Ok(url) = TargetUrl::parse(raw) else {
        return "(invalid)".into();
    };
    let origin = url.origin();
    match format {
        Format::Slack | Format::Discord | Format::Teams => format!("{origin}/…"),
        Format::Telegram => match create::telegram_bot_segment(url.path()) {
            Some((before, after)) if !url.has_query() => format!("{origin}{before}bot…{after}"),
            _ => format!("{origin}/…"),
        },
        Format::Webhook | Format::Pagerduty | Format::Incidentio if url.has_query() => {
            format!("{origin}{}?…", url.path())
        }
        Format::Webhook | Format::Pagerduty | Format::Incidentio => {
            format!("{origin}{}", url.path())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn subscriber(format: Format, url: &str) -> Subscriber {
        Subscriber::for_tests("sub_1", format, url)
    }

    #[test]
    fn views_hide_secrets_and_credential_urls() {
        let mut s = subscriber(
            Format::Slack,
            "https://hooks.slack.com/services/T0/B0/XYZSECRET",
        );
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
    fn views_of_the_new_formats_hide_their_credentials() {
        let mut pd = subscriber(Format::Pagerduty, PAGERDUTY_URL);
        pd.settings.routing_key = Credential::parse("PDKEYSECRET0123456789abcdef0123");
        let mut io = subscriber(
            Format::Incidentio,
            "https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66",
        );
        io.settings.token = Credential::parse("IOTOKENSECRET");
        let teams = subscriber(
            Format::Teams,
            "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=TEAMSSIGSECRET",
        );
        let mut tg = subscriber(
            Format::Telegram,
            "https://api.telegram.org/bot123456:TGTOKENSECRET/sendMessage",
        );
        tg.settings.chat_id = Some("-1001234567890".into());
        let cases = [
            (&pd, "https://events.pagerduty.com/v2/enqueue"),
            (
                &io,
                "https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66",
            ),
            (&teams, "https://prod-12.westus.logic.azure.com/…"),
            (&tg, "https://api.telegram.org/bot…/sendMessage"),
        ];
        for (s, shown) in cases {
            let v = serde_json::to_value(s.view()).unwrap();
            assert_eq!(v["url"], shown, "{v}");
            let text = v.to_string();
            assert!(!text.contains("SECRET"), "{text}");
            assert!(v.get("routing_key").is_none() && v.get("token").is_none());
            let debug = format!("{s:?}");
            assert!(!debug.contains("PDKEYSECRET") && !debug.contains("IOTOKENSECRET"));
        }
        assert_eq!(
            serde_json::to_value(tg.view()).unwrap()["chat_id"],
            "-1001234567890"
        );
        // A stand-in's URL keeps its own prefix; an odd Telegram URL shows its origin only.
        assert_eq!(
            redact_url(
                "http://127.0.0.1:8787/tg/bot1:SECRET/sendMessage",
                Format::Telegram
            ),
            "http://127.0.0.1:8787/tg/bot…/sendMessage"
        );
        assert_eq!(
            redact_url("https://example.com/x?bot=1", Format::Telegram),
            "https://example.com/…"
        );
    }

    #[test]
    fn subscribers_stored_before_credentials_read_and_write_back_identically() {
        let stored = r#"{"id":"sub_1","url":"https://hooks.slack.com/services/T0/B0/x","format":"slack","filter":{"providers":["gcore"]},"source":"api","created_at":"2024-07-09T18:07:54Z"}"#;
        let s: Subscriber = serde_json::from_str(stored).unwrap();
        assert_eq!(s.settings, FormatSettings::default());
        assert_eq!(serde_json::to_string(&s).unwrap(), stored);
    }

    #[test]
    fn format_names_and_families() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
            assert!(!(f.is_chat() && f.is_paging()));
            assert_eq!(f == Format::Webhook, !f.is_chat() && !f.is_paging());
        }
        let chat: Vec<Format> = Format::ALL.into_iter().filter(|f| f.is_chat()).collect();
        assert_eq!(
            chat,
            [
                Format::Slack,
                Format::Discord,
                Format::Teams,
                Format::Telegram
            ]
        );
        let paging: Vec<Format> = Format::ALL.into_iter().filter(|f| f.is_paging()).collect();
        assert_eq!(paging, [Format::Pagerduty, Format::Incidentio]);
        assert_eq!(Format::parse("email"), None);
        assert_eq!(Format::parse_configurable("teams"), None);
        assert_eq!(Format::parse_configurable("discord"), Some(Format::Discord));
    }
}
