//! Every provider livehook speaks, behind one shape: a provider is one file here implementing
//! [`Provider`] (its route name, the settings it reads, how it authenticates, how its payloads
//! become [`Event`]s) and one line in [`REGISTRY`]. The worker's routes, `/healthz` and the
//! configuration are derived from the registry: adding a provider touches no other file.
//!
//! The contract every provider keeps:
//! - bytes in, a closed result out: an [`Event`], `Ignored` (a known provider sent something we
//!   do not track: a 2xx so it never retries forever) or `Test` (a connectivity check);
//! - a payload that is not JSON, or JSON of the wrong shape, is a [`ParseError`] (a 400);
//! - credentials in payloads (stream keys, RTMP URLs) are never read into any struct, so they
//!   cannot be stored, logged or echoed;
//! - authentication fails closed: a setting it needs and does not have is
//!   [`AuthError::NotConfigured`].

pub mod cloudflare;
pub mod fastpix;
pub mod gcore;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::auth::AuthError;
use super::event::{Event, Kind, ProviderId, StreamKey};
use super::settings::{Setting, Settings};
use crate::text::{hex, truncate};
use crate::time::{parse_rfc3339, Nanos};

/// Every provider, one line each. Order is the order of `/healthz`.
pub static REGISTRY: &[&dyn Provider] = &[
    &cloudflare::Cloudflare,
    &fastpix::Fastpix,
    &gcore::Gcore,
];

/// The registered provider named `name` (a route segment, a query parameter).
pub fn find(name: &str) -> Option<&'static dyn Provider> {
    REGISTRY.iter().copied().find(|p| p.id().as_str() == name)
}

/// The registered provider with this id.
pub fn get(id: ProviderId) -> Option<&'static dyn Provider> {
    REGISTRY.iter().copied().find(|p| p.id() == id)
}

/// What a provider's authentication sees of a webhook request.
pub struct Inbound<'a> {
    /// A request header by name (case-insensitive), as the runtime gives it.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The last path segment, for providers whose route carries a token
    /// ([`Provider::token_in_path`]).
    pub path_token: Option<&'a str>,
    /// Seconds since the epoch, for schemes with a signed timestamp.
    pub now_s: u64,
}

/// One provider: everything livehook knows about it, in one file.
pub trait Provider: Sync {
    /// The route segment (`/webhooks/{id}`) and the name records carry.
    fn id(&self) -> ProviderId;

    /// How people call it, for notifications ("Cloudflare Stream").
    fn title(&self) -> &'static str;

    /// The route is `/webhooks/{id}/{token}` rather than `/webhooks/{id}`.
    fn token_in_path(&self) -> bool {
        false
    }

    /// The environment names it reads.
    fn settings(&self) -> &'static [Setting];

    /// `Ok(details)` if its settings let it authenticate webhooks, else why not (no value is
    /// ever quoted). The default checks that every required setting is set.
    fn health(&self, settings: &Settings) -> Result<Map<String, Value>, String> {
        missing_required(self.settings(), settings)?;
        Ok(Map::new())
    }

    /// Checks that need only the headers and path; run before the body is read, so an
    /// unauthenticated sender's body is never buffered where the scheme allows.
    fn authenticate_headers(&self, settings: &Settings, req: &Inbound<'_>)
        -> Result<(), AuthError>;

    /// Checks over the raw body (signatures); run after [`Provider::authenticate_headers`].
    fn authenticate_body(
        &self,
        settings: &Settings,
        req: &Inbound<'_>,
        body: &[u8],
    ) -> Result<(), AuthError>;

    /// The payload as events. `received_at` stands in where the provider sends no time.
    fn parse(&self, body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError>;
}

impl std::fmt::Debug for dyn Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provider({})", self.id())
    }
}

/// `Err("X is not set")` for the first required setting that is not set.
pub fn missing_required(declared: &[Setting], settings: &Settings) -> Result<(), String> {
    match declared.iter().find(|s| s.required && !settings.is_set(s.name)) {
        Some(s) => Err(format!("{} is not set", s.name)),
        None => Ok(()),
    }
}

/// What a webhook body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Event(Box<Event>),
    /// A known provider's message we do not track (unknown event type, other alert type).
    Ignored {
        event_type: Option<String>,
        reason: &'static str,
    },
    /// The provider's "is this URL alive" message (Cloudflare's Save and Test).
    Test,
}

