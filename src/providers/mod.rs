//! Provider payloads → the normalized [`Event`].
//!
//! Each provider module holds private structs mirroring its wire format and one `parse`
//! function. The contract shared by all of them:
//! - bytes in, a closed result out: an [`Event`], `Ignored` (a known provider sent something we
//!   do not track: a 2xx so it never retries forever) or `Test` (a provider's connectivity check);
//! - a payload that is not JSON, or JSON of the wrong shape, is a [`ParseError`] (a 400);
//! - credentials in payloads (FastPix `streamKey`, simulcast `rtmpUrl`) are never read into any
//!   struct, so they cannot be stored, logged or echoed.

pub mod cloudflare;
pub mod fastpix;
pub mod gcore;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::model::{Event, Kind, Provider, StreamKey};
use crate::time::{parse_rfc3339, Nanos};

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
    Shape {
        provider: &'static str,
        detail: String,
    },
    #[error("{field} is not a valid stream id (1-255 chars of A-Z a-z 0-9 . _ ~ : -)")]
    InvalidId { field: &'static str },
    #[error("{field} is not an RFC 3339 time")]
    InvalidTime { field: &'static str },
}

/// Parses and normalizes one webhook body. `received_at` is used where the provider sends no
/// event time.
pub fn parse(provider: Provider, body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    match provider {
        Provider::Cloudflare => cloudflare::parse(body, received_at),
        Provider::Fastpix => fastpix::parse(body, received_at),
        Provider::Gcore => gcore::parse(body, received_at),
    }
}

/// `serde_json::from_slice` with errors that never echo payload values.
pub(crate) fn from_json<T: DeserializeOwned>(
    provider: Provider,
    body: &[u8],
) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => {
                let msg = e.to_string();
                // "missing field `x`" names a field, never a value: safe to pass on. Other data
                // errors ("invalid type: string \"…\"") quote the payload, so only the position
                // is kept.
                let detail = match msg.find("missing field") {
                    Some(start) => msg[start..]
                        .split(" at line")
                        .next()
                        .unwrap_or("missing field")
                        .to_owned(),
                    None => format!("wrong type or value at line {line}, column {column}"),
                };
                ParseError::Shape {
                    provider: provider.as_str(),
                    detail,
                }
            }
            _ => ParseError::Json { line, column },
        }
    })
}

pub(crate) fn stream_key(
    provider: Provider,
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

    /// Reads `tests/fixtures/{provider}/{name}`: the same files the JS tests load.
    pub fn fixture(provider: &str, name: &str) -> Vec<u8> {
        let path: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "tests",
            "fixtures",
            provider,
            name,
        ]
        .iter()
        .collect();
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every fixture file of a provider, by name.
    pub fn fixtures(provider: &str) -> Vec<(String, Vec<u8>)> {
        let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", provider]
            .iter()
            .collect();
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
    fn empty_and_whitespace_bodies_are_refused_for_every_provider() {
        for p in Provider::ALL {
            assert_eq!(parse(p, b"", 0), Err(ParseError::Empty));
            assert_eq!(parse(p, b" \n\t", 0), Err(ParseError::Empty));
        }
    }

    #[test]
    fn syntax_errors_report_a_position_only() {
        for p in Provider::ALL {
            let err = parse(p, b"{\"a\": \"secret-value\",}", 0).unwrap_err();
            assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err:?}");
            assert!(!err.to_string().contains("secret-value"));
        }
    }

    #[test]
    fn shape_errors_never_quote_payload_values() {
        for p in Provider::ALL {
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
}
