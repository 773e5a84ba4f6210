//! The hub's storage trait over the Durable Object's storage. Values are JS strings (JSON text)
//! and numbers, as the hub has always written them.

use livehook_core::hub::store::{ListQuery, Store, StoreError, Stored};
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, Storage};

use crate::platform::clock::set_alarm_at;

pub struct DoStore(pub Storage);

fn failed(what: &'static str) -> impl Fn(worker::Error) -> StoreError {
    move |e| StoreError(format!("{what}: {e}"))
}

fn js_failed(what: &'static str) -> impl Fn(JsValue) -> StoreError {
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

/// `(key, value)` pairs of a storage `Map`, in its order.
fn pairs(map: &js_sys::Map) -> Vec<(String, Stored)> {
    let mut out = Vec::new();
    for entry in map.entries() {
        let Ok(entry) = entry else { continue };
        let pair = js_sys::Array::from(&entry);
        if let (Some(key), Some(value)) = (pair.get(0).as_string(), stored(&pair.get(1))) {
            out.push((key, value));
        }
    }
    out
}

impl Store for DoStore {
    async fn get(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        let promise = self.0.as_raw().get(key).map_err(js_failed("get"))?;
        let value = JsFuture::from(promise).await.map_err(js_failed("get"))?;
        Ok(stored(&value))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Stored)>, StoreError> {
        let map = self
            .0
            .get_multiple(keys.to_vec())
            .await
            .map_err(failed("get many"))?;
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), stored(&map.get(&JsValue::from_str(k)))?)))
            .collect())
    }

    async fn list(&self, q: ListQuery<'_>) -> Result<Vec<(String, Stored)>, StoreError> {
        // The options object by hand: workers-rs's `ListOptions` goes through serde_wasm_bindgen.
        let opts = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&opts, &JsValue::from_str(k), &v);
        set("prefix", JsValue::from_str(q.prefix)).map_err(js_failed("list"))?;
        set("reverse", JsValue::from_bool(q.reverse)).map_err(js_failed("list"))?;
        if let Some(limit) = q.limit {
            set("limit", JsValue::from_f64(limit as f64)).map_err(js_failed("list"))?;
        }
        let promise = self
            .0
            .as_raw()
            .list_with_options(opts)
            .map_err(js_failed("list"))?;
        let map = JsFuture::from(promise).await.map_err(js_failed("list"))?;
        Ok(pairs(&js_sys::Map::from(map)))
    }

    async fn put_all(&self, entries: Vec<(String, Stored)>) -> Result<(), StoreError> {
        let obj = js_sys::Object::new();
        for (k, v) in &entries {
            js_sys::Reflect::set(&obj, &JsValue::from_str(k), &js(v)).map_err(js_failed("put"))?;
        }
        self.0.put_multiple_raw(obj).await.map_err(failed("put"))
    }

    async fn delete_all(&self, keys: Vec<String>) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.0
            .delete_multiple(keys)
            .await
            .map(|_| ())
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
