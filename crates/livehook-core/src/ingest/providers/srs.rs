//! SRS (Simple Realtime Server) `http_hooks`: `POST /webhooks/srs/{token}`, a JSON body
//! `{action, client_id, vhost, app, stream, …}` per call (tests/fixtures/srs/SOURCES.md).
//!
//! - `on_publish` → `live`, `on_unpublish` → `disconnected`; `on_connect`, `on_close`, `on_play`,
//!   `on_stop`, `on_dvr`, `on_hls` (and any other action) are acknowledged and ignored, with no
//!   history entry (players and segments would bury the stream's own changes).
//! - The stream id is `{app}/{stream}`, or `{vhost}/{app}/{stream}` on a vhost other than
//!   `__defaultVhost__`.
//! - SRS signs nothing, stamps no time and never retries: the URL carries a token, the event
//!   time is the receipt time and arrival order decides ([`TimeSource::Receipt`]). The
//!   publishing client (`client_id`, a string, or a number before SRS 4) is the event's
//!   publisher: an `on_unpublish` of an older session is stale.
//! - Every accepted call is answered `{"code":0}`: SRS refuses the publish (or play) on any other
//!   answer.
//! - `param` and `tcUrl` may carry the publisher's token: they are never read.

use serde::Deserialize;

use super::json::{from_json, Text};
use super::shape::{media_server_event, path_token, ParseError, Parsed, Provider, Reply};
use crate::ingest::event::{Kind, ProviderId, State, StreamKey};
use crate::ingest::settings::Setting;
use crate::text::Decimal;
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("srs");
pub const TOKEN: &str = "SRS_WEBHOOK_TOKEN";
/// The vhost SRS names when the client named none configured: left out of stream ids.
const DEFAULT_VHOST: &str = "__defaultVhost__";

