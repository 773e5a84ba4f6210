//! Which providers' APIs livehook may ask, with which credentials and where
//! ([`ReconcileSettings`]): each provider is polled only when all its credentials are set, and
//! its base URL (overridable, for a local stand-in) is `https` with a host name, or loopback with
//! `ALERT_ALLOW_LOOPBACK=true`. `RECONCILE_SETTLE_SECONDS` is how long a record must stay
//! unchanged before an API's different answer is applied.
//!
//! Invariants (each has a test below):
//! - A credential is a [`Secret`]: never printed, never in `/healthz`, never in an error.
//! - A provider with a missing credential or an unusable base URL is not polled, and
//!   `/healthz` says why (the setting's name, never its value).

use serde_json::{json, Value};

use crate::alerts::url_policy::validate_url;
use crate::ingest::auth::Secret;

/// The APIs livehook can ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    Cloudflare,
    Mux,
    Gcore,
    Livepeer,
    Fastpix,
    Ivs,
}

impl Api {
    pub const ALL: [Api; 6] = [
        Api::Cloudflare,
        Api::Mux,
        Api::Gcore,
        Api::Livepeer,
        Api::Fastpix,
        Api::Ivs,
    ];

    /// The provider id its records carry (and `/healthz`'s key).
    pub fn provider(self) -> &'static str {
        match self {
            Api::Cloudflare => "cloudflare",
            Api::Mux => "mux",
            Api::Gcore => "gcore",
            Api::Livepeer => "livepeer",
            Api::Fastpix => "fastpix",
            Api::Ivs => "ivs",
        }
    }

    /// The credential settings, all required.
    fn credentials(self) -> &'static [&'static str] {
        match self {
            Api::Cloudflare => &["CF_API_TOKEN", "CF_ACCOUNT_ID"],
            Api::Mux => &["MUX_TOKEN_ID", "MUX_TOKEN_SECRET"],
            Api::Gcore => &["GCORE_API_KEY"],
            Api::Livepeer => &["LIVEPEER_API_KEY"],
            Api::Fastpix => &["FASTPIX_TOKEN_ID", "FASTPIX_TOKEN_SECRET"],
            Api::Ivs => &[
                "IVS_AWS_ACCESS_KEY_ID",
                "IVS_AWS_SECRET_ACCESS_KEY",
                "IVS_REGION",
            ],
        }
    }

    /// The base URL's setting.
    fn base_setting(self) -> &'static str {
        match self {
            Api::Cloudflare => "CF_API_BASE",
            Api::Mux => "MUX_API_BASE",
            Api::Gcore => "GCORE_API_BASE",
            Api::Livepeer => "LIVEPEER_API_BASE",
            Api::Fastpix => "FASTPIX_API_BASE",
            Api::Ivs => "IVS_API_BASE",
        }
    }

    /// The documented base URL (IVS: in `region`).
    fn default_base(self, region: Option<&str>) -> String {
        match self {
            Api::Cloudflare => "https://api.cloudflare.com/client/v4".into(),
            Api::Mux => "https://api.mux.com".into(),
            Api::Gcore => "https://api.gcore.com".into(),
            Api::Livepeer => "https://livepeer.studio/api".into(),
            Api::Fastpix => "https://api.fastpix.io/v1".into(),
            Api::Ivs => format!("https://ivs.{}.amazonaws.com", region.unwrap_or("")),
        }
    }
}

/// One provider's API: where, and with what (in the order of [`Api::credentials`]).
#[derive(Debug, Clone)]
pub struct ApiAccess {
    pub api: Api,
    pub base_url: String,
    pub credentials: Vec<Secret>,
}

