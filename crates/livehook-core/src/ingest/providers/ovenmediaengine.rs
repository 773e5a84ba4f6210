//! OvenMediaEngine `AdmissionWebhooks`: `POST /webhooks/ovenmediaengine`, signed
//! `X-OME-Signature` = base64url without padding of HMAC-SHA1(`OME_WEBHOOK_SECRET`, raw body);
//! a JSON body `{client: {…}, request: {direction, protocol, status, time, url, new_url?}}`
//! (tests/fixtures/ovenmediaengine/SOURCES.md).
//!
//! - `incoming` (a publisher) `opening` → `live`, `closing` → `disconnected`; `outgoing` (a
//!   player) is acknowledged and ignored, without a history entry.
//! - The stream id is the path of `request.url` (`app/stream`), without its query string, which
//!   may carry the publisher's token.
//! - `request.time` is the server's local time with its offset (`+09:00`): compared as an
//!   instant, it orders the stream's events ([`TimeSource::Provider`]).
//! - The answer is what OvenMediaEngine needs: `{"allowed":true}` to an opening (it refuses the
//!   publish or play otherwise), `{}` to a closing. OvenMediaEngine waits at most 3 s for an
//!   opening's answer and 500 ms for a closing's, and never retries: the event is stored after
//!   the answer ([`Provider::answers_first`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;

use super::json::{from_json, Text};
use super::shape::{provider_time, Inbound, ParseError, Parsed, Provider, Reply};
use crate::ingest::auth::{AuthError, Secret};
use crate::ingest::event::{Event, Kind, ProviderId, State, StreamKey, TimeSource};
use crate::ingest::settings::{Setting, Settings};
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("ovenmediaengine");
pub const SECRET: &str = "OME_WEBHOOK_SECRET";
const HEADER: &str = "X-OME-Signature";

/// OvenMediaEngine admission webhooks: `POST /webhooks/ovenmediaengine`.
pub static OVENMEDIAENGINE: Provider = Provider {
    id: ID,
    route: "ovenmediaengine",
    title: "OvenMediaEngine",
    token_in_path: false,
    settings: &[Setting::required(SECRET)],
    auth_headers: None,
    auth_body: Some(authenticate),
    probe: None,
    check_settings: None,
    parse,
    reply: Some(reply),
    answers_first: true,
};

fn authenticate(s: &Settings, req: &Inbound<'_>, body: &[u8]) -> Result<(), AuthError> {
    verify(s.get(SECRET), (req.header)(HEADER).as_deref(), body)
}

/// Checks `X-OME-Signature` over the raw body (constant-time).
pub fn verify(secret: Option<&Secret>, header: Option<&str>, body: &[u8]) -> Result<(), AuthError> {
    let secret = secret.ok_or(AuthError::NotConfigured(SECRET))?;
    let header = header.ok_or(AuthError::Missing("X-OME-Signature header"))?;
    let invalid = AuthError::Invalid("X-OME-Signature header");
    let sig = URL_SAFE_NO_PAD
        .decode(header.trim())
        .map_err(|_| invalid.clone())?;
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.expose().as_bytes())
        .map_err(|_| invalid.clone())?;
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| invalid)
}

/// An `X-OME-Signature` (tests use it).
pub fn sign(secret: &str, body: &[u8]) -> Option<String> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(body);
    Some(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// `{}` to a closing, `{"allowed":true}` to everything else (an opening, a player's call).
fn reply(parsed: &Parsed) -> Reply {
    match parsed {
        Parsed::Event(e) if e.state == State::Disconnected => Reply::Json("{}"),
        Parsed::Ignored {
            event_type: Some(t),
            ..
        } if t.ends_with(".closing") => Reply::Json("{}"),
        _ => Reply::Json(r#"{"allowed":true}"#),
    }
}

#[derive(Deserialize)]
struct Admission<'a> {
    #[serde(borrow)]
    request: Request<'a>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    direction: Text<'a>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(borrow)]
    time: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
}

/// The path of a URL (`rtmp://host:1935/app/stream?token=…` → `app/stream`), without its query
/// or fragment.
fn url_path(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let path = &rest[rest.find('/')? + 1..];
    let end = path.find(['?', '#']).unwrap_or(path.len());
    Some(path[..end].trim_end_matches('/'))
}

fn parse(body: &[u8], _received_at: Nanos) -> Result<Parsed, ParseError> {
    let a: Admission = from_json(ID, body)?;
    let r = a.request;
    let event_type = [&*r.direction, ".", &r.status].concat();
    let state = match (&*r.direction, &*r.status) {
        ("incoming", "opening") => State::Live,
        ("incoming", "closing") => State::Disconnected,
        _ => {
            return Ok(Parsed::ignored(
                event_type,
                "an OvenMediaEngine admission livehook does not track (a player)",
                None,
            ))
        }
    };
    let stream = url_path(&r.url)
        .and_then(|path| StreamKey::new(ID, Kind::LiveInput, path))
        .ok_or(ParseError::InvalidId {
            field: "request.url",
        })?;
    let occurred_at = provider_time(&r.time, "request.time")?;
    // `{direction.status}|{stream}|{time}`: a repeated call is a duplicate.
    let event_id = [&event_type, "|", &stream.id, "|", &r.time].concat();
    Ok(Parsed::Event(Box::new(Event::state_change(
        stream,
        state,
        event_type,
        event_id,
        occurred_at,
        TimeSource::Provider,
    ))))
}

