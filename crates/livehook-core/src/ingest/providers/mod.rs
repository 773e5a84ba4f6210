//! Every provider livehook speaks, behind one shape: a provider is one file here declaring one
//! [`Provider`] (its route name, the settings it reads, how it authenticates, how its payloads
//! become [`Event`]s) and one line in [`REGISTRY`]. The worker's routes, `/healthz` and the
//! configuration are derived from the registry: adding a provider touches no other file.
//!
//! The contract every provider keeps:
//! - bytes in, a closed result out: an [`Event`], `Ignored` (a known provider sent something we
//!   do not track: a 2xx so it never retries forever) or `Test` (a connectivity check);
//! - a payload that is not JSON, or JSON of the wrong shape, is a [`ParseError`] (a 400);
//! - credentials in payloads (stream keys, RTMP URLs) are never read: a provider's private wire
//!   structs name only the fields it needs ([`json`]), so they cannot be stored, logged or
//!   echoed;
//! - authentication fails closed: a setting it needs and does not have is
//!   [`AuthError::NotConfigured`].

pub mod cloudflare;
pub mod cloudflare_stream;
pub mod fastpix;
mod form;
pub mod gcore;
pub mod ivs;
pub(crate) mod json;
pub(crate) mod live_stream;
pub mod livepeer;
pub mod mediamtx;
pub mod mux;
pub mod nginx_rtmp;
pub mod ovenmediaengine;
pub mod shape;
pub mod srs;

pub use shape::{
    authenticate_body, authenticate_headers, missing_required, parse, Inbound, ParseError, Parsed,
    Provider, Reply, MAX_ERROR_CODE, MAX_ERROR_MESSAGE, MAX_EVENT_ID, MAX_NAME,
};

use super::event::ProviderId;

/// Every provider, one line each. Order is the order of `/healthz`.
pub static REGISTRY: &[&Provider] = &[
    &cloudflare::CLOUDFLARE,
    &cloudflare_stream::CLOUDFLARE_STREAM,
    &fastpix::FASTPIX,
    &gcore::GCORE,
    &ivs::IVS,
    &livepeer::LIVEPEER,
    &mux::MUX,
    &srs::SRS,
    &nginx_rtmp::NGINX_RTMP,
    &mediamtx::MEDIAMTX,
    &ovenmediaengine::OVENMEDIAENGINE,
];

/// The registered provider whose records carry the name `name` (a path segment of
/// `/streams/{provider}/…`, a query parameter); the first, where two routes share it.
pub fn find(name: &str) -> Option<&'static Provider> {
    REGISTRY.iter().copied().find(|p| p.id().as_str() == name)
}

/// The provider behind `/webhooks/{route}`.
pub fn by_route(route: &str) -> Option<&'static Provider> {
    REGISTRY.iter().copied().find(|p| p.route() == route)
}

