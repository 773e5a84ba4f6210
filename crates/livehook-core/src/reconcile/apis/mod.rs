//! What each provider's API says about its live inputs: the requests to make and how to read
//! the answers, one file per provider, no I/O. The shell performs each [`PageRequest`] against
//! the provider's base URL with its credentials, hands the body to the provider's `read_page`,
//! and follows [`Page::next`] until it is `None`; it never builds a path or reads JSON itself.
//!
//! The contract every provider keeps:
//! - only documented, read-only endpoints, paginated to the end (or one request where the API
//!   documents no pagination: Cloudflare's and Livepeer's listings);
//! - every record here is a `live_input` ([`KIND`]): simulcast targets, broadcasts and videos
//!   are left alone;
//! - what the API says is an [`Observed`]: a state, "no change" (a value the mapping does not
//!   decide on, or one that is still settling), or Cloudflare's "no status", which only the
//!   caller can resolve (it knows whether livehook has the stream on air);
//! - a listed stream whose id is missing or not a valid stream id (the rule of the webhook
//!   parsers, [`crate::ingest::event::StreamKey::new`]) is skipped and counted in
//!   [`Page::skipped`], never an error for the whole page;
//! - an answer that cannot be read is an [`ApiError`] whose message names fields and
//!   positions, never a value from the answer, and the caller changes nothing on an error;
//! - credentials in answers (stream keys, ingest URLs) are never read: the private wire structs
//!   name only the fields used here.
//!
//! Pagination differs per provider: a page number until a page comes back short (Mux,
//! FastPix) or empty (Gcore), a continuation token (IVS). A listing longer than [`MAX_PAGES`]
//! pages is an error rather than a loop, so an API that always answers "more" cannot hold a
//! poll forever.

pub mod cloudflare;
pub mod fastpix;
pub mod gcore;
pub mod ivs;
pub mod livepeer;
pub mod mux;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::ingest::event::{valid_resource_arn, valid_stream_id, Kind, ProviderId, State};
use crate::ingest::providers::json::from_json;
use crate::ingest::providers::live_stream::status_state;
use crate::ingest::providers::{ParseError, MAX_NAME};
use crate::text::{truncate, Decimal};

/// The kind of every record the APIs correct or add.
pub const KIND: Kind = Kind::LiveInput;

/// What a live stream's own `status` says (`active`, `idle`, `disabled`: Mux and FastPix share
/// the webhooks' mapping); any other value decides nothing.
fn live_stream_status(status: Option<&str>) -> Observed {
    status_state(status).map_or(Observed::NoChange, Observed::State)
}

/// The most pages one listing may take (100 000 Mux streams at 100 a page, 50 000 FastPix ones); a listing that asks for
/// more is an [`ApiError::TooManyPages`].
pub const MAX_PAGES: u32 = 1_000;

/// What an API says about one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    /// The stream is in this state.
    State(State),
    /// Nothing to correct: the API's value is one the mapping leaves alone (Cloudflare's
    /// `reconnecting`, FastPix's `preparing`, an unknown value), or the listing does not say
    /// (Cloudflare's listing, before the per-input request).
    NoChange,
    /// Cloudflare's `status: null`: the input has no connection status. `disconnected` if
    /// livehook has it on air, else no change; the caller knows which.
    NoStatus,
}

/// One stream of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The provider's id, valid as a stream id (IVS: the channel ARN).
    pub id: String,
    /// The provider's name for it, where the API has one: non-empty, at most [`MAX_NAME`]
    /// characters.
    pub name: Option<String>,
    pub observed: Observed,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub streams: Vec<Listed>,
    /// Listed streams left out because their id is missing or invalid.
    pub skipped: u32,
    /// The request for the next page; `None` after the last one. IVS lists only channels that
    /// are live: after its last page, a channel livehook has on air that no page listed is
    /// `disconnected` (the caller's decision, as only it knows what is on air).
    pub next: Option<PageRequest>,
}