/// Why a body was refused. Messages never contain payload values, only field names and
/// positions, so they are safe to return and to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty body")]
    Empty,
    #[error("body is not valid JSON (line {line}, column {column})")]
    Json { line: usize, column: usize },
    #[error("JSON does not match the {provider} payload: {detail}")]
    Shape { provider: ProviderId, detail: String },
    #[error("{field} is not a valid stream id (1-255 chars of A-Z a-z 0-9 . _ ~ : -)")]
    InvalidId { field: &'static str },
    #[error("{field} is not an RFC 3339 time")]
    InvalidTime { field: &'static str },
}

/// Parses and normalizes one webhook body with `provider`: refuses empty bodies, then bounds
/// what the event may make a stream keep. `received_at` is used where the provider sends no
/// event time.
pub fn parse(provider: &dyn Provider, body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    Ok(match provider.parse(body, received_at)? {
        Parsed::Event(mut event) => {
            bound(&mut event);
            Parsed::Event(event)
        }
        other => other,
    })
}

/// Longest event id kept as sent; longer ones are replaced by their SHA-256 (still unique).
pub const MAX_EVENT_ID: usize = 256;
/// Longest error code and message kept (characters); longer ones are cut.
pub const MAX_ERROR_CODE: usize = 64;
pub const MAX_ERROR_MESSAGE: usize = 1024;

/// Caps the provider-chosen strings a stream keeps: its object remembers 64 event ids and the
/// last error, and must stay far below a Durable Object's value limit whatever a payload holds.
fn bound(event: &mut Event) {
    if event.event_id.len() > MAX_EVENT_ID {
        let digest = Sha256::digest(event.event_id.as_bytes());
        event.event_id = format!("sha256:{}", hex(&digest));
    }
    if let Some(err) = event.error.as_mut() {
        err.code = truncate(&err.code, MAX_ERROR_CODE);
        err.message = truncate(&err.message, MAX_ERROR_MESSAGE);
    }
}

/// `serde_json::from_slice` with errors that never echo payload values.
pub(crate) fn from_json<T: DeserializeOwned>(
    provider: ProviderId,
    body: &[u8],
) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => {
                let msg = e.to_string();
                // "missing field `x`" names a field, never a value: safe to pass on. Other data
                // errors ("invalid type: string \"…\"") quote the payload, so only the position
                // is kept. Only a message that starts with the words is serde's: a quoted value
                // may contain them too (found by fuzzing, fuzz/regressions/).
                let detail = if msg.starts_with("missing field `") {
                    msg.split(" at line")
                        .next()
                        .unwrap_or("missing field")
                        .to_owned()
                } else {
                    format!("wrong type or value at line {line}, column {column}")
                };
                ParseError::Shape { provider, detail }
            }
            _ => ParseError::Json { line, column },
        }
    })
}

pub(crate) fn stream_key(
    provider: ProviderId,
    kind: Kind,
    id: &str,
    field: &'static str,
) -> Result<StreamKey, ParseError> {
    StreamKey::new(provider, kind, id).ok_or(ParseError::InvalidId { field })
}

pub(crate) fn provider_time(value: &str, field: &'static str) -> Result<Nanos, ParseError> {
    parse_rfc3339(value).ok_or(ParseError::InvalidTime { field })
}

/// An id that a provider sends as a JSON number or a string (Gcore uses numbers).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawId {
    Num(u64),
    Str(String),
}

impl RawId {
    pub(crate) fn into_string(self) -> String {
        match self {
            RawId::Num(n) => n.to_string(),
            RawId::Str(s) => s,
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    /// The project's `tests/fixtures/`: the same files the JS tests load.
    pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

    /// Reads `tests/fixtures/{provider}/{name}`.
    pub fn fixture(provider: &str, name: &str) -> Vec<u8> {
        let path: PathBuf = [FIXTURES, provider, name].iter().collect();
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every fixture file of a provider, by name.
    pub fn fixtures(provider: &str) -> Vec<(String, Vec<u8>)> {
        let dir: PathBuf = [FIXTURES, provider].iter().collect();
        let mut out: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read(e.path()).unwrap())
            })
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_provider_has_a_well_formed_unique_id_and_a_title() {
        let mut seen = std::collections::HashSet::new();
        for p in REGISTRY {
            let id = p.id();
            assert_eq!(ProviderId::parse(id.as_str()), Some(id), "{id}");
            assert!(seen.insert(id), "{id} registered twice");
            assert!(!p.title().is_empty());
            assert_eq!(find(id.as_str()).map(|f| f.id()), Some(id));
            assert_eq!(get(id).map(|f| f.id()), Some(id));
            assert!(p.settings().iter().any(|s| s.required), "{id} needs a credential");
        }
        assert!(find("nope").is_none());
    }

    #[test]
    fn without_settings_no_provider_authenticates_anything() {
        let none = Settings::default();
        let header = |_: &str| Some("anything".to_owned());
        let req = Inbound {
            header: &header,
            path_token: Some("anything"),
            now_s: 1_700_000_000,
        };
        for p in REGISTRY {
            let headers = p.authenticate_headers(&none, &req);
            let body = p.authenticate_body(&none, &req, b"{}");
            assert!(
                matches!(headers, Err(AuthError::NotConfigured(_)))
                    || matches!(body, Err(AuthError::NotConfigured(_))),
                "{}: {headers:?} {body:?}",
                p.id()
            );
            assert!(p.health(&none).is_err());
        }
    }

    #[test]
    fn empty_and_whitespace_bodies_are_refused_for_every_provider() {
        for &p in REGISTRY {
            assert_eq!(parse(p, b"", 0), Err(ParseError::Empty));
            assert_eq!(parse(p, b" \n\t", 0), Err(ParseError::Empty));
        }
    }

    #[test]
    fn syntax_errors_report_a_position_only() {
        for &p in REGISTRY {
            let err = parse(p, b"{\"a\": \"secret-value\",}", 0).unwrap_err();
            assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err:?}");
            assert!(!err.to_string().contains("secret-value"));
        }
    }

