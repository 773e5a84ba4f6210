//! Is anyone reaching us? Per provider: when the last webhook was accepted, and how many
//! webhooks ended how (applied, duplicate, stale, ignored, test; `rejected:<error>` for a 4xx,
//! `failed:<error>` for a 5xx) over the last hour and the last day.
//!
//! Every webhook, accepted or refused, is one data point (the worker writes it to Workers
//! Analytics Engine: no Durable Object, no KV key, so any rate without a hot spot). Two readers:
//! - [`sql`] and [`Traffic::from_sql_answer`]: Analytics Engine's SQL API, for the whole
//!   deployment;
//! - [`IsolateCounts`]: the counts one isolate saw itself, in minute buckets, for local
//!   development (Analytics Engine is a no-op under miniflare) and as the fallback when the SQL
//!   API is not configured or fails.
//!
//! Nothing here holds a secret: labels come from a closed set (outcomes and error codes).

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::time::{format_rfc3339, millis_to_nanos, parse_rfc3339};

/// The Analytics Engine dataset (`wrangler.toml`).
pub const DATASET: &str = "livehook_webhooks";
/// Outcomes that mean the webhook was accepted (a 2xx).
pub const ACCEPTED: [&str; 5] = ["applied", "duplicate", "stale", "ignored", "test"];

const MINUTE_MS: u64 = 60_000;
const HOUR_MINUTES: u64 = 60;
const DAY_MINUTES: u64 = 24 * 60;

/// What became of one webhook: its outcome if it was accepted, else `rejected:<error code>`
/// (4xx) or `failed:<error code>` (5xx).
pub fn label(outcome: &str, status: u16) -> String {
    match status {
        200..=299 => outcome.to_owned(),
        500.. => format!("failed:{outcome}"),
        _ => format!("rejected:{outcome}"),
    }
}

/// One provider's traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProviderTraffic {
    /// When the newest accepted webhook arrived (RFC 3339), if any in the last day.
    pub last_accepted_at: Option<String>,
    pub last_hour: BTreeMap<String, u64>,
    pub last_day: BTreeMap<String, u64>,
}

/// Every provider's traffic, by route name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    pub providers: BTreeMap<String, ProviderTraffic>,
}

impl Traffic {
    /// An entry for each of `routes`, so a provider nobody reached still shows, with nothing.
    pub fn with_routes<'a>(routes: impl IntoIterator<Item = &'a str>) -> Self {
        Traffic {
            providers: routes
                .into_iter()
                .map(|r| (r.to_owned(), ProviderTraffic::default()))
                .collect(),
        }
    }

    fn add(&mut self, route: &str, label: &str, hour: u64, day: u64, last_ms: Option<u64>) {
        let p = self.providers.entry(route.to_owned()).or_default();
        if hour > 0 {
            *p.last_hour.entry(label.to_owned()).or_default() += hour;
        }
        if day > 0 {
            *p.last_day.entry(label.to_owned()).or_default() += day;
        }
        if let Some(ms) = last_ms.filter(|_| ACCEPTED.contains(&label)) {
            let at = format_rfc3339(millis_to_nanos(ms));
            if p.last_accepted_at.as_ref().is_none_or(|prev| *prev < at) {
                p.last_accepted_at = Some(at);
            }
        }
    }

    /// Reads the SQL API's answer to [`sql`] (`FORMAT JSON`: `{"data":[{…}]}`), counts as
    /// numbers or numeric strings, times as `YYYY-MM-DD HH:MM:SS` (UTC) or RFC 3339.
    pub fn from_sql_answer<'a>(
        body: &str,
        routes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Traffic, String> {
        let v: Value =
            serde_json::from_str(body).map_err(|e| format!("not JSON: line {}", e.line()))?;
        let rows = v
            .get("data")
            .and_then(Value::as_array)
            .ok_or("no `data` array")?;
        let mut t = Traffic::with_routes(routes);
        for row in rows {
            let text = |k: &str| row.get(k).and_then(Value::as_str);
            let count = |k: &str| match row.get(k) {
                Some(Value::Number(n)) => n.as_f64().map(|f| f.max(0.0).round() as u64),
                Some(Value::String(s)) => s.parse::<f64>().ok().map(|f| f.max(0.0).round() as u64),
                _ => None,
            };
            let (Some(route), Some(label)) = (text("provider"), text("outcome")) else {
                return Err("a row without provider or outcome".into());
            };
            // Only names we write: a route of the registry, a label of the closed set.
            if !t.providers.contains_key(route) || !is_label(label) {
                continue;
            }
            let last_ms = text("last_at").and_then(sql_time_ms);
            t.add(
                route,
                label,
                count("last_hour").unwrap_or(0),
                count("last_day").unwrap_or(0),
                last_ms,
            );
        }
        Ok(t)
    }
}

