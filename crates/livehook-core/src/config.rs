//! Configuration: everything livehook reads from the environment, as types. The shell reads it
//! once per isolate (`Config::from_lookup` over the Worker's secrets and vars); nothing else
//! reads the environment. Provider settings come from the provider registry, so a new provider's
//! secrets are read and reported by `/healthz` without a change here.

use serde_json::{json, Map, Value};

use crate::alerts::schedule::{parse_duration_ms, Schedule};
use crate::alerts::secret::SigningSecret;
use crate::alerts::subscriber::{parse_config, AlsoSigning, ConfigSubscribers};
use crate::alerts::url_policy::validate_url;
use crate::incidents::track::{DEFAULT_OFFLINE_AFTER_SECS, DEFAULT_STABLE_AFTER_SECS};
use crate::incidents::IncidentTimers;
use crate::ingest::auth::{either, verify_bearer, AuthError, Secret};
use crate::ingest::providers::REGISTRY;
use crate::ingest::settings::{next_name, Settings};
use crate::reconcile::settings::ReconcileSettings;

/// The bearer token of the API (`GET /streams`, `/alerts`, `/subscriptions`, the live feed).
pub const STATUS_API_TOKEN: &str = "STATUS_API_TOKEN";

/// Alert fan-out settings (see docs/alerts.md).
pub const ALERT_SUBSCRIBERS: &str = "ALERT_SUBSCRIBERS";
pub const ALERT_WEBHOOK_SECRET: &str = "ALERT_WEBHOOK_SECRET";
/// A second `whsec_` secret: configured webhook subscribers get both signatures while it is set.
pub const ALERT_WEBHOOK_SECRET_NEXT: &str = "ALERT_WEBHOOK_SECRET_NEXT";
pub const ALERT_DEDUPE_SECONDS: &str = "ALERT_DEDUPE_SECONDS";
pub const ALERT_RETRY_SCHEDULE: &str = "ALERT_RETRY_SCHEDULE";
pub const ALERT_ATTEMPT_TIMEOUT: &str = "ALERT_ATTEMPT_TIMEOUT";
pub const ALERT_ALLOW_LOOPBACK: &str = "ALERT_ALLOW_LOOPBACK";
pub const DEFAULT_DEDUPE_SECONDS: u64 = 300;
pub const INCIDENT_OFFLINE_AFTER: &str = "INCIDENT_OFFLINE_AFTER";
pub const INCIDENT_STABLE_AFTER: &str = "INCIDENT_STABLE_AFTER";
pub const ALERT_STORM_THRESHOLD: &str = "ALERT_STORM_THRESHOLD";
pub const ALERT_STORM_WINDOW: &str = "ALERT_STORM_WINDOW";
pub const PUBLIC_URL: &str = "PUBLIC_URL";
/// How long a media server's heartbeats (nginx-rtmp's `update_publish`) may stop before its
/// stream is marked disconnected; 0 turns the watch off.
pub const NGINX_RTMP_STALE_AFTER: &str = "NGINX_RTMP_STALE_AFTER";
/// Three of nginx-rtmp's default 30 s `notify_update_timeout`.
pub const DEFAULT_STALE_AFTER_SECS: u64 = 90;
pub const DEFAULT_STORM_THRESHOLD: u64 = 10;
pub const DEFAULT_STORM_WINDOW_SECS: u64 = 60;
/// Longest setting in whole seconds (a week).
const MAX_SECONDS_SETTING: u64 = 7 * 24 * 3600;

/// Reading webhook traffic from Workers Analytics Engine's SQL API (see [`crate::traffic`]):
/// the account, a token allowed *Account Analytics: Read*, and (tests) another endpoint.
pub const CF_ACCOUNT_ID: &str = "CF_ACCOUNT_ID";
pub const ANALYTICS_API_TOKEN: &str = "ANALYTICS_API_TOKEN";
pub const ANALYTICS_SQL_URL: &str = "ANALYTICS_SQL_URL";
pub const DEFAULT_ATTEMPT_TIMEOUT_MS: u64 = 10_000;

