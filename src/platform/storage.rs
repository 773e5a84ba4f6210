//! Durable Object storage through workers-rs's `Storage`, on raw values: livehook stores JSON text
//! and plain numbers, so no value goes through serde here. Both objects use these.

use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::{self, Map, Object};
use worker::{ListOptions, Storage};

/// Most keys one storage call takes (the runtime's limit).
pub const MAX_KEYS_PER_CALL: usize = 128;

/// The values at `keys` (at most [`MAX_KEYS_PER_CALL`]), in one read: `undefined` where none.
pub async fn get_many(storage: &Storage, keys: &[&str]) -> worker::Result<Vec<JsValue>> {
    let found = storage.get_multiple(keys.to_vec()).await?;
    Ok(keys
        .iter()
        .map(|k| found.get(&JsValue::from_str(k)))
        .collect())
}

/// The value at `key` (`undefined` if none).
pub async fn get(storage: &Storage, key: &str) -> worker::Result<JsValue> {
    Ok(get_many(storage, &[key]).await?.pop().unwrap_or_default())
}

/// Keys with `prefix` and their values, ascending (or descending), at most `limit`.
pub async fn list(
    storage: &Storage,
    prefix: &str,
    reverse: bool,
    limit: Option<usize>,
) -> worker::Result<Vec<(String, JsValue)>> {
    let mut opts = ListOptions::new().prefix(prefix).reverse(reverse);
    if let Some(limit) = limit {
        opts = opts.limit(limit);
    }
    let map: Map = storage.list_with_options(opts).await?;
    let mut out = Vec::with_capacity(map.size() as usize);
    for entry in map.entries() {
        let pair: js_sys::Array = entry?.unchecked_into();
        if let Some(key) = pair.get(0).as_string() {
            out.push((key, pair.get(1)));
        }
    }
    Ok(out)
}

/// Writes every entry in one atomic call (at most [`MAX_KEYS_PER_CALL`] keys; more is refused,
/// not cut).
pub async fn put_all(storage: &Storage, entries: &[(&str, JsValue)]) -> worker::Result<()> {
    if entries.len() > MAX_KEYS_PER_CALL {
        return Err(worker::Error::RustError(format!(
            "storage put of {} keys: at most {MAX_KEYS_PER_CALL} per call",
            entries.len()
        )));
    }
    let obj = Object::new();
    for (key, value) in entries {
        js_sys::Reflect::set(&obj, &JsValue::from_str(key), value)?;
    }
    storage.put_multiple_raw(obj).await
}

/// Deletes the keys (at most [`MAX_KEYS_PER_CALL`]) in one call.
pub async fn delete_all(storage: &Storage, keys: &[String]) -> worker::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    storage
        .delete_multiple(keys.iter().map(String::as_str).collect())
        .await
        .map(|_| ())
}
