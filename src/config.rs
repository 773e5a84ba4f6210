//! Binding names and configuration. Names are constants so `wrangler.toml`, the code and the
//! tests agree; `Config::from_env` is the only place that reads secrets and vars.

use serde_json::{json, Value};

use crate::auth::{fastpix_key, Cidr, Secret};
use crate::delivery::{parse_duration_ms, Schedule};
use crate::subscribers::{parse_config, ConfigSubscribers};

/// Workers KV namespace holding one status record per stream.
pub const STATUS_KV: &str = "STREAM_STATUS";
/// Durable Object namespace, one object per stream (class `StreamStatus`).
pub const STREAMS_DO: &str = "STREAMS";
/// Durable Object namespace of the alert hub (class `AlertHub`, one global instance).
pub const ALERT_HUB_DO: &str = "ALERT_HUB";
/// Name of the single alert hub instance.
pub const ALERT_HUB_NAME: &str = "global";

pub const CF_WEBHOOK_SECRET: &str = "CF_WEBHOOK_SECRET";
pub const FASTPIX_WEBHOOK_SECRET: &str = "FASTPIX_WEBHOOK_SECRET";
pub const GCORE_WEBHOOK_TOKEN: &str = "GCORE_WEBHOOK_TOKEN";
pub const GCORE_ALLOWED_CIDRS: &str = "GCORE_ALLOWED_CIDRS";
pub const STATUS_API_TOKEN: &str = "STATUS_API_TOKEN";
/// Alert fan-out settings (see the README's "Alerts" section).
pub const ALERT_SUBSCRIBERS: &str = "ALERT_SUBSCRIBERS";
pub const ALERT_WEBHOOK_SECRET: &str = "ALERT_WEBHOOK_SECRET";
pub const ALERT_DEDUPE_SECONDS: &str = "ALERT_DEDUPE_SECONDS";
pub const ALERT_RETRY_SCHEDULE: &str = "ALERT_RETRY_SCHEDULE";
pub const ALERT_ATTEMPT_TIMEOUT: &str = "ALERT_ATTEMPT_TIMEOUT";
pub const ALERT_ALLOW_LOOPBACK: &str = "ALERT_ALLOW_LOOPBACK";
pub const DEFAULT_DEDUPE_SECONDS: u64 = 300;
pub const DEFAULT_ATTEMPT_TIMEOUT_MS: u64 = 10_000;
/// Gcore's documented sender range, used when `GCORE_ALLOWED_CIDRS` is unset.
pub const GCORE_DEFAULT_CIDRS: &str = "92.223.123.0/24";

/// Everything the routes need from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub cf_secret: Option<Secret>,
    pub fastpix_secret: Option<Secret>,
    pub gcore_token: Option<Secret>,
    /// `None` when the configured list has an invalid entry: Gcore then fails closed.
    pub gcore_cidrs: Option<Vec<Cidr>>,
    pub api_token: Option<Secret>,
    pub alerts: AlertConfig,
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
        let schedule = match get(ALERT_RETRY_SCHEDULE) {
            None => Schedule::default(),
            Some(v) => Schedule::parse(&v).unwrap_or_else(|| {
                invalid.push(ALERT_RETRY_SCHEDULE);
                Schedule::default()
            }),
        };
        let allow_loopback = get(ALERT_ALLOW_LOOPBACK).is_some_and(|v| v.trim() == "true");
        let subscribers = parse_config(
            &get(ALERT_SUBSCRIBERS).unwrap_or_default(),
            get(ALERT_WEBHOOK_SECRET).as_deref(),
            allow_loopback,
        );
        AlertConfig {
            dedupe_window_ms: dedupe_secs.saturating_mul(1000),
            schedule,
            attempt_timeout_ms: timeout,
            allow_loopback,
            subscribers,
            invalid,
        }
    }

    fn health(&self) -> Value {
        json!({
            "retry_schedule": self.schedule.describe(),
            "dedupe_seconds": self.dedupe_window_ms / 1000,
            "attempt_timeout_ms": self.attempt_timeout_ms,
            "loopback_targets_allowed": self.allow_loopback,
            "configured_subscribers": self.subscribers.subscribers.len(),
            "invalid_subscriber_entries": self.subscribers.invalid.iter()
                .map(|(i, why)| json!({ "entry": i, "reason": why }))
                .collect::<Vec<_>>(),
            "invalid_settings": self.invalid,
        })
    }
}

