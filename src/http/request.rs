//! Reading a request: headers, the body (bounded), query parameters, path ids, and the API's
//! bearer check.

use futures_util::StreamExt;
use worker::{Env, Request};

use livehook_core::text::{self, query_pairs};

use super::error::{ApiError, MAX_BODY_BYTES};
use crate::platform::env;

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads at most [`MAX_BODY_BYTES`], refusing larger bodies without buffering them.
pub async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    if let Some(len) = header(req, "Content-Length").and_then(|v| v.trim().parse::<u64>().ok()) {
        if len > MAX_BODY_BYTES as u64 {
            return Err(ApiError::PayloadTooLarge);
        }
        // A declared length within the limit: the runtime delivers at most that many bytes, so
        // one read of the whole body is bounded (and costs one call into JS, not one per chunk).
        let body = req
            .bytes()
            .await
            .map_err(|_| ApiError::BadRequest("could not read body".into()))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        return Ok(body);
    }
    // No length (chunked): read chunk by chunk and stop at the limit.
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else {
        return Ok(body); // no body at all
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("could not read body".into()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The query string as `(name, value)` pairs, decoded.
pub fn query(req: &Request) -> Vec<(String, String)> {
    let url = req.inner().url();
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
