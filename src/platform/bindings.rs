//! The one module of `extern` bindings: what the shell needs from the runtime that workers-rs
//! does not offer. Everything else goes through workers-rs's API (KV, storage, alarms, stubs,
//! `fetch`, WebSockets) and the web types it re-exports (`web_sys`, `js_sys`). Each binding here
//! is typed; none calls a method by name.
//!
//! - [`ObjectStub::rpc`] is the Durable Objects' one JS RPC method (`src/entry.js`), called on
//!   a workers-rs `Stub` (`Stub::into_rpc`).
//! - [`read_body`] reads a request body in one call, bounded (`bindings.js`; workers-rs reads
//!   a body chunk by chunk, with no limit).
//! - [`json_response`] makes a JSON answer in one call (`bindings.js`).
//! - [`random_bytes`] fills a buffer from the runtime's `crypto.getRandomValues`.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, web_sys};

#[wasm_bindgen(module = "/src/platform/bindings.js")]
extern "C" {
    #[wasm_bindgen(js_name = readBody)]
    fn read_body_js(request: &web_sys::Request, limit: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = jsonResponse)]
    fn json_response_js(status: u16, body: &str, allow: &str) -> web_sys::Response;
}

#[wasm_bindgen]
extern "C" {
    /// A stub of one of livehook's Durable Objects, for its JS RPC method.
    pub type ObjectStub;
    /// The objects' one RPC method: a request's JSON in, a promise of the reply's JSON out.
    #[wasm_bindgen(method, catch)]
    pub fn rpc(this: &ObjectStub, body: &str) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &mut [u8]) -> Result<JsValue, JsValue>;
}

/// What reading a body gave.
pub enum Body {
    Bytes(Vec<u8>),
    /// Larger than the limit (nothing more was kept).
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

/// Fills `buf` from the runtime's CSPRNG (at most 65 536 bytes per call).
pub fn random_bytes(buf: &mut [u8]) -> Result<(), JsValue> {
    get_random_values(buf).map(|_| ())
}
