//! Reading a request (the runtime's own `Request`): its method and path, headers, the body
//! (bounded), query parameters, path ids, and the API's bearer check.

use livehook_core::text::{self, query_pairs};
use worker::web_sys::Request;
use worker::Env;

use super::error::{ApiError, MAX_BODY_BYTES};
use crate::platform::bindings::{self, Body};
use crate::platform::env;

/// The methods the routes tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Delete,
    Other,
}

impl Method {
    pub fn of(req: &Request) -> Method {
        match req.method().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

/// The URL's path (still percent-encoded), from the serialized URL the runtime hands over:
/// after `scheme://host`, before `?` or `#`.
pub fn path(req: &Request) -> String {
    let url = req.url();
    let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or("/").to_owned()
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads at most [`MAX_BODY_BYTES`], refusing larger bodies without buffering them.
pub async fn read_body(req: &Request) -> Result<Vec<u8>, ApiError> {
    match bindings::read_body(req, MAX_BODY_BYTES as u32).await {
        Ok(Body::Bytes(bytes)) => Ok(bytes),
        Ok(Body::TooLarge) => Err(ApiError::PayloadTooLarge),
        Err(_) => Err(ApiError::BadRequest("could not read body".into())),
    }
}

/// The query string as `(name, value)` pairs, decoded.
pub fn query(req: &Request) -> Vec<(String, String)> {
    let url = req.url();
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query_pairs(query.split_once('#').map_or(query, |(q, _)| q))
}

pub fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The parameter parsed by `f`: absent is `None`, present but invalid is a 400.
pub fn parse_param<T>(
    q: &[(String, String)],
    name: &str,
    f: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    param(q, name)
        .map(|v| f(v).ok_or_else(|| ApiError::BadRequest(format!("invalid `{name}`"))))
        .transpose()
}

/// Path segments arrive percent-encoded; stream ids only use unreserved characters, but a
/// client may still encode `:` as `%3A`.
pub fn percent_decode(s: &str) -> String {
    text::percent_decode(s)
}

/// The bearer check of every API route: `Authorization: Bearer <STATUS_API_TOKEN>`.
pub fn authorize(req: &Request, env: &Env) -> Result<(), ApiError> {
    let cfg = env::config(env);
    Ok(cfg.authorize(header(req, "Authorization").as_deref())?)
}
