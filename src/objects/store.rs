//! Durable Object storage as the core's [`Store`], for both objects, over workers-rs's `Storage`
//! (`platform::storage`). Values are JS strings (JSON text) and numbers: the objects' stored
//! format.

use livehook_core::store::{ListQuery, Store, StoreError, Stored};
use wasm_bindgen::JsValue;
use worker::Storage;

use crate::platform::clock::set_alarm_at;
use crate::platform::storage;

pub struct DoStore(pub Storage);

fn failed(what: &'static str) -> impl Fn(worker::Error) -> StoreError {
    move |e| StoreError(format!("{what}: {e}"))
}

fn stored(v: &JsValue) -> Option<Stored> {
    v.as_string()
        .map(Stored::Text)
        .or_else(|| v.as_f64().map(Stored::Number))
}

fn js(v: &Stored) -> JsValue {
    match v {
        Stored::Text(t) => JsValue::from_str(t),
        Stored::Number(n) => JsValue::from_f64(*n),
    }
}

impl Store for DoStore {
    async fn get(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        let value = storage::get(&self.0, key).await.map_err(failed("get"))?;
        Ok(stored(&value))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Stored)>, StoreError> {
        let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        let values = storage::get_many(&self.0, &wanted)
            .await
            .map_err(failed("get many"))?;
        Ok(keys
            .iter()
            .zip(values)
            .filter_map(|(k, v)| Some((k.clone(), stored(&v)?)))
            .collect())
    }

    async fn list(&self, q: ListQuery<'_>) -> Result<Vec<(String, Stored)>, StoreError> {
        let pairs = storage::list(&self.0, q.prefix, q.reverse, q.limit)
            .await
            .map_err(failed("list"))?;
        Ok(pairs
            .into_iter()
            .filter_map(|(k, v)| Some((k, stored(&v)?)))
            .collect())
    }

    async fn put_all(&self, entries: Vec<(String, Stored)>) -> Result<(), StoreError> {
        let entries: Vec<(&str, JsValue)> =
            entries.iter().map(|(k, v)| (k.as_str(), js(v))).collect();
        storage::put_all(&self.0, &entries)
            .await
            .map_err(failed("put"))
    }

    async fn delete_all(&self, keys: Vec<String>) -> Result<(), StoreError> {
        storage::delete_all(&self.0, &keys)
            .await
            .map_err(failed("delete"))
    }

    async fn alarm(&self) -> Result<Option<u64>, StoreError> {
        let at = self.0.get_alarm().await.map_err(failed("get alarm"))?;
        Ok(at.map(|ms| ms.max(0) as u64))
    }

    async fn set_alarm(&self, at_ms: u64) -> Result<(), StoreError> {
        set_alarm_at(&self.0, at_ms)
            .await
            .map_err(failed("set alarm"))
    }
}