    #[test]
    fn shape_errors_never_quote_payload_values() {
        for &p in REGISTRY {
            for body in [
                &b"[1,2,3]"[..],
                b"\"just a string\"",
                b"42",
                b"{\"type\": 17, \"data\": \"secret-value\", \"message\": \"secret-value\"}",
            ] {
                let err = parse(p, body, 0).unwrap_err();
                assert!(matches!(err, ParseError::Shape { .. }), "{p:?} {err:?}");
                assert!(!err.to_string().contains("secret-value"), "{err}");
            }
        }
    }

    #[test]
    fn a_value_that_reads_like_a_missing_field_error_is_not_quoted() {
        for &p in REGISTRY {
            for body in [
                &b"\"rmissing fieldeg cie\""[..], // what the fuzzer found (fuzz/regressions/)
                br#"{"type":"x","data":"missing field `x` secret-value","message":"missing field `x` secret-value"}"#,
            ] {
                let err = parse(p, body, 0).unwrap_err();
                let msg = err.to_string();
                assert!(msg.contains("wrong type or value at line 1"), "{p:?} {msg}");
                assert!(!msg.contains("secret-value") && !msg.contains("cie"), "{msg}");
            }
        }
    }

    fn event(provider: &dyn Provider, body: &[u8]) -> Event {
        match parse(provider, body, 0) {
            Ok(Parsed::Event(e)) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_event_ids_and_errors_are_kept_as_sent() {
        for &p in REGISTRY {
            for (name, body) in test_support::fixtures(p.id().as_str()) {
                if let Ok(Parsed::Event(e)) = parse(p, &body, 0) {
                    assert!(!e.event_id.starts_with("sha256:"), "{name}");
                    assert!(e.error.iter().all(|err| !err.message.ends_with('…')));
                }
            }
        }
    }

    #[test]
    fn oversized_provider_strings_are_bounded_so_a_stream_state_stays_small() {
        // An authenticated payload may still carry 60 KB in an error code, message or webhook id.
        let huge = "é".repeat(30_000);
        let cf = format!(
            r#"{{"data":{{"input_id":"abc","event_type":"live_input.errored","updated_at":"2026-11-01T00:00:00Z","live_input_errored":{{"error":{{"code":"{huge}","message":"{huge}"}}}}}}}}"#
        );
        let e = event(&cloudflare::Cloudflare, cf.as_bytes());
        let err = e.error.as_ref().unwrap();
        assert_eq!(err.code.chars().count(), MAX_ERROR_CODE);
        assert_eq!(err.message.chars().count(), MAX_ERROR_MESSAGE);
        assert_eq!(e.event_id.len(), "sha256:".len() + 64);
        let fp = format!(
            r#"{{"type":"video.live_stream.active","webhookId":"{huge}","data":{{"streamId":"s1"}},"created_at":"2026-11-01T00:00:00Z"}}"#
        );
        let other = event(&fastpix::Fastpix, fp.as_bytes());
        assert!(other.event_id.len() <= MAX_EVENT_ID);
        // Distinct long ids stay distinct.
        let fp2 = fp.replacen("é", "e", 1);
        assert_ne!(
            event(&fastpix::Fastpix, fp2.as_bytes()).event_id,
            other.event_id
        );

        // 150 such events while the alert hub is unreachable: 100 alerts wait in the outbox, the
        // rest are deferred (retried by the provider), and the state stays far below the 2 MB a
        // Durable Object value may hold.
        let mut st = crate::ordering::StreamLedger::default();
        let mut deferred = 0;
        for i in 0..150u64 {
            let mut e = e.clone();
            e.occurred_at = i as i64 * 1_000_000_000;
            e.event_id = format!("{}{i}", e.event_id);
            let applied = st.apply(&e, 0, &[]);
            deferred += usize::from(applied.outcome == crate::ordering::Outcome::Deferred);
        }
        assert_eq!(st.outbox.len(), crate::ordering::MAX_OUTBOX);
        assert_eq!(deferred, 50);
        let size = serde_json::to_string(&st).unwrap().len();
        assert!(size < 512 * 1024, "{size} bytes");
    }
}
