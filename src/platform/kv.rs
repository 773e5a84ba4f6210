//! Workers KV, called through the runtime's own object (workers-rs's `KvStore` builds its
//! options and reads its answers through serde_wasm_bindgen, and formats numbers with the float
//! formatter: code livehook needs none of, since it stores JSON text with two string metadata
//! fields). Used by the stream objects (records), the hub (published states) and `GET /streams`.

use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, Env};

/// One KV namespace binding.
pub struct Kv(js_sys::Object);

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

fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(key))
}

fn string(target: &JsValue, key: &str) -> Option<String> {
    get(target, key).ok().and_then(|v| v.as_string())
}

impl Kv {
    /// The namespace bound as `binding`.
    pub fn bound(env: &Env, binding: &str) -> Result<Kv, JsValue> {
        let ns = get(env.as_ref(), binding)?;
        if ns.is_undefined() || ns.is_null() {
            return Err(JsValue::from_str("KV binding missing"));
        }
        Ok(Kv(ns.unchecked_into()))
    }

    async fn call(&self, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let f: js_sys::Function = get(&self.0, method)?.dyn_into()?;
        let promise = match args {
            [a] => f.call1(&self.0, a)?,
            [a, b] => f.call2(&self.0, a, b)?,
            [a, b, c] => f.call3(&self.0, a, b, c)?,
            _ => f.call0(&self.0)?,
        };
        JsFuture::from(js_sys::Promise::resolve(&promise)).await
    }

    /// The text at `key`, if any.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, JsValue> {
        Ok(self
            .call("get", &[JsValue::from_str(key)])
            .await?
            .as_string())
    }

    /// The texts at `keys` (at most 100), in one call: `(key, text)` for those that exist.
    pub async fn get_texts(&self, keys: &[String]) -> Result<Vec<(String, String)>, JsValue> {
        let names: js_sys::Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
        let map: js_sys::Map = self
            .call("get", &[names.into(), JsValue::from_str("text")])
            .await?
            .dyn_into()?;
        Ok(keys
            .iter()
            .filter_map(|k| Some((k.clone(), map.get(&JsValue::from_str(k)).as_string()?)))
            .collect())
    }

    /// Writes a status record at `key` with its `state` and `kind` as metadata (one call into
    /// the runtime: the stream objects do this once per applied event).
    pub async fn put_record(
        &self,
        key: &str,
        value: &str,
        state: &str,
        kind: &str,
    ) -> Result<(), JsValue> {
        super::runtime::kv_put_record(&self.0, key, value, state, kind).await
    }

    /// Writes `value` at `key`, with string metadata fields if any.
    pub async fn put(
        &self,
        key: &str,
        value: &str,
        metadata: &[(&str, &str)],
    ) -> Result<(), JsValue> {
        let mut args = vec![JsValue::from_str(key), JsValue::from_str(value)];
        if !metadata.is_empty() {
            let meta = js_sys::Object::new();
            for (k, v) in metadata {
                js_sys::Reflect::set(&meta, &JsValue::from_str(k), &JsValue::from_str(v))?;
            }
            let opts = js_sys::Object::new();
            js_sys::Reflect::set(&opts, &JsValue::from_str("metadata"), &meta)?;
            args.push(opts.into());
        }
        self.call("put", &args).await.map(|_| ())
    }

    /// One page of keys under `prefix`, after `cursor`.
    pub async fn list(
        &self,
        prefix: &str,
        limit: u64,
        cursor: Option<&str>,
    ) -> Result<ListPage, JsValue> {
        let opts = js_sys::Object::new();
        js_sys::Reflect::set(
            &opts,
            &JsValue::from_str("prefix"),
            &JsValue::from_str(prefix),
        )?;
        js_sys::Reflect::set(
            &opts,
            &JsValue::from_str("limit"),
            &JsValue::from_f64(limit as f64),
        )?;
        if let Some(c) = cursor {
            js_sys::Reflect::set(&opts, &JsValue::from_str("cursor"), &JsValue::from_str(c))?;
        }
        let page = self.call("list", &[opts.into()]).await?;
        let keys: js_sys::Array = get(&page, "keys")?.dyn_into()?;
        let keys = keys
            .iter()
            .filter_map(|k| {
                let meta = get(&k, "metadata").ok().filter(|m| m.is_object());
                Some(ListedKey {
                    name: string(&k, "name")?,
                    state: meta.as_ref().and_then(|m| string(m, "state")),
                    kind: meta.as_ref().and_then(|m| string(m, "kind")),
                })
            })
            .collect();
        Ok(ListPage {
            keys,
            list_complete: get(&page, "list_complete")?.as_bool().unwrap_or(true),
            cursor: string(&page, "cursor").filter(|c| !c.is_empty()),
        })
    }
}