#[cfg(test)]
mod tests {
    use super::super::shape::parse as parse_any;
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;
    use crate::time::parse_rfc3339;

    const TEST_SECRET: &str = "livehook-ome-test-secret";

    #[test]
    fn the_signature_is_checked_as_ome_documents_it() {
        // From headers.jsonl (computed with node:crypto and Python's hmac).
        let body = fixture("ovenmediaengine", "incoming-closing.json");
        let s = secret(TEST_SECRET);
        assert_eq!(
            verify(s.as_ref(), Some("oE5leql1VCu-4Qb79eaT96Rfht0"), &body),
            Ok(())
        );
        assert_eq!(
            sign(TEST_SECRET, &body).as_deref(),
            Some("oE5leql1VCu-4Qb79eaT96Rfht0")
        );
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert!(verify(s.as_ref(), Some("oE5leql1VCu-4Qb79eaT96Rfht0"), &changed).is_err());
        assert!(
            verify(s.as_ref(), Some("oE5leql1VCu-4Qb79eaT96Rfht0="), &body).is_err(),
            "padded"
        );
        assert!(verify(s.as_ref(), None, &body).is_err());
        assert_eq!(
            verify(None, Some("x"), &body),
            Err(AuthError::NotConfigured(SECRET))
        );
    }

    #[test]
    fn an_opening_and_its_closing_normalize_at_their_instants() {
        let on = fixture_event(&OVENMEDIAENGINE, "incoming-opening.json", 0);
        assert_eq!(
            on.stream.to_string(),
            "ovenmediaengine:live_input:app/studio-a"
        );
        assert_eq!(
            (on.state, on.time_source),
            (State::Live, TimeSource::Provider)
        );
        assert_eq!(on.event_type, "incoming.opening");
        let off = fixture_event(&OVENMEDIAENGINE, "incoming-closing.json", 0);
        assert_eq!((off.state, &off.stream), (State::Disconnected, &on.stream));
        assert!(off.occurred_at > on.occurred_at);
        // +09:00 local time is the instant it names.
        let tokyo = fixture_event(&OVENMEDIAENGINE, "incoming-opening-token.json", 0);
        assert_eq!(
            Some(tokyo.occurred_at),
            parse_rfc3339("2026-08-24T09:20:05.007Z")
        );
    }

    #[test]
    fn the_id_is_the_url_path_without_its_query() {
        for (name, id) in [
            ("incoming-opening-token.json", "app/studio-b"),
            ("incoming-closing-token.json", "app/studio-b"),
            ("incoming-opening-whip.json", "app/studio-f"),
            ("incoming-opening-srt.json", "app/studio-e"),
        ] {
            let e = fixture_event(&OVENMEDIAENGINE, name, 0);
            assert_eq!(e.stream.id, id, "{name}");
            assert!(!format!("{e:?}").contains("SECRET-DO-NOT-LEAK"), "{name}");
        }
        assert_eq!(url_path("rtmp://h/app/s/"), Some("app/s"));
        assert_eq!(url_path("rtmp://h"), None);
    }

    #[test]
    fn each_call_gets_the_answer_ome_needs() {
        for (name, answer) in [
            ("incoming-opening.json", r#"{"allowed":true}"#),
            ("incoming-closing.json", "{}"),
            ("outgoing-opening.json", r#"{"allowed":true}"#),
            ("outgoing-closing.json", "{}"),
        ] {
            let parsed = parse_any(&OVENMEDIAENGINE, &fixture("ovenmediaengine", name), 0).unwrap();
            assert_eq!(
                OVENMEDIAENGINE.reply(&parsed),
                Reply::Json(answer),
                "{name}"
            );
        }
        let player = parse_any(
            &OVENMEDIAENGINE,
            &fixture("ovenmediaengine", "outgoing-opening.json"),
            0,
        );
        assert!(matches!(player, Ok(Parsed::Ignored { stream: None, .. })));
    }

    #[test]
    fn bad_bodies_are_refused() {
        let body = String::from_utf8(fixture("ovenmediaengine", "incoming-opening.json")).unwrap();
        for (bad, why) in [
            (
                body.replace("2026-08-24T09:15:02.481+00:00", "yesterday"),
                "a bad time",
            ),
            (
                body.replace(
                    "rtmp://ome.example.com:1935/app/studio-a",
                    "rtmp://ome.example.com",
                ),
                "no path",
            ),
            (body.replace("app/studio-a", "app/.x"), "a dot segment"),
            (r#"{"request":{}}"#.to_owned(), "no fields"),
        ] {
            assert!(
                parse_any(&OVENMEDIAENGINE, bad.as_bytes(), 0).is_err(),
                "{why}"
            );
        }
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("ovenmediaengine") {
            assert!(parse_any(&OVENMEDIAENGINE, &body, 0).is_ok(), "{name}");
        }
    }
}
