//! Workers KV through workers-rs's `KvStore`: status records (written by the stream objects with
//! their `state` and `kind` as metadata, so `GET /streams` filters a page without reading the
//! records), the hub's published states, and the listing behind `GET /streams`.

use serde::Serialize;
use worker::{Env, KvError, KvStore};

/// One KV namespace binding.
pub struct Kv(KvStore);

/// One page of `list`: each key with its metadata fields `state` and `kind` (when set).
pub struct ListPage {
    pub keys: Vec<ListedKey>,
    pub list_complete: bool,
    pub cursor: Option<String>,
}

pub struct ListedKey {
    pub name: String,
    pub state: Option<String>,
    pub kind: Option<String>,
}

/// The metadata stored with a status record.
#[derive(Serialize)]
struct RecordMeta<'a> {
    state: &'a str,
    kind: &'a str,
}

impl Kv {
    /// The namespace bound as `binding`.
    pub fn bound(env: &Env, binding: &str) -> Result<Kv, worker::Error> {
        Ok(Kv(env.kv(binding)?))
    }

    /// The text at `key`, if any.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, KvError> {
        self.0.get(key).text().await
    }

    /// The texts at `keys` (at most 100), in one call: `(key, text)` for those that exist, in
    /// the order of `keys`.
    pub async fn get_texts(&self, keys: &[String]) -> Result<Vec<(String, String)>, KvError> {
        let mut found = self.0.get_bulk(keys).text().await?;
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), found.remove(k).flatten()?)))
            .collect())
    }

    /// Writes a status record at `key` with its `state` and `kind` as metadata.
    pub async fn put_record(
        &self,
        key: &str,
        value: &str,
        state: &str,
        kind: &str,
    ) -> Result<(), KvError> {
        self.0
            .put(key, value)?
            .metadata(RecordMeta { state, kind })?
            .execute()
            .await
    }

    /// Writes `value` at `key`.
    pub async fn put(&self, key: &str, value: &str) -> Result<(), KvError> {
        self.0.put(key, value)?.execute().await
    }

    /// One page of keys under `prefix`, after `cursor`.
    pub async fn list(
        &self,
        prefix: &str,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<ListPage, KvError> {
        let mut list = self.0.list().prefix(prefix.to_owned()).limit(limit);
        if let Some(c) = cursor {
            list = list.cursor(c.to_owned());
        }
        let page = list.execute().await?;
        let field = |meta: &Option<serde_json::Value>, name: &str| {
            meta.as_ref()
                .and_then(|m| m.get(name))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        Ok(ListPage {
            keys: page
                .keys
                .into_iter()
                .map(|k| ListedKey {
                    state: field(&k.metadata, "state"),
                    kind: field(&k.metadata, "kind"),
                    name: k.name,
                })
                .collect(),
            list_complete: page.list_complete,
            cursor: page.cursor.filter(|c| !c.is_empty()),
        })
    }
}
