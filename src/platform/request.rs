//! Outgoing requests (delivery attempts, the analytics query, provider API reads), built on the runtime's own
//! `Request` and `RequestInit`: workers-rs's `RequestInit` converts itself through
//! `serde_wasm_bindgen` (image-resizing and `cf` options included), code these requests never
//! need.

use futures_util::StreamExt;
use wasm_bindgen::JsValue;
use worker::web_sys;
use worker::Request;

/// A response's whole body as text, in one call to the runtime's `Response.text()`
/// (workers-rs's `Response::text` reads a streamed body chunk by chunk through a stream
/// reader: two calls into JS per chunk and a lock to release).
pub async fn text(resp: worker::Response) -> Result<String, JsValue> {
    let raw: web_sys::Response = resp.into();
    let text = worker::wasm_bindgen_futures::JsFuture::from(raw.text()?).await?;
    text.as_string()
        .ok_or_else(|| JsValue::from_str("body is not text"))
}

/// A request of `method` to `url` with `headers` and `body`. `follow_redirects: false` hands a
/// 3xx back as it came (a subscriber's redirect is an answer, not a hop to follow).
pub fn build(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    follow_redirects: bool,
) -> Result<Request, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    if !headers.is_empty() {
        let h = web_sys::Headers::new()?;
        for (name, value) in headers {
            h.set(name, value)?;
        }
        init.set_headers(&h);
    }
    if !follow_redirects {
        init.set_redirect(web_sys::RequestRedirect::Manual);
    }
    Ok(web_sys::Request::new_with_str_and_init(url, &init)?.into())
}

/// A response's body if it has at most `max` bytes; `None` if longer (the rest is not read) or
/// unreadable.
pub async fn read_at_most(resp: &mut worker::Response, max: usize) -> Option<Vec<u8>> {
    let mut stream = resp.stream().ok()?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.ok()?);
        if body.len() > max {
            return None;
        }
    }
    Some(body)
}