/// Why a provider is not polled (setting names only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotPolled {
    Missing(Vec<&'static str>),
    BadSetting(&'static str),
}

/// `RECONCILE_SETTLE_SECONDS`: the default, and the setting's name.
pub const RECONCILE_SETTLE_SECONDS: &str = "RECONCILE_SETTLE_SECONDS";
pub const DEFAULT_SETTLE_SECONDS: u64 = 120;

/// Every provider's API access, or why it has none.
#[derive(Debug, Clone)]
pub struct ReconcileSettings {
    pub apis: Vec<Result<ApiAccess, (Api, NotPolled)>>,
    pub settle_ms: u64,
    /// Settings that were invalid and fell back to their default.
    pub invalid: Vec<&'static str>,
}

/// An IVS region as AWS names them (`us-west-2`): lowercase letters, digits and dashes.
fn valid_region(r: &str) -> bool {
    (4..=32).contains(&r.len())
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl ReconcileSettings {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>, allow_loopback: bool) -> Self {
        let set = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut invalid = Vec::new();
        let settle_secs = match set(RECONCILE_SETTLE_SECONDS) {
            None => DEFAULT_SETTLE_SECONDS,
            Some(v) => v
                .parse()
                .ok()
                .filter(|s| *s <= 24 * 3600)
                .unwrap_or_else(|| {
                    invalid.push(RECONCILE_SETTLE_SECONDS);
                    DEFAULT_SETTLE_SECONDS
                }),
        };
        let apis = Api::ALL
            .into_iter()
            .map(|api| {
                let missing: Vec<&'static str> = api
                    .credentials()
                    .iter()
                    .copied()
                    .filter(|name| set(name).is_none())
                    .collect();
                if !missing.is_empty() {
                    return Err((api, NotPolled::Missing(missing)));
                }
                let region = set("IVS_REGION");
                if api == Api::Ivs && !region.as_deref().is_some_and(valid_region) {
                    return Err((api, NotPolled::BadSetting("IVS_REGION")));
                }
                let base =
                    set(api.base_setting()).unwrap_or_else(|| api.default_base(region.as_deref()));
                let base = match validate_url(&base, allow_loopback) {
                    Ok(url) => String::from(url).trim_end_matches('/').to_owned(),
                    Err(_) => return Err((api, NotPolled::BadSetting(api.base_setting()))),
                };
                let credentials = api
                    .credentials()
                    .iter()
                    .filter_map(|name| Secret::new(set(name)))
                    .collect();
                Ok(ApiAccess {
                    api,
                    base_url: base,
                    credentials,
                })
            })
            .collect();
        ReconcileSettings {
            apis,
            settle_ms: settle_secs.saturating_mul(1000),
            invalid,
        }
    }

    /// The APIs livehook polls.
    pub fn polled(&self) -> impl Iterator<Item = &ApiAccess> {
        self.apis.iter().filter_map(|a| a.as_ref().ok())
    }

    /// Whether any API is polled: without one, a pass has nothing to ask and the reconciler is
    /// never called.
    pub fn polls_any(&self) -> bool {
        self.polled().next().is_some()
    }

    /// `/healthz`'s `reconcile`: per API, `polled(access)` if it is polled, else why not
    /// (setting names only); the settle time; invalid settings, if any.
    pub fn health(&self, polled: impl Fn(&ApiAccess) -> Value) -> Value {
        let mut out = serde_json::Map::new();
        for entry in &self.apis {
            let (name, value) = match entry {
                Ok(a) => (a.api.provider(), polled(a)),
                Err((api, NotPolled::Missing(names))) => (
                    api.provider(),
                    json!({ "configured": false, "missing": names }),
                ),
                Err((api, NotPolled::BadSetting(name))) => (
                    api.provider(),
                    json!({ "configured": false, "invalid": name }),
                ),
            };
            out.insert(name.to_owned(), value);
        }
        out.insert("settle_seconds".into(), json!(self.settle_ms / 1000));
        if !self.invalid.is_empty() {
            out.insert("invalid_settings".into(), json!(self.invalid));
        }
        Value::Object(out)
    }

    /// [`Self::health`] before any pass has run (or when the state cannot be read).
    pub fn configured(&self) -> Value {
        self.health(|_| json!({ "configured": true }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)], loopback: bool) -> ReconcileSettings {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ReconcileSettings::from_lookup(
            &|k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            loopback,
        )
    }

    #[test]
    fn nothing_set_polls_nothing_and_says_what_is_missing() {
        let s = settings(&[], false);
        assert_eq!(s.polled().count(), 0);
        assert_eq!(s.settle_ms, 120_000);
        let h = s.configured();
        assert_eq!(h["cloudflare"]["configured"], false);
        assert_eq!(
            h["cloudflare"]["missing"],
            json!(["CF_API_TOKEN", "CF_ACCOUNT_ID"])
        );
        assert_eq!(h["ivs"]["missing"].as_array().unwrap().len(), 3);
        assert_eq!(h["settle_seconds"], 120);
    }

    #[test]
    fn each_provider_is_polled_with_all_its_credentials_at_its_documented_base() {
        let s = settings(
            &[
                ("CF_API_TOKEN", "cf-token-SECRET"),
                ("CF_ACCOUNT_ID", "023e105f4ecef8ad9ca31a8372d0c353"),
                ("MUX_TOKEN_ID", "id"),
                ("MUX_TOKEN_SECRET", "mux-SECRET"),
                ("GCORE_API_KEY", "gcore-SECRET"),
                ("LIVEPEER_API_KEY", "lp-SECRET"),
                ("FASTPIX_TOKEN_ID", "fp"),
                ("FASTPIX_TOKEN_SECRET", "fp-SECRET"),
                ("IVS_AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("IVS_AWS_SECRET_ACCESS_KEY", "aws-SECRET"),
                ("IVS_REGION", "us-west-2"),
                ("RECONCILE_SETTLE_SECONDS", "30"),
            ],
            false,
        );
        let bases: Vec<(&str, &str)> = s
            .polled()
            .map(|a| (a.api.provider(), a.base_url.as_str()))
            .collect();
        assert_eq!(
            bases,
            [
                ("cloudflare", "https://api.cloudflare.com/client/v4"),
                ("mux", "https://api.mux.com"),
                ("gcore", "https://api.gcore.com"),
                ("livepeer", "https://livepeer.studio/api"),
                ("fastpix", "https://api.fastpix.io/v1"),
                ("ivs", "https://ivs.us-west-2.amazonaws.com"),
            ]
        );
        assert_eq!(s.settle_ms, 30_000);
        let shown = format!("{s:?}{}", s.configured());
        assert!(!shown.contains("SECRET"), "{shown}");
    }

    #[test]
    fn a_base_url_must_be_https_unless_loopback_is_allowed() {
        let vars = [
            ("GCORE_API_KEY", "k"),
            ("GCORE_API_BASE", "http://127.0.0.1:9999/"),
            ("LIVEPEER_API_KEY", "k"),
            ("LIVEPEER_API_BASE", "http://livepeer.example.com"),
            ("IVS_AWS_ACCESS_KEY_ID", "a"),
            ("IVS_AWS_SECRET_ACCESS_KEY", "s"),
            ("IVS_REGION", "us west"),
        ];
        let s = settings(&vars, false);
        assert_eq!(s.polled().count(), 0);
        let h = s.configured();
        assert_eq!(h["gcore"]["invalid"], "GCORE_API_BASE");
        assert_eq!(h["livepeer"]["invalid"], "LIVEPEER_API_BASE");
        assert_eq!(h["ivs"]["invalid"], "IVS_REGION");
        let local = settings(&vars, true);
        let polled: Vec<&str> = local.polled().map(|a| a.base_url.as_str()).collect();
        assert_eq!(
            polled,
            ["http://127.0.0.1:9999"],
            "loopback in development only"
        );
        assert_eq!(
            settings(&[("RECONCILE_SETTLE_SECONDS", "soon")], false).invalid,
            [RECONCILE_SETTLE_SECONDS]
        );
    }
}