/// Everything the worker and its objects need from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every registered provider's settings.
    pub providers: Settings,
    pub api_token: Option<Secret>,
    /// `STATUS_API_TOKEN_NEXT`: accepted beside the token while it is rotated.
    pub api_token_next: Option<Secret>,
    pub alerts: AlertConfig,
    /// Where `/healthz` reads the deployment's webhook counts, if configured.
    pub analytics: Option<AnalyticsQuery>,
    /// Which providers' APIs are polled to keep statuses true ([`crate::reconcile`]).
    pub reconcile: ReconcileSettings,
}

/// Analytics Engine's SQL API for this account.
#[derive(Debug, Clone)]
pub struct AnalyticsQuery {
    pub url: String,
    pub token: Secret,
}

impl AnalyticsQuery {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Option<Self> {
        let token = Secret::new(get(ANALYTICS_API_TOKEN))?;
        let url = match get(ANALYTICS_SQL_URL).filter(|u| !u.trim().is_empty()) {
            Some(url) => url.trim().to_owned(),
            None => {
                let account = get(CF_ACCOUNT_ID).filter(|a| {
                    !a.is_empty() && a.len() <= 64 && a.bytes().all(|b| b.is_ascii_alphanumeric())
                })?;
                format!(
                    "https://api.cloudflare.com/client/v4/accounts/{account}/analytics_engine/sql"
                )
            }
        };
        Some(AnalyticsQuery { url, token })
    }
}

/// How alerts are de-duplicated and delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertConfig {
    pub dedupe_window_ms: u64,
    pub schedule: Schedule,
    pub attempt_timeout_ms: u64,
    /// `http://` and loopback targets are accepted (local development only).
    pub allow_loopback: bool,
    pub subscribers: ConfigSubscribers,
    /// `INCIDENT_OFFLINE_AFTER`, `INCIDENT_STABLE_AFTER`.
    pub incidents: IncidentTimers,
    /// `NGINX_RTMP_STALE_AFTER`, in ms (0: heartbeats are not watched).
    pub heartbeat_stale_after_ms: u64,
    /// More than this many incidents of one provider within `storm_window_ms` is a storm
    /// (`ALERT_STORM_THRESHOLD`; 0: no grouping).
    pub storm_threshold: u32,
    pub storm_window_ms: u64,
    /// The deployed origin (`PUBLIC_URL`), for links in notifications.
    pub public_url: Option<String>,
    /// Settings that were invalid and fell back to their default (names only).
    pub invalid: Vec<&'static str>,
}

