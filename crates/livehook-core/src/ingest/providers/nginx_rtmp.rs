//! nginx-rtmp-module's notify hooks: `POST /webhooks/nginx-rtmp/{token}`, a form-encoded body
//! `app=…&…&clientid=…&call=…&name=…` per call (tests/fixtures/nginx-rtmp/SOURCES.md).
//!
//! - `publish` → `live`, `publish_done` → `disconnected`. `update_publish` (`on_update`, every
//!   `notify_update_timeout`) is a heartbeat ([`Parsed::Heartbeat`]): on air it keeps the state,
//!   refreshes the record's `verified_at`, and the stream's object marks the stream
//!   `disconnected` when heartbeats stop for `NGINX_RTMP_STALE_AFTER` (a server that dies sends
//!   no `publish_done`); off air, a heartbeat from a client whose own `publish_done` never came
//!   puts the stream back on air (its `publish` was lost, or a second publisher that nginx
//!   refused sent the stop). `play`, `play_done`, `done`, `connect`, `update_play`, `disconnect`,
//!   `record_done` (and any other call) are acknowledged and ignored, with no history entry.
//! - The stream id is `{app}/{name}`; `clientid` (nginx's connection number) is the publisher,
//!   so an old session's `publish_done` is stale.
//! - The client's query (a token, say) follows nginx-rtmp's own fields raw and may repeat their
//!   keys: only the first occurrence of a key is read, and only `call`, `app`, `name` and
//!   `clientid` are. `tcurl`, `swfurl` and the query may carry a token: they are never read.
//! - nginx-rtmp signs nothing, stamps no time and never retries; it reads only the first digit
//!   of the status and refuses the publish (or drops the publisher, on `update_*`) on anything
//!   but a 2xx. Every accepted call is answered `200` with an empty body, before it is stored.

use super::form::{decode, first};
use super::shape::{path_token, ParseError, Parsed, Provider, Reply};
use crate::ingest::event::{Event, Kind, ProviderId, State, StreamKey};
use crate::ingest::settings::Setting;
use crate::time::Nanos;

pub const ID: ProviderId = ProviderId::new("nginx-rtmp");
pub const TOKEN: &str = "NGINX_RTMP_WEBHOOK_TOKEN";

/// nginx-rtmp-module `on_publish` / `on_publish_done` / `on_update`:
/// `POST /webhooks/nginx-rtmp/{token}`.
pub static NGINX_RTMP: Provider = Provider {
    id: ID,
    route: "nginx-rtmp",
    title: "nginx-rtmp",
    token_in_path: true,
    settings: &[Setting::required(TOKEN)],
    auth_headers: Some(|s, req| path_token(s, TOKEN, req)),
    auth_body: None,
    probe: None,
    check_settings: None,
    parse,
    reply: Some(|_| Reply::Empty),
    answers_first: true,
};

/// The decoded first value of `key`, if the body has one.
fn field(body: &[u8], key: &'static str) -> Result<Option<String>, ParseError> {
    first(body, key)
        .map(|raw| {
            decode(raw).ok_or_else(|| ParseError::Form {
                provider: ID,
                detail: format!("`{key}` is not percent-encoded UTF-8"),
            })
        })
        .transpose()
}

fn required(body: &[u8], key: &'static str) -> Result<String, ParseError> {
    field(body, key)?.ok_or_else(|| ParseError::Form {
        provider: ID,
        detail: format!("missing field `{key}`"),
    })
}

