//! Alert subscribers: who gets notified, in which format, about what. Pure: validation of the
//! `POST /subscriptions` body, the `ALERT_SUBSCRIBERS` configuration list, filters, and the
//! public view of a subscriber (no secret, credential-bearing URLs redacted).
//!
//! Invariants (each has a test below):
//! - A target URL is `https` and names a public host; `http` and loopback hosts are accepted
//!   only when the deployment allows loopback targets (local development). URLs with
//!   credentials, private, link-local or unspecified IP literals are refused.
//! - A `webhook` subscriber always has a `whsec_` signing secret; the secret is never part of
//!   [`SubscriberView`].
//! - Slack and Discord webhook URLs are credentials: a view shows only their host.
//! - A filter with no entries in a field matches anything in that field; with no `states` it
//!   matches errored alerts only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::{Host, Url};

use crate::model::{Provider, State, MAX_STREAM_ID_LEN};

pub const MAX_URL_LEN: usize = 2048;
/// Most entries one filter field may hold.
pub const MAX_FILTER_ENTRIES: usize = 100;
pub const MAX_CODE_LEN: usize = 128;
/// Most subscribers created through the API.
pub const MAX_SUBSCRIBERS: usize = 100;
pub const SUBSCRIBER_PREFIX: &str = "sub:";

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
    fn guess(url: &Url) -> Self {
        match url.host_str() {
            Some("hooks.slack.com") => Format::Slack,
            Some("discord.com" | "discordapp.com" | "ptb.discord.com" | "canary.discord.com")
                if url.path().starts_with("/api/webhooks/") =>
            {
                Format::Discord
            }
            _ => Format::Webhook,
        }
    }
}

/// Which alerts a subscriber wants. Empty fields match anything (states: errored only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stream_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// States to be told about; empty means `["errored"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<State>,
}

impl Filter {
    pub fn wants_state(&self, state: State) -> bool {
        if self.states.is_empty() {
            state == State::Errored
        } else {
            self.states.contains(&state)
        }
    }

    pub fn matches(&self, provider: Provider, stream_id: &str, state: State, code: &str) -> bool {
        self.wants_state(state)
            && (self.providers.is_empty() || self.providers.contains(&provider))
            && (self.stream_ids.is_empty() || self.stream_ids.iter().any(|s| s == stream_id))
            && (self.codes.is_empty() || self.codes.iter().any(|c| c == code))
    }

    fn validate(&self) -> Result<(), SubscriberError> {
        let too_many = [
            ("providers", self.providers.len()),
            ("stream_ids", self.stream_ids.len()),
            ("codes", self.codes.len()),
            ("states", self.states.len()),
        ]
        .into_iter()
        .find(|(_, n)| *n > MAX_FILTER_ENTRIES);
        if let Some((field, _)) = too_many {
            return Err(SubscriberError::Invalid(format!(
                "filter.{field} has more than {MAX_FILTER_ENTRIES} entries"
            )));
        }
        if self
            .stream_ids
            .iter()
            .any(|s| s.is_empty() || s.len() > MAX_STREAM_ID_LEN)
        {
            return Err(SubscriberError::Invalid(
                "filter.stream_ids has an empty or too long id".into(),
            ));
        }
        if self
            .codes
            .iter()
            .any(|c| c.is_empty() || c.len() > MAX_CODE_LEN)
        {
            return Err(SubscriberError::Invalid(
                "filter.codes has an empty or too long code".into(),
            ));
        }
        Ok(())
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
    pub id: String,
    pub url: String,
    pub format: Format,
    #[serde(default)]
    pub filter: Filter,
    /// `whsec_…`, for `webhook` subscribers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub source: Source,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

/// What the API shows of a subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriberView {
    pub id: String,
    pub url: String,
    pub format: Format,
    pub filter: Filter,
    pub source: Source,
    pub created_at: String,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<Disabled>,
}

impl Subscriber {
    pub fn storage_key(id: &str) -> String {
        format!("{SUBSCRIBER_PREFIX}{id}")
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

/// Checks a target URL. `allow_loopback` admits `http` and loopback hosts (local development).
pub fn validate_url(raw: &str, allow_loopback: bool) -> Result<Url, SubscriberError> {
    if raw.len() > MAX_URL_LEN {
        return Err(SubscriberError::Url("longer than 2048 characters"));
    }
    let url = Url::parse(raw).map_err(|_| SubscriberError::Url("not an absolute URL"))?;
    // The URL is stored and fetched as serialized, which percent-encodes: up to three bytes
    // (`%XX`) for each byte of the raw text.
    if url.as_str().len() > MAX_URL_LEN {
        return Err(SubscriberError::Url("longer than 2048 characters"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(SubscriberError::Url(
            "credentials in the URL are not allowed",
        ));
    }
    let loopback = match url.host() {
        None => return Err(SubscriberError::Url("no host")),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip))?,
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip))?,
    };
    match (url.scheme(), loopback, allow_loopback) {
        (_, true, false) => Err(SubscriberError::Url(
            "loopback targets are only allowed in local development",
        )),
        ("https", _, _) | ("http", true, true) => Ok(url),
        _ => Err(SubscriberError::Url("must be https")),
    }
}

/// Ok(true) for a loopback address, Ok(false) for a public one, Err for anything else.
fn check_ip(ip: IpAddr) -> Result<bool, SubscriberError> {
    let refused = Err(SubscriberError::Url(
        "private, link-local or reserved addresses are not allowed",
    ));
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) if v6.is_loopback() => return Ok(true),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            // An IPv6 form of an IPv4 address is judged as that address.
            Embedded::V4(v4) => v4,
            Embedded::Refused => return refused,
            Embedded::None if reserved_v6(v6) => return refused,
            Embedded::None => return Ok(false),
        },
    };
    if v4.is_loopback() {
        Ok(true)
    } else if reserved_v4(v4) {
        refused
    } else {
        Ok(false)
    }
}

