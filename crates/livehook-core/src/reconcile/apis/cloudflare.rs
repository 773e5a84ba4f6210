//! Cloudflare Stream live inputs: `GET /accounts/{account_id}/stream/live_inputs` lists them
//! (ids and names only), then `GET /accounts/{account_id}/stream/live_inputs/{uid}` tells each
//! one's connection status. Both need a token with Stream Read.
//!
//! - The listing's `result` is `{liveInputs: [{uid, meta, …}], range, total}` in Cloudflare's
//!   API reference; some of its documentation shows `result` as the array of inputs itself.
//!   Both are read. `meta` is a free key-value store: its `name` is the input's name when it is
//!   a string, and anything else in `meta` is ignored.
//! - The listing is not paginated: the reference documents no page, cursor or limit parameter
//!   for it (only `include_counts`), so one request lists the account. (`range`, "the total
//!   number of remaining live inputs based on cursor position", hints at a cursor the reference
//!   does not let a client send.)
//! - A listed input is [`Observed::NoChange`] until its own request says more.
//! - `result.status` is documented both as an object (`current.state`) and, in the API
//!   reference's schema, as the state string itself (nullable). Both are read:
//!   `connected`, `reconnected` → connected; `reconnecting` → no change (it may come back);
//!   `client_disconnect`, `ttl_exceeded`, `failed_to_connect`, `failed_to_reconnect`,
//!   `new_configuration_accepted` → disconnected; `null` or absent → [`Observed::NoStatus`];
//!   any other value → no change.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{encode_component, name, read, ApiError, Collect, Observed, Page, PageRequest, WireId};
use crate::ingest::event::State;
pub use crate::ingest::providers::cloudflare::ID;

/// The request that lists the account's live inputs.
pub fn first_request(account_id: &str) -> PageRequest {
    PageRequest::get(inputs_path(account_id), Vec::new(), 1)
}

/// The request for one input's status (`uid` as listed).
pub fn input_request(account_id: &str, uid: &str) -> PageRequest {
    let path = [&inputs_path(account_id), "/", &encode_component(uid)].concat();
    PageRequest::get(path, Vec::new(), 1)
}

fn inputs_path(account_id: &str) -> String {
    [
        "/accounts/",
        &encode_component(account_id),
        "/stream/live_inputs",
    ]
    .concat()
}

/// Reads the listing: every input's id and name, observed [`Observed::NoChange`] (the status
/// takes [`input_request`]). There is never a next page.
pub fn read_page(body: &[u8], _current: &PageRequest) -> Result<Page, ApiError> {
    let listing: Listing = read(ID, body)?;
    let inputs = listing.result.0;
    let mut page = Collect::with_capacity(inputs.len());
    for input in inputs {
        // `meta` is whatever the account put there: a `meta` or a `name` of another shape is
        // no name, never an unreadable page.
        let title = input
            .meta
            .and_then(|m| serde_json::from_str::<Meta>(m.get()).ok())
            .and_then(|m| m.name)
            .and_then(|n| match n {
                WireId::Text(t) => name(Some(&t)),
                _ => None,
            });
        page.push(input.uid.and_then(|u| u.text()), title, Observed::NoChange);
    }
    Ok(page.page(None))
}

/// Reads one input's answer: what its connection status says.
pub fn read_input(body: &[u8]) -> Result<Observed, ApiError> {
    let one: One = read(ID, body)?;
    let Some(status) = one.result.status else {
        return Ok(Observed::NoStatus);
    };
    let status = status.get();
    let state = match status.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<Named>(status)
            .map(|n| Some(n.0))
            .map_err(drop),
        Some(b'{') => serde_json::from_str::<Detailed>(status)
            .map(|d| d.current.and_then(|c| c.state).map(|s| s.0))
            .map_err(drop),
        // `Option` reads `null` as `None` already; kept so the match says every case.
        _ if status == "null" => Ok(None),
        _ => Err(()),
    }
    .map_err(|()| ApiError::Shape {
        provider: ID,
        detail: "`result.status` is neither a state nor an object with `current.state`".into(),
    })?;
    Ok(match state.as_deref() {
        None => Observed::NoStatus,
        Some("connected" | "reconnected") => Observed::State(State::Connected),
        Some(
            "client_disconnect"
            | "ttl_exceeded"
            | "failed_to_connect"
            | "failed_to_reconnect"
            | "new_configuration_accepted",
        ) => Observed::State(State::Disconnected),
        // `reconnecting`: the encoder may be back in a moment. Unknown values: nothing to say.
        Some(_) => Observed::NoChange,
    })
}