impl AlertConfig {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Self {
        let mut invalid = Vec::new();
        let mut setting =
            |name: &'static str, parse: &dyn Fn(&str) -> Option<u64>, default| match get(name) {
                None => default,
                Some(v) => parse(&v).unwrap_or_else(|| {
                    invalid.push(name);
                    default
                }),
            };
        let dedupe_secs = setting(
            ALERT_DEDUPE_SECONDS,
            &|v| v.trim().parse().ok(),
            DEFAULT_DEDUPE_SECONDS,
        );
        let timeout = setting(
            ALERT_ATTEMPT_TIMEOUT,
            &|v| parse_duration_ms(v).filter(|ms| (100..=60_000).contains(ms)),
            DEFAULT_ATTEMPT_TIMEOUT_MS,
        );
        let seconds = |v: &str| v.trim().parse().ok().filter(|s| *s <= MAX_SECONDS_SETTING);
        let offline = setting(INCIDENT_OFFLINE_AFTER, &seconds, DEFAULT_OFFLINE_AFTER_SECS);
        let stable = setting(INCIDENT_STABLE_AFTER, &seconds, DEFAULT_STABLE_AFTER_SECS);
        let storm_threshold = setting(
            ALERT_STORM_THRESHOLD,
            &|v| v.trim().parse().ok().filter(|n| *n <= 100_000),
            DEFAULT_STORM_THRESHOLD,
        );
        let storm_window = setting(ALERT_STORM_WINDOW, &seconds, DEFAULT_STORM_WINDOW_SECS);
        let stale_after = setting(NGINX_RTMP_STALE_AFTER, &seconds, DEFAULT_STALE_AFTER_SECS);
        let allow_loopback = allow_loopback(get);
        let schedule = match get(ALERT_RETRY_SCHEDULE) {
            None => Schedule::default(),
            Some(v) => Schedule::parse(&v).unwrap_or_else(|| {
                invalid.push(ALERT_RETRY_SCHEDULE);
                Schedule::default()
            }),
        };
        let public_url = match get(PUBLIC_URL).filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) => match validate_url(v.trim(), allow_loopback) {
                Ok(url) => Some(String::from(url).trim_end_matches('/').to_owned()),
                Err(_) => {
                    invalid.push(PUBLIC_URL);
                    None
                }
            },
        };
        let mut subscribers = parse_config(
            &get(ALERT_SUBSCRIBERS).unwrap_or_default(),
            get(ALERT_WEBHOOK_SECRET).as_deref(),
            allow_loopback,
        );
        if let Some(next) = get(ALERT_WEBHOOK_SECRET_NEXT).filter(|v| !v.trim().is_empty()) {
            match SigningSecret::parse(next.trim()) {
                Some(secret) => {
                    for sub in subscribers
                        .subscribers
                        .iter_mut()
                        .filter(|s| s.secret.is_some())
                    {
                        sub.also_signing = Some(AlsoSigning {
                            secret: secret.clone(),
                            until_ms: None,
                        });
                    }
                }
                None => invalid.push(ALERT_WEBHOOK_SECRET_NEXT),
            }
        }
        AlertConfig {
            dedupe_window_ms: dedupe_secs.saturating_mul(1000),
            schedule,
            attempt_timeout_ms: timeout,
            allow_loopback,
            subscribers,
            incidents: IncidentTimers {
                offline_after_ms: offline.saturating_mul(1000),
                stable_after_ms: stable.saturating_mul(1000),
            },
            heartbeat_stale_after_ms: stale_after.saturating_mul(1000),
            storm_threshold: storm_threshold as u32,
            storm_window_ms: storm_window.saturating_mul(1000),
            public_url,
            invalid,
        }
    }

    pub fn health(&self) -> Value {
        json!({
            "retry_schedule": self.schedule.describe(),
            "dedupe_seconds": self.dedupe_window_ms / 1000,
            "attempt_timeout_ms": self.attempt_timeout_ms,
            "loopback_targets_allowed": self.allow_loopback,
            "configured_subscribers": self.subscribers.subscribers.len(),
            "invalid_subscriber_entries": self.subscribers.invalid.iter()
                .map(|(i, why)| json!({ "entry": i, "reason": why }))
                .collect::<Vec<_>>(),
            "incident_offline_after_seconds": self.incidents.offline_after_ms / 1000,
            "incident_stable_after_seconds": self.incidents.stable_after_ms / 1000,
            "nginx_rtmp_stale_after_seconds": self.heartbeat_stale_after_ms / 1000,
            "storm_threshold": self.storm_threshold,
            "storm_window_seconds": self.storm_window_ms / 1000,
            "public_url_set": self.public_url.is_some(),
            "invalid_settings": self.invalid,
        })
    }
}

/// `ALERT_ALLOW_LOOPBACK=true`: `http://` and loopback URLs are accepted (development only).
fn allow_loopback(get: &impl Fn(&str) -> Option<String>) -> bool {
    get(ALERT_ALLOW_LOOPBACK).is_some_and(|v| v.trim() == "true")
}

