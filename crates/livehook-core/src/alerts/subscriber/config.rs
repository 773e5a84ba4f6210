//! Subscribers declared in configuration (`ALERT_SUBSCRIBERS`): entries separated by commas or
//! whitespace, each a URL or `format=URL` for the formats that need nothing but a URL
//! (`webhook=`, `slack=`, `discord=`; the others are declared through the API, with their
//! credentials). A bare URL's format follows its host. Refused entries are reported by
//! position, never by URL.

use sha2::{Digest, Sha256};

use super::{Filter, Format, FormatSettings, Source, Subscriber, SubscriberError};
use crate::alerts::secret::SigningSecret;
use crate::alerts::url_policy::validate_url;
use crate::ids::SubscriberId;

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
            Some((f, rest)) if Format::parse_configurable(f).is_some() => {
                (Format::parse_configurable(f), rest)
            }
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
            settings: FormatSettings::default(),
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

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

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

    #[test]
    fn formats_that_need_credentials_are_not_configurable() {
        // `teams=…` is not a format prefix here: the entry is read as a URL, and refused.
        let c = parse_config(
            "teams=https://example.com/t pagerduty=https://events.pagerduty.com/v2/enqueue",
            None,
            false,
        );
        assert!(c.subscribers.is_empty());
        assert_eq!(c.invalid.len(), 2);
        assert!(c.invalid.iter().all(|(_, why)| why.starts_with("url: ")));
    }
}
