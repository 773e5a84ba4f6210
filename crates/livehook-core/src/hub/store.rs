//! What the hub needs from the world, as two small traits: [`Store`] (its Durable Object
//! storage and alarm) and [`Effects`] (the clock, randomness, outgoing requests, the live feed,
//! KV and the log). The Durable Object implements them over the runtime; [`super::memory`]
//! implements them in memory, so the hub's logic runs under `cargo test`.
//!
//! The traits use `async fn`: Workers are single-threaded, so their futures need not be `Send`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::alerts::delivery::AttemptResult;
use crate::alerts::record::AlertRecord;
use crate::alerts::render::Outbound;
use crate::ingest::event::State;
use crate::protocol::ObjectError;

use super::keys;
use crate::text::read_json;

/// A stored value: the hub writes JSON text and plain numbers only.
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

impl From<StoreError> for ObjectError {
    fn from(e: StoreError) -> Self {
        ObjectError::Unavailable(e.0)
    }
}

/// Most keys one storage call may take (the Durable Object storage limit).
pub const MAX_KEYS_PER_CALL: usize = 128;

/// A listing: keys with `prefix`, ascending (or descending), at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    pub prefix: &'a str,
    pub reverse: bool,
    pub limit: Option<usize>,
}

impl<'a> ListQuery<'a> {
    pub fn prefix(prefix: &'a str) -> Self {
        ListQuery {
            prefix,
            reverse: false,
            limit: None,
        }
    }
}

/// The hub's Durable Object storage. Each call is atomic; `put_all` and `delete_all` take at
/// most [`MAX_KEYS_PER_CALL`] keys.
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

/// Log levels of [`Effects::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Everything else the hub does to the world.
#[allow(async_fn_in_trait)]
pub trait Effects {
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> u64;
    /// Fills `buf` from a CSPRNG.
    fn random(&self, buf: &mut [u8]) -> Result<(), StoreError>;
    /// Sends a text message to every live-feed client; how many there are.
    fn broadcast(&self, message: &str) -> usize;
    /// One JSON log line: `{"msg": msg, ...fields}`.
    fn log(&self, level: Level, msg: &str, fields: Value);
    /// Tells the stream objects (through KV) which non-error states some subscriber wants.
    async fn publish_notify_states(&self, states: &[State]) -> Result<(), StoreError>;
    /// One delivery attempt under `timeout_ms`; never fails, it reports what happened.
    async fn send(&self, out: &Outbound, timeout_ms: u64) -> AttemptResult;
}

// ---- helpers over any Store ----

pub(crate) async fn get_json<T: DeserializeOwned>(
    s: &impl Store,
    key: &str,
) -> Result<Option<T>, StoreError> {
    Ok(s.get(key).await?.and_then(|v| v.parse()))
}

pub(crate) async fn list_json<T: DeserializeOwned>(
    s: &impl Store,
    prefix: &str,
) -> Result<Vec<T>, StoreError> {
    Ok(s.list(ListQuery::prefix(prefix))
        .await?
        .into_iter()
        .filter_map(|(_, v)| v.parse())
        .collect())
}

pub(crate) async fn get_records(
    s: &impl Store,
    keys: &[String],
) -> Result<Vec<(String, AlertRecord)>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_KEYS_PER_CALL) {
        for (k, v) in s.get_many(chunk).await? {
            if let Some(rec) = v.parse() {
                out.push((k, rec));
            }
        }
    }
    Ok(out)
}

/// Writes to make: groups of puts that must land together (a record and its index entries),
/// and keys to delete after them.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    groups: Vec<Vec<(String, Stored)>>,
    deletes: Vec<String>,
}

impl Writes {
    /// A record with its `pending:`/`dead:` index entries, as one group.
    pub fn record(key: &str, rec: &AlertRecord) -> Result<Self, StoreError> {
        let mut group = vec![(key.to_owned(), Stored::json(rec)?)];
        let mut deletes = Vec::new();
        match rec.next_due_ms() {
            Some(due) => group.push((keys::pending(key), Stored::Number(due as f64))),
            None => deletes.push(keys::pending(key)),
        }
        if rec.dead() {
            group.push((keys::dead(key), Stored::Number(1.0)));
        } else {
            deletes.push(keys::dead(key));
        }
        Ok(Writes {
            groups: vec![group],
            deletes,
        })
    }

    /// Adds entries to the last group (they land with it).
    pub fn put(&mut self, key: String, value: Stored) {
        match self.groups.last_mut() {
            Some(g) => g.push((key, value)),
            None => self.groups.push(vec![(key, value)]),
        }
    }

    pub fn delete(&mut self, key: String) {
        self.deletes.push(key);
    }

    pub fn extend(&mut self, other: Writes) {
        self.groups.extend(other.groups);
        self.deletes.extend(other.deletes);
    }

    /// Performs the writes: groups packed whole into calls of at most 128 keys (a group is
    /// never split), then the deletes.
    pub async fn apply(self, s: &impl Store) -> Result<(), StoreError> {
        let mut batch: Vec<(String, Stored)> = Vec::new();
        for group in self.groups {
            if !batch.is_empty() && batch.len() + group.len() > MAX_KEYS_PER_CALL {
                s.put_all(std::mem::take(&mut batch)).await?;
            }
            batch.extend(group);
        }
        if !batch.is_empty() {
            s.put_all(batch).await?;
        }
        delete_chunked(s, self.deletes).await
    }
}

pub(crate) async fn delete_chunked(s: &impl Store, keys: Vec<String>) -> Result<(), StoreError> {
    for chunk in keys.chunks(MAX_KEYS_PER_CALL) {
        s.delete_all(chunk.to_vec()).await?;
    }
    Ok(())
}
