//! The runtime calls of `runtime.js`, bound for Rust: each is one crossing from Wasm into JS
//! where the same work through workers-rs's types (or `web_sys` one property at a time) took
//! several. Used on the webhook path: reading a body, writing a JSON answer, a stream object's
//! storage put and its KV write.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys};

#[wasm_bindgen(module = "/src/platform/runtime.js")]
extern "C" {
    #[wasm_bindgen(js_name = readBody)]
    fn read_body_js(request: &web_sys::Request, limit: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsonResponse)]
    fn json_response_js(status: u16, body: &str, allow: &str) -> web_sys::Response;
    #[wasm_bindgen(js_name = storageGet2, catch)]
    fn storage_get2_js(
        storage: &JsValue,
        key: &str,
        key2: &str,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = storagePut, catch)]
    fn storage_put_js(
        storage: &JsValue,
        key: &str,
        value: &str,
        key2: Option<&str>,
        value2: Option<&str>,
        key3: Option<&str>,
        value3: Option<&str>,
    ) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = kvPutRecord, catch)]
    fn kv_put_record_js(
        namespace: &JsValue,
        key: &str,
        value: &str,
        state: &str,
        kind: &str,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// What reading a body gave.
pub enum Body {
    Bytes(Vec<u8>),
    /// Larger than the limit (nothing more was read).
    TooLarge,
}

/// The request's body, at most `limit` bytes.
pub async fn read_body(request: &web_sys::Request, limit: u32) -> Result<Body, JsValue> {
    let got = JsFuture::from(read_body_js(request, limit)).await?;
    if got.is_null() {
        return Ok(Body::TooLarge);
    }
    Ok(Body::Bytes(got.dyn_into::<js_sys::Uint8Array>()?.to_vec()))
}

/// A JSON answer with `Cache-Control: no-store` (and `Allow`, when not empty).
pub fn json_response(status: u16, body: &str, allow: &str) -> web_sys::Response {
    json_response_js(status, body, allow)
}

/// The values at two keys of Durable Object storage (`undefined` where none), in one read.
pub async fn storage_get2(
    storage: &JsValue,
    key: &str,
    key2: &str,
) -> Result<(JsValue, JsValue), JsValue> {
    let both = js_sys::Array::from(&JsFuture::from(storage_get2_js(storage, key, key2)?).await?);
    Ok((both.get(0), both.get(1)))
}

/// Most keys [`storage_put`] writes in one call.
pub const STORAGE_PUT_MAX: usize = 3;

/// Writes one to [`STORAGE_PUT_MAX`] keys to Durable Object storage in one atomic put (more is
/// refused, not cut: use `storage::put_all`).
pub async fn storage_put(storage: &JsValue, pairs: &[(&str, &str)]) -> Result<(), JsValue> {
    let [(key, value), more @ ..] = pairs else {
        return Ok(());
    };
    if pairs.len() > STORAGE_PUT_MAX {
        return Err(JsValue::from_str(
            "storage_put: more keys than one call writes",
        ));
    }
    let (k2, v2) = more.first().copied().unzip();
    let (k3, v3) = more.get(1).copied().unzip();
    JsFuture::from(storage_put_js(storage, key, value, k2, v2, k3, v3)?).await?;
    Ok(())
}

/// Writes a status record to Workers KV with its `state` and `kind` as metadata.
pub async fn kv_put_record(
    namespace: &JsValue,
    key: &str,
    value: &str,
    state: &str,
    kind: &str,
) -> Result<(), JsValue> {
    JsFuture::from(kv_put_record_js(namespace, key, value, state, kind)?).await?;
    Ok(())
}