/// An HTTP method the APIs are read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// IVS's `ListStreams` (a read that AWS's JSON protocol sends as a POST).
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request for the shell to make: everything but the base URL and the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub method: Method,
    /// Relative to the provider's base URL, starting with `/`, each segment already
    /// percent-encoded.
    pub path: String,
    /// Query parameters in order, not yet encoded ([`PageRequest::path_and_query`] encodes).
    pub query: Vec<(String, String)>,
    /// A JSON body, for a POST (sent as `Content-Type: application/json`).
    pub body: Option<String>,
    /// Which page of the listing this asks for, from 1 (1 for a single request).
    pub page: u32,
}

impl PageRequest {
    /// Page `page` (from 1) of a listing read by page number,
    /// `{path}?limit={size}&{page_param}={page}` (Mux's `page`, FastPix's `offset`).
    fn numbered(path: &str, page_param: &str, page: u32, size: usize) -> Self {
        let query = vec![
            ("limit".into(), size.to_string()),
            (page_param.into(), page.to_string()),
        ];
        Self::get(path.into(), query, page)
    }

    fn get(path: String, query: Vec<(String, String)>, page: u32) -> Self {
        PageRequest {
            method: Method::Get,
            path,
            query,
            body: None,
            page,
        }
    }

    /// `path?query`, the query percent-encoded (everything but RFC 3986's unreserved
    /// characters), for appending to the base URL.
    pub fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&encode_component(k));
            out.push('=');
            out.push_str(&encode_component(v));
        }
        out
    }

    /// The number of the page after this one, or [`ApiError::TooManyPages`] past [`MAX_PAGES`].
    fn following(&self, provider: ProviderId) -> Result<u32, ApiError> {
        if self.page >= MAX_PAGES {
            return Err(ApiError::TooManyPages { provider });
        }
        Ok(self.page + 1)
    }
}

/// `s` with every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) as `%XX`: a
/// path segment or a query value.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why an answer could not be read. Messages never contain values from the answer, only field
/// names and positions, so they are safe to log and to show in `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the {provider} API's answer is not valid JSON (line {line}, column {column})")]
    Json {
        provider: ProviderId,
        line: usize,
        column: usize,
    },
    #[error("the {provider} API's answer does not have its documented shape: {detail}")]
    Shape {
        provider: ProviderId,
        detail: String,
    },
    #[error("the {provider} API's listing goes on past {MAX_PAGES} pages")]
    TooManyPages { provider: ProviderId },
}

/// Reads an answer as `T`, the provider's wire struct, with the webhook parsers' reader (its
/// errors never quote the body).
fn read<'a, T: Deserialize<'a>>(provider: ProviderId, body: &'a [u8]) -> Result<T, ApiError> {
    from_json(provider, body).map_err(|e| match e {
        ParseError::Json { line, column } => ApiError::Json {
            provider,
            line,
            column,
        },
        ParseError::Shape { detail, .. } => ApiError::Shape { provider, detail },
        other => ApiError::Shape {
            provider,
            detail: other.to_string(),
        },
    })
}

/// An id as a listing gives it: a string, a number (Gcore's), or anything else (null, an
/// object…), which is read past and makes the stream skipped rather than the page unreadable.
pub(super) enum WireId<'a> {
    Text(Cow<'a, str>),
    Number(u64),
    Other,
}

impl WireId<'_> {
    /// The id if it is a string that is a valid stream id.
    fn text(&self) -> Option<String> {
        match self {
            WireId::Text(s) => valid(s).then(|| s.clone().into_owned()),
            _ => None,
        }
    }

    /// The id if it is a valid string id or a number (written in decimal).
    fn text_or_number(&self) -> Option<String> {
        match self {
            WireId::Number(n) => Some(Decimal::unsigned(*n).to_string()),
            other => other.text(),
        }
    }
}

/// The rule of the webhook parsers ([`crate::ingest::event::StreamKey::new`]).
fn valid(id: &str) -> bool {
    valid_stream_id(id) || valid_resource_arn(id)
}

impl<'de: 'a, 'a> Deserialize<'de> for WireId<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WireIdVisitor(PhantomData))
    }
}