/// The registered provider with this id.
pub fn get(id: ProviderId) -> Option<&'static Provider> {
    REGISTRY.iter().copied().find(|p| p.id() == id)
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

    /// A configured secret.
    pub fn secret(s: &str) -> Option<crate::ingest::auth::Secret> {
        crate::ingest::auth::Secret::new(Some(s.to_owned()))
    }

    /// The event a fixture normalizes to (`received_at` where the provider sends no time).
    pub fn fixture_event(
        p: &super::Provider,
        name: &str,
        received_at: i64,
    ) -> crate::ingest::event::Event {
        let body = fixture(p.route(), name);
        match super::parse(p, &body, received_at) {
            Ok(super::Parsed::Event(e)) => *e,
            other => panic!("{name}: {other:?}"),
        }
    }

    /// Every fixture file of a provider, by name.
    pub fn fixtures(provider: &str) -> Vec<(String, Vec<u8>)> {
        let dir: PathBuf = [FIXTURES, provider].iter().collect();
        let mut out: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.ends_with(".json") || name.ends_with(".invalid")
            })
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
    use crate::ingest::auth::AuthError;
    use crate::ingest::event::Event;
    use crate::ingest::settings::Settings;

    #[test]
    fn every_registered_provider_has_a_well_formed_id_a_unique_route_and_a_title() {
        let mut seen = std::collections::HashSet::new();
        for p in REGISTRY {
            let id = p.id();
            assert_eq!(ProviderId::parse(id.as_str()), Some(id), "{id}");
            assert_eq!(
                ProviderId::parse(p.route()).map(|r| r.as_str().len()),
                Some(p.route().len())
            );
            assert!(seen.insert(p.route()), "{} registered twice", p.route());
            assert!(!p.title().is_empty());
            assert_eq!(find(id.as_str()).map(|f| f.id()), Some(id));
            assert_eq!(get(id).map(|f| f.id()), Some(id));
            assert_eq!(by_route(p.route()).map(|f| f.route()), Some(p.route()));
            assert!(
                p.settings().iter().any(|s| s.required),
                "{id} needs a credential"
            );
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

    /// What a sender holding `secret` sends `p` with `body` at `now_s`: headers, path token.
    fn credentials(
        p: &Provider,
        secret: &str,
        body: &[u8],
        now_s: u64,
    ) -> (Vec<(&'static str, String)>, Option<String>) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let header =
            |name: &'static str, value: Option<String>| (vec![(name, value.expect("signs"))], None);
        match p.route() {
            "cloudflare" => header("cf-webhook-auth", Some(secret.into())),
            "fastpix" => header(
                "FastPix-Signature",
                fastpix::sign(&b64.decode(secret).expect("base64"), body),
            ),
            "gcore" => (
                vec![("CF-Connecting-IP", "92.223.123.10".into())],
                Some(secret.into()),
            ),
            "ivs" => header("x-api-key", Some(secret.into())),
            "srs" | "mediamtx" | "nginx-rtmp" => (Vec::new(), Some(secret.into())),
            "ovenmediaengine" => header("X-OME-Signature", ovenmediaengine::sign(secret, body)),
            "cloudflare-stream" => header(
                "Webhook-Signature",
                cloudflare_stream::sign(secret, now_s, body),
            ),
            "mux" => header("Mux-Signature", mux::sign(secret, now_s, body)),
            "livepeer" => header(
                "Livepeer-Signature",
                livepeer::sign(secret, now_s * 1000, body),
            ),
            other => panic!("{other}: say here how its sender authenticates"),
        }
    }

    /// Headers and then body checks, with rotation, as the worker runs them.
    fn accepts(p: &Provider, settings: &Settings, secret: &str) -> Result<(), AuthError> {
        let now_s = 1_732_352_400;
        let body = format!(r#"{{"timestamp":{}}}"#, now_s * 1000);
        let (headers, token) = credentials(p, secret, body.as_bytes(), now_s);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let req = Inbound {
            header: &header,
            path_token: token.as_deref(),
            now_s,
        };
        authenticate_headers(p, settings, &req)?;
        authenticate_body(p, settings, &req, body.as_bytes())
    }

    #[test]
    fn every_credential_rotates_without_downtime() {
        // Base64, because FastPix's secrets are.
        const OLD: &str = "b2xkLXNlY3JldA==";
        const NEW: &str = "bmV3LXNlY3JldA==";
        const OTHER: &str = "b3RoZXItc2VjcmV0";
        for &p in REGISTRY {
            let name = p
                .settings()
                .iter()
                .find(|s| s.required)
                .expect("a credential")
                .name;
            let next = crate::ingest::settings::next_name(name);
            let read = |with_next: bool| {
                Settings::read(p.settings(), &|n: &str| match n {
                    _ if n == name => Some(OLD.to_owned()),
                    _ if with_next && n == next => Some(NEW.to_owned()),
                    _ => None,
                })
            };
            let (before, during) = (read(false), read(true));
            let id = p.route();
            assert_eq!(accepts(p, &before, OLD), Ok(()), "{id}: the current value");
            assert!(accepts(p, &before, NEW).is_err(), "{id}: no next value yet");
            assert_eq!(
                accepts(p, &during, OLD),
                Ok(()),
                "{id}: old during rotation"
            );
            assert_eq!(
                accepts(p, &during, NEW),
                Ok(()),
                "{id}: new during rotation"
            );
            let refused = accepts(p, &during, OTHER);
            assert!(
                matches!(refused, Err(AuthError::Invalid(_))),
                "{id}: any other value: {refused:?}"
            );
            assert_eq!(during.rotating(), [name], "{id}");
        }
    }

    #[test]
    fn empty_and_whitespace_bodies_are_refused_for_every_provider() {
        for &p in REGISTRY {
            assert_eq!(parse(p, b"", 0), Err(ParseError::Empty));
            assert_eq!(parse(p, b" \n\t", 0), Err(ParseError::Empty));
        }
    }

    /// The providers whose bodies are JSON (nginx-rtmp's are forms: `nginx_rtmp.rs` tests its
    /// errors).
    fn json_providers() -> impl Iterator<Item = &'static Provider> {
        REGISTRY
            .iter()
            .copied()
            .filter(|p| p.id() != nginx_rtmp::ID)
    }

    #[test]
    fn syntax_errors_report_a_position_only() {
        for p in json_providers() {
            let err = parse(p, b"{\"a\": \"secret-value\",}", 0).unwrap_err();
            assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err:?}");
            assert!(!err.to_string().contains("secret-value"));
        }
    }

    #[test]
    fn shape_errors_never_quote_payload_values() {
        for p in json_providers() {
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
        for p in json_providers() {
            for body in [
                &b"\"rmissing fieldeg cie\""[..], // what the fuzzer found (fuzz/regressions/)
                br#"{"type":"x","action":17,"event":17,"request":17,"data":"missing field `x` secret-value","message":"missing field `x` secret-value","status":"missing field `x` secret-value","detail":"missing field `x` secret-value","payload":"missing field `x` secret-value"}"#,
            ] {
                let err = parse(p, body, 0).unwrap_err();
                let msg = err.to_string();
                assert!(msg.contains("wrong type or value at line 1"), "{p:?} {msg}");
                assert!(!msg.contains("secret-value") && !msg.contains("cie"), "{msg}");
            }
        }
    }

    fn event(provider: &Provider, body: &[u8]) -> Event {
        match parse(provider, body, 0) {
            Ok(Parsed::Event(e)) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_event_ids_and_errors_are_kept_as_sent() {
        for &p in REGISTRY {
            for (name, body) in test_support::fixtures(p.route()) {
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
        let e = event(&cloudflare::CLOUDFLARE, cf.as_bytes());
        let err = e.error.as_ref().unwrap();
        assert_eq!(err.code.chars().count(), MAX_ERROR_CODE);
        assert_eq!(err.message.chars().count(), MAX_ERROR_MESSAGE);
        assert_eq!(e.event_id.len(), "sha256:".len() + 64);
        let fp = format!(
            r#"{{"type":"video.live_stream.active","webhookId":"{huge}","data":{{"streamId":"s1"}},"created_at":"2026-11-01T00:00:00Z"}}"#
        );
        let other = event(&fastpix::FASTPIX, fp.as_bytes());
        assert!(other.event_id.len() <= MAX_EVENT_ID);
        // Distinct long ids stay distinct.
        let fp2 = fp.replacen("é", "e", 1);
        assert_ne!(
            event(&fastpix::FASTPIX, fp2.as_bytes()).event_id,
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