/// The listing's envelope: `result` is required (an answer without it lists nothing).
#[derive(Deserialize)]
struct Listing<'a> {
    #[serde(borrow)]
    result: Inputs<'a>,
}

/// `result`: `{liveInputs: […], …}` or the array itself. Read by hand rather than as an
/// untagged enum so that `meta` can stay unparsed and errors keep their position.
struct Inputs<'a>(Vec<Input<'a>>);

#[derive(Deserialize)]
struct Input<'a> {
    #[serde(default, borrow)]
    uid: Option<WireId<'a>>,
    #[serde(default, borrow)]
    meta: Option<&'a RawValue>,
}

/// What livehook reads of `meta`: `name`, read like an id (a string, or anything else read
/// past).
#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    name: Option<WireId<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Inputs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InputsVisitor(PhantomData))
    }
}

struct InputsVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for InputsVisitor<'a> {
    type Value = Inputs<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with `liveInputs`, or an array of live inputs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut inputs = Vec::new();
        while let Some(input) = seq.next_element()? {
            inputs.push(input);
        }
        Ok(Inputs(inputs))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut inputs: Option<Vec<Input<'a>>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "liveInputs" {
                if inputs.is_some() {
                    return Err(de::Error::duplicate_field("liveInputs"));
                }
                inputs = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Inputs(inputs.unwrap_or_default()))
    }
}

/// One input's envelope.
#[derive(Deserialize)]
struct One<'a> {
    #[serde(borrow)]
    result: Status<'a>,
}

#[derive(Deserialize)]
struct Status<'a> {
    #[serde(default, borrow)]
    status: Option<&'a RawValue>,
}

/// `status` as the state string.
#[derive(Deserialize)]
struct Named(String);

/// `status` as `{current: {state, …}, history: […]}`.
#[derive(Deserialize)]
struct Detailed {
    #[serde(default)]
    current: Option<Current>,
}