fn parse(body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    let call = required(body, "call")?;
    let state = match call.as_str() {
        "publish" => Some(State::Live),
        "publish_done" => Some(State::Disconnected),
        "update_publish" => None,
        _ => {
            return Ok(Parsed::ignored(
                call,
                "an nginx-rtmp call livehook does not track",
                None,
            ))
        }
    };
    let id = [required(body, "app")?, required(body, "name")?].join("/");
    let stream = StreamKey::new(ID, Kind::LiveInput, &id)
        .ok_or(ParseError::InvalidId { field: "app/name" })?;
    let publisher = field(body, "clientid")?.filter(|c| !c.is_empty());
    let event = Event::media_server(
        stream,
        state.unwrap_or(State::Live),
        call,
        publisher,
        received_at,
    );
    Ok(match state {
        Some(_) => Parsed::Event(Box::new(event)),
        None => Parsed::Heartbeat {
            start: Box::new(event),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::shape::{parse as parse_any, Inbound};
    use super::super::test_support::{fixture, fixture_event};
    use super::*;
    use crate::ingest::auth::AuthError;
    use crate::ingest::event::TimeSource;
    use crate::ingest::settings::Settings;

    const AT: i64 = 1_787_562_902_000_000_000;

    fn parsed(name: &str) -> Parsed {
        parse_any(&NGINX_RTMP, &fixture("nginx-rtmp", name), AT).unwrap()
    }

    #[test]
    fn publish_and_publish_done_normalize_with_their_client() {
        let on = fixture_event(&NGINX_RTMP, "publish.form", AT);
        assert_eq!(
            (on.stream.id.as_str(), on.state, on.event_type.as_str()),
            ("live/studio-a", State::Live, "publish")
        );
        assert_eq!(on.publisher.as_deref(), Some("7"));
        assert_eq!((on.time_source, on.occurred_at), (TimeSource::Receipt, AT));
        let off = fixture_event(&NGINX_RTMP, "publish-done.form", AT);
        assert_eq!(
            (off.state, off.publisher.as_deref()),
            (State::Disconnected, Some("7"))
        );
        let other = fixture_event(&NGINX_RTMP, "publish-done-other-client.form", AT);
        assert_eq!(other.publisher.as_deref(), Some("8"));
        assert_ne!(other.event_id, off.event_id);
    }

    #[test]
    fn update_publish_is_a_heartbeat_of_its_stream() {
        for (name, client) in [
            ("update-publish.form", "7"),
            ("update-publish-token-args.form", "11"),
        ] {
            let Parsed::Heartbeat { start } = parsed(name) else {
                panic!("{name}: {:?}", parsed(name));
            };
            assert_eq!(start.stream.provider, ID);
            assert!(
                start.stream.id.starts_with("live/studio-"),
                "{}",
                start.stream.id
            );
            assert_eq!(
                (
                    start.state,
                    start.event_type.as_str(),
                    start.publisher.as_deref()
                ),
                (State::Live, "update_publish", Some(client))
            );
            assert!(!format!("{start:?}").contains("SECRET"), "{name}");
        }
    }

    #[test]
    fn players_and_other_calls_are_acknowledged_and_ignored() {
        for (name, call) in [
            ("play.form", "play"),
            ("play-done.form", "play_done"),
            ("update-play.form", "update_play"),
            ("done.form", "done"),
            ("connect.form", "connect"),
            ("disconnect.form", "disconnect"),
            ("record-done.form", "record_done"),
        ] {
            match parsed(name) {
                Parsed::Ignored {
                    event_type, stream, ..
                } => assert_eq!(
                    (event_type.as_deref(), stream),
                    (Some(call), None),
                    "{name}"
                ),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_clients_query_never_overrides_nginx_rtmps_fields_nor_is_kept() {
        let e = fixture_event(&NGINX_RTMP, "publish-args-repeat-keys.form", AT);
        assert_eq!(
            (e.stream.id.as_str(), e.state, e.publisher.as_deref()),
            ("live/studio-g", State::Live, Some("13"))
        );
        for name in ["publish-token-args.form", "publish-token-tcurl.form"] {
            let e = fixture_event(&NGINX_RTMP, name, AT);
            let kept = format!("{e:?}");
            assert!(!kept.contains("SECRET"), "{name}: {kept}");
            assert!(e.stream.id.starts_with("live/studio-"), "{name}");
        }
    }

    #[test]
    fn a_malformed_body_is_refused_with_what_is_wrong() {
        let err = |body: &[u8]| parse_any(&NGINX_RTMP, body, AT).unwrap_err().to_string();
        assert!(err(b"app=live&name=a").contains("missing field `call`"));
        assert!(err(b"call=publish&name=a").contains("missing field `app`"));
        assert!(err(b"call=publish&app=live").contains("missing field `name`"));
        assert!(err(b"call=publish&app=live&name=%zz").contains("`name` is not"));
        assert!(err(b"call=publish&app=live&name=").contains("not a valid stream id"));
        assert!(err(b"call=publish&app=live&name=..%2Fx").contains("not a valid stream id"));
        assert!(err(b"{\"call\":\"publish\"}").contains("missing field `call`"));
        // Errors name the field, never its value.
        let quoted = err(b"call=publish&app=live&name=secret-value%zz");
        assert!(!quoted.contains("secret-value"), "{quoted}");
    }

    #[test]
    fn the_token_in_the_path_must_match() {
        let token = Some("t0k3n".to_owned());
        let s = Settings::read(NGINX_RTMP.settings.iter(), &|name| {
            (name == TOKEN).then(|| token.clone()).flatten()
        });
        let inbound = |t| Inbound {
            header: &|_| None,
            path_token: Some(t),
            now_s: 0,
        };
        assert_eq!(
            NGINX_RTMP.authenticate_headers(&s, &inbound("t0k3n")),
            Ok(())
        );
        assert!(matches!(
            NGINX_RTMP.authenticate_headers(&s, &inbound("wrong")),
            Err(AuthError::Invalid(_))
        ));
        let unset = Settings::read(NGINX_RTMP.settings.iter(), &|_| None);
        assert_eq!(
            NGINX_RTMP.authenticate_headers(&unset, &inbound("t0k3n")),
            Err(AuthError::NotConfigured(TOKEN))
        );
    }

    #[test]
    fn every_accepted_call_is_answered_empty() {
        assert_eq!(NGINX_RTMP.reply(&parsed("publish.form")), Reply::Empty);
        assert_eq!(
            NGINX_RTMP.reply(&parsed("update-publish.form")),
            Reply::Empty
        );
        assert_eq!(NGINX_RTMP.reply(&parsed("play.form")), Reply::Empty);
        assert!(NGINX_RTMP.answers_first());
    }
}
