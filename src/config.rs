//! Binding names and configuration. Names are constants so `wrangler.toml`, the code and the
//! tests agree; `Config::from_env` is the only place that reads secrets and vars.

use serde_json::{json, Value};

use crate::auth::{fastpix_key, Cidr, Secret};

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
        }
    }

    pub fn from_env(env: &worker::Env) -> Self {
        Self::from_lookup(|name| {
            env.secret(name)
                .map(|s| s.to_string())
                .or_else(|_| env.var(name).map(|v| v.to_string()))
                .ok()
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
}