fn reserved_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240
}

fn reserved_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    v6.is_unspecified()
        || v6.is_multicast()
        || v6.is_unique_local()
        || v6.is_unicast_link_local()
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard
}

enum Embedded {
    None,
    V4(Ipv4Addr),
    Refused,
}

/// IPv6 addresses that carry an IPv4 address: mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`. Teredo and local-use NAT64 prefixes
/// are refused outright.
fn embedded_v4(v6: Ipv6Addr) -> Embedded {
    let s = v6.segments();
    let o = v6.octets();
    let last = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0, 0, ..] | [0x64, 0xff9b, 0, 0, 0, 0, ..] => {
            Embedded::V4(last)
        }
        [0x2002, ..] => Embedded::V4(Ipv4Addr::new(o[2], o[3], o[4], o[5])),
        [0x2001, 0, ..] | [0x64, 0xff9b, 1, ..] => Embedded::Refused,
        _ => Embedded::None,
    }
}

/// What a view shows of a URL: Slack and Discord URLs are credentials (host only); other URLs
/// lose their query string, which often carries a token.
pub fn redact_url(raw: &str, format: Format) -> String {
    let Ok(url) = Url::parse(raw) else {
        return "(invalid)".into();
    };
    let origin = url.origin().ascii_serialization();
    match format {
        Format::Slack | Format::Discord => format!("{origin}/…"),
        Format::Webhook if url.query().is_some() => format!("{origin}{}?…", url.path()),
        Format::Webhook => format!("{origin}{}", url.path()),
    }
}