impl Config {
    /// From raw strings (secrets and vars look alike to a worker: both are strings).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let cidrs = get(GCORE_ALLOWED_CIDRS).unwrap_or_else(|| GCORE_DEFAULT_CIDRS.to_owned());
        Config {
            cf_secret: Secret::new(get(CF_WEBHOOK_SECRET)),
            fastpix_secret: Secret::new(get(FASTPIX_WEBHOOK_SECRET)),
            gcore_token: Secret::new(get(GCORE_WEBHOOK_TOKEN)),
            gcore_cidrs: Cidr::parse_list(&cidrs),
            api_token: Secret::new(get(STATUS_API_TOKEN)),
            alerts: AlertConfig::from_lookup(&get),
        }
    }

    /// Read once per isolate: secrets and vars cannot change without a new isolate.
    pub fn from_env(env: &worker::Env) -> std::rc::Rc<Self> {
        thread_local! {
            static CONFIG: std::cell::OnceCell<std::rc::Rc<Config>> = const { std::cell::OnceCell::new() };
        }
        CONFIG.with(|c| {
            c.get_or_init(|| {
                std::rc::Rc::new(Self::from_lookup(|name| {
                    env.secret(name)
                        .map(|s| s.to_string())
                        .or_else(|_| env.var(name).map(|v| v.to_string()))
                        .ok()
                }))
            })
            .clone()
        })
    }

    /// `/healthz`: which providers accept webhooks, and why not. Never a secret's value.
    pub fn health(&self) -> Value {
        let missing =
            |name: &str| json!({ "configured": false, "reason": format!("{name} is not set") });
        let ok = json!({ "configured": true });
        let cloudflare = if self.cf_secret.is_some() {
            ok.clone()
        } else {
            missing(CF_WEBHOOK_SECRET)
        };
        let fastpix = match &self.fastpix_secret {
            None => missing(FASTPIX_WEBHOOK_SECRET),
            Some(s) if fastpix_key(s).is_err() => json!({
                "configured": false,
                "reason": format!("{FASTPIX_WEBHOOK_SECRET} is not valid base64")
            }),
            Some(_) => ok.clone(),
        };
        let gcore = match (&self.gcore_token, &self.gcore_cidrs) {
            (None, _) => missing(GCORE_WEBHOOK_TOKEN),
            (_, None) => json!({
                "configured": false,
                "reason": format!("{GCORE_ALLOWED_CIDRS} has an invalid entry")
            }),
            (Some(_), Some(c)) => json!({ "configured": true, "allowed_networks": c.len() }),
        };
        let all = self.cf_secret.is_some()
            && fastpix["configured"] == true
            && gcore["configured"] == true;
        json!({
            "ok": true,
            "version": env!("CARGO_PKG_VERSION"),
            "all_providers_configured": all,
            "providers": { "cloudflare": cloudflare, "fastpix": fastpix, "gcore": gcore },
            "status_api": if self.api_token.is_some() { ok } else { missing(STATUS_API_TOKEN) },
            "alerts": self.alerts.health(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn gcore_defaults_to_the_documented_range_and_fails_closed_on_a_bad_list() {
        let c = cfg(&[(GCORE_WEBHOOK_TOKEN, "t")]);
        assert_eq!(c.gcore_cidrs, Cidr::parse_list("92.223.123.0/24"));
        assert_eq!(c.health()["providers"]["gcore"]["configured"], true);
        let bad = cfg(&[
            (GCORE_WEBHOOK_TOKEN, "t"),
            (GCORE_ALLOWED_CIDRS, "10.0.0.0/8,oops"),
        ]);
        assert_eq!(bad.gcore_cidrs, None);
        assert_eq!(bad.health()["providers"]["gcore"]["configured"], false);
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
