//! Durable Object storage as the core's [`Store`], for both objects (`platform::storage`, and
//! `platform::runtime` for the two calls a webhook makes: a stream's ledger and history count
//! read in one crossing, and its ledger, count and entry written in one). Values are JS strings
//! (JSON text) and numbers, as the objects have always written them.

use livehook_core::store::{ListQuery, Store, StoreError, Stored};
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, Storage};

use crate::platform::clock::set_alarm_at;
use crate::platform::{runtime, storage};

pub struct DoStore(pub Storage);

fn failed(what: &'static str) -> impl Fn(JsValue) -> StoreError {
    move |e| StoreError(format!("{what}: {}", worker::Error::from(e)))
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
        if let [a, b] = keys {
            let (va, vb) = runtime::storage_get2(self.0.as_raw(), a, b)
                .await
                .map_err(failed("get many"))?;
            let found = [(a, va), (b, vb)];
            return Ok(found
                .into_iter()
                .filter_map(|(k, v)| Some((k.clone(), stored(&v)?)))
                .collect());
        }
        let wanted: Vec<JsValue> = keys.iter().map(|k| JsValue::from_str(k)).collect();
        let promise = self
            .0
            .as_raw()
            .get_multiple(wanted)
            .map_err(failed("get many"))?;
        let map = js_sys::Map::from(JsFuture::from(promise).await.map_err(failed("get many"))?);
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), stored(&map.get(&JsValue::from_str(k)))?)))
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
        if entries.len() <= runtime::STORAGE_PUT_MAX {
            let texts: Option<Vec<(&str, &str)>> = entries
                .iter()
                .map(|(k, v)| Some((k.as_str(), v.as_text()?)))
                .collect();
            if let Some(pairs) = texts {
                return runtime::storage_put(self.0.as_raw(), &pairs)
                    .await
                    .map_err(failed("put"));
            }
        }
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
        let at = self
            .0
            .get_alarm()
            .await
            .map_err(|e| StoreError(format!("get alarm: {e}")))?;
        Ok(at.map(|ms| ms.max(0) as u64))
    }

    async fn set_alarm(&self, at_ms: u64) -> Result<(), StoreError> {
        set_alarm_at(&self.0, at_ms)
            .await
            .map_err(|e| StoreError(format!("set alarm: {e}")))
    }
}
