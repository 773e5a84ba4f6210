//! Durable Object storage as the core's [`Store`], for both objects, over workers-rs's `Storage`
//! on raw values: the objects store JSON text and plain numbers (their stored format), so no
//! value goes through serde here.

use livehook_core::store::{ListQuery, Store, StoreError, Stored, MAX_KEYS_PER_CALL};
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::{self, Map, Object};
use worker::{ListOptions, Storage};

use crate::platform::clock::set_alarm_at;

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

/// More keys than one storage call takes are refused, not cut.
fn at_most_one_call(what: &str, keys: usize) -> Result<(), StoreError> {
    if keys > MAX_KEYS_PER_CALL {
        return Err(StoreError(format!(
            "storage {what} of {keys} keys: at most {MAX_KEYS_PER_CALL} per call"
        )));
    }
    Ok(())
}

impl Store for DoStore {
    async fn get(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        let found = self.get_many(&[key.to_owned()]).await?;
        Ok(found.into_iter().next().map(|(_, v)| v))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Stored)>, StoreError> {
        at_most_one_call("read", keys.len())?;
        let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        let found = self
            .0
            .get_multiple(wanted)
            .await
            .map_err(failed("get many"))?;
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), stored(&found.get(&JsValue::from_str(k)))?)))
            .collect())
    }

    async fn list(&self, q: ListQuery<'_>) -> Result<Vec<(String, Stored)>, StoreError> {
        let mut opts = ListOptions::new().prefix(q.prefix).reverse(q.reverse);
        if let Some(limit) = q.limit {
            opts = opts.limit(limit);
        }
        if let Some(before) = q.before {
            opts = opts.end(before); // exclusive
        }
        let map: Map = self
            .0
            .list_with_options(opts)
            .await
            .map_err(failed("list"))?;
        let mut out = Vec::with_capacity(map.size() as usize);
        for entry in map.entries() {
            let pair: js_sys::Array = entry
                .map_err(worker::Error::from)
                .map_err(failed("list"))?
                .unchecked_into();
            if let (Some(key), Some(value)) = (pair.get(0).as_string(), stored(&pair.get(1))) {
                out.push((key, value));
            }
        }
        Ok(out)
    }

    async fn put_all(&self, entries: Vec<(String, Stored)>) -> Result<(), StoreError> {
        at_most_one_call("put", entries.len())?;
        let obj = Object::new();
        for (key, value) in &entries {
            js_sys::Reflect::set(&obj, &JsValue::from_str(key), &js(value))
                .map_err(worker::Error::from)
                .map_err(failed("put"))?;
        }
        self.0.put_multiple_raw(obj).await.map_err(failed("put"))
    }

    async fn delete_all(&self, keys: Vec<String>) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        at_most_one_call("delete", keys.len())?;
        self.0
            .delete_multiple(keys.iter().map(String::as_str).collect())
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
