//! A Durable Object's storage as a trait, shared by both objects' logic ([`crate::hub`],
//! [`crate::stream`]): string keys, values that are JSON text or plain numbers ([`Stored`]),
//! atomic calls of at most [`MAX_KEYS_PER_CALL`] keys, and the object's alarm. The worker
//! implements [`Store`] over the runtime; [`memory`] implements it in memory (with the same
//! per-call limit), so the objects' logic runs under `cargo test`.
//!
//! The trait uses `async fn`: Workers are single-threaded, so its futures need not be `Send`.

#[cfg(test)]
pub mod memory;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::text::read_json;

/// A stored value: the objects write JSON text and plain numbers only.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    Text(String),
    Number(f64),
}

impl Stored {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Stored::Text(t) => Some(t),
            Stored::Number(_) => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match self {
            Stored::Number(n) => Some(*n),
            Stored::Text(_) => None,
        }
    }

    /// The JSON text of `value`.
    pub fn json(value: &impl Serialize) -> Result<Self, StoreError> {
        serde_json::to_string(value)
            .map(Stored::Text)
            .map_err(|e| StoreError(format!("serialize: {e}")))
    }

    /// The value of JSON text; `None` for a number or text that does not parse (a record
    /// written by a different version is skipped rather than failing the whole listing).
    pub fn parse<T: DeserializeOwned>(&self) -> Option<T> {
        read_json(self.as_text()?).ok()
    }
}

/// Storage (or the runtime under it) failed; the text is for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Most keys one storage call may take (the Durable Object storage limit).
pub const MAX_KEYS_PER_CALL: usize = 128;

/// A listing: keys with `prefix` (and before `before`, when set), ascending (or descending),
/// at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    pub prefix: &'a str,
    pub reverse: bool,
    pub limit: Option<usize>,
    /// Only keys that sort strictly before this one (a page's cursor, newest first).
    pub before: Option<&'a str>,
}

impl<'a> ListQuery<'a> {
    pub fn prefix(prefix: &'a str) -> Self {
        ListQuery {
            prefix,
            reverse: false,
            limit: None,
            before: None,
        }
    }
}

/// A Durable Object's storage. Each call is atomic; `get_many`, `put_all` and `delete_all` take
/// at most [`MAX_KEYS_PER_CALL`] keys.
#[allow(async_fn_in_trait)]
pub trait Store {
    async fn get(&self, key: &str) -> Result<Option<Stored>, StoreError>;
    /// The values of the `keys` that exist, in the order of `keys`.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Stored)>, StoreError>;
    async fn list(&self, query: ListQuery<'_>) -> Result<Vec<(String, Stored)>, StoreError>;
    async fn put_all(&self, entries: Vec<(String, Stored)>) -> Result<(), StoreError>;
    async fn delete_all(&self, keys: Vec<String>) -> Result<(), StoreError>;
    /// When the alarm is set to fire (ms), if it is.
    async fn alarm(&self) -> Result<Option<u64>, StoreError>;
    /// Sets the alarm to an absolute time (ms).
    async fn set_alarm(&self, at_ms: u64) -> Result<(), StoreError>;
}

/// Deletes `keys` in calls of at most [`MAX_KEYS_PER_CALL`]; stops at the first failure.
pub async fn delete_chunked(s: &impl Store, keys: Vec<String>) -> Result<(), StoreError> {
    for chunk in keys.chunks(MAX_KEYS_PER_CALL) {
        s.delete_all(chunk.to_vec()).await?;
    }
    Ok(())
}
