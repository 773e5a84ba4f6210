//! The hub's helpers over the shared [`Store`]: JSON values by key or prefix, alert records in
//! batches, and [`Writes`], which packs groups of puts that must land together into calls of at
//! most [`MAX_KEYS_PER_CALL`] keys.

use serde::de::DeserializeOwned;

use super::keys;
use crate::alerts::delivery::Deliveries;
use crate::alerts::record::AlertRecord;
use crate::store::{delete_chunked, ListQuery, Store, StoreError, Stored, MAX_KEYS_PER_CALL};

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
    get_many_json(s, keys).await
}

/// The values at `keys` that exist and parse as `T`, in the order of `keys`, read in calls of
/// at most [`MAX_KEYS_PER_CALL`].
pub(crate) async fn get_many_json<T: DeserializeOwned>(
    s: &impl Store,
    keys: &[String],
) -> Result<Vec<(String, T)>, StoreError> {
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
    pub fn record(
        key: &str,
        rec: &(impl Deliveries + serde::Serialize),
    ) -> Result<Self, StoreError> {
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