/// Labels are outcomes or `rejected:`/`failed:` + an error code: lowercase letters and `_`.
fn is_label(s: &str) -> bool {
    let code = s
        .strip_prefix("rejected:")
        .or_else(|| s.strip_prefix("failed:"))
        .unwrap_or(s);
    !code.is_empty()
        && code.len() <= 40
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// `2026-11-24 00:56:24` (Analytics Engine's DateTime, UTC) or RFC 3339, as ms since the epoch.
fn sql_time_ms(s: &str) -> Option<u64> {
    let rfc = if s.len() == 19 && s.as_bytes().get(10) == Some(&b' ') {
        format!("{}T{}Z", &s[..10], &s[11..])
    } else {
        s.to_owned()
    };
    parse_rfc3339(&rfc).and_then(|ns| u64::try_from(ns / 1_000_000).ok())
}

/// The query behind [`Traffic::from_sql_answer`]: per provider and label, the last hour's and
/// the last day's count (`_sample_interval` undoes Analytics Engine's sampling) and the newest
/// time. `blob1` is the provider's route, `blob2` the label (see the worker's writer).
pub fn sql(dataset: &str) -> String {
    format!(
        "SELECT blob1 AS provider, blob2 AS outcome, \
         sumIf(_sample_interval, timestamp > NOW() - INTERVAL '1' HOUR) AS last_hour, \
         SUM(_sample_interval) AS last_day, MAX(timestamp) AS last_at \
         FROM {dataset} WHERE timestamp > NOW() - INTERVAL '1' DAY \
         GROUP BY provider, outcome FORMAT JSON"
    )
}

/// The webhooks this isolate handled, counted per minute, for the last day.
#[derive(Debug, Default)]
pub struct IsolateCounts {
    /// (route, label) → (minute, count), oldest first, at most a day of minutes.
    buckets: BTreeMap<(String, String), VecDeque<(u64, u64)>>,
    /// route → when its newest accepted webhook arrived (ms).
    last_accepted_ms: BTreeMap<String, u64>,
}

impl IsolateCounts {
    pub fn record(&mut self, route: &str, label: &str, now_ms: u64) {
        let minute = now_ms / MINUTE_MS;
        let q = self
            .buckets
            .entry((route.to_owned(), label.to_owned()))
            .or_default();
        match q.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => q.push_back((minute, 1)),
        }
        while q.front().is_some_and(|(m, _)| m + DAY_MINUTES <= minute) {
            q.pop_front();
        }
        if ACCEPTED.contains(&label) {
            let last = self.last_accepted_ms.entry(route.to_owned()).or_default();
            *last = (*last).max(now_ms);
        }
    }

    /// The counts at `now_ms`: the last hour is the last 60 minute buckets (this one included),
    /// the last day the last 1 440.
    pub fn traffic<'a>(&self, routes: impl IntoIterator<Item = &'a str>, now_ms: u64) -> Traffic {
        let minute = now_ms / MINUTE_MS;
        let mut t = Traffic::with_routes(routes);
        for ((route, label), q) in &self.buckets {
            let within = |span: u64| {
                q.iter()
                    .filter(|(m, _)| m + span > minute && *m <= minute)
                    .map(|(_, n)| n)
                    .sum::<u64>()
            };
            let last = self
                .last_accepted_ms
                .get(route)
                .copied()
                .filter(|ms| ms / MINUTE_MS + DAY_MINUTES > minute);
            t.add(
                route,
                label,
                within(HOUR_MINUTES),
                within(DAY_MINUTES),
                last,
            );
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_764_000_000_000; // 2025-11-24T16:00:00Z, a minute boundary

    #[test]
    fn labels_say_accepted_rejected_or_failed() {
        assert_eq!(label("applied", 200), "applied");
        assert_eq!(label("unauthorized", 401), "rejected:unauthorized");
        assert_eq!(label("not_configured", 403), "rejected:not_configured");
        assert_eq!(label("unavailable", 503), "failed:unavailable");
        for l in ["applied", "rejected:invalid_json", "failed:unavailable"] {
            assert!(is_label(l), "{l}");
        }
        for l in ["", "rejected:", "Applied", "x y", "rejected:<script>"] {
            assert!(!is_label(l), "{l}");
        }
    }

    #[test]
    fn isolate_counts_cover_the_last_hour_and_day_and_forget_older_minutes() {
        let mut c = IsolateCounts::default();
        c.record("mux", "applied", T0 - 2 * 3_600_000); // 2 h ago: day only
        c.record("mux", "applied", T0 - 59 * MINUTE_MS); // within the hour
        c.record("mux", "applied", T0);
        c.record("mux", "rejected:unauthorized", T0 + 1);
        c.record("mux", "rejected:unauthorized", T0 + 2);
        c.record("gcore", "rejected:forbidden", T0 - 25 * 3_600_000); // over a day ago
        let t = c.traffic(["mux", "gcore", "ivs"], T0 + 3);
        let mux = &t.providers["mux"];
        assert_eq!(mux.last_hour["applied"], 2);
        assert_eq!(mux.last_day["applied"], 3);
        assert_eq!(mux.last_hour["rejected:unauthorized"], 2);
        assert_eq!(
            mux.last_accepted_at.as_deref(),
            Some("2025-11-24T16:00:00Z"),
            "a rejection is not an accepted webhook"
        );
        assert_eq!(t.providers["gcore"], ProviderTraffic::default());
        assert_eq!(t.providers["ivs"], ProviderTraffic::default());
        // An hour later the newest minute has left the hour but not the day.
        let later = c.traffic(["mux"], T0 + 3_600_000);
        assert!(!later.providers["mux"].last_hour.contains_key("applied"));
        assert_eq!(later.providers["mux"].last_day["applied"], 3);
        // Old minutes are dropped as new ones come: at most a day of buckets per label.
        for i in 0..3000 {
            c.record("mux", "applied", T0 + i * MINUTE_MS);
        }
        assert!(c.buckets[&("mux".into(), "applied".into())].len() <= DAY_MINUTES as usize);
    }

    #[test]
    fn sql_answers_are_read_with_numbers_or_strings_and_unknown_names_dropped() {
        let body = r#"{"meta":[],"data":[
            {"provider":"mux","outcome":"applied","last_hour":"3","last_day":"10","last_at":"2026-11-24 00:56:24"},
            {"provider":"mux","outcome":"rejected:unauthorized","last_hour":0,"last_day":2.0,"last_at":"2026-11-24 01:00:00"},
            {"provider":"nobody","outcome":"applied","last_hour":1,"last_day":1,"last_at":"2026-11-24 00:00:00"},
            {"provider":"gcore","outcome":"<b>x</b>","last_hour":1,"last_day":1,"last_at":"2026-11-24 00:00:00"}
        ],"rows":4}"#;
        let t = Traffic::from_sql_answer(body, ["mux", "gcore"]).unwrap();
        let mux = &t.providers["mux"];
        assert_eq!(mux.last_hour.get("applied"), Some(&3));
        assert_eq!(mux.last_day.get("applied"), Some(&10));
        assert_eq!(mux.last_day.get("rejected:unauthorized"), Some(&2));
        assert!(!mux.last_hour.contains_key("rejected:unauthorized"));
        assert_eq!(
            mux.last_accepted_at.as_deref(),
            Some("2026-11-24T00:56:24Z")
        );
        assert_eq!(t.providers.len(), 2);
        assert_eq!(t.providers["gcore"], ProviderTraffic::default());
        assert!(Traffic::from_sql_answer("{}", ["mux"]).is_err());
        assert!(Traffic::from_sql_answer("nope", ["mux"]).is_err());
    }

    #[test]
    fn the_query_counts_the_hour_and_the_day_from_the_dataset() {
        let q = sql(DATASET);
        assert!(q.contains("FROM livehook_webhooks"));
        assert!(q.contains("INTERVAL '1' HOUR") && q.contains("INTERVAL '1' DAY"));
        assert!(q.contains("_sample_interval") && q.ends_with("FORMAT JSON"));
    }
}