#[derive(Deserialize)]
struct Current {
    #[serde(default)]
    state: Option<Named>,
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fixture, never_panics_nor_quotes, observed};
    use super::*;

    const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

    fn page(body: &[u8]) -> Result<Page, ApiError> {
        read_page(body, &first_request(ACCOUNT))
    }

    #[test]
    fn the_listing_and_each_input_have_their_documented_paths() {
        let first = first_request(ACCOUNT);
        assert_eq!(first.method.as_str(), "GET");
        assert_eq!(
            first.path_and_query(),
            "/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/live_inputs"
        );
        assert_eq!((first.body, first.page), (None, 1));
        let one = input_request(ACCOUNT, "66be4bf738797e01e1fca35a7bdecdcd");
        assert_eq!(
            one.path_and_query(),
            "/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/live_inputs/66be4bf738797e01e1fca35a7bdecdcd"
        );
        // Whatever the settings hold, it stays one path segment.
        assert_eq!(
            first_request("a/../b?c").path,
            "/accounts/a%2F..%2Fb%3Fc/stream/live_inputs"
        );
    }

    #[test]
    fn the_listing_gives_ids_and_names_and_no_next_page() {
        let p = page(&fixture("cloudflare", "live-inputs.json")).unwrap();
        assert_eq!(
            observed(&p),
            [
                ("66be4bf738797e01e1fca35a7bdecdcd", Observed::NoChange),
                ("1b2d3c4e5f60718293a4b5c6d7e8f901", Observed::NoChange),
                ("9f8e7d6c5b4a39281706f5e4d3c2b1a0", Observed::NoChange),
            ]
        );
        let names: Vec<Option<&str>> = p.streams.iter().map(|s| s.name.as_deref()).collect();
        // A name that is not a string, or no `meta`, is no name.
        assert_eq!(names, [Some("test stream 1"), None, None]);
        assert_eq!((p.skipped, p.next), (0, None));
    }

    #[test]
    fn a_result_that_is_the_array_itself_is_read_too() {
        let p = page(&fixture("cloudflare", "live-inputs-array.json")).unwrap();
        assert_eq!(
            observed(&p),
            [("66be4bf738797e01e1fca35a7bdecdcd", Observed::NoChange)]
        );
        assert_eq!(p.streams[0].name.as_deref(), Some("Main stage"));
        // No `liveInputs` in the object: no inputs.
        let p = page(br#"{"result":{"range":0,"total":0},"success":true}"#).unwrap();
        assert!(p.streams.is_empty());
    }

    #[test]
    fn inputs_without_a_valid_uid_are_skipped() {
        let body = br#"{"result":{"liveInputs":[{"uid":"ok1"},{"uid":"bad id"},{"meta":{}},{"uid":7},{"uid":null},{"uid":"ok2"}]}}"#;
        let p = page(body).unwrap();
        let ids: Vec<&str> = p.streams.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["ok1", "ok2"]);
        assert_eq!(p.skipped, 4);
    }

    #[test]
    fn every_documented_status_maps() {
        use Observed::*;
        let table = [
            ("connected", State(crate::ingest::event::State::Connected)),
            ("reconnected", State(crate::ingest::event::State::Connected)),
            ("reconnecting", NoChange),
            (
                "client_disconnect",
                State(crate::ingest::event::State::Disconnected),
            ),
            (
                "ttl_exceeded",
                State(crate::ingest::event::State::Disconnected),
            ),
            (
                "failed_to_connect",
                State(crate::ingest::event::State::Disconnected),
            ),
            (
                "failed_to_reconnect",
                State(crate::ingest::event::State::Disconnected),
            ),
            (
                "new_configuration_accepted",
                State(crate::ingest::event::State::Disconnected),
            ),
            ("something_new", NoChange),
        ];
        let template =
            String::from_utf8(fixture("cloudflare", "live-input-connected.json")).unwrap();
        for (value, want) in table {
            let detailed = template.replace("\"connected\"", &format!("\"{value}\""));
            assert_eq!(read_input(detailed.as_bytes()), Ok(want), "{value}");
            let named = format!(r#"{{"result":{{"uid":"x","status":"{value}"}},"success":true}}"#);
            assert_eq!(
                read_input(named.as_bytes()),
                Ok(want),
                "{value} as a string"
            );
        }
    }

    #[test]
    fn no_status_is_no_status() {
        assert_eq!(
            read_input(&fixture("cloudflare", "live-input-no-status.json")),
            Ok(Observed::NoStatus)
        );
        for body in [
            r#"{"result":{"uid":"x"}}"#,
            r#"{"result":{"uid":"x","status":{"current":null}}}"#,
            r#"{"result":{"uid":"x","status":{"current":{}}}}"#,
            r#"{"result":{"uid":"x","status":{"current":{"state":null},"history":[]}}}"#,
        ] {
            assert_eq!(
                read_input(body.as_bytes()),
                Ok(Observed::NoStatus),
                "{body}"
            );
        }
    }

    #[test]
    fn wrong_shapes_are_errors_that_quote_nothing() {
        for (body, want) in [
            (
                &br#"{"success":true}"#[..],
                "the cloudflare API's answer does not have its documented shape: missing field `result`",
            ),
            (
                br#"{"result":{"status":42}}"#,
                "the cloudflare API's answer does not have its documented shape: `result.status` is neither a state nor an object with `current.state`",
            ),
            (
                br#"{"result":{"status":{"current":{"state":["secret"]}}}}"#,
                "the cloudflare API's answer does not have its documented shape: `result.status` is neither a state nor an object with `current.state`",
            ),
        ] {
            assert_eq!(read_input(body).unwrap_err().to_string(), want);
        }
        let listing = page(br#"{"result":"secret"}"#).unwrap_err().to_string();
        assert_eq!(
            listing,
            "the cloudflare API's answer does not have its documented shape: wrong type or value at line 1, column 18"
        );
        let inner =
            page(br#"{"result":{"liveInputs":[{"uid":"a","meta":{"name":"x"}}, "secret"]}}"#)
                .unwrap_err()
                .to_string();
        assert!(!inner.contains("secret"), "{inner}");
        assert!(page(b"<html>").is_err());
    }

    #[test]
    fn mutated_answers_never_panic_nor_leak() {
        let listing = fixture("cloudflare", "live-inputs.json");
        never_panics_nor_quotes(&listing, "test stream 1", page);
        let one = fixture("cloudflare", "live-input-connected.json");
        never_panics_nor_quotes(&one, "rtmps-secret", read_input);
    }
}
