//! Durable Object storage, called through the runtime's own objects (workers-rs's typed
//! `get`/`put`/`ListOptions` go through serde_wasm_bindgen; livehook stores JSON text and numbers
//! and needs none of it). Both objects use these.

use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, Storage};

/// The value at `key` (`undefined` if none).
pub async fn get(storage: &Storage, key: &str) -> Result<JsValue, JsValue> {
    JsFuture::from(storage.as_raw().get(key)?).await
}

/// Keys with `prefix` and their values, ascending (or descending), at most `limit`.
pub async fn list(
    storage: &Storage,
    prefix: &str,
    reverse: bool,
    limit: Option<usize>,
) -> Result<Vec<(String, JsValue)>, JsValue> {
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"prefix".into(), &JsValue::from_str(prefix))?;
    js_sys::Reflect::set(&opts, &"reverse".into(), &JsValue::from_bool(reverse))?;
    if let Some(limit) = limit {
        js_sys::Reflect::set(&opts, &"limit".into(), &JsValue::from_f64(limit as f64))?;
    }
    let map = JsFuture::from(storage.as_raw().list_with_options(opts)?).await?;
    let mut out = Vec::new();
    for entry in js_sys::Map::from(map).entries() {
        let pair = js_sys::Array::from(&entry?);
        if let Some(key) = pair.get(0).as_string() {
            out.push((key, pair.get(1)));
        }
    }
    Ok(out)
}

/// Writes every entry in one atomic call (at most 128 keys).
pub async fn put_all(storage: &Storage, entries: &[(&str, JsValue)]) -> Result<(), JsValue> {
    let obj = js_sys::Object::new();
    for (key, value) in entries {
        js_sys::Reflect::set(&obj, &JsValue::from_str(key), value)?;
    }
    JsFuture::from(storage.as_raw().put_multiple(obj.into())?).await?;
    Ok(())
}

/// Deletes the keys (at most 128) in one call.
pub async fn delete_all(storage: &Storage, keys: &[String]) -> Result<(), JsValue> {
    if keys.is_empty() {
        return Ok(());
    }
    let keys: Vec<JsValue> = keys.iter().map(|k| JsValue::from_str(k)).collect();
    JsFuture::from(storage.as_raw().delete_multiple(keys)?).await?;
    Ok(())
}