struct WireIdVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for WireIdVisitor<'a> {
    type Value = WireId<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(WireId::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(WireId::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(WireId::Number(v))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(WireId::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(WireId::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(WireId::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(WireId::Other)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(WireId::Other)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(WireId::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(WireId::Other)
    }
}

/// A name livehook keeps: non-empty, cut to [`MAX_NAME`] characters.
fn name(name: Option<&str>) -> Option<String> {
    name.filter(|n| !n.is_empty())
        .map(|n| truncate(n, MAX_NAME))
}

/// Collects the streams of a page: those with a valid id, the others counted as skipped.
struct Collect {
    streams: Vec<Listed>,
    skipped: u32,
}

impl Collect {
    fn with_capacity(n: usize) -> Self {
        Collect {
            streams: Vec::with_capacity(n),
            skipped: 0,
        }
    }

    fn push(&mut self, id: Option<String>, name: Option<String>, observed: Observed) {
        match id {
            Some(id) => self.streams.push(Listed { id, name, observed }),
            None => self.skipped = self.skipped.saturating_add(1),
        }
    }

    fn page(self, next: Option<PageRequest>) -> Page {
        Page {
            streams: self.streams,
            skipped: self.skipped,
            next,
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    use super::*;

    /// Reads `tests/data/apis/{provider}/{name}` of this crate.
    pub fn fixture(provider: &str, name: &str) -> Vec<u8> {
        let path: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "tests/data/apis",
            provider,
            name,
        ]
        .iter()
        .collect();
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `(id, observed)` of each listed stream.
    pub fn observed(page: &Page) -> Vec<(&str, Observed)> {
        page.streams
            .iter()
            .map(|s| (s.id.as_str(), s.observed))
            .collect()
    }

    /// Variations of `body` that a broken proxy or API could send: cut at every length, bytes
    /// flipped, and a few shapes of the wrong kind.
    pub fn mutations(body: &[u8]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = (0..body.len()).map(|n| body[..n].to_vec()).collect();
        for i in (0..body.len()).step_by(3) {
            for flip in [0x01u8, 0x20, 0x80, 0xff] {
                let mut b = body.to_vec();
                b[i] ^= flip;
                out.push(b);
            }
        }
        for junk in [
            &b""[..],
            b"null",
            b"[]",
            b"{}",
            b"\"x\"",
            b"42",
            b"[[[[[[[[[[[[[[[[",
            b"\xff\xfe\x00",
            b"<html>502 Bad Gateway</html>",
        ] {
            out.push(junk.to_vec());
        }
        out
    }

    /// `read` never panics on `body` or any mutation of it, and its errors quote none of
    /// `secret`, a value planted in the body.
    pub fn never_panics_nor_quotes<T: std::fmt::Debug>(
        body: &[u8],
        secret: &str,
        read: impl Fn(&[u8]) -> Result<T, ApiError>,
    ) -> usize {
        let mut errors = 0;
        for b in mutations(body) {
            if let Err(e) = read(&b) {
                errors += 1;
                assert!(!e.to_string().contains(secret), "{e}");
            }
        }
        assert!(errors > 0);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded_and_paths_kept() {
        let r = PageRequest::get(
            "/a/b%2Fc".into(),
            vec![
                ("limit".into(), "100".into()),
                ("q".into(), "a b&c=é".into()),
            ],
            1,
        );
        assert_eq!(
            r.path_and_query(),
            "/a/b%2Fc?limit=100&q=a%20b%26c%3D%C3%A9"
        );
        assert_eq!(
            PageRequest::get("/x".into(), vec![], 1).path_and_query(),
            "/x"
        );
        assert_eq!(encode_component("Az09-._~/:?"), "Az09-._~%2F%3A%3F");
    }

    #[test]
    fn ids_are_strings_or_numbers_and_anything_else_is_read_past() {
        fn read(s: &str) -> Vec<WireId<'_>> {
            serde_json::from_str(s).unwrap()
        }
        let ids = read(r#"["abc", "a b", 12, -1, 1.5, true, null, {"x":[1]}, [2, {}], ""]"#);
        let text: Vec<Option<String>> = ids.iter().map(WireId::text).collect();
        let either: Vec<Option<String>> = ids.iter().map(WireId::text_or_number).collect();
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            text,
            [
                some("abc"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
        assert_eq!(
            either,
            [
                some("abc"),
                None,
                some("12"),
                None,
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
        // An escaped string is unescaped, then validated.
        assert_eq!(read(r#"["a\u0062c"]"#)[0].text(), some("abc"));
        // An ARN is a valid id, as for the webhook parsers.
        let arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
        assert_eq!(read(&format!("[\"{arn}\"]"))[0].text(), some(arn));
    }

    #[test]
    fn names_are_kept_non_empty_and_cut() {
        assert_eq!(name(Some("")), None);
        assert_eq!(name(None), None);
        assert_eq!(name(Some("Main stage")).as_deref(), Some("Main stage"));
        let long = "é".repeat(MAX_NAME + 5);
        let cut = name(Some(&long)).unwrap();
        assert_eq!(cut.chars().count(), MAX_NAME);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn a_listing_stops_with_an_error_after_the_last_allowed_page() {
        let id = ProviderId::new("mux");
        let at = |page| PageRequest::get("/x".into(), vec![], page);
        assert_eq!(at(1).following(id), Ok(2));
        assert_eq!(at(MAX_PAGES - 1).following(id), Ok(MAX_PAGES));
        let err = at(MAX_PAGES).following(id).unwrap_err();
        assert_eq!(err, ApiError::TooManyPages { provider: id });
        assert_eq!(
            err.to_string(),
            "the mux API's listing goes on past 1000 pages"
        );
    }

    #[test]
    fn no_reader_panics_on_arbitrary_bytes() {
        // Random bytes, and random sequences of JSON tokens (which reach deeper than bytes do).
        let tokens: [&[u8]; 24] = [
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"null",
            b"true",
            b"0",
            b"-1",
            b"1e400",
            b"18446744073709551616",
            b"\"\"",
            b"\"x\"",
            b"\"\\u0000\"",
            b"\"data\"",
            b"\"result\"",
            b"\"liveInputs\"",
            b"\"streams\"",
            b"\"status\"",
            b"\"current\"",
            b"\"uid\"",
            b"\"nextToken\"",
            b"\"pagination\"",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let readers: [fn(&[u8]) -> bool; 7] = [
            |b| cloudflare::read_page(b, &cloudflare::first_request("a")).is_ok(),
            |b| cloudflare::read_input(b).is_ok(),
            |b| mux::read_page(b, &mux::first_request()).is_ok(),
            |b| gcore::read_page(b, &gcore::first_request()).is_ok(),
            |b| livepeer::read_page(b, &livepeer::first_request()).is_ok(),
            |b| fastpix::read_page(b, &fastpix::first_request()).is_ok(),
            |b| ivs::read_page(b, &ivs::first_request()).is_ok(),
        ];
        for round in 0..4_000 {
            let len = (next() % 64) as usize;
            let body: Vec<u8> = if round % 2 == 0 {
                (0..len).map(|_| next() as u8).collect()
            } else {
                (0..len)
                    .flat_map(|_| tokens[(next() % tokens.len() as u64) as usize].to_vec())
                    .collect()
            };
            for read in readers {
                read(&body);
            }
        }
    }

    #[test]
    fn errors_name_positions_and_fields_never_values() {
        let id = ProviderId::new("gcore");
        let json = read::<Vec<u32>>(id, b"[1, secret]").unwrap_err();
        assert_eq!(
            json.to_string(),
            "the gcore API's answer is not valid JSON (line 1, column 5)"
        );
        let shape = read::<Vec<u32>>(id, br#"[1, "secret"]"#).unwrap_err();
        assert_eq!(
            shape.to_string(),
            "the gcore API's answer does not have its documented shape: wrong type or value at line 1, column 12"
        );
    }
}