/// SRS `http_hooks`: `POST /webhooks/srs/{token}`.
pub static SRS: Provider = Provider {
    id: ID,
    route: "srs",
    title: "SRS",
    token_in_path: true,
    settings: &[Setting::required(TOKEN)],
    auth_headers: Some(|s, req| path_token(s, TOKEN, req)),
    auth_body: None,
    probe: None,
    check_settings: None,
    parse,
    reply: Some(|_| Reply::Json(r#"{"code":0}"#)),
    answers_first: true,
};

/// What livehook reads of a call.
#[derive(Deserialize)]
struct Call<'a> {
    #[serde(borrow)]
    action: Text<'a>,
    #[serde(default, borrow)]
    client_id: Option<ClientId<'a>>,
    #[serde(default, borrow)]
    vhost: Option<Text<'a>>,
    #[serde(default, borrow)]
    app: Option<Text<'a>>,
    #[serde(default, borrow)]
    stream: Option<Text<'a>>,
}

/// SRS 4 and later send the client id as a string, SRS 3 as a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum ClientId<'a> {
    Num(u64),
    Text(#[serde(borrow)] Text<'a>),
}

impl ClientId<'_> {
    fn text(&self) -> String {
        match self {
            ClientId::Num(n) => Decimal::unsigned(*n).to_string(),
            ClientId::Text(t) => t.to_string(),
        }
    }
}

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let call: Call = from_json(ID, body)?;
    let state = match &*call.action {
        "on_publish" => State::Live,
        "on_unpublish" => State::Disconnected,
        other => {
            return Ok(Parsed::ignored(
                other,
                "an SRS hook livehook does not track",
                None,
            ))
        }
    };
    let field = |v: Option<Text<'_>>, name: &str| {
        v.map(Text::into_owned)
            .ok_or_else(|| ParseError::missing(ID, name))
    };
    let app = field(call.app, "app")?;
    let name = field(call.stream, "stream")?;
    let id = match call.vhost.as_deref() {
        None | Some(DEFAULT_VHOST) => [app.as_str(), "/", &name].concat(),
        Some(vhost) => [vhost, "/", &app, "/", &name].concat(),
    };
    let stream = StreamKey::new(ID, Kind::LiveInput, &id).ok_or(ParseError::InvalidId {
        field: "app/stream",
    })?;
    let publisher = call.client_id.as_ref().map(ClientId::text);
    Ok(media_server_event(
        stream,
        state,
        call.action.into_owned(),
        publisher,
        received_at,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Inbound};
    use super::super::test_support::{fixture, fixture_event, fixtures, secret};
    use super::*;
    use crate::ingest::auth::AuthError;
    use crate::ingest::event::TimeSource;
    use crate::ingest::settings::Settings;

    fn settings(token: Option<&str>) -> Settings {
        let token = token.map(str::to_owned);
        Settings::read(SRS.settings.iter(), &|name| {
            (name == TOKEN).then(|| token.clone()).flatten()
        })
    }

    fn inbound(token: &str) -> Inbound<'_> {
        Inbound {
            header: &|_| None,
            path_token: Some(token),
            now_s: 0,
        }
    }

    #[test]
    fn the_token_in_the_path_must_match() {
        let s = settings(Some("srs-token"));
        assert_eq!(SRS.authenticate_headers(&s, &inbound("srs-token")), Ok(()));
        assert!(matches!(
            SRS.authenticate_headers(&s, &inbound("nope")),
            Err(AuthError::Invalid(_))
        ));
        assert_eq!(
            SRS.authenticate_headers(&settings(None), &inbound("srs-token")),
            Err(AuthError::NotConfigured(TOKEN))
        );
        assert!(secret("srs-token").is_some());
    }

    #[test]
    fn a_publish_and_its_unpublish_normalize() {
        let on = fixture_event(&SRS, "on-publish.json", 7);
        assert_eq!(on.stream.to_string(), "srs:live_input:live/studio-a");
        assert_eq!((on.state, on.occurred_at), (State::Live, 7));
        assert_eq!(on.time_source, TimeSource::Receipt);
        assert_eq!(on.event_type, "on_publish");
        assert_eq!(on.publisher.as_deref(), Some("9w1fk4x7"));
        let off = fixture_event(&SRS, "on-unpublish.json", 8);
        assert_eq!((off.state, off.stream), (State::Disconnected, on.stream));
        assert_eq!(off.publisher.as_deref(), Some("9w1fk4x7"));
        assert_ne!(off.event_id, on.event_id);
        let other = fixture_event(&SRS, "on-unpublish-other-client.json", 9);
        assert_eq!(other.publisher.as_deref(), Some("5q0ne2rb"));
        assert_ne!(other.event_id, off.event_id, "another session's call");
    }

    #[test]
    fn a_vhost_other_than_the_default_is_part_of_the_id() {
        let e = fixture_event(&SRS, "on-publish-vhost.json", 0);
        assert_eq!(e.stream.id, "studio.example.com/live/main");
        let old = fixture_event(&SRS, "on-publish-srs4.json", 0);
        assert_eq!(old.stream.id, "live/studio-c");
        // SRS 3 sends the client id as a number.
        let srs3 = br#"{"action":"on_publish","client_id":107,"vhost":"__defaultVhost__","app":"live","stream":"s"}"#;
        let Ok(Parsed::Event(e)) = parse_any(&SRS, srs3, 0) else {
            panic!("SRS 3 body")
        };
        assert_eq!(e.publisher.as_deref(), Some("107"));
    }

    #[test]
    fn other_hooks_are_acknowledged_without_a_history_entry() {
        for name in [
            "on-connect.json",
            "on-close.json",
            "on-play.json",
            "on-stop.json",
            "on-dvr.json",
            "on-hls.json",
        ] {
            let got = parse_any(&SRS, &fixture("srs", name), 0).unwrap();
            assert!(
                matches!(&got, Parsed::Ignored { stream: None, .. }),
                "{name}: {got:?}"
            );
            assert_eq!(SRS.reply(&got), Reply::Json(r#"{"code":0}"#));
        }
    }

    #[test]
    fn a_token_in_the_publish_url_is_never_read() {
        for name in ["on-publish-token.json", "on-unpublish-token.json"] {
            let e = fixture_event(&SRS, name, 0);
            let shown = format!("{e:?}");
            assert!(!shown.contains("SECRET-DO-NOT-LEAK"), "{name}: {shown}");
            assert_eq!(e.stream.id, "live/studio-b");
        }
    }

    #[test]
    fn bad_bodies_are_refused() {
        for (body, why) in [
            (&b"not json"[..], "not JSON"),
            (br#"{"client_id":"c"}"#, "no action"),
            (br#"{"action":"on_publish","app":"live"}"#, "no stream"),
            (
                br#"{"action":"on_publish","app":"live","stream":"a b"}"#,
                "a space",
            ),
            (
                br#"{"action":"on_publish","app":"..","stream":"x"}"#,
                "a dot segment",
            ),
            (
                br#"{"action":"on_publish","vhost":"","app":"live","stream":"x"}"#,
                "an empty vhost",
            ),
        ] {
            assert!(parse_any(&SRS, body, 0).is_err(), "{why}");
        }
    }

    #[test]
    fn every_fixture_parses() {
        for (name, body) in fixtures("srs") {
            assert!(parse_any(&SRS, &body, 0).is_ok(), "{name}");
        }
    }
}
