//! Reading a webhook body into a provider's private wire structs ([`from_json`]), and the string
//! type those structs hold ([`Text`]).
//!
//! Each provider file declares `#[derive(Deserialize)]` structs that mirror its JSON and name
//! only the fields livehook uses: credentials (stream keys, ingest URLs) are skipped, never
//! copied. Optional fields carry `#[serde(default)]`, so a struct sent as a JSON array (which
//! serde reads field by field) may end early where the fields are optional.
//!
//! Errors never quote the payload: serde's "missing field `x`" names a field and is passed on;
//! every other data error keeps only its position.

use std::borrow::Cow;
use std::ops::Deref;

use serde::Deserialize;

use super::shape::ParseError;
use crate::ingest::event::ProviderId;

/// A JSON string of the body: a slice of it, or a copy where escapes had to be undone.
/// (`Option<Cow<str>>` would always copy: serde borrows only a `Cow` field of its own.)
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub(crate) struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    /// The string, copied only where it is a slice of the body.
    pub(crate) fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Reads `body` as `T`, the provider's wire struct, with errors that never echo payload values.
pub(crate) fn from_json<'a, T: Deserialize<'a>>(
    provider: ProviderId,
    body: &'a [u8],
) -> Result<T, ParseError> {
    serde_json::from_slice(body).map_err(|e| json_error(provider, &e))
}

/// A `serde_json` error as a [`ParseError`] that quotes no payload value.
fn json_error(provider: ProviderId, e: &serde_json::Error) -> ParseError {
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
}

#[cfg(test)]
mod tests {
    use super::super::cloudflare::CLOUDFLARE;
    use super::super::cloudflare_stream::CLOUDFLARE_STREAM;
    use super::super::{parse, Parsed};
    use super::*;

    const CONNECTED: &str = r#"{"data":{"input_id":"abc","event_type":"live_input.connected","updated_at":"2024-07-09T18:07:51Z"}}"#;

    fn shape(body: &str) -> ParseError {
        parse(&CLOUDFLARE, body.as_bytes(), 0).unwrap_err()
    }

    #[test]
    fn strings_are_borrowed_unless_escapes_are_undone() {
        let plain: Option<Text> = serde_json::from_str(r#""abc""#).unwrap();
        assert!(matches!(plain, Some(Text(Cow::Borrowed("abc")))));
        let escaped: Text = serde_json::from_str(r#""a\u0062\"c""#).unwrap();
        assert!(matches!(escaped, Text(Cow::Owned(ref s)) if s == "ab\"c"));
        // The same stream, whichever way its id is written.
        let a = parse(&CLOUDFLARE, CONNECTED.as_bytes(), 0).unwrap();
        let b = parse(
            &CLOUDFLARE,
            CONNECTED.replace("abc", r"a\u0062c").as_bytes(),
            0,
        );
        assert_eq!(b, Ok(a));
    }

    #[test]
    fn a_field_twice_or_under_both_its_names_is_refused_without_quoting() {
        let twice = r#"{"data":{"input_id":"abc"},"data":{"input_id":"secret-value"}}"#;
        assert_eq!(
            shape(twice).to_string(),
            "JSON does not match the cloudflare payload: wrong type or value at line 1, column 33"
        );
        let both = r#"{"uid":"v1","status":{"state":"error","errorReasonCode":"A","errReasonCode":"B"},"modified":"2024-07-09T18:07:51Z"}"#;
        let err = parse(&CLOUDFLARE_STREAM, both.as_bytes(), 0).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("wrong type or value at line 1, column 75"),
            "{err}"
        );
    }

    #[test]
    fn a_payload_sent_as_an_array_is_read_field_by_field() {
        let by_position =
            r#"[null, {"input_id":"abc","event_type":"live_input.connected"}, 1642074233]"#;
        let Ok(Parsed::Event(e)) = parse(&CLOUDFLARE, by_position.as_bytes(), 0) else {
            panic!("{by_position}")
        };
        assert_eq!(
            (e.stream.id.as_str(), e.occurred_at),
            ("abc", 1_642_074_233_000_000_000)
        );
        // Fields left out at the end are optional ones: the same as an empty object.
        assert_eq!(shape("[]"), shape("{}"));
        assert_eq!(
            shape("{}").to_string(),
            "JSON does not match the cloudflare payload: missing field `data`"
        );
    }

    #[test]
    fn anything_after_the_payload_is_a_syntax_error() {
        let trailing = format!("{CONNECTED} x");
        assert_eq!(
            shape(&trailing),
            ParseError::Json {
                line: 1,
                column: 101
            }
        );
    }
}