/// The id of a subscriber declared in configuration: stable across deploys for the same URL.
pub fn config_subscriber_id(url: &str) -> String {
    format!("sub_cfg_{}", hex(&Sha256::digest(url.as_bytes())[..8]))
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
                out.invalid.push((i + 1, e.to_string()));
                continue;
            }
        };
        let format = format.unwrap_or_else(|| Format::guess(&url));
        let secret = match (format, webhook_secret) {
            (Format::Webhook, Some(s)) if crate::notify::parse_secret(s).is_some() => {
                Some(s.to_owned())
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
            source: Source::Config,
            created_at: String::new(),
            disabled: None,
        });
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn urls_must_be_https_and_public() {
        let ok = [
            "https://example.com/hook",
            "https://hooks.slack.com/services/T0/B0/x",
            "https://93.184.216.34/x",
            "https://[2606:4700::1111]/x",
            "https://[64:ff9b::5db8:d822]/x", // NAT64 of a public address
            "https://[2002:5db8:d822::1]/x",  // 6to4 of a public address
        ];
        for u in ok {
            assert!(validate_url(u, false).is_ok(), "{u}");
        }
        let refused = [
            "http://example.com/hook",
            "ftp://example.com/",
            "/relative",
            "https://user:pw@example.com/",
            "https://localhost/x",
            "https://api.localhost/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://10.1.2.3/x",
            "https://172.16.0.1/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[fd00::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[::ffff:127.0.0.1]/x",
            // IPv6 forms of IPv4 addresses and reserved blocks.
            "https://[::127.0.0.1]/x",
            "https://[::a00:1]/x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://[64:ff9b:1::1]/x",
            "https://[2002:a9fe:a9fe::]/x",
            "https://[2002:7f00:1::1]/x",
            "https://[2001:0:4136:e378::1]/x",
            "https://[2001:db8::1]/x",
            "https://[fec0::1]/x",
            "https://[100::1]/x",
            "https://192.0.2.1/x",
            "https://198.18.0.1/x",
            "https://192.0.0.8/x",
        ];
        for u in refused {
            assert!(validate_url(u, false).is_err(), "{u}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(validate_url(&long, false).is_err());
    }

    #[test]
    fn the_length_limit_applies_to_the_url_as_stored() {
        // Found by fuzzing (fuzz/regressions/subscribers/): a raw URL under the limit whose
        // serialized, percent-encoded form (`é` → `%C3%A9`) is over it, and fails its own check.
        let raw = format!("https://example.com/{}", "é".repeat(500));
        assert!(raw.len() <= MAX_URL_LEN);
        assert_eq!(
            validate_url(&raw, false).unwrap_err(),
            SubscriberError::Url("longer than 2048 characters")
        );
        let fits = format!("https://example.com/{}", "é".repeat(100));
        let url = validate_url(&fits, false).unwrap();
        assert!(url.as_str().len() <= MAX_URL_LEN && validate_url(url.as_str(), false).is_ok());
    }

    #[test]
    fn loopback_http_only_when_allowed() {
        for u in [
            "http://127.0.0.1:9000/x",
            "http://localhost:9000/x",
            "https://[::1]/x",
        ] {
            assert!(validate_url(u, true).is_ok(), "{u}");
        }
        // Allowing loopback does not open private networks or plain http elsewhere.
        for u in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "https://192.168.0.1/x",
        ] {
            assert!(validate_url(u, true).is_err(), "{u}");
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
        assert_eq!(s.filter.providers, vec![Provider::Gcore]);
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
    fn filters_match_fields_and_default_to_errors_only() {
        let any = Filter::default();
        assert!(any.matches(Provider::Gcore, "1", State::Errored, "E"));
        assert!(!any.matches(Provider::Gcore, "1", State::Disconnected, ""));
        let f = Filter {
            providers: vec![Provider::Cloudflare],
            stream_ids: vec!["in1".into()],
            codes: vec!["ERR_GOP_OUT_OF_RANGE".into()],
            states: vec![State::Errored, State::Disconnected],
        };
        assert!(f.matches(
            Provider::Cloudflare,
            "in1",
            State::Errored,
            "ERR_GOP_OUT_OF_RANGE"
        ));
        assert!(!f.matches(
            Provider::Fastpix,
            "in1",
            State::Errored,
            "ERR_GOP_OUT_OF_RANGE"
        ));
        assert!(!f.matches(
            Provider::Cloudflare,
            "in2",
            State::Errored,
            "ERR_GOP_OUT_OF_RANGE"
        ));
        assert!(!f.matches(Provider::Cloudflare, "in1", State::Errored, "OTHER"));
        assert!(!f.matches(
            Provider::Cloudflare,
            "in1",
            State::Live,
            "ERR_GOP_OUT_OF_RANGE"
        ));
    }

    #[test]
    fn views_hide_secrets_and_credential_urls() {
        let mut s = Subscriber {
            id: "sub_1".into(),
            url: "https://hooks.slack.com/services/T0/B0/XYZSECRET".into(),
            format: Format::Slack,
            filter: Filter::default(),
            secret: None,
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
        s.secret = Some(SECRET.into());
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
        let c = parse_config("https://example.com/h", Some(SECRET), false);
        assert_eq!(c.subscribers[0].secret.as_deref(), Some(SECRET));
        assert_eq!(c.subscribers[0].source, Source::Config);
        // Ids are stable for the same URL.
        let again = parse_config("https://example.com/h", Some(SECRET), false);
        assert_eq!(c.subscribers[0].id, again.subscribers[0].id);
        assert!(c.subscribers[0].id.starts_with("sub_cfg_"));
        assert_eq!(parse_config("", None, false), ConfigSubscribers::default());
    }
}
