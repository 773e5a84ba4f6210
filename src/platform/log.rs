//! The worker's one logger. Every line is one JSON object, `{"msg": …, …fields}`, written with
//! `console.log` (info) or `console.error` (errors), so Workers Logs and `wrangler tail` index
//! its fields. Callers pass fields as a JSON object; nothing here formats by hand, so a field
//! holding any byte still makes valid JSON. Never pass a secret or a stream key.

use livehook_core::text::write_json;
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;
use worker::web_sys::console;

/// The line for `msg` and `fields` (an object; anything else is logged under `"fields"`).
pub fn line(msg: &str, fields: Value) -> String {
    let mut out = Map::new();
    out.insert("msg".into(), Value::from(msg));
    match fields {
        Value::Object(map) => out.extend(map),
        Value::Null => {}
        other => {
            out.insert("fields".into(), other);
        }
    }
    write_json(&Value::Object(out))
}

pub fn info(msg: &str, fields: Value) {
    console::log_1(&JsValue::from_str(&line(msg, fields)));
}

pub fn error(msg: &str, fields: Value) {
    console::error_1(&JsValue::from_str(&line(msg, fields)));
}

/// An error line with one field, `error` (its text): `{"msg": msg, "error": "…"}`.
pub fn failed(msg: &str, error: &dyn std::fmt::Display) {
    #[derive(Serialize)]
    struct Failed<'a> {
        msg: &'a str,
        error: String,
    }
    console::error_1(&JsValue::from_str(&write_json(&Failed {
        msg,
        error: error.to_string(),
    })));
}

/// A line written from a typed value whose fields include `msg` (the one line per webhook:
/// no map of fields is built for it).
pub fn info_typed(line: &impl Serialize) {
    console::log_1(&JsValue::from_str(&write_json(line)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_line_is_json_even_with_control_characters_and_quotes() {
        let l = line(
            "kv write failed",
            json!({ "error": "bad \u{1} \"x\" \\ é\n" }),
        );
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["msg"], "kv write failed");
        assert_eq!(v["error"], "bad \u{1} \"x\" \\ é\n");
        assert!(!l.contains('\n'), "one line: {l}");
        let odd: Value = serde_json::from_str(&line("m", json!([1, 2]))).unwrap();
        assert_eq!(odd["fields"], json!([1, 2]));
    }
}