impl Config {
    /// From raw strings (secrets and vars look alike to a worker: both are strings).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let declared = REGISTRY.iter().flat_map(|p| p.settings().iter());
        let api_token = Secret::new(get(STATUS_API_TOKEN));
        let api_token_next = api_token
            .as_ref()
            .and_then(|_| Secret::new(get(&next_name(STATUS_API_TOKEN))));
        Config {
            providers: Settings::read(declared, &get),
            api_token,
            api_token_next,
            alerts: AlertConfig::from_lookup(&get),
            analytics: AnalyticsQuery::from_lookup(&get),
            reconcile: ReconcileSettings::from_lookup(&get, allow_loopback(&get)),
        }
    }

    /// The API's bearer check (`Authorization: Bearer …`): the token, or its next value.
    pub fn authorize(&self, authorization: Option<&str>) -> Result<(), AuthError> {
        either(
            self.api_token.as_ref(),
            self.api_token_next.as_ref().map(Some),
            |token| verify_bearer(token, authorization),
        )
    }

    /// `/healthz`: which providers accept webhooks, and why not. Never a secret's value.
    pub fn health(&self) -> Value {
        let mut providers = Map::new();
        let mut all = true;
        for p in REGISTRY {
            let entry = match p.health(&self.providers) {
                Ok(details) => {
                    let mut e = Map::new();
                    e.insert("configured".into(), true.into());
                    e.extend(details);
                    let rotating: Vec<&str> = p
                        .settings()
                        .iter()
                        .map(|s| s.name)
                        .filter(|n| self.providers.rotating().contains(n))
                        .collect();
                    if !rotating.is_empty() {
                        let names: Vec<String> = rotating.iter().map(|n| next_name(n)).collect();
                        e.insert("next_values".into(), json!(names));
                        // A next value the provider could not use is worth knowing before the
                        // switch, not after.
                        if let Some(Err(reason)) = self.providers.rotated().map(|r| p.health(r)) {
                            e.insert("next_values_problem".into(), reason.into());
                        }
                    }
                    Value::Object(e)
                }
                Err(reason) => {
                    all = false;
                    json!({ "configured": false, "reason": reason })
                }
            };
            providers.insert(p.route().to_owned(), entry);
        }
        let status_api = match (&self.api_token, &self.api_token_next) {
            (Some(_), Some(_)) => json!({
                "configured": true,
                "next_values": [next_name(STATUS_API_TOKEN)],
            }),
            (Some(_), None) => json!({ "configured": true }),
            (None, _) => {
                json!({ "configured": false, "reason": format!("{STATUS_API_TOKEN} is not set") })
            }
        };
        json!({
            "ok": true,
            "version": env!("CARGO_PKG_VERSION"),
            "all_providers_configured": all,
            "providers": providers,
            "status_api": status_api,
            "alerts": self.alerts.health(),
            "reconcile": self.reconcile.configured(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::providers::{cloudflare, fastpix, gcore};

    const CF_WEBHOOK_SECRET: &str = cloudflare::SECRET;
    const FASTPIX_WEBHOOK_SECRET: &str = fastpix::SECRET;
    const GCORE_WEBHOOK_TOKEN: &str = gcore::TOKEN;
    const GCORE_ALLOWED_CIDRS: &str = gcore::ALLOWED_CIDRS;

    fn cfg(pairs: &[(&str, &str)]) -> Config {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn health_reports_each_provider_and_never_a_secret() {
        let c = cfg(&[
            (CF_WEBHOOK_SECRET, "cf-very-secret"),
            (FASTPIX_WEBHOOK_SECRET, "not base64 !!"),
            (STATUS_API_TOKEN, "api-very-secret"),
        ]);
        let h = c.health();
        assert_eq!(h["providers"]["cloudflare"]["configured"], true);
        assert_eq!(h["providers"]["fastpix"]["configured"], false);
        assert_eq!(h["providers"]["gcore"]["configured"], false);
        assert_eq!(h["status_api"]["configured"], true);
        assert_eq!(h["all_providers_configured"], false);
        let text = h.to_string();
        for s in ["cf-very-secret", "not base64 !!", "api-very-secret"] {
            assert!(!text.contains(s));
        }
    }

    #[test]
    fn the_api_token_and_provider_secrets_rotate_and_health_names_the_next_values() {
        let c = cfg(&[
            (STATUS_API_TOKEN, "api-old"),
            ("STATUS_API_TOKEN_NEXT", "api-new"),
            (CF_WEBHOOK_SECRET, "cf-old"),
            ("CF_WEBHOOK_SECRET_NEXT", "cf-new"),
            (FASTPIX_WEBHOOK_SECRET, "bGl2ZWhvb2s="),
            ("FASTPIX_WEBHOOK_SECRET_NEXT", "not base64 !!"),
        ]);
        assert_eq!(c.authorize(Some("Bearer api-old")), Ok(()));
        assert_eq!(c.authorize(Some("Bearer api-new")), Ok(()));
        assert_eq!(
            c.authorize(Some("Bearer api-other")),
            Err(AuthError::Invalid("bearer token"))
        );
        let h = c.health();
        assert_eq!(
            h["status_api"]["next_values"],
            json!(["STATUS_API_TOKEN_NEXT"])
        );
        assert_eq!(
            h["providers"]["cloudflare"]["next_values"],
            json!(["CF_WEBHOOK_SECRET_NEXT"])
        );
        assert!(h["providers"]["cloudflare"]
            .get("next_values_problem")
            .is_none());
        // A next value the provider cannot use is reported before anyone switches to it.
        assert!(h["providers"]["fastpix"]["next_values_problem"].is_string());
        assert!(h["providers"]["gcore"].get("next_values").is_none());
        for secret in ["api-old", "api-new", "cf-old", "cf-new", "not base64"] {
            assert!(!h.to_string().contains(secret), "{secret}");
        }
        // Without the token itself, its next value alone opens nothing.
        let only_next = cfg(&[("STATUS_API_TOKEN_NEXT", "api-new")]);
        assert_eq!(
            only_next.authorize(Some("Bearer api-new")),
            Err(AuthError::NotConfigured("STATUS_API_TOKEN"))
        );
    }

    #[test]
    fn gcore_defaults_to_the_documented_range_and_fails_closed_on_a_bad_list() {
        let c = cfg(&[(GCORE_WEBHOOK_TOKEN, "t")]);
        assert_eq!(
            c.providers.get(GCORE_ALLOWED_CIDRS).map(Secret::expose),
            Some("92.223.123.0/24")
        );
        assert_eq!(c.health()["providers"]["gcore"]["configured"], true);
        let bad = cfg(&[
            (GCORE_WEBHOOK_TOKEN, "t"),
            (GCORE_ALLOWED_CIDRS, "10.0.0.0/8,oops"),
        ]);
        assert_eq!(bad.health()["providers"]["gcore"]["configured"], false);
    }

    #[test]
    fn incident_settings_default_turn_off_with_zero_and_report_invalid_values() {
        let c = cfg(&[]).alerts;
        assert_eq!(
            (c.incidents.offline_after_ms, c.incidents.stable_after_ms),
            (60_000, 30_000)
        );
        assert_eq!((c.storm_threshold, c.storm_window_ms), (10, 60_000));
        assert_eq!(c.heartbeat_stale_after_ms, 90_000);
        assert_eq!(c.public_url, None);
        let c = cfg(&[
            (INCIDENT_OFFLINE_AFTER, "0"),
            (INCIDENT_STABLE_AFTER, " 5 "),
            (ALERT_STORM_THRESHOLD, "0"),
            (ALERT_STORM_WINDOW, "120"),
            (PUBLIC_URL, "https://livehook.example.com/"),
            (NGINX_RTMP_STALE_AFTER, "0"),
        ])
        .alerts;
        assert_eq!(c.heartbeat_stale_after_ms, 0);
        assert_eq!(
            (c.incidents.offline_after_ms, c.incidents.stable_after_ms),
            (0, 5_000)
        );
        assert_eq!((c.storm_threshold, c.storm_window_ms), (0, 120_000));
        assert_eq!(
            c.public_url.as_deref(),
            Some("https://livehook.example.com")
        );
        assert!(c.invalid.is_empty());
        let bad = cfg(&[
            (INCIDENT_OFFLINE_AFTER, "1m"),
            (INCIDENT_STABLE_AFTER, "-1"),
            (ALERT_STORM_THRESHOLD, "many"),
            (ALERT_STORM_WINDOW, "99999999"),
            (PUBLIC_URL, "http://10.0.0.1"),
            (NGINX_RTMP_STALE_AFTER, "90s"),
        ]);
        assert_eq!(
            bad.alerts.invalid,
            vec![
                INCIDENT_OFFLINE_AFTER,
                INCIDENT_STABLE_AFTER,
                ALERT_STORM_THRESHOLD,
                ALERT_STORM_WINDOW,
                NGINX_RTMP_STALE_AFTER,
                PUBLIC_URL
            ]
        );
        assert_eq!(bad.alerts.heartbeat_stale_after_ms, 90_000);
        assert_eq!(bad.alerts.incidents, IncidentTimers::default());
        assert_eq!(bad.alerts.storm_window_ms, 60_000);
        assert_eq!(bad.alerts.public_url, None);
        let h = bad.health();
        assert_eq!(h["alerts"]["invalid_settings"][5], PUBLIC_URL);
        assert_eq!(h["alerts"]["nginx_rtmp_stale_after_seconds"], 90);
        assert_eq!(h["alerts"]["public_url_set"], false);
        assert_eq!(h["alerts"]["incident_offline_after_seconds"], 60);
    }

    #[test]
    fn alert_settings_default_and_report_invalid_values() {
        let c = cfg(&[]).alerts;
        assert_eq!(c.dedupe_window_ms, 300_000);
        assert_eq!(c.attempt_timeout_ms, 10_000);
        assert_eq!(c.schedule, Schedule::default());
        assert!(!c.allow_loopback && c.invalid.is_empty());
        let c = cfg(&[
            (ALERT_DEDUPE_SECONDS, "2"),
            (ALERT_RETRY_SCHEDULE, "0,200ms,1s"),
            (ALERT_ATTEMPT_TIMEOUT, "1s"),
            (ALERT_ALLOW_LOOPBACK, "true"),
            (ALERT_SUBSCRIBERS, "http://127.0.0.1:9/x https://10.0.0.1/x"),
            (
                ALERT_WEBHOOK_SECRET,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
        ])
        .alerts;
        assert_eq!(c.dedupe_window_ms, 2_000);
        assert_eq!(c.schedule.attempts(), 3);
        assert_eq!(c.attempt_timeout_ms, 1_000);
        assert_eq!(c.subscribers.subscribers.len(), 1);
        assert_eq!(c.subscribers.invalid.len(), 1);
        let bad = cfg(&[
            (ALERT_DEDUPE_SECONDS, "five"),
            (ALERT_RETRY_SCHEDULE, "soon"),
            (ALERT_ATTEMPT_TIMEOUT, "2h"),
        ]);
        assert_eq!(
            bad.alerts.invalid,
            vec![
                ALERT_DEDUPE_SECONDS,
                ALERT_ATTEMPT_TIMEOUT,
                ALERT_RETRY_SCHEDULE
            ]
        );
        assert_eq!(bad.alerts.dedupe_window_ms, 300_000);
        let h = bad.health();
        assert_eq!(h["alerts"]["invalid_settings"][0], ALERT_DEDUPE_SECONDS);
        assert_eq!(
            h["alerts"]["retry_schedule"],
            "0s, 5s, 5m, 30m, 2h, 5h, 10h, 10h"
        );
    }
}
