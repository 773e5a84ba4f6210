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
